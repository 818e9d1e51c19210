// Defaults of the content feature (adapter bundles over the DHT). Every value is overridable in ContentInit.

/** UnixFS chunk size; with the layout below it reproduces classic `ipfs add` / `ipfs_cid` CIDs. */
export const CHUNK_SIZE = 262_144
/** Children per intermediate node of the balanced layout (go-ipfs / js-ipfs default). */
export const MAX_CHILDREN_PER_NODE = 174

/** Block exchange protocol: raw length-prefixed block frames. */
export const BLOCKS_PROTOCOL = '/continuum/blocks/1.0.0'
/** Resolve protocol: which hosted bundles match a name, id or CID (JSON). */
export const RESOLVE_PROTOCOL = '/continuum/content/resolve/1.0.0'

/** Blocks asked for in one request. */
export const BLOCKS_PER_REQUEST = 8
/** Requests in flight per provider. */
export const REQUESTS_PER_PROVIDER = 2
/** Largest block we accept (a leaf is CHUNK_SIZE plus a few bytes of framing). */
export const MAX_BLOCK_BYTES = 1024 * 1024
/** Largest bundle we install. @default 8 GiB */
export const MAX_BUNDLE_BYTES = 8 * 1024 ** 3
/** Deepest DAG a download walks (a balanced 174-wide tree of 8 GiB is 4 levels deep). */
export const MAX_DAG_DEPTH = 16
/** Most links one DAG node may have (classic layouts use 174). */
export const MAX_LINKS_PER_NODE = 1024
/** Smallest average leaf a download accepts: bounds the block count to about size / this. */
export const MIN_AVERAGE_LEAF_BYTES = 1024
/** Per-request timeout of the block protocol. */
export const BLOCK_REQUEST_TIMEOUT_MS = 30_000

/** How long provider lookups run before "not found". */
export const FIND_PROVIDERS_TIMEOUT_MS = 15_000
/** Providers asked at most per download. */
export const MAX_PROVIDERS = 8
/** Re-provide every hosted key on this schedule (provider records expire after 48 h). */
export const REPROVIDE_INTERVAL_MS = 12 * 60 * 60 * 1000

/** Files a bundle may carry, in the order they are written (manifest first). */
export const MANIFEST_FILE = 'manifest.json'
export const LOCKFILE_NAME = 'continuum.lock.json'
export const PROJECT_DIR = '.continuum'
export const ADAPTERS_DIR = 'adapters'

/** Bitswap (IPFS interop): the protocol we speak with stock IPFS nodes, beside our own. */
export const BITSWAP_PROTOCOL = '/ipfs/bitswap/1.2.0'
/** How long one block is wanted from Bitswap peers before giving up. */
export const BITSWAP_WANT_TIMEOUT_MS = 10_000
/** Entries of a peer's wantlist we keep (Helia's default). */
export const BITSWAP_MAX_WANTLIST = 1024
/** Largest Bitswap message we read (Boxo's and Helia's 2 MiB). */
export const BITSWAP_MAX_MESSAGE_BYTES = 2 * 1024 * 1024
