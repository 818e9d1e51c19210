// Defaults of the social layer (posts, replies, tips, ratings). Times in ms.
const minute = 60_000
const hour = 60 * minute
const day = 24 * hour

export const SOCIAL_PROTOCOL = '/continuum/social/1.0.0'
export const SOCIAL_TOPIC = '/continuum/social/1'
/** Signature domain of posts and tombstones (the ledger's scheme: Ed25519 over domain ‖ sha-256). */
export const ITEM_SIG_DOMAIN = 'continuum-social/item/v1'

/** Characters of a post's text (the design's short posts; a review is a post too). */
export const MAX_TEXT_CHARS = 1_000
/** Adapters one post may link to. */
export const MAX_LINKS = 4
export const MAX_LINK_CHARS = 300
/** Bytes of one signed item on the wire (the text's 1000 characters may be 4 bytes each). */
export const MAX_ITEM_BYTES = 8 * 1024

/** Items an author may publish per hour without standing (a fresh account: a Sybil floods no further). */
export const FREE_POSTS_PER_HOUR = 10
/** Per hour for an author whose ledger reputation reaches REPUTATION_FOR_MORE. */
export const REPUTED_POSTS_PER_HOUR = 60
export const REPUTATION_FOR_MORE = 0.6
/** Items of one author kept in the cache (beyond it, new ones are refused until old ones expire). */
export const MAX_ITEMS_PER_AUTHOR = 500
/** Other authors' posts are dropped from the cache after this; the author keeps their own. */
export const DEFAULT_RETENTION_MS = 7 * day
/** A post dated further ahead than this is refused (clocks differ a little). */
export const MAX_CLOCK_SKEW_MS = 10 * minute
/** Cached posts of other authors (LRU beyond, own posts never evicted). */
export const DEFAULT_CACHE_CAPACITY = 20_000

/** Pull rounds: interval and neighbours per round (as the catalog's). */
export const DEFAULT_INTERVAL_MS = 30_000
export const DEFAULT_FANOUT = 3
export const MAX_IDS_PER_PAGE = 2_000
export const MAX_FETCH = 100
export const MAX_FRAME_BYTES = 1024 * 1024
export const RPC_TIMEOUT_MS = 10_000
/** Requests per second accepted from one peer. */
export const RATE_PER_SECOND = 10
/** Bad items from one peer before it is disconnected. */
export const BAD_ITEMS_BEFORE_BAN = 3
export const EXPIRE_INTERVAL_MS = 10 * minute

/** A tip is a ledger send whose memo starts with this and the post id. */
export const TIP_MEMO_PREFIX = 'tip:'
/** Search results: default and cap. */
export const DEFAULT_SEARCH_LIMIT = 20
export const MAX_SEARCH_LIMIT = 100
export const DEFAULT_FEED_LIMIT = 50
