/** The design's cached-peer rule: dial the 50 most recent, seen within 7 days. */
export const CACHED_PEERS_TO_DIAL = 50
export const CACHED_PEER_MAX_AGE_MS = 7 * 24 * 60 * 60_000
/** Peers dialed at once during bootstrap. */
export const DIAL_CONCURRENCY = 8
export const DIAL_TIMEOUT_MS = 5_000
/** How long bootstrap waits for mDNS answers before reporting them. */
export const MDNS_REPORT_WINDOW_MS = 3_000
/** Peers asked for more peers, and most peers dialed from their answers, per PEX round. */
export const PEX_PEERS_ASKED = 3
export const PEX_MAX_DIALS = 20
/** How often the node checks whether it must re-bootstrap (no peers) or top up through PEX. */
export const REBOOTSTRAP_INTERVAL_MS = 30_000
/** Largest announcement list read (file or URL); a list is a few KB of text. */
export const MAX_ANNOUNCEMENT_LIST_BYTES = 1024 * 1024
/** How long fetching an announcement list URL may take, headers and body. */
export const ANNOUNCEMENT_FETCH_TIMEOUT_MS = 10_000
