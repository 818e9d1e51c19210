// Defaults of bounded flood search (`/continuum/search/1.0.0`).

export const FLOOD_PROTOCOL = '/continuum/search/1.0.0'
/** Hard cap on a request's TTL: the design's "start at 10". Requests above it are dropped and counted. */
export const MAX_TTL = 10
/** Hops of a search when the caller does not say. */
export const DEFAULT_HOPS = 3
/** Neighbours a request is forwarded to at each hop (smart, random and keyword strategies). */
export const DEFAULT_FANOUT = 3
/** Results a peer answers with at most. */
export const MAX_RESULTS_PER_PEER = 20
/** Default similarity threshold peers apply before answering. */
export const DEFAULT_MIN_SIMILARITY = 0.3
/** User patience: default, shortest and longest search, in ms. */
export const DEFAULT_TIMEOUT_MS = 10_000
export const MIN_TIMEOUT_MS = 1_000
export const MAX_TIMEOUT_MS = 30_000
/** Early stop: this many results and the best above this similarity. */
export const DEFAULT_MIN_RESULTS = 10
export const EARLY_STOP_SIMILARITY = 0.9
/** Search requests accepted from one peer per second; the excess is dropped and counted. */
export const REQUESTS_PER_PEER_PER_SECOND = 10
/** Any frames (requests and responses) accepted from one peer per second. */
export const FRAMES_PER_PEER_PER_SECOND = 200
/** Searches this node runs at once as origin. */
export const MAX_CONCURRENT_SEARCHES = 8
/** Request ids remembered (dedup) and for how long. */
export const SEEN_CAPACITY = 20_000
export const SEEN_TTL_MS = 5 * 60_000
/** How long a relay remembers where to send responses for a request (longest search + slack). */
export const ROUTE_TTL_MS = MAX_TIMEOUT_MS + 10_000
/** Requests whose timestamp is further than this from our clock are dropped (replays, broken clocks). */
export const MAX_CLOCK_SKEW_MS = SEEN_TTL_MS
/** Largest frame: 20 results of ~3 KB manifests plus slack. */
export const MAX_FRAME_BYTES = 256 * 1024
/** Per-frame send/receive timeout in ms. */
export const FRAME_TIMEOUT_MS = 5_000
/** Keywords carried by a request. */
export const MAX_KEYWORDS = 16
/** Already-known results a continued search asks peers to skip. */
export const MAX_SKIP = 200
/** Finished searches kept so they can be continued. */
export const FINISHED_SEARCHES_KEPT = 32
export const FINISHED_SEARCH_TTL_MS = 10 * 60_000
/** Share of forwarding slots given to a random neighbour (exploration) by the smart strategy. */
export const EXPLORE_SHARE = 0.15
/** Embeddings remembered per neighbour for smart forwarding. */
export const PROFILE_VECTORS_PER_PEER = 128
/** How often the neighbour profiles are rebuilt from the catalog's remote entries. */
export const PROFILE_REFRESH_MS = 30_000
/** Verified manifests remembered by digest, so repeated results cost no signature check. */
export const VERIFIED_CACHE_SIZE = 4_096
