// The ledger's public shapes: options, limits, what ingest and load report, the figures and history
// entries the wallet shows, and the events it emits.
import type { PrivateKey } from '@libp2p/interface'
import type { AppendLogRecovery } from '../storage'
import type { Logger } from '../util/logger'
import type { Block, DoubleSpendProof } from './schema'
import type { RejectReason } from './validate'

export interface LedgerInit {
  /** This node's Ed25519 key: its PeerId is the ledger's own account, and it signs own blocks and receipts. */
  privateKey: PrivateKey
  /** Directory holding the ledger's append log (and its lock). Omit for an in-memory ledger (tests, simulations). */
  dir?: string
  /**
   * Network minimum join PoW difficulty (bits); blocks below it are rejected.
   * @default DEFAULT_JOIN_DIFFICULTY (19)
   */
  minJoinDifficulty?: number
  /** Clock used for new blocks and the future-time check. @default Date.now */
  now?: () => number
  logger?: Logger
  /** Memory limits for data peers choose (defaults in constants.ts). */
  limits?: Partial<LedgerLimits>
}

/** What this node keeps at most of data that other accounts choose; beyond it, blocks are refused and counted. */
export interface LedgerLimits {
  /** Embedded copies of other accounts' blocks kept to catch hidden forks (least recently seen dropped). @default DEFAULT_MAX_EMBEDDED */
  maxEmbedded: number
  /**
   * Blocks held of an account that is neither this node's own nor a counterparty of its chain (a payer,
   * payee or receipt party); further blocks of it are refused with `quota-exceeded`. @default DEFAULT_MAX_FOREIGN_BLOCKS
   */
  maxForeignBlocks: number
  /** Blocks held of a counterparty of the own chain. @default DEFAULT_MAX_FOLLOWED_BLOCKS */
  maxFollowedBlocks: number
  /** Payments of one payer that acceptPayments receives per reward period; the rest wait. @default DEFAULT_MAX_RECEIVES_PER_PAYER */
  maxReceivesPerPayer: number
  /** Accounts held in all; a join beyond it is refused with `quota-exceeded`. @default DEFAULT_MAX_ACCOUNTS */
  maxAccounts: number
  /** Peers whose bad-data weight is tracked in memory. @default DEFAULT_MAX_TRACKED_PEERS */
  maxTrackedPeers: number
}

/** Sizes of the ledger's peer-fed memory and what the limits dropped (see LedgerLimits). */
export interface LedgerMemory {
  accounts: number
  blocks: number
  embedded: number
  trackedPeers: number
  /** Embedded copies evicted, blocks and joins refused by a quota, peers forgotten, payments left pending by the receive rate. */
  dropped: { embedded: number, foreignBlocks: number, accounts: number, trackedPeers: number, deferredReceives: number }
}

/** The newest block of one account's chain as this node has it: what gossip exchanges. */
export interface ChainHead { account: string, seq: number, hash: string }

/** A range of another chain that must be fetched before a rejected block can be judged. */
export interface ChainNeed { account: string, afterSeq: number }

/** A block (or proof) this ledger refused, with the reason code. */
export interface Rejection {
  /** `quota-exceeded`: a local memory limit (LedgerLimits), not a verdict on the block. */
  reason: RejectReason | 'bad-proof' | 'quota-exceeded'
  account?: string
  seq?: number
  hash?: string
  detail?: string
  /**
   * Set when the block depends on another chain this node does not hold far enough (the payer's send
   * for a receive, the downloader's charge for a hosting reward or first-adapter grant): fetch
   * `blocksAfter(needs.account, needs.afterSeq)`, ingest it, then retry. Not held against the sender.
   */
  needs?: ChainNeed
}

export interface IngestResult {
  accepted: Block[]
  rejected: Rejection[]
  /** Double-spend proofs this ingest produced (new ones only): broadcast them. */
  proofs: DoubleSpendProof[]
  /** Ranges to fetch before retrying the rejected blocks that carry `needs` (one per account, deduplicated). */
  needs: ChainNeed[]
}

export interface LoadReport {
  /** Blocks re-verified and kept. */
  blocks: number
  /** Stored blocks that failed re-verification (and were left out). */
  rejected: Rejection[]
  /** What the append log cut off a torn tail, if anything. */
  recovery: AppendLogRecovery | null
}

export interface LedgerStats {
  account: string
  balance: number
  earned: number
  spent: number
  reputation: number
  blocks: number
  /** The own adapter that earned most (download payments + hosting rewards), if any. */
  topAdapter: { contentId: string, earned: number } | null
}

export interface HistoryEntry {
  seq: number
  hash: string
  kind: Block['kind']
  time: number
  /** Signed change of the balance, in units. */
  delta: number
  balance: number
  /** The other account: payee of a send/charge, payer of a receive, host/downloader/... of a reward's receipt. */
  counterparty?: string
  memo?: string
  contentId?: string
  /** Grant or reward reason. */
  reason?: string
}

export interface DownloadPayment {
  /** Content id of the adapter bundle (after it verified). */
  contentId: string
  bytes: number
  host: string
  /** The adapter's price in units; omit when unpriced (then 1 token per started MB). */
  price?: number
}

export interface WalletInfo { account: string, balance: number, reputation: number, forked: boolean, joined: boolean }

export interface LedgerEvents {
  /** A block was accepted (own or ingested) and is durable. */
  block: CustomEvent<Block>
  /** A double spend was proven (by this node, or a proof it verified). */
  'double-spend': CustomEvent<DoubleSpendProof>
  /** A block or proof from the network was refused. */
  rejected: CustomEvent<Rejection & { from?: string }>
}
