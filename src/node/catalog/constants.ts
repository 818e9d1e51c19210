/** Results returned by a search unless asked otherwise. */
export const DEFAULT_K = 10
export const MAX_K = 100
/** Longest query text accepted; the embedder reads only its first 256 word pieces anyway. */
export const MAX_QUERY_CHARS = 4_000
/** Default cap of cached remote adapters. */
export const DEFAULT_REMOTE_CAPACITY = 10_000
/** Remote entries not re-announced for this long are dropped. */
export const REMOTE_TTL_MS = 24 * 60 * 60_000
/** Where the demo catalog lives, relative to the package root. */
export const SAMPLE_CATALOG_PATH = 'data/sample-catalog/catalog.jsonl'
/** Catalog changes are re-emitted by the facade at most this often (gossip can bring hundreds at once). */
export const CATALOG_EVENT_THROTTLE_MS = 250
