// The ledger store of one node: its own chain (appended and signed here) and every other account's chain
// it has fetched (validated block by block before it is kept). All writes go through one queue, so a
// check ("is the balance enough?") and the write it guards cannot interleave with another write.
import path from 'node:path'
import type { PrivateKey } from '@libp2p/interface'
import { z } from 'zod'
import { lockDirectory, openAppendLog, type AppendLog, type AppendLogRecovery, type DirectoryLock } from '../storage'
import type { Logger } from '../util/logger'
import { formatTokens, isAmount } from './amount'
import { createSigner, encodeBlock, isAccountId, parseBlock, receiptHash, sealBlock, signReceipt, type Signer } from './block'
import { canonicalBytes, sha256Hex } from './canonical'
import {
  COMPUTE_REWARD_DENOMINATOR, COMPUTE_REWARD_NUMERATOR, DEFAULT_JOIN_DIFFICULTY, DEFAULT_MAX_ACCOUNTS, DEFAULT_MAX_EMBEDDED, DEFAULT_MAX_FOLLOWED_BLOCKS, DEFAULT_MAX_FOREIGN_BLOCKS,
  DEFAULT_MAX_RECEIVES_PER_PAYER, DEFAULT_MAX_TRACKED_PEERS, EARLY_ADOPTER_GRANT, FIRST_ADAPTER_GRANT, HOSTING_REWARD, LEDGER_LOG_FILE, MAX_MEMO_LENGTH, NEW_USER_GRANT, RATING_REWARD
} from './constants'
import {
  BlockRejectedError, ForkedAccountError, InsufficientBalanceError, InvalidAmountError, LedgerClosedError, NotJoinedError, UnknownPeerError
} from './errors'
import { solveJoinPow, type JoinPow } from './pow'
import { reputationScore } from './reputation'
import {
  blockSchema, doubleSpendProofSchema, type Block, type BlockBody, type ChargeBlock, type ComputeReceipt, type DoubleSpendProof,
  type DownloadReceipt, type JoinBlock, type ReceiveBlock, type RewardBlock, type SendBlock, type GrantBlock
} from './schema'
import {
  applyBlock, createChainState, headHash, makeDoubleSpendProof, rewardPeriod, unpricedCharge, validateBlock, verifyDoubleSpendProof,
  type ChainState, type RejectReason, type ValidationContext
} from './validate'
import type { AbortOptions } from '../util/abort'

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

interface Chain { state: ChainState, blocks: Block[], payments: number }

type Checked = { ok: true } | { ok: false, reason: RejectReason, detail?: string, needs?: ChainNeed, proof?: DoubleSpendProof }

/** Bad-data weights in tenths: a duplicate or early block can come from an honest gossip race. */
const PENALTY_TENTHS: Partial<Record<Rejection['reason'], number>> = { replay: 1, 'out-of-order': 1, fork: 0, 'forked-account': 0, 'quota-exceeded': 0 }
const DEFAULT_PENALTY_TENTHS = 10
/** Longest peer id kept in a stored bad-data record (an RSA PeerId is ~46–60 characters). */
const MAX_PEER_ID_CHARS = 128

const recordSchema = z.discriminatedUnion('t', [
  z.strictObject({ t: z.literal('block'), block: blockSchema }),
  z.strictObject({ t: z.literal('proof'), proof: doubleSpendProofSchema }),
  z.strictObject({ t: z.literal('bad'), peer: z.string().max(MAX_PEER_ID_CHARS), tenths: z.int().min(0).max(1_000_000) })
])
type LedgerRecord = z.infer<typeof recordSchema>

const encodeRecord = (r: LedgerRecord): Uint8Array => canonicalBytes(r)

export interface LedgerEvents {
  /** A block was accepted (own or ingested) and is durable. */
  block: CustomEvent<Block>
  /** A double spend was proven (by this node, or a proof it verified). */
  'double-spend': CustomEvent<DoubleSpendProof>
  /** A block or proof from the network was refused. */
  rejected: CustomEvent<Rejection & { from?: string }>
}

/** Opens (or creates) the ledger in `init.dir`, re-verifying every stored block. */
export async function openLedger (init: LedgerInit, options: AbortOptions = {}): Promise<Ledger> {
  const ledger = new Ledger(init)
  await ledger.load(options)
  return ledger
}

export class Ledger extends EventTarget {
  /** The own account (PeerId text). */
  readonly account: string
  readonly minJoinDifficulty: number
  private readonly signer: Signer
  private readonly now: () => number
  private readonly logger: Logger | undefined
  private readonly dir: string | undefined
  private log: AppendLog | null = null
  private lock: DirectoryLock | null = null
  private closed = false
  private failure: Error | null = null
  private queue: Promise<unknown> = Promise.resolve()

  private readonly chains = new Map<string, Chain>()
  private readonly forks = new Map<string, DoubleSpendProof>()
  /** Known joins sorted by (PoW time, hash): the order early-adopter grants are judged by. */
  private readonly joinOrder: Array<{ time: number, hash: string, account: string }> = []
  /** First embedded copy seen of another account's block (`account/seq`), to catch forks hidden in evidence. */
  private readonly embedded = new Map<string, Block>()
  /** Payments to the own account not yet received, by hash. */
  private readonly incoming = new Map<string, SendBlock | ChargeBlock>()
  /** Distinct download receipts naming each host. */
  private readonly deliveries = new Map<string, Set<string>>()
  /** Bad-data weight per peer, in tenths. */
  private readonly badTenths = new Map<string, number>()
  private readonly rejectCounts = new Map<string, number>()
  /** Own earnings per content id (payments for downloads + hosting rewards). */
  private readonly adapterEarnings = new Map<string, number>()
  /** Counterparties of the own chain: their chains decide the own balance, so they get the larger block quota. */
  private readonly followed = new Set<string>()
  private readonly limits: LedgerLimits
  private readonly dropped = { embedded: 0, foreignBlocks: 0, accounts: 0, trackedPeers: 0, deferredReceives: 0 }
  /** Payments already counted as deferred (bounded; only for the counter). */
  private readonly deferred = new Set<string>()
  private loadReport: LoadReport = { blocks: 0, rejected: [], recovery: null }

  constructor (init: LedgerInit) {
    super()
    this.signer = createSigner(init.privateKey)
    this.account = this.signer.account
    this.minJoinDifficulty = init.minJoinDifficulty ?? DEFAULT_JOIN_DIFFICULTY
    this.now = init.now ?? Date.now
    this.logger = init.logger
    this.dir = init.dir
    this.limits = {
      maxEmbedded: init.limits?.maxEmbedded ?? DEFAULT_MAX_EMBEDDED,
      maxForeignBlocks: init.limits?.maxForeignBlocks ?? DEFAULT_MAX_FOREIGN_BLOCKS,
      maxFollowedBlocks: init.limits?.maxFollowedBlocks ?? DEFAULT_MAX_FOLLOWED_BLOCKS,
      maxReceivesPerPayer: init.limits?.maxReceivesPerPayer ?? DEFAULT_MAX_RECEIVES_PER_PAYER,
      maxAccounts: init.limits?.maxAccounts ?? DEFAULT_MAX_ACCOUNTS,
      maxTrackedPeers: init.limits?.maxTrackedPeers ?? DEFAULT_MAX_TRACKED_PEERS
    }
  }

  /** @internal Called once by openLedger. */
  async load (options: AbortOptions = {}): Promise<LoadReport> {
    if (this.dir == null) return this.loadReport
    this.lock = await lockDirectory(this.dir, options)
    try {
      const { log, records, recovery } = await openAppendLog(path.join(this.dir, LEDGER_LOG_FILE), {}, options)
      this.log = log
      const report: LoadReport = { blocks: 0, rejected: [], recovery }
      // Re-verify everything: a stored block is trusted no more than one from the network. The clock
      // check is off (it was applied on arrival); join order is rebuilt in log order, so early-adopter
      // verdicts come out as they did when the blocks arrived.
      const ctx = this.context(Number.MAX_SAFE_INTEGER)
      for (const bytes of records) {
        let rec: LedgerRecord
        try {
          rec = recordSchema.parse(JSON.parse(Buffer.from(bytes).toString('utf8')))
        } catch {
          report.rejected.push({ reason: 'malformed', detail: 'unreadable ledger record' })
          this.count('malformed')
          continue
        }
        if (rec.t === 'bad') {
          this.addBad(rec.peer, rec.tenths)
        } else if (rec.t === 'proof') {
          const v = verifyDoubleSpendProof(rec.proof)
          if (v.ok) this.forks.set(v.account, v.proof)
          else report.rejected.push({ reason: 'bad-proof', detail: v.reason })
        } else {
          const v = this.check(rec.block, ctx)
          if (v.ok) {
            this.accept(rec.block)
            report.blocks++
          } else {
            report.rejected.push({ reason: v.reason, account: rec.block.account, seq: rec.block.seq, hash: rec.block.hash, detail: v.detail })
            this.count(v.reason)
          }
        }
      }
      if (recovery != null) this.logger?.warn(`ledger log: ${recovery.reason}; cut ${recovery.truncatedBytes} bytes of an unacknowledged tail`)
      if (report.rejected.length > 0) this.logger?.warn(`ledger log: ${report.rejected.length} stored records failed re-verification and were skipped`)
      this.loadReport = report
      return report
    } catch (err) {
      await this.log?.close().catch(() => {})
      await this.lock.release().catch(() => {})
      throw err
    }
  }

  /** What the last load re-verified, skipped and recovered. */
  get lastLoad (): LoadReport { return this.loadReport }

  // ---------------------------------------------------------------- own chain

  get joined (): boolean { return (this.chains.get(this.account)?.blocks.length ?? 0) > 0 }

  /**
   * Joins: solves the PoW (about 1 s at the default difficulty; abortable) and appends the genesis block
   * carrying it and the new-user grant. Returns the existing join block when already joined.
   */
  async join (options: AbortOptions & { difficulty?: number, pow?: JoinPow, onProgress?: (attempts: number) => void } = {}): Promise<JoinBlock> {
    const existing = this.chains.get(this.account)?.blocks[0]
    if (existing?.kind === 'join') return existing
    const pow = options.pow ?? await solveJoinPow(this.account, options.difficulty ?? this.minJoinDifficulty, { time: this.now(), signal: options.signal, onProgress: options.onProgress })
    const powOnly: JoinPow = { time: pow.time, nonce: pow.nonce, difficulty: pow.difficulty }
    try {
      return await this.appendOwn<JoinBlock>(() => ({
        v: 1, kind: 'join', account: this.account, seq: 0, prev: headHash(createChainState(this.account)), time: powOnly.time,
        amount: NEW_USER_GRANT, balance: NEW_USER_GRANT, pow: powOnly
      }), { allowUnjoined: true })
    } catch (err) {
      // Two join() calls raced: the first one's block stands.
      const first = this.chains.get(this.account)?.blocks[0]
      if (first?.kind === 'join') return first
      throw err
    }
  }

  /**
   * Pays `amount` units to `to` (which must have joined, as far as this node knows). Throws a one-line
   * typed error and writes nothing when the amount is invalid, the peer unknown or the balance too low.
   */
  async send (to: string, amount: number, memo = '', options: AbortOptions = {}): Promise<SendBlock> {
    if (!isAmount(amount) || amount === 0) throw new InvalidAmountError(`invalid amount: ${String(amount)} units`)
    if (memo.length > MAX_MEMO_LENGTH) throw new InvalidAmountError(`memo longer than ${MAX_MEMO_LENGTH} characters`)
    return await this.appendOwn<SendBlock>((state, time) => {
      if (to === this.account) throw new BlockRejectedError('self-payment', 'cannot pay yourself')
      if (!this.isKnownAccount(to)) throw new UnknownPeerError(to)
      this.ensureFunds(state, amount)
      return { ...this.common(state, time, amount, state.balance - amount), kind: 'send', to, memo }
    }, options)
  }

  /**
   * Pays for a verified download: signs the download receipt (this account as downloader) and appends the
   * charge block that pays the host. Hand the returned receipt to the host; it also travels in the chain.
   */
  async payForDownload (d: DownloadPayment, options: AbortOptions = {}): Promise<{ receipt: DownloadReceipt, block: ChargeBlock }> {
    const priced = d.price !== undefined
    const price = d.price ?? unpricedCharge(d.bytes)
    if (!isAmount(price) || price === 0) throw new InvalidAmountError(`invalid price: ${String(price)} units`)
    if (!Number.isSafeInteger(d.bytes) || d.bytes < 0) throw new InvalidAmountError(`invalid size: ${String(d.bytes)} bytes`)
    let receipt: DownloadReceipt | undefined
    const block = await this.appendOwn<ChargeBlock>(async (state, time) => {
      if (d.host === this.account) throw new BlockRejectedError('self-payment', 'cannot pay yourself')
      if (!this.isKnownAccount(d.host)) throw new UnknownPeerError(d.host)
      this.ensureFunds(state, price)
      receipt = await signReceipt<DownloadReceipt>(this.signer, {
        type: 'download', v: 1, contentId: d.contentId, bytes: d.bytes, host: d.host, downloader: this.account, price, priced, time
      })
      return { ...this.common(state, time, price, state.balance - price), kind: 'charge', receipt }
    }, options)
    return { receipt: receipt!, block }
  }

  /** Sends and charges to this account, found in chains this node holds, not yet received. */
  pendingPayments (): Array<SendBlock | ChargeBlock> {
    return [...this.incoming.values()].filter(p => !this.forks.has(p.account))
  }

  /**
   * Appends the receive block for a payment to this account. The payment must be in the payer's chain as
   * this node holds it (ingest it first); payments of accounts with a proven double spend are refused.
   */
  async receive (payment: SendBlock | ChargeBlock, options: AbortOptions = {}): Promise<ReceiveBlock> {
    return await this.appendOwn<ReceiveBlock>((state, time) => {
      if (this.forks.has(payment.account)) throw new ForkedAccountError(payment.account)
      const known = this.chains.get(payment.account)?.blocks[payment.seq]
      if (known == null || known.hash !== payment.hash || (known.kind !== 'send' && known.kind !== 'charge')) {
        throw new BlockRejectedError('receive-without-send', 'payment is not in the payer\'s chain known to this node')
      }
      // Embed the copy this node validated, not the caller's object.
      return { ...this.common(state, time, known.amount, state.balance + known.amount), kind: 'receive', source: known }
    }, options)
  }

  /**
   * Receives every pending payment (skipping refused ones), at most `maxReceivesPerPayer` per payer in the
   * current reward period (the rest wait for the next); returns the receive blocks appended.
   */
  async acceptPayments (options: AbortOptions = {}): Promise<ReceiveBlock[]> {
    const out: ReceiveBlock[] = []
    const period = rewardPeriod(this.now())
    const perPayer = new Map<string, number>()
    const own = this.chain()
    for (let i = own.length - 1; i >= 0 && rewardPeriod(own[i].time) >= period; i--) {
      const b = own[i]
      if (b.kind === 'receive') perPayer.set(b.source.account, (perPayer.get(b.source.account) ?? 0) + 1)
    }
    for (const p of this.pendingPayments()) {
      const n = perPayer.get(p.account) ?? 0
      if (n >= this.limits.maxReceivesPerPayer) {
        if (!this.deferred.has(p.hash)) {
          if (this.deferred.size >= 10_000) this.deferred.clear()
          this.deferred.add(p.hash)
          this.dropped.deferredReceives++
        }
        continue
      }
      perPayer.set(p.account, n + 1)
      try {
        out.push(await this.receive(p, options))
      } catch (err) {
        if ((err as Error).name !== 'ForkedAccountError' && (err as Error).name !== 'BlockRejectedError') throw err
      }
    }
    return out
  }

  /** Hosting reward (0.1 token) for a download of an adapter this account hosts; capped per adapter and period. */
  async claimHostingReward (receipt: DownloadReceipt, options: AbortOptions = {}): Promise<RewardBlock> {
    return await this.appendOwn<RewardBlock>((state, time) => ({
      ...this.common(state, time, HOSTING_REWARD, state.balance + HOSTING_REWARD), kind: 'reward', reward: { reason: 'hosting', receipt }
    }), { ...options, minTime: receipt.time })
  }

  /**
   * Compute reward: half the request cost, from the requester's signed receipt. Valid only with the
   * requester's payment (the send the receipt names, at least `cost` to this account) in the requester's
   * chain as held here, each payment backing one reward, within the per-period cap.
   */
  async claimComputeReward (receipt: ComputeReceipt, options: AbortOptions = {}): Promise<RewardBlock> {
    const amount = Math.floor(receipt.cost * COMPUTE_REWARD_NUMERATOR / COMPUTE_REWARD_DENOMINATOR)
    return await this.appendOwn<RewardBlock>((state, time) => ({
      ...this.common(state, time, amount, state.balance + amount), kind: 'reward', reward: { reason: 'compute', receipt }
    }), { ...options, minTime: receipt.time })
  }

  /** Rating reward (1 token) for rating an adapter this account downloaded and paid for. */
  async claimRatingReward (receipt: DownloadReceipt, score: number, options: AbortOptions = {}): Promise<RewardBlock> {
    return await this.appendOwn<RewardBlock>((state, time) => ({
      ...this.common(state, time, RATING_REWARD, state.balance + RATING_REWARD), kind: 'reward', reward: { reason: 'rating', receipt, score }
    }), { ...options, minTime: receipt.time })
  }

  /** First-adapter grant (50): evidence is another joined account's receipt for downloading our adapter. */
  async claimFirstAdapterGrant (receipt: DownloadReceipt, options: AbortOptions = {}): Promise<GrantBlock> {
    return await this.appendOwn<GrantBlock>((state, time) => {
      const downloaderJoin = this.chains.get(receipt.downloader)?.blocks[0]
      if (downloaderJoin?.kind !== 'join') throw new UnknownPeerError(receipt.downloader)
      return { ...this.common(state, time, FIRST_ADAPTER_GRANT, state.balance + FIRST_ADAPTER_GRANT), kind: 'grant', grant: { reason: 'first-adapter', receipt, downloaderJoin } }
    }, options)
  }

  /** Early-adopter grant (500), valid while this node counts the own join among the first 1,000 (see index.ts). */
  async claimEarlyAdopterGrant (options: AbortOptions = {}): Promise<GrantBlock> {
    return await this.appendOwn<GrantBlock>((state, time) => ({
      ...this.common(state, time, EARLY_ADOPTER_GRANT, state.balance + EARLY_ADOPTER_GRANT), kind: 'grant', grant: { reason: 'early-adopter' }
    }), options)
  }

  /**
   * Pays a compute provider as the requester: appends a send of `cost` units to it, then signs the compute
   * receipt that names that send. Hand the receipt to the provider, which claims its reward with it once
   * it holds this chain up to the send.
   */
  async payForCompute (r: { requestId: string, provider: string, cost: number, time?: number }, options: AbortOptions = {}): Promise<{ receipt: ComputeReceipt, block: SendBlock }> {
    const block = await this.send(r.provider, r.cost, `compute ${r.requestId}`.slice(0, MAX_MEMO_LENGTH), options)
    const receipt = await signReceipt<ComputeReceipt>(this.signer, {
      type: 'compute', v: 1, requestId: r.requestId, provider: r.provider, requester: this.account, cost: r.cost, payment: { seq: block.seq, hash: block.hash }, time: r.time ?? this.now()
    })
    return { receipt, block }
  }

  // ---------------------------------------------------------------- other chains (sync)

  /**
   * Validates and stores blocks from the network, in the order given (a chain range must come oldest
   * first, as blocksAfter returns it). Each block is accepted or rejected with a reason; rejections are
   * counted and lower `from`'s reputation. A fork yields a double-spend proof (returned; also emitted).
   * Resolves once everything accepted is durable.
   */
  async ingest (blocks: readonly unknown[], options: AbortOptions & { from?: string } = {}): Promise<IngestResult> {
    return await this.exclusive(async () => {
      options.signal?.throwIfAborted()
      const result: IngestResult = { accepted: [], rejected: [], proofs: [], needs: [] }
      const records: Uint8Array[] = []
      const events: Array<CustomEvent<unknown>> = []
      const ctx = this.context(this.now())
      let penalty = 0
      // Accounts whose block was refused earlier in this batch: their later blocks cannot follow it.
      const stopped = new Map<string, ChainNeed | undefined>()
      for (const raw of blocks) {
        const parsed = parseBlock(raw)
        let rejection: Rejection
        if (!parsed.ok) {
          rejection = { reason: 'malformed', detail: parsed.detail }
        } else if (stopped.has(parsed.value.account) && parsed.value.seq >= (this.chains.get(parsed.value.account)?.blocks.length ?? 0)) {
          const block = parsed.value
          result.rejected.push({ reason: 'out-of-order', account: block.account, seq: block.seq, hash: block.hash, detail: 'follows a refused block', needs: stopped.get(block.account) })
          this.count('out-of-order')
          continue
        } else if (this.overQuota(parsed.value) != null) {
          const block = parsed.value
          rejection = { reason: 'quota-exceeded', account: block.account, seq: block.seq, hash: block.hash, detail: this.overQuota(parsed.value) }
          this.countQuota(block)
          stopped.set(block.account, undefined)
        } else {
          const block = parsed.value
          const v = this.check(block, ctx)
          if (v.ok) {
            const proofs = this.accept(block)
            // The block before the proofs it revealed: on reload a proof first would refuse the block.
            records.push(encodeRecord({ t: 'block', block }))
            result.accepted.push(block)
            events.push(new CustomEvent('block', { detail: block }))
            for (const proof of proofs) {
              result.proofs.push(proof)
              records.push(encodeRecord({ t: 'proof', proof }))
              events.push(new CustomEvent('double-spend', { detail: proof }))
            }
            continue
          }
          rejection = { reason: v.reason, account: block.account, seq: block.seq, hash: block.hash, detail: v.detail, needs: v.needs }
          // A replay is a block already held: what follows it can still be new.
          if (v.reason !== 'replay') stopped.set(block.account, v.needs)
          if (v.needs != null && !result.needs.some(n => n.account === v.needs!.account)) result.needs.push(v.needs)
          const proof = v.reason === 'fork' ? makeDoubleSpendProof(this.chains.get(block.account)!.blocks[block.seq], block) : v.proof
          if (proof != null) {
            if (this.recordFork(proof)) {
              result.proofs.push(proof)
              records.push(encodeRecord({ t: 'proof', proof }))
              events.push(new CustomEvent('double-spend', { detail: proof }))
            }
          }
        }
        result.rejected.push(rejection)
        this.count(rejection.reason)
        // A missing dependency may just be gossip order: not held against the sender.
        if (rejection.needs == null) penalty += PENALTY_TENTHS[rejection.reason] ?? DEFAULT_PENALTY_TENTHS
        events.push(new CustomEvent('rejected', { detail: { ...rejection, from: options.from } }))
      }
      if (options.from != null && penalty > 0) {
        this.addBad(options.from, penalty)
        if (options.from.length <= MAX_PEER_ID_CHARS) records.push(encodeRecord({ t: 'bad', peer: options.from, tenths: Math.min(penalty, 1_000_000) }))
      }
      await this.persist(records)
      for (const e of events) this.dispatchEvent(e)
      return result
    })
  }

  /**
   * Verifies a double-spend proof received from the network. A valid one marks the account forked
   * (reputation 0, payments refused) and returns true if it was new; an invalid one is counted against `from`.
   */
  async ingestProof (proof: unknown, options: AbortOptions & { from?: string } = {}): Promise<{ ok: true, account: string, isNew: boolean } | { ok: false, reason: string }> {
    return await this.exclusive(async () => {
      const v = verifyDoubleSpendProof(proof)
      if (!v.ok) {
        this.count('bad-proof')
        if (options.from != null) {
          this.addBad(options.from, DEFAULT_PENALTY_TENTHS)
          if (options.from.length <= MAX_PEER_ID_CHARS) await this.persist([encodeRecord({ t: 'bad', peer: options.from, tenths: DEFAULT_PENALTY_TENTHS })])
        }
        this.dispatchEvent(new CustomEvent('rejected', { detail: { reason: 'bad-proof', detail: v.reason, from: options.from } }))
        return v
      }
      const isNew = this.recordFork(v.proof)
      if (isNew) {
        await this.persist([encodeRecord({ t: 'proof', proof: v.proof })])
        this.dispatchEvent(new CustomEvent('double-spend', { detail: v.proof }))
      }
      return { ok: true, account: v.account, isNew }
    })
  }

  /** The content layer reports that `peer` served data that failed verification. */
  async reportBadData (peer: string, options: AbortOptions = {}): Promise<void> {
    await this.exclusive(async () => {
      options.signal?.throwIfAborted()
      this.addBad(peer, DEFAULT_PENALTY_TENTHS)
      if (peer.length <= MAX_PEER_ID_CHARS) await this.persist([encodeRecord({ t: 'bad', peer, tenths: DEFAULT_PENALTY_TENTHS })])
    })
  }

  /** Head of every chain held (what to gossip). */
  heads (): ChainHead[] {
    const out: ChainHead[] = []
    for (const [account, c] of this.chains) {
      if (c.blocks.length > 0) out.push({ account, seq: c.blocks.length - 1, hash: c.state.hashes[c.blocks.length - 1] })
    }
    return out
  }

  /**
   * sha-256 over all heads (sorted by account): two nodes with equal digests hold the same chains, so
   * gossip can send the digest and exchange full heads only when they differ.
   */
  headsDigest (): string {
    const lines = this.heads().map(h => `${h.account} ${h.seq} ${h.hash}`).sort()
    return sha256Hex(lines.join('\n'))
  }

  head (account: string): ChainHead | null {
    const c = this.chains.get(account)
    if (c == null || c.blocks.length === 0) return null
    return { account, seq: c.blocks.length - 1, hash: c.blocks[c.blocks.length - 1].hash }
  }

  /** Blocks of `account` with seq > `afterSeq` (-1 for the whole chain), oldest first, at most `limit`. */
  blocksAfter (account: string, afterSeq: number, limit = 1000): Block[] {
    const c = this.chains.get(account)
    if (c == null) return []
    return c.blocks.slice(Math.max(0, afterSeq + 1), Math.max(0, afterSeq + 1) + Math.max(0, limit))
  }

  /** Every double-spend proof known. */
  proofs (): DoubleSpendProof[] { return [...this.forks.values()] }

  isForked (account: string): boolean { return this.forks.has(account) }

  /** Accounts with at least one block held. */
  accounts (): string[] { return [...this.chains.keys()].filter(a => (this.chains.get(a)?.blocks.length ?? 0) > 0) }

  // ---------------------------------------------------------------- queries

  balance (account: string = this.account): number {
    return this.chains.get(account)?.state.balance ?? 0
  }

  /** Reputation 0–1 (formula in reputation.ts); 0.5 for an account with no history here. */
  reputation (account: string = this.account): number {
    return reputationScore({
      deliveries: this.deliveries.get(account)?.size ?? 0,
      payments: this.chains.get(account)?.payments ?? 0,
      badData: (this.badTenths.get(account) ?? 0) / 10,
      forked: this.forks.has(account)
    })
  }

  wallet (account: string = this.account): WalletInfo {
    return { account, balance: this.balance(account), reputation: this.reputation(account), forked: this.forks.has(account), joined: (this.chains.get(account)?.blocks.length ?? 0) > 0 }
  }

  /** How much peer-fed data this ledger holds, and what its limits refused or dropped. */
  memory (): LedgerMemory {
    let blocks = 0
    for (const c of this.chains.values()) blocks += c.blocks.length
    return { accounts: this.chains.size, blocks, embedded: this.embedded.size, trackedPeers: this.badTenths.size, dropped: { ...this.dropped } }
  }

  /** Rejected blocks and proofs by reason since this ledger was opened (including load). */
  rejections (): Record<string, number> {
    return Object.fromEntries(this.rejectCounts)
  }

  stats (): LedgerStats {
    const c = this.chains.get(this.account)
    let top: LedgerStats['topAdapter'] = null
    for (const [contentId, earned] of this.adapterEarnings) {
      if (top == null || earned > top.earned) top = { contentId, earned }
    }
    return {
      account: this.account,
      balance: c?.state.balance ?? 0,
      earned: c?.state.earned ?? 0,
      spent: c?.state.spent ?? 0,
      reputation: this.reputation(),
      blocks: c?.blocks.length ?? 0,
      topAdapter: top
    }
  }

  /** The account's chain as readable entries, newest first. */
  history (options: { account?: string, limit?: number } = {}): HistoryEntry[] {
    const blocks = this.chains.get(options.account ?? this.account)?.blocks ?? []
    const out: HistoryEntry[] = []
    for (let i = blocks.length - 1; i >= 0 && out.length < (options.limit ?? Infinity); i--) out.push(describe(blocks[i]))
    return out
  }

  /** The stored chain of an account (oldest first). */
  chain (account: string = this.account): readonly Block[] {
    return this.chains.get(account)?.blocks ?? []
  }

  /** Waits for queued writes, then closes the log and releases the directory lock. */
  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.queue.catch(() => {})
    await this.log?.close()
    await this.lock?.release()
  }

  /** Typed subscription to a ledger event; returns the unsubscribe function. */
  on<K extends keyof LedgerEvents> (type: K, listener: (e: LedgerEvents[K]) => void): () => void {
    const l = listener as unknown as EventListener
    this.addEventListener(type, l)
    return () => this.removeEventListener(type, l)
  }

  // ---------------------------------------------------------------- internals

  private context (now: number): ValidationContext {
    return { minJoinDifficulty: this.minJoinDifficulty, now, joinRank: (a) => this.joinRank(a) }
  }

  private joinRank (account: string): number | undefined {
    const join = this.chains.get(account)?.blocks[0]
    if (join?.kind !== 'join') return undefined
    return lowerBound(this.joinOrder, join.pow.time, join.hash)
  }

  private isKnownAccount (account: string): boolean {
    return isAccountId(account) && (this.chains.get(account)?.blocks.length ?? 0) > 0
  }

  private ensureFunds (state: ChainState, amount: number): void {
    if (amount > state.balance) throw new InsufficientBalanceError(formatTokens(amount), formatTokens(state.balance))
  }

  private common (state: ChainState, time: number, amount: number, balance: number): { v: 1, account: string, seq: number, prev: string, time: number, amount: number, balance: number } {
    return { v: 1, account: this.account, seq: state.hashes.length, prev: headHash(state), time, amount, balance }
  }

  /**
   * validateBlock plus the ledger-level rules, which need other chains: nothing more is accepted from an
   * account with a proven fork, and evidence that points into another chain must be in that chain as held.
   */
  private check (block: Block, ctx: ValidationContext): Checked {
    if (this.forks.has(block.account)) return { ok: false, reason: 'forked-account' }
    const chain = this.chains.get(block.account)
    const v = validateBlock(chain?.state ?? createChainState(block.account), block, ctx)
    return v.ok ? this.checkDependencies(block) : v
  }

  /**
   * A receive is valid only if its embedded payment is the very block the payer's chain holds at that
   * position: the signature alone does not show the payer could afford it, and a payer could sign a
   * payment it never publishes. A hosting reward or first-adapter grant needs the downloader's chain to
   * hold a charge paying that receipt, so a download that was never paid earns nothing.
   */
  private checkDependencies (block: Block): Checked {
    if (block.kind === 'receive') {
      const src = block.source
      const payer = this.chains.get(src.account)
      const held = payer?.blocks[src.seq]
      if (held == null) {
        // Signature already verified: keep the copy, so a conflicting block of the payer is caught later.
        this.rememberEmbedded(src)
        return { ok: false, reason: 'receive-without-send', detail: `payment ${src.seq} of ${src.account} is not held here yet`, needs: { account: src.account, afterSeq: (payer?.blocks.length ?? 0) - 1 } }
      }
      if (held.hash !== src.hash) {
        return {
          ok: false,
          reason: 'receive-without-send',
          detail: 'the embedded payment is not the block the payer\'s chain holds at that position',
          proof: held.prev === src.prev ? makeDoubleSpendProof(held, src) : undefined
        }
      }
    }
    const receipt = block.kind === 'reward' && block.reward.reason === 'hosting'
      ? block.reward.receipt
      : block.kind === 'grant' && block.grant.reason === 'first-adapter' ? block.grant.receipt : null
    if (receipt != null) {
      const dl = this.chains.get(receipt.downloader)
      if (dl?.state.paidReceipts.has(receiptHash(receipt)) !== true) {
        return { ok: false, reason: 'bad-evidence', detail: `no charge paying this receipt in ${receipt.downloader}'s chain held here`, needs: { account: receipt.downloader, afterSeq: (dl?.blocks.length ?? 0) - 1 } }
      }
    }
    // A compute reward is minted only against the requester's real payment: the send the receipt names,
    // in the requester's chain as held here (so from a PoW-valid join), of at least the cost, to the provider.
    if (block.kind === 'reward' && block.reward.reason === 'compute' && block.reward.receipt.payment !== undefined) {
      const r = block.reward.receipt
      const pay = r.payment!
      const payer = this.chains.get(r.requester)
      const held = payer?.blocks[pay.seq]
      if (held == null) {
        return { ok: false, reason: 'bad-evidence', detail: `payment ${pay.seq} of ${r.requester} is not held here`, needs: { account: r.requester, afterSeq: (payer?.blocks.length ?? 0) - 1 } }
      }
      if (held.hash !== pay.hash || held.kind !== 'send' || held.to !== r.provider || held.amount < r.cost) {
        return { ok: false, reason: 'bad-evidence', detail: 'the payment the receipt names is not a send of at least its cost to the provider' }
      }
    }
    return { ok: true }
  }

  /**
   * Keeps an embedded copy of a block not held yet, to compare with the block when it arrives. Only for
   * accounts joined here (a copy signed by a throwaway key proves nothing and would grow without bound),
   * and at most `maxEmbedded` of them, least recently seen dropped first.
   */
  private rememberEmbedded (emb: Block): void {
    if ((this.chains.get(emb.account)?.blocks.length ?? 0) === 0) return
    const key = `${emb.account}/${emb.seq}`
    const had = this.embedded.get(key)
    if (had !== undefined) {
      this.embedded.delete(key)
      this.embedded.set(key, had)
      return
    }
    if (this.embedded.size >= this.limits.maxEmbedded) {
      const oldest = this.embedded.keys().next().value
      if (oldest !== undefined) this.embedded.delete(oldest)
      this.dropped.embedded++
    }
    this.embedded.set(key, emb)
  }

  /**
   * Why a new block of another account is refused by a memory limit, or undefined. Own blocks and blocks
   * already held are never refused; counterparties of the own chain have the larger quota.
   */
  private overQuota (block: Block): string | undefined {
    if (block.account === this.account) return undefined
    const chain = this.chains.get(block.account)
    if (block.seq < (chain?.blocks.length ?? 0)) return undefined
    if (chain == null) return this.chains.size >= this.limits.maxAccounts ? `this node holds ${this.limits.maxAccounts} accounts already` : undefined
    const cap = this.followed.has(block.account) ? this.limits.maxFollowedBlocks : this.limits.maxForeignBlocks
    if (chain.blocks.length < cap) return undefined
    return `this node holds ${cap} blocks of this account already`
  }

  private countQuota (block: Block): void {
    if (this.chains.has(block.account)) this.dropped.foreignBlocks++
    else this.dropped.accounts++
  }

  /** Adds bad-data weight; at most `maxTrackedPeers` peers are tracked (the oldest entry goes first). */
  private addBad (peer: string, tenths: number): void {
    const had = this.badTenths.get(peer)
    if (had === undefined && this.badTenths.size >= this.limits.maxTrackedPeers) {
      const oldest = this.badTenths.keys().next().value
      if (oldest !== undefined) this.badTenths.delete(oldest)
      this.dropped.trackedPeers++
    }
    this.badTenths.set(peer, (had ?? 0) + tenths)
  }

  /** Records the other account of an own block: its chain decides the own balance, so it is kept whole. */
  private follow (block: Block): void {
    const other = counterpartyOf(block)
    if (other !== undefined && other !== this.account) this.followed.add(other)
  }

  /** Folds a validated block into memory; returns double-spend proofs it revealed. */
  private accept (block: Block): DoubleSpendProof[] {
    let chain = this.chains.get(block.account)
    if (chain == null) {
      chain = { state: createChainState(block.account), blocks: [], payments: 0 }
      this.chains.set(block.account, chain)
    }
    applyBlock(chain.state, block)
    chain.blocks.push(block)
    const proofs: DoubleSpendProof[] = []
    const seenKey = `${block.account}/${block.seq}`
    const seen = this.embedded.get(seenKey)
    if (seen != null) {
      // Compared once, now that the block itself is held: the copy has done its job.
      this.embedded.delete(seenKey)
      if (seen.hash !== block.hash && seen.prev === block.prev) {
        const p = makeDoubleSpendProof(seen, block)
        if (this.recordFork(p)) proofs.push(p)
      }
    }
    const own = block.account === this.account
    if (own) this.follow(block)
    switch (block.kind) {
      case 'join': {
        const i = lowerBound(this.joinOrder, block.pow.time, block.hash)
        this.joinOrder.splice(i, 0, { time: block.pow.time, hash: block.hash, account: block.account })
        break
      }
      case 'send':
        chain.payments++
        if (block.to === this.account) this.incoming.set(block.hash, block)
        break
      case 'charge':
        chain.payments++
        this.addDelivery(block.receipt)
        if (block.receipt.host === this.account) this.incoming.set(block.hash, block)
        break
      case 'receive': {
        const src = block.source
        if (own) {
          this.incoming.delete(src.hash)
          if (src.kind === 'charge') this.addEarning(src.receipt.contentId, block.amount)
        }
        if (src.kind === 'charge') this.addDelivery(src.receipt)
        proofs.push(...this.checkEmbedded(src))
        break
      }
      case 'reward':
        if (block.reward.reason === 'hosting') {
          this.addDelivery(block.reward.receipt)
          if (own) this.addEarning(block.reward.receipt.contentId, block.amount)
        }
        break
      case 'grant':
        if (block.grant.reason === 'first-adapter') {
          this.addDelivery(block.grant.receipt)
          proofs.push(...this.checkEmbedded(block.grant.downloaderJoin))
        }
        break
    }
    return proofs
  }

  /** An embedded block (a receive's payment, a grant's join) that conflicts with the chain held is a fork. */
  private checkEmbedded (emb: Block): DoubleSpendProof[] {
    const stored = this.chains.get(emb.account)?.blocks[emb.seq]
    if (stored == null) this.rememberEmbedded(emb)
    if (stored == null || stored.hash === emb.hash || stored.prev !== emb.prev) return []
    const p = makeDoubleSpendProof(stored, emb)
    return this.recordFork(p) ? [p] : []
  }

  private recordFork (proof: DoubleSpendProof): boolean {
    const account = proof.a.account
    if (this.forks.has(account)) return false
    this.forks.set(account, proof)
    this.logger?.warn(`double spend proven for ${account} at block ${proof.a.seq}: its payments are refused`)
    return true
  }

  private addDelivery (receipt: DownloadReceipt): void {
    // Reputation counts only downloads that paid at least the hosting reward: a payer-chosen micro price
    // would let a host's own throwaway accounts inflate it for nothing.
    if (receipt.price < HOSTING_REWARD) return
    let set = this.deliveries.get(receipt.host)
    if (set == null) { set = new Set(); this.deliveries.set(receipt.host, set) }
    set.add(receiptHash(receipt))
  }

  private addEarning (contentId: string, amount: number): void {
    this.adapterEarnings.set(contentId, (this.adapterEarnings.get(contentId) ?? 0) + amount)
  }

  private count (reason: string): void {
    this.rejectCounts.set(reason, (this.rejectCounts.get(reason) ?? 0) + 1)
  }

  private async persist (records: Uint8Array[]): Promise<void> {
    if (records.length === 0 || this.log == null) return
    try {
      await this.log.appendMany(records)
    } catch (err) {
      // Memory already holds what failed to reach disk: stop rather than serve state that may not survive.
      this.failure = err as Error
      throw err
    }
  }

  /**
   * Builds, signs, validates (with the same rules as everyone else) and durably appends one own block.
   * `make` may throw a typed error: then nothing is written.
   */
  private async appendOwn<B extends Block> (make: (state: ChainState, time: number) => BlockBody | Promise<BlockBody>, options: AbortOptions & { allowUnjoined?: boolean, minTime?: number } = {}): Promise<B> {
    return await this.exclusive(async () => {
      options.signal?.throwIfAborted()
      const chain = this.chains.get(this.account)
      if ((chain == null || chain.blocks.length === 0) && options.allowUnjoined !== true) throw new NotJoinedError()
      const state = chain?.state ?? createChainState(this.account)
      if (this.forks.has(this.account)) throw new ForkedAccountError(this.account)
      // Not before the evidence: a receipt signed on a clock slightly ahead of ours is still claimable now.
      const time = Math.max(this.now(), state.lastTime, options.minTime ?? 0)
      const body = await make(state, time)
      const block = await sealBlock(this.signer, body)
      // Own blocks pass the same schema as network ones (e.g. an over-long content id), or peers and the
      // next load would refuse them.
      const shape = parseBlock(block)
      if (!shape.ok) throw new BlockRejectedError('malformed', shape.detail)
      // The same rules as for everyone else's blocks, cross-chain ones included.
      const v = this.check(block, this.context(this.now()))
      if (!v.ok) throw new BlockRejectedError(v.reason, v.detail)
      options.signal?.throwIfAborted()
      await this.persist([encodeRecord({ t: 'block', block })])
      const proofs = this.accept(block)
      this.dispatchEvent(new CustomEvent('block', { detail: block }))
      for (const p of proofs) this.dispatchEvent(new CustomEvent('double-spend', { detail: p }))
      return block as B
    })
  }

  private async exclusive<T> (fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new LedgerClosedError()
    if (this.failure != null) throw new LedgerClosedError(`ledger stopped after a storage failure: ${this.failure.message}; reopen it`)
    const run = this.queue.then(fn, fn)
    this.queue = run.catch(() => {})
    return await run
  }
}

/** The other account an own block deals with (payee, payer, receipt party), if any. */
function counterpartyOf (b: Block): string | undefined {
  switch (b.kind) {
    case 'send': return b.to
    case 'charge': return b.receipt.host
    case 'receive': return b.source.account
    case 'grant': return b.grant.reason === 'first-adapter' ? b.grant.receipt.downloader : undefined
    case 'reward': {
      const w = b.reward
      return w.reason === 'hosting' ? w.receipt.downloader : w.reason === 'compute' ? w.receipt.requester : w.reason === 'rating' ? w.receipt.host : undefined
    }
    case 'join': return undefined
  }
}

/** Index of the first join ordered at or after (time, hash). */
function lowerBound (list: Array<{ time: number, hash: string }>, time: number, hash: string): number {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const m = list[mid]
    if (m.time < time || (m.time === time && m.hash < hash)) lo = mid + 1
    else hi = mid
  }
  return lo
}

function describe (b: Block): HistoryEntry {
  const base = { seq: b.seq, hash: b.hash, kind: b.kind, time: b.time, balance: b.balance }
  switch (b.kind) {
    case 'join': return { ...base, delta: b.amount, reason: 'new-user' }
    case 'send': return { ...base, delta: -b.amount, counterparty: b.to, memo: b.memo }
    case 'charge': return { ...base, delta: -b.amount, counterparty: b.receipt.host, contentId: b.receipt.contentId, reason: 'download' }
    case 'receive': {
      const s = b.source
      return s.kind === 'send'
        ? { ...base, delta: b.amount, counterparty: s.account, memo: s.memo }
        : { ...base, delta: b.amount, counterparty: s.account, contentId: s.receipt.contentId, reason: 'download' }
    }
    case 'grant': return { ...base, delta: b.amount, reason: b.grant.reason, ...(b.grant.reason === 'first-adapter' ? { counterparty: b.grant.receipt.downloader, contentId: b.grant.receipt.contentId } : {}) }
    case 'reward': {
      const w = b.reward
      const counterparty = w.reason === 'hosting' ? w.receipt.downloader : w.reason === 'compute' ? w.receipt.requester : w.reason === 'relay' ? w.receipt.origin : w.receipt.host
      const contentId = w.reason === 'hosting' || w.reason === 'rating' ? w.receipt.contentId : undefined
      return { ...base, delta: b.amount, reason: w.reason, counterparty, contentId }
    }
  }
}

/** Size in bytes of a block on the wire (canonical JSON). */
export function blockWireBytes (block: Block): number {
  return encodeBlock(block).length
}
