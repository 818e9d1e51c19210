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

/**
 * 'weighted' fusion: rank score = cosine + KEYWORD_WEIGHT * BM25 / (best BM25 of this query). BM25 breaks
 * near-ties between semantically close entries; it cannot outvote a clearly better cosine (tuned on the dev
 * part of bench/relevance: 0.43, i.e. the former 0.7/0.3 split, lost intent queries to plain cosine).
 */
export const KEYWORD_WEIGHT = 0.15

/** Queries longer than this many words get a proportionally smaller BM25 share (see keywordWeight). */
export const LONG_QUERY_WORDS = 12

/**
 * Pseudo-relevance feedback for descriptive queries: the query vector is moved towards its FEEDBACK_DOCS best
 * fused hits (by FEEDBACK_WEIGHT of their mean) and the vector side is scored again. A short description
 * embeds vaguely; the best hits say in catalog words what it means. Skipped when an exact name/tag matched.
 */
export const FEEDBACK_DOCS = 2
export const FEEDBACK_WEIGHT = 0.5

/** Longest id accepted. */
export const MAX_ID_LENGTH = 512

/** Entries added to the keyword index per background slice after open (a few ms each). */
export const KEYWORD_BUILD_SLICE = 2000

/** Log records (since the last snapshot) beyond which compaction writes a snapshot even without garbage. */
export const SNAPSHOT_MIN_RECORDS = 20_000
