export const CATALOG_PROTOCOL = '/continuum/catalog/1.0.0'
export const ANNOUNCE_TOPIC = '/continuum/announce/1'
/** The design's gossip timer and fan-out. */
export const DEFAULT_INTERVAL_MS = 30_000
export const DEFAULT_FANOUT = 3
/** Full-resend mode (the design's scheme): how many top manifests each side sends. */
export const DEFAULT_TOP_N = 100
/** Change ids per `changes` answer, and manifests per `fetch`. */
export const MAX_IDS_PER_PAGE = 2_000
export const MAX_FETCH = 100
/** Manifests pulled from one peer in one round; the rest follows next round. */
export const DEFAULT_MAX_PULL_PER_ROUND = 1_000
/** Hard cap on one frame (a fetch answer of 100 manifests is ~300 KB). */
export const MAX_FRAME_BYTES = 1024 * 1024
export const RPC_TIMEOUT_MS = 10_000
/** Requests per second accepted from one peer. */
export const RATE_PER_SECOND = 10
/** Bytes per minute one peer may make us send. */
export const BYTE_BUDGET_PER_MINUTE = 16 * 1024 * 1024
/** Bad manifests from one peer before it is disconnected. */
export const BAD_MANIFESTS_BEFORE_BAN = 3
/** Announcements published per second at most (bursts are queued). */
export const ANNOUNCE_PER_SECOND = 20
export const MAX_ANNOUNCE_BYTES = 64 * 1024
/** How often expired remote entries are dropped. */
export const EXPIRE_INTERVAL_MS = 10 * 60_000
