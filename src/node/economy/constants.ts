// Defaults of the ledger feature (networking and wallet around src/node/ledger).

/** Request/response protocol: heads exchange, block ranges, pushes of new payments, proofs. */
export const LEDGER_PROTOCOL = '/continuum/ledger/1.0.0'
/** Gossipsub topic: new chain heads and double-spend proofs. */
export const LEDGER_TOPIC = 'continuum/ledger/1'

/** Most blocks one range request returns (and one push carries). */
export const MAX_BLOCKS_PER_MESSAGE = 256
/** Most heads one answer carries; beyond it the rest waits for a later round (see README). */
export const MAX_HEADS_PER_MESSAGE = 10_000
/** Most forked accounts one heads answer names. */
export const MAX_FORKED_PER_MESSAGE = 1_000
/** Largest frame: 256 blocks of up to ~3 kB, or 10,000 heads of ~140 B. */
export const LEDGER_MAX_BYTES = 2 * 1024 * 1024
/** Largest gossip message (a heads list or a double-spend proof of two blocks). */
export const MAX_GOSSIP_BYTES = 64 * 1024
/** Largest block on the wire (canonical JSON), far above any valid block (~1–3 kB). */
export const MAX_BLOCK_BYTES = 16 * 1024
export const LEDGER_TIMEOUT_MS = 10_000
/** Requests per second one peer may make to this node's ledger protocol. */
export const LEDGER_RATE_PER_SECOND = 50

/**
 * Seconds between pull-sync rounds with random neighbours (the backstop when gossip was missed).
 * @default 10
 */
export const DEFAULT_SYNC_INTERVAL_MS = 10_000
/** Neighbours asked per sync round. */
export const SYNC_FANOUT = 3
/** Most ranges (accounts) one `ranges` request asks for. */
export const MAX_RANGES_PER_REQUEST = 64
/** Most diverged chains scanned with one peer per round; the rest in the next round. */
export const MAX_CONFLICTS_PER_ROUND = 16
/** Most chains a push makes this node fetch from the pusher first (to fill a gap before its blocks). */
export const MAX_GAP_FILLS_PER_PUSH = 8
/** Most blocks fetched from one peer per round. */
export const MAX_BLOCKS_PER_ROUND = 4_096
/** Most blocks read from a remote copy while looking for where it diverged from ours. */
export const MAX_DIVERGENCE_SCAN = 20_000

/** Environment variable that sets the network's join difficulty (bits) for local test networks. */
export const DIFFICULTY_ENV = 'CONTINUUM_JOIN_DIFFICULTY'
/** Ledger directory inside the node's data dir. */
export const LEDGER_DIR = 'ledger'

/**
 * Milliseconds an incoming payment waits before this node receives it, exchanging heads with its
 * neighbours meanwhile so that a double spend is more likely caught first.
 * @default 2000
 */
export const DEFAULT_SETTLE_DELAY_MS = 2_000
/** Neighbours asked before receiving payments. */
export const SETTLE_SYNC_PEERS = 8
/** Longest wait for the first bootstrap round before a first-start join asks its peers for its own chain. */
export const AUTO_JOIN_WAIT_MS = 15_000
