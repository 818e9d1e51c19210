/** Vector width of the default embedder (all-MiniLM-L6-v2). */
export const DEFAULT_DIMENSIONS = 384

/** Remote (gossiped) entries kept before the least recently used are evicted. */
export const DEFAULT_REMOTE_CAPACITY = 10_000

/** Upper bound for `remoteCapacity`. */
export const MAX_REMOTE_CAPACITY = 100_000

/** Rows allocated up front; the matrix doubles from here. */
export const INITIAL_CAPACITY = 1024

/** Name of the index's append log inside its directory. */
export const LOG_FILE_NAME = 'index.log'

/**
 * Compact when the log holds more than this many records per live entry (plus COMPACT_MIN_GARBAGE), i.e.
 * when replaying it does mostly wasted work.
 */
export const COMPACT_RATIO = 2
export const COMPACT_MIN_GARBAGE = 1000

/** Reciprocal rank fusion constant (Cormack et al. 2009). */
export const RRF_K = 60

/** Candidates taken from each ranking before fusion (at least k). */
export const FUSION_CANDIDATES = 50

/** Weight of the vector score in 'weighted' fusion; the rest goes to normalised BM25. */
export const WEIGHTED_VECTOR_SHARE = 0.7

/** Longest id accepted. */
export const MAX_ID_LENGTH = 512

/** Entries added to the keyword index per background slice after open (a few ms each). */
export const KEYWORD_BUILD_SLICE = 2000

/** Log records (since the last snapshot) beyond which compaction writes a snapshot even without garbage. */
export const SNAPSHOT_MIN_RECORDS = 20_000
