// Network parameters of the token ledger. Every node of one network must use the same values: a block
// that one node accepts under its parameters may be rejected by a node with different ones.

/** Micro-token units per token: amounts are integers so that sums never drift. */
export const UNITS_PER_TOKEN = 1_000_000

/** Tokens → units for the constants below (exact for the decimals used here). */
const t = (tokens: number): number => Math.round(tokens * UNITS_PER_TOKEN)

/** Hash that a genesis (join) block names as its predecessor. */
export const GENESIS_PREV = '0'.repeat(64)

/** Version of the block format; part of every signed body. */
export const BLOCK_VERSION = 1

/**
 * Leading zero bits the join proof-of-work must have: 2^19 sha-256 attempts on average, about 1 s of one
 * core on the project's machine (~0.5 M hashes/s; see bench/README.md, `npm run bench -- ledger`).
 * Each extra bit doubles the cost.
 * @default 19
 */
export const DEFAULT_JOIN_DIFFICULTY = 19

/** Domain prefixes keep a hash or signature made for one purpose from being valid for another. */
export const POW_DOMAIN = 'continuum-ledger/join-pow/v1'
export const BLOCK_SIG_DOMAIN = 'continuum-ledger/block/v1'
export const RECEIPT_SIG_DOMAIN = 'continuum-ledger/receipt/v1'

/** Starter grant carried by the join block. */
export const NEW_USER_GRANT = t(100)
/** Bonus for the first adapter an account published, once another account downloaded it. */
export const FIRST_ADAPTER_GRANT = t(50)
/** Bonus for joining among the first EARLY_ADOPTER_LIMIT accounts (as judged by each node; see index.ts). */
export const EARLY_ADOPTER_GRANT = t(500)
/** How many joins count as "early". */
export const EARLY_ADOPTER_LIMIT = 1000

/**
 * Host reward per verified download. The charge backing it must be at least this much: a reward never
 * exceeds the debit that backs it, so a micro-priced download earns nothing.
 */
export const HOSTING_REWARD = t(0.1)
/** Cap of hosting rewards per adapter (content id) per reward period. */
export const HOSTING_REWARD_CAP = t(10)
/**
 * Cap of hosting rewards one downloader can earn one host per period, over all content ids. Content ids
 * are whatever the payer signs, so without this cap a payer inventing ids would reset the per-adapter cap.
 */
export const HOSTING_REWARD_PAYER_CAP = t(1)
/** Cap of hosting rewards one account can claim per period, over all payers and adapters. */
export const HOSTING_REWARD_ACCOUNT_CAP = t(20)
/**
 * Length of a reward period. Caps count per period of the *rewarded* chain's block time, which never
 * goes back (time-regress) nor runs ahead (time-in-future): a payer-signed receipt time could be
 * back-dated into any past period with a fresh cap. @default 1 day
 */
export const REWARD_PERIOD_MS = 24 * 60 * 60 * 1000
/** Compute providers earn this share of the request cost (numerator / denominator, floored). */
export const COMPUTE_REWARD_NUMERATOR = 1
export const COMPUTE_REWARD_DENOMINATOR = 2
/**
 * Cap of compute rewards per provider per period. The reward comes on top of the payment it cites, so
 * two colluding accounts paying each other back and forth would otherwise grow their balances without end.
 */
export const COMPUTE_REWARD_CAP = t(10)
/**
 * Relay reward per hop. Relay rewards are no longer accepted (see validate.ts): the flood hides the
 * origin, so no payer can stand behind a relay receipt without giving up the searcher's privacy.
 */
export const RELAY_REWARD_PER_HOP = t(0.01)
/** Most hops one relay receipt can claim (the flood layer's TTL bound). */
export const MAX_RELAY_HOPS = 16
/** Reward for rating an adapter the account paid for (once per content id). */
export const RATING_REWARD = t(1)
/** Cap of rating rewards per account per period (content ids are invented freely). */
export const RATING_REWARD_CAP = t(5)
/** Download charge when an adapter has no price: 1 token per started MB (10^6 bytes). */
export const UNPRICED_UNITS_PER_MB = t(1)
export const BYTES_PER_MB = 1_000_000

/** A block or join time further than this in the future of the validating node's clock is rejected. */
export const MAX_CLOCK_SKEW_MS = 10 * 60 * 1000

/** Longest memo a send may carry (characters). */
export const MAX_MEMO_LENGTH = 256
/** Longest string id (content id, request id, query id) in evidence. */
export const MAX_ID_LENGTH = 256
/** Largest amount a block may carry: far above any realistic supply, far below 2^53. */
export const MAX_AMOUNT = t(1_000_000_000)

/** Reputation: weight of one bad-data event against one good event (see reputation.ts). */
export const BAD_EVENT_WEIGHT = 5

// Local memory limits (not network rules): what this node keeps of data that peers choose.

/** Most embedded copies of other accounts' blocks kept to catch forks hidden in evidence (LRU). */
export const DEFAULT_MAX_EMBEDDED = 10_000
/** Most blocks held of one account this node neither owns nor deals with (a counterparty of its chain). */
export const DEFAULT_MAX_FOREIGN_BLOCKS = 2_048
/** Most blocks held of a counterparty of the own chain (its chain decides the own balance). */
export const DEFAULT_MAX_FOLLOWED_BLOCKS = 65_536
/** Most accounts held in all (each one cost its owner a join PoW). */
export const DEFAULT_MAX_ACCOUNTS = 50_000
/**
 * Most payments of one payer that acceptPayments receives per reward period (by this node's clock); the
 * rest stay pending. Each receive is a block in the own chain, so a flood of tiny payments must not
 * write one block each.
 */
export const DEFAULT_MAX_RECEIVES_PER_PAYER = 100
/** Most peers whose bad-data weight is tracked in memory (the oldest entries are dropped first). */
export const DEFAULT_MAX_TRACKED_PEERS = 10_000

/** Name of the ledger's append-log file inside its directory. */
export const LEDGER_LOG_FILE = 'ledger.log'
