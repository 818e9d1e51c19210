// The ledger store of one node: its own chain (appended and signed here) and every other account's chain
// it has fetched (validated block by block before it is kept). All writes go through one queue, so a
// check ("is the balance enough?") and the write it guards cannot interleave with another write.
import path from 'node:path'
import { z } from 'zod'
import { lockDirectory, openAppendLog, type AppendLog, type DirectoryLock } from '../storage'
import type { Logger } from '../util/logger'
import { formatTokens, isAmount } from './amount'
import { createSigner, encodeBlock, parseBlock, sealBlock, signReceipt, type Signer } from './block'
import { canonicalBytes } from './canonical'
import {
  COMPUTE_REWARD_DENOMINATOR, COMPUTE_REWARD_NUMERATOR, DEFAULT_JOIN_DIFFICULTY, DEFAULT_MAX_ACCOUNTS, DEFAULT_MAX_EMBEDDED, DEFAULT_MAX_FOLLOWED_BLOCKS, DEFAULT_MAX_FOREIGN_BLOCKS,
  DEFAULT_MAX_RECEIVES_PER_PAYER, DEFAULT_MAX_TRACKED_PEERS, EARLY_ADOPTER_GRANT, FIRST_ADAPTER_GRANT, HOSTING_REWARD, LEDGER_LOG_FILE, MAX_MEMO_LENGTH, NEW_USER_GRANT, RATING_REWARD
} from './constants'
import {
  BlockRejectedError, ForkedAccountError, InsufficientBalanceError, InvalidAmountError, LedgerClosedError, NotJoinedError, UnknownPeerError
} from './errors'
import { solveJoinPow, type JoinPow } from './pow'
import {
  blockSchema, doubleSpendProofSchema, type Block, type BlockBody, type ChargeBlock, type ComputeReceipt,
  type DownloadReceipt, type JoinBlock, type ReceiveBlock, type RewardBlock, type SendBlock, type GrantBlock
} from './schema'
import {
  createChainState, headHash, makeDoubleSpendProof, rewardPeriod, unpricedCharge, verifyDoubleSpendProof, type ChainState
} from './validate'
import type { AbortOptions } from '../util/abort'
import { ChainStore } from './chains'
import { LedgerView } from './view'
import type { ChainNeed, DownloadPayment, IngestResult, LedgerEvents, LedgerInit, LedgerLimits, LoadReport, Rejection } from './types'

export type {
  ChainHead, ChainNeed, DownloadPayment, HistoryEntry, IngestResult, LedgerEvents, LedgerInit, LedgerLimits, LedgerMemory, LedgerStats, LoadReport, Rejection, WalletInfo
} from './types'

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

/** Opens (or creates) the ledger in `init.dir`, re-verifying every stored block. */
export async function openLedger (init: LedgerInit, options: AbortOptions = {}): Promise<Ledger> {
  const ledger = new Ledger(init)
  await ledger.load(options)
  return ledger
}

export class Ledger extends LedgerView {
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

  private loadReport: LoadReport = { blocks: 0, rejected: [], recovery: null }

  constructor (init: LedgerInit) {
    const signer = createSigner(init.privateKey)
    const minJoinDifficulty = init.minJoinDifficulty ?? DEFAULT_JOIN_DIFFICULTY
    const limits: LedgerLimits = {
      maxEmbedded: init.limits?.maxEmbedded ?? DEFAULT_MAX_EMBEDDED,
      maxForeignBlocks: init.limits?.maxForeignBlocks ?? DEFAULT_MAX_FOREIGN_BLOCKS,
      maxFollowedBlocks: init.limits?.maxFollowedBlocks ?? DEFAULT_MAX_FOLLOWED_BLOCKS,
      maxReceivesPerPayer: init.limits?.maxReceivesPerPayer ?? DEFAULT_MAX_RECEIVES_PER_PAYER,
      maxAccounts: init.limits?.maxAccounts ?? DEFAULT_MAX_ACCOUNTS,
      maxTrackedPeers: init.limits?.maxTrackedPeers ?? DEFAULT_MAX_TRACKED_PEERS
    }
    super(new ChainStore(signer.account, minJoinDifficulty, limits, init.logger))
    this.signer = signer
    this.minJoinDifficulty = minJoinDifficulty
    this.now = init.now ?? Date.now
    this.logger = init.logger
    this.dir = init.dir
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
      const ctx = this.store.context(Number.MAX_SAFE_INTEGER)
      for (const bytes of records) {
        let rec: LedgerRecord
        try {
          rec = recordSchema.parse(JSON.parse(Buffer.from(bytes).toString('utf8')))
        } catch {
          report.rejected.push({ reason: 'malformed', detail: 'unreadable ledger record' })
          this.store.count('malformed')
          continue
        }
        if (rec.t === 'bad') {
          this.store.addBad(rec.peer, rec.tenths)
        } else if (rec.t === 'proof') {
          const v = verifyDoubleSpendProof(rec.proof)
          if (v.ok) this.store.forks.set(v.account, v.proof)
          else report.rejected.push({ reason: 'bad-proof', detail: v.reason })
        } else {
          const v = this.store.check(rec.block, ctx)
          if (v.ok) {
            this.store.accept(rec.block)
            report.blocks++
          } else {
            report.rejected.push({ reason: v.reason, account: rec.block.account, seq: rec.block.seq, hash: rec.block.hash, detail: v.detail })
            this.store.count(v.reason)
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

  get joined (): boolean { return (this.store.chains.get(this.account)?.blocks.length ?? 0) > 0 }

  /**
   * Joins: solves the PoW (about 1 s at the default difficulty; abortable) and appends the genesis block
   * carrying it and the new-user grant. Returns the existing join block when already joined.
   */
  async join (options: AbortOptions & { difficulty?: number, pow?: JoinPow, onProgress?: (attempts: number) => void } = {}): Promise<JoinBlock> {
    const existing = this.store.chains.get(this.account)?.blocks[0]
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
      const first = this.store.chains.get(this.account)?.blocks[0]
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
      if (!this.store.isKnownAccount(to)) throw new UnknownPeerError(to)
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
      if (!this.store.isKnownAccount(d.host)) throw new UnknownPeerError(d.host)
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
    return [...this.store.incoming.values()].filter(p => !this.store.forks.has(p.account))
  }

  /**
   * Appends the receive block for a payment to this account. The payment must be in the payer's chain as
   * this node holds it (ingest it first); payments of accounts with a proven double spend are refused.
   */
  async receive (payment: SendBlock | ChargeBlock, options: AbortOptions = {}): Promise<ReceiveBlock> {
    return await this.appendOwn<ReceiveBlock>((state, time) => {
      if (this.store.forks.has(payment.account)) throw new ForkedAccountError(payment.account)
      const known = this.store.chains.get(payment.account)?.blocks[payment.seq]
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
      if (n >= this.store.limits.maxReceivesPerPayer) {
        if (!this.store.deferred.has(p.hash)) {
          if (this.store.deferred.size >= 10_000) this.store.deferred.clear()
          this.store.deferred.add(p.hash)
          this.store.dropped.deferredReceives++
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
      const downloaderJoin = this.store.chains.get(receipt.downloader)?.blocks[0]
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
      const ctx = this.store.context(this.now())
      let penalty = 0
      // Accounts whose block was refused earlier in this batch: their later blocks cannot follow it.
      const stopped = new Map<string, ChainNeed | undefined>()
      for (const raw of blocks) {
        const parsed = parseBlock(raw)
        let rejection: Rejection
        if (!parsed.ok) {
          rejection = { reason: 'malformed', detail: parsed.detail }
        } else if (stopped.has(parsed.value.account) && parsed.value.seq >= (this.store.chains.get(parsed.value.account)?.blocks.length ?? 0)) {
          const block = parsed.value
          result.rejected.push({ reason: 'out-of-order', account: block.account, seq: block.seq, hash: block.hash, detail: 'follows a refused block', needs: stopped.get(block.account) })
          this.store.count('out-of-order')
          continue
        } else if (this.store.overQuota(parsed.value) != null) {
          const block = parsed.value
          rejection = { reason: 'quota-exceeded', account: block.account, seq: block.seq, hash: block.hash, detail: this.store.overQuota(parsed.value) }
          this.store.countQuota(block)
          stopped.set(block.account, undefined)
        } else {
          const block = parsed.value
          const v = this.store.check(block, ctx)
          if (v.ok) {
            const proofs = this.store.accept(block)
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
          const proof = v.reason === 'fork' ? makeDoubleSpendProof(this.store.chains.get(block.account)!.blocks[block.seq], block) : v.proof
          if (proof != null) {
            if (this.store.recordFork(proof)) {
              result.proofs.push(proof)
              records.push(encodeRecord({ t: 'proof', proof }))
              events.push(new CustomEvent('double-spend', { detail: proof }))
            }
          }
        }
        result.rejected.push(rejection)
        this.store.count(rejection.reason)
        // A missing dependency may just be gossip order: not held against the sender.
        if (rejection.needs == null) penalty += PENALTY_TENTHS[rejection.reason] ?? DEFAULT_PENALTY_TENTHS
        events.push(new CustomEvent('rejected', { detail: { ...rejection, from: options.from } }))
      }
      if (options.from != null && penalty > 0) {
        this.store.addBad(options.from, penalty)
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
        this.store.count('bad-proof')
        if (options.from != null) {
          this.store.addBad(options.from, DEFAULT_PENALTY_TENTHS)
          if (options.from.length <= MAX_PEER_ID_CHARS) await this.persist([encodeRecord({ t: 'bad', peer: options.from, tenths: DEFAULT_PENALTY_TENTHS })])
        }
        this.dispatchEvent(new CustomEvent('rejected', { detail: { reason: 'bad-proof', detail: v.reason, from: options.from } }))
        return v
      }
      const isNew = this.store.recordFork(v.proof)
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
      this.store.addBad(peer, DEFAULT_PENALTY_TENTHS)
      if (peer.length <= MAX_PEER_ID_CHARS) await this.persist([encodeRecord({ t: 'bad', peer, tenths: DEFAULT_PENALTY_TENTHS })])
    })
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

  private ensureFunds (state: ChainState, amount: number): void {
    if (amount > state.balance) throw new InsufficientBalanceError(formatTokens(amount), formatTokens(state.balance))
  }

  private common (state: ChainState, time: number, amount: number, balance: number): { v: 1, account: string, seq: number, prev: string, time: number, amount: number, balance: number } {
    return { v: 1, account: this.account, seq: state.hashes.length, prev: headHash(state), time, amount, balance }
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
      const chain = this.store.chains.get(this.account)
      if ((chain == null || chain.blocks.length === 0) && options.allowUnjoined !== true) throw new NotJoinedError()
      const state = chain?.state ?? createChainState(this.account)
      if (this.store.forks.has(this.account)) throw new ForkedAccountError(this.account)
      // Not before the evidence: a receipt signed on a clock slightly ahead of ours is still claimable now.
      const time = Math.max(this.now(), state.lastTime, options.minTime ?? 0)
      const body = await make(state, time)
      const block = await sealBlock(this.signer, body)
      // Own blocks pass the same schema as network ones (e.g. an over-long content id), or peers and the
      // next load would refuse them.
      const shape = parseBlock(block)
      if (!shape.ok) throw new BlockRejectedError('malformed', shape.detail)
      // The same rules as for everyone else's blocks, cross-chain ones included.
      const v = this.store.check(block, this.store.context(this.now()))
      if (!v.ok) throw new BlockRejectedError(v.reason, v.detail)
      options.signal?.throwIfAborted()
      await this.persist([encodeRecord({ t: 'block', block })])
      const proofs = this.store.accept(block)
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

/** Size in bytes of a block on the wire (canonical JSON). */
export function blockWireBytes (block: Block): number {
  return encodeBlock(block).length
}
