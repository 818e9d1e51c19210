// Defaults of the market: service listings on the mesh and the compute protocol built on them.

/** Gossipsub topic of signed service listings. */
export const MARKET_TOPIC = 'continuum/market/1'
/** Request/response protocol: listing sync with a new peer, and compute requests (streamed answers). */
export const COMPUTE_PROTOCOL = '/continuum/compute/1.0.0'
/** Domain of a listing signature (Ed25519 over this line and the listing body's sha-256). */
export const LISTING_SIG_DOMAIN = 'continuum-market/listing/v1'

/** Service types a listing can offer. `storage` is priced per `mb-day` (issue #19 builds on it). */
export const SERVICE_TYPES = ['inference', 'fine-tuning', 'adapter', 'storage'] as const
/** Units a price is quoted per. */
export const PRICE_UNITS = ['request', '1k-tokens', 'mb-day'] as const

/** Largest listing on the wire (canonical JSON); real ones are ~600 B. */
export const MAX_LISTING_BYTES = 4 * 1024
/** Largest gossip message (one listing). */
export const MAX_MARKET_GOSSIP_BYTES = 8 * 1024
/** Most live listings one provider can have held here (the rest are refused). */
export const MAX_LISTINGS_PER_PROVIDER = 16
/** Most listings held in all; when full, the one expiring soonest makes room. */
export const MAX_LISTINGS = 5_000
/** Most adapters one listing can name. */
export const MAX_LISTING_ADAPTERS = 64
/** A listing lives this long unless its provider says otherwise. @default 10 minutes */
export const DEFAULT_LISTING_TTL_MS = 10 * 60_000
/** Longest lifetime a listing may claim (a node re-announces well before that). @default 1 day */
export const MAX_LISTING_TTL_MS = 24 * 60 * 60_000
/** Clock skew tolerated on a listing's issue time. */
export const MAX_CLOCK_SKEW_MS = 10 * 60_000
/** Own listings are re-announced this often (and re-signed before they expire). @default 60 s */
export const DEFAULT_REANNOUNCE_MS = 60_000
/** Expired listings are swept this often. */
export const SWEEP_INTERVAL_MS = 30_000
/** Most listings one sync answer carries. */
export const MAX_LISTINGS_PER_ANSWER = 256
/** Default floor of measured availability for `market list` and provider selection. */
export const DEFAULT_MIN_AVAILABILITY = 0.5
/** Providers whose outcome this node remembers (LRU beyond). */
export const MAX_TRACKED_PROVIDERS = 10_000
