// The token ledger on the network: a MeshFeature named 'ledger' that keeps this node's account chain
// (src/node/ledger) under the data dir, exchanges chain heads with neighbours, fetches missing ranges,
// pushes payments to their payees, broadcasts double-spend proofs, receives payments and claims
// hosting rewards on its own, and serves the wallet (API routes in routes.ts, CLI in cli/wallet.ts).
//
// Sync, in short:
// - Pull (the backstop): every `syncIntervalMs`, and when a peer connects, ask a few neighbours for their
//   heads with our heads digest; equal digests end the exchange. Otherwise `diffHeads` picks the ranges to
//   fetch (bounded per round). Each range starts one block early: if that block is not ours, the two copies
//   diverged and the remote copy is scanned from its start for the first differing block, which, ingested
//   without blaming the sender, yields the double-spend proof.
// - Push: own new heads are published on the gossipsub topic; a payment block is also handed straight to
//   its payee. Proofs are published when found; heads answers list forked accounts, so a missed proof is
//   fetched in the next round.
// - Every block is judged by the ledger (`ingest(..., { from })`): rejections are counted (ledger and
//   `mesh status` dropped messages) and lower the sender's reputation. Rejections that only lack another
//   chain (`needs`) fetch it from the same peer and are retried once.
import path from 'node:path'
import { RateLimiter } from '@libp2p/utils'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import type { z } from 'zod'
import {
  diffHeads, encodeBlock, sha256Hex, verifyDoubleSpendProof, formatTokens, isAccountId, openLedger, parseBlock, receiptHash, DEFAULT_JOIN_DIFFICULTY,
  InsufficientBalanceError, NotJoinedError, UnknownPeerError,
  type Block, type ChainHead, type ChargeBlock, type DownloadReceipt, type RelayReceipt, type HistoryEntry, type IngestResult, type JoinBlock, type Ledger, type LedgerLimits, type SendBlock
} from '../ledger'
import type { MeshFeature } from '../feature'
import type { MeshNode } from '../mesh-node'
import type { ApiServer } from '../api/server'
import type { ContentFeature } from '../content'
import { request, serve, type BadMessageReason } from '../transport/rpc'
import { combineSignals, delay, type AbortOptions } from '../util/abort'
import { errorMessage, type Logger } from '../util/logger'
import {
  AUTO_JOIN_WAIT_MS, DEFAULT_SETTLE_DELAY_MS, DEFAULT_SYNC_INTERVAL_MS, DIFFICULTY_ENV, MAX_GAP_FILLS_PER_PUSH, MAX_GOSSIP_BYTES, SETTLE_SYNC_PEERS, LEDGER_DIR, LEDGER_MAX_BYTES, LEDGER_PROTOCOL, LEDGER_RATE_PER_SECOND, LEDGER_TIMEOUT_MS,
  LEDGER_TOPIC, MAX_BLOCKS_PER_MESSAGE, MAX_BLOCKS_PER_ROUND, MAX_CONFLICTS_PER_ROUND, MAX_DIVERGENCE_SCAN, MAX_FORKED_PER_MESSAGE, MAX_HEADS_PER_MESSAGE,
  MAX_RANGES_PER_REQUEST, SYNC_FANOUT
} from './constants'
import { BlocksResponse, HeadsResponse, LedgerGossip, LedgerRequest, ProofResponse, PushResponse, RangesResponse, ReceiptResponse } from './protocol'
import { registerWalletRoutes } from './routes'
import { ChainUnavailableError } from './errors'

export interface LedgerFeatureInit {
  /**
   * Network join difficulty in bits: own joins are solved at it and joins below it are rejected. Every node
   * of a network must use the same value.
   * @default $CONTINUUM_JOIN_DIFFICULTY, else DEFAULT_JOIN_DIFFICULTY (19, ~1 s of one core)
   */
  minJoinDifficulty?: number
  /** Milliseconds between pull-sync rounds; 0 disables the timer (sync then runs on connect and on gossip). @default 10000 */
  syncIntervalMs?: number
  /** Join (solve the PoW) in the background on start when this account has not joined. @default true */
  autoJoin?: boolean
  /** Receive payments to this account and claim hosting rewards as soon as they arrive. @default true */
  autoAccept?: boolean
  /**
   * How long an incoming payment waits before it is received, while heads are exchanged with the
   * neighbours (see settleNow). @default 2000
   */
  settleDelayMs?: number
  /** Clock for new blocks (tests). @default Date.now */
  now?: () => number
  /** Memory limits of the ledger for peer-fed data (defaults in src/node/ledger/constants.ts). */
  limits?: Partial<LedgerLimits>
}

/** What the content layer passes after a bundle verified. `price` is in tokens, as in the manifest. */
export interface DownloadCharge {
  contentId: string
  bytes: number
  /** The host's PeerId text. */
  host: string
  /** The adapter's price in tokens; 0 or absent = unpriced (1 token per started MB). */
  price?: number
}

/** What an install paid (tokens), or why it could not pay. */
export type InstallPayment = { host: string, amount: number, priced: boolean, balance: number } | { host: string, error: string }

export interface SyncReport { peer: string, same: boolean, fetched: number, accepted: number, rejected: number, proofs: number }

export interface VerifyReport {
  account: string
  /** The peer the chain was fetched from. */
  source: string
  /** Blocks the source sent. */
  fetched: number
  /** Blocks of the chain held here after the check. */
  blocks: number
  /** No block the source sent was rejected and the account has no proven fork. */
  valid: boolean
  forked: boolean
  balance: number
  earned: number
  spent: number
  reputation: number
  rejected: Array<{ reason: string, seq?: number, detail?: string }>
}

const isUserFacing = (e: unknown): boolean => ['ChainUnavailableError', 'UnknownPeerError', 'InsufficientBalanceError', 'InvalidAmountError', 'NotJoinedError', 'ForkedAccountError', 'BlockRejectedError'].includes((e as Error)?.name)

/** Creates the ledger feature (add it to the node's `features`). */
export function ledgerFeature (init: LedgerFeatureInit = {}): LedgerFeature {
  return new LedgerFeature(init)
}

export class LedgerFeature implements MeshFeature {
  readonly name = 'ledger'
  readonly minJoinDifficulty: number
  private node?: MeshNode
  private _ledger?: Ledger
  private log?: Logger
  private readonly limiter = new RateLimiter({ points: LEDGER_RATE_PER_SECOND, duration: 1 })
  private timer?: NodeJS.Timeout
  private readonly inFlight = new Map<string, Promise<SyncReport>>()
  private readonly unsubscribe: Array<() => void> = []
  private joining: Promise<JoinBlock> | null = null
  private joinError: string | null = null
  private headsTimer?: NodeJS.Timeout
  private settleTimer?: NodeJS.Timeout
  private settling: Promise<void> = Promise.resolve()
  private stopped = false
  private firstSyncDone: () => void = () => {}
  /** Resolves when a heads exchange with some peer has completed. */
  private readonly firstSync = new Promise<void>(resolve => { this.firstSyncDone = resolve })
  private readonly proofsFromNetwork = new Set<string>()
  private readonly queued = new Map<string, Promise<SyncReport>>()
  private readonly counters = { rounds: 0, blocksFetched: 0, pushesReceived: 0, pushesSent: 0, gossipReceived: 0, proofsPublished: 0, syncErrors: 0, lastRoundAt: 0 }

  constructor (private readonly init: LedgerFeatureInit = {}) {
    const env = Number(process.env[DIFFICULTY_ENV])
    this.minJoinDifficulty = init.minJoinDifficulty ?? (process.env[DIFFICULTY_ENV] !== undefined && Number.isSafeInteger(env) && env >= 0 && env <= 64 ? env : DEFAULT_JOIN_DIFFICULTY)
  }

  /** The ledger store (own chain and every chain fetched). */
  get ledger (): Ledger {
    if (this._ledger === undefined) throw new NotJoinedError('the ledger feature is not running')
    return this._ledger
  }

  get account (): string { return this.ledger.account }

  async start (node: MeshNode): Promise<void> {
    this.node = node
    this.log = node.log.child('ledger')
    const privateKey: PrivateKey = node.privateKey
    this._ledger = await openLedger({
      privateKey, dir: path.join(node.dataDir, LEDGER_DIR), minJoinDifficulty: this.minJoinDifficulty, now: this.init.now, logger: this.log, limits: this.init.limits
    }, { signal: node.shutdownSignal })
    const ledger = this._ledger
    const libp2p = node.libp2p
    await serve(libp2p, LEDGER_PROTOCOL, {
      maxBytes: LEDGER_MAX_BYTES,
      timeoutMs: LEDGER_TIMEOUT_MS,
      requestSchema: LedgerRequest,
      admit: ({ peer }) => this.admit(peer),
      handle: async (req, { peer }) => await this.answer(req, peer),
      onBadMessage: (reason: BadMessageReason, { peer }, detail) => {
        node.drops.add('ledger', reason)
        this.log?.debug(`Dropped ${reason} ledger request from ${peer.toString().slice(-8)}: ${detail}`)
        if (reason === 'malformed' || reason === 'invalid' || reason === 'oversized') node.penalise(peer, `${reason} ledger message`)
      }
    })
    const pubsub = libp2p.services.pubsub
    // Invalid messages (bad shape, a proof that does not verify) are neither delivered nor forwarded, and
    // count against their sender's gossipsub score.
    pubsub.topicValidators.set(LEDGER_TOPIC, (_from, msg) => this.validateGossip(msg.data))
    this.unsubscribe.push(() => pubsub.topicValidators.delete(LEDGER_TOPIC))
    pubsub.subscribe(LEDGER_TOPIC)
    const onGossip = (evt: CustomEvent<{ propagationSource: PeerId, msg: { topic: string, data: Uint8Array, type: string, from?: PeerId } }>): void => {
      const { msg, propagationSource } = evt.detail
      if (msg.topic !== LEDGER_TOPIC) return
      void this.onGossip(msg.data, msg.type === 'signed' && msg.from !== undefined ? msg.from : propagationSource, propagationSource).catch(err => this.log?.debug(`ledger gossip: ${errorMessage(err)}`))
    }
    pubsub.addEventListener('gossipsub:message', onGossip as EventListener)
    this.unsubscribe.push(() => pubsub.removeEventListener('gossipsub:message', onGossip as EventListener))
    this.unsubscribe.push(() => { try { pubsub.unsubscribe(LEDGER_TOPIC) } catch { /* stopping */ } })

    // A new neighbour: exchange heads once it has identified (and registered our protocol).
    const onIdentify = (evt: CustomEvent<{ peerId: PeerId, protocols: string[] }>): void => {
      if (evt.detail.protocols.includes(LEDGER_PROTOCOL)) void this.syncWith(evt.detail.peerId).catch(err => this.syncFailed(evt.detail.peerId, err))
    }
    libp2p.addEventListener('peer:identify', onIdentify)
    this.unsubscribe.push(() => libp2p.removeEventListener('peer:identify', onIdentify))

    this.unsubscribe.push(ledger.on('block', e => this.onBlock(e.detail)))
    // Publish proofs found here; one that came from the network is already travelling (gossipsub forwards it).
    this.unsubscribe.push(ledger.on('double-spend', e => {
      if (this.proofsFromNetwork.has(proofKey(e.detail) ?? '')) return
      void this.publish({ type: 'proof', proof: e.detail }).then(() => { this.counters.proofsPublished++ })
    }))
    // Counted as dropped only when held against the sender (a missing dependency is fetched and retried).
    this.unsubscribe.push(ledger.on('rejected', e => { if (e.detail.needs == null) node.drops.add('ledger', e.detail.reason) }))

    const interval = this.init.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS
    if (interval > 0) {
      this.timer = setInterval(() => { void this.syncRound() }, interval)
      this.timer.unref()
    }
    if (ledger.joined) this.scheduleSettle()
    else if (this.init.autoJoin !== false) void this.autoJoin(node).catch(() => {})
  }

  async stop (): Promise<void> {
    this.stopped = true
    clearInterval(this.timer)
    clearTimeout(this.headsTimer)
    clearTimeout(this.settleTimer)
    for (const u of this.unsubscribe.splice(0)) u()
    await this.node?.libp2p.unhandle(LEDGER_PROTOCOL).catch(() => {})
    await this.joining?.catch(() => {})
    await this.settling.catch(() => {})
    await Promise.allSettled([...this.inFlight.values()])
    await this._ledger?.close()
  }

  /**
   * Joins in the background on a first start, but only after asking the first peers: a node whose ledger
   * directory was lost (same key, new data) must fetch its own chain back, since a second join block of
   * the same account would be a proven double spend.
   */
  private async autoJoin (node: MeshNode): Promise<void> {
    // The first heads exchange with a peer, or the end of the first bootstrap round (no peers), or a cap.
    await Promise.race([this.firstSync, node.bootstrapped, delay(AUTO_JOIN_WAIT_MS, { signal: node.shutdownSignal })]).catch(() => {})
    if (this.stopped) return
    await this.syncRound().catch(() => [])
    if (this.stopped || this.ledger.joined) return
    await this.join()
  }

  /** Joins the ledger (PoW at the network difficulty, +100 tokens); resolves at once when already joined. */
  async join (options: AbortOptions = {}): Promise<JoinBlock> {
    const ledger = this.ledger
    const existing = ledger.chain()[0]
    if (existing?.kind === 'join') return existing
    if (this.joining == null) {
      const started = Date.now()
      this.joining = ledger.join({ difficulty: this.minJoinDifficulty, signal: combineSignals([this.node?.shutdownSignal]) }).then(block => {
        this.log?.info(`Joined the ledger in ${((Date.now() - started) / 1000).toFixed(1)} s of proof-of-work (${this.minJoinDifficulty} bits): ${formatTokens(block.balance)} tokens`)
        this.joinError = null
        return block
      }, err => {
        this.joinError = errorMessage(err)
        this.joining = null
        if (this.node?.shutdownSignal.aborted !== true) this.log?.warn(`Ledger join failed: ${this.joinError}`)
        throw err
      })
    }
    const signal = options.signal
    if (signal == null) return await this.joining
    return await Promise.race([this.joining, new Promise<never>((_resolve, reject) => {
      signal.throwIfAborted()
      signal.addEventListener('abort', () => reject(signal.reason), { once: true })
    })])
  }

  // ------------------------------------------------------------------ wallet

  /** Pays `amountUnits` to `to` (a PeerId). Nothing is written on error (unknown peer, low balance, bad amount). */
  async send (to: string, amountUnits: number, memo = '', options: AbortOptions = {}): Promise<SendBlock> {
    const ledger = this.ledger
    if (!ledger.joined) throw new NotJoinedError(this.joining != null ? 'this node is still joining the ledger (proof-of-work in progress); try again in a few seconds' : 'this node has not joined the ledger')
    if (!isAccountId(to)) throw new UnknownPeerError(to)
    if (Number.isSafeInteger(amountUnits) && amountUnits > ledger.balance()) throw new InsufficientBalanceError(formatTokens(amountUnits), formatTokens(ledger.balance()))
    if (ledger.head(to) == null && to !== ledger.account) await this.tryFetchAccount(to, options)
    const block = await ledger.send(to, amountUnits, memo, options)
    void this.deliver(block, to)
    return block
  }

  /**
   * The content layer's hook: pays the host for a download whose bundle verified, and hands the charge
   * (with the downloader-signed receipt) to the host, which receives the payment and claims its hosting
   * reward. Throws UnknownPeerError / InsufficientBalanceError / NotJoinedError and writes nothing then.
   */
  async payForDownload (d: DownloadCharge, options: AbortOptions = {}): Promise<{ receipt: DownloadReceipt, block: ChargeBlock }> {
    const ledger = this.ledger
    if (!ledger.joined) throw new NotJoinedError()
    if (!isAccountId(d.host)) throw new UnknownPeerError(d.host)
    if (ledger.head(d.host) == null) await this.tryFetchAccount(d.host, options)
    const price = d.price !== undefined && d.price > 0 ? Math.round(d.price * 1_000_000) : undefined
    const paid = await ledger.payForDownload({ contentId: d.contentId, bytes: d.bytes, host: d.host, ...(price !== undefined ? { price } : {}) }, options)
    void this.deliver(paid.block, d.host)
    return paid
  }

  /**
   * The content layer's call after an install verified a bundle. A priced adapter (`price` > 0, the price
   * the user accepted) pays its `publisher` exactly that price: the charge's receipt names the content
   * CID, so it is also the payment commitment a provider may ask for. An unpriced download pays the
   * provider that served first (1 token per started MB; `providers` in the order they delivered). Never
   * throws: the install has already happened, so a payment that cannot be made (not joined, low balance,
   * unknown payee) is reported back and logged. Nothing is paid to oneself.
   */
  async payForInstall (d: { contentId: string, bytes: number, price?: number, publisher?: string, providers: readonly string[] }, options: AbortOptions = {}): Promise<InstallPayment | undefined> {
    const priced = d.price !== undefined && d.price > 0
    if (priced && d.publisher === undefined) throw new TypeError('payForInstall: a priced install pays its publisher, which is missing')
    const host = priced ? (d.publisher !== this._ledger?.account ? d.publisher : undefined) : d.providers.find(p => p !== this._ledger?.account)
    if (host === undefined) return undefined
    try {
      const { block } = await this.payForDownload({ contentId: d.contentId, bytes: d.bytes, host, price: d.price }, options)
      this.log?.info(`Paid ${formatTokens(block.amount)} tokens to ${host.slice(-8)} for ${d.contentId}`)
      return { host, amount: Number(formatTokens(block.amount)), priced: block.receipt.priced, balance: Number(formatTokens(block.balance)) }
    } catch (err) {
      this.log?.warn(`Could not pay ${host.slice(-8)} for ${d.contentId}: ${errorMessage(err)}`)
      return { host, error: errorMessage(err) }
    }
  }

  /**
   * The host side, when a receipt arrives by another protocol: fetches the downloader's chain from
   * `from` (the charge that paid the receipt is in it); receiving and the hosting reward then follow.
   */
  async onReceipt (receipt: DownloadReceipt, from: PeerId, options: AbortOptions = {}): Promise<void> {
    if (receipt.host !== this.ledger.account) return
    await this.fetchChain(from, receipt.downloader, { signal: options.signal })
    if (this.init.autoAccept !== false) await this.settleNow()
  }

  /**
   * Hands a relay receipt to a peer (the wire message stays for older peers). Relay rewards are not
   * accepted any more (see src/node/ledger/validate.ts), so the answer is always `claimed: false`.
   */
  async handRelayReceipt (peer: PeerId, receipt: RelayReceipt, options: AbortOptions = {}): Promise<z.infer<typeof ReceiptResponse>> {
    return await this.ask(peer, { type: 'receipt', receipt }, ReceiptResponse, options)
  }

  balance (): { account: string, balance: number, joined: boolean, joining: boolean } {
    const l = this.ledger
    return { account: l.account, balance: l.balance(), joined: l.joined, joining: this.joining != null && !l.joined }
  }

  /** balance, earned, spent, reputation and the top earning adapter (with its paid downloads). */
  stats (): ReturnType<Ledger['stats']> & { topAdapter: { contentId: string, earned: number, downloads: number, name?: string } | null, forked: boolean } {
    const l = this.ledger
    const s = l.stats()
    let top = null
    if (s.topAdapter != null) {
      const downloads = l.chain().filter(b => b.kind === 'receive' && b.source.kind === 'charge' && b.source.receipt.contentId === s.topAdapter!.contentId).length
      top = { ...s.topAdapter, downloads, ...(this.adapterName(s.topAdapter.contentId) !== undefined ? { name: this.adapterName(s.topAdapter.contentId) } : {}) }
    }
    return { ...s, topAdapter: top, forked: l.isForked(l.account) }
  }

  history (options: { account?: string, limit?: number } = {}): HistoryEntry[] {
    return this.ledger.history(options)
  }

  /** Accounts held here: balance, reputation, chain length, proven fork. */
  accounts (): Array<{ account: string, balance: number, reputation: number, blocks: number, forked: boolean }> {
    const l = this.ledger
    return l.accounts().map(a => ({ account: a, balance: l.balance(a), reputation: l.reputation(a), blocks: l.chain(a).length, forked: l.isForked(a) }))
  }

  /**
   * Fetches `account`'s whole chain (from the account itself when reachable, else from neighbours that
   * hold it), compares it block by block with the copy held here and validates what is new.
   */
  async verify (account: string, options: AbortOptions = {}): Promise<VerifyReport> {
    if (!isAccountId(account)) throw new UnknownPeerError(account)
    const l = this.ledger
    const candidates = [peerIdFromString(account), ...this.syncPeers(SYNC_FANOUT * 2).filter(p => p.toString() !== account)]
    let lastError: unknown = new UnknownPeerError(account)
    for (const peer of candidates) {
      try {
        const res = await this.scanChain(peer, account, { signal: options.signal, fromStart: true })
        if (res.fetched === 0 && peer.toString() !== account) continue
        return {
          account,
          source: peer.toString(),
          fetched: res.fetched,
          blocks: l.chain(account).length,
          valid: res.rejected.length === 0 && !l.isForked(account) && l.chain(account).length > 0,
          forked: l.isForked(account),
          balance: l.balance(account),
          earned: this.earnedOf(account),
          spent: this.spentOf(account),
          reputation: l.reputation(account),
          rejected: res.rejected
        }
      } catch (err) {
        if (options.signal?.aborted === true) throw err
        lastError = err
      }
    }
    throw new ChainUnavailableError(account, lastError instanceof Error && lastError.name !== 'UnknownPeerError'
      ? `it is not reachable (${errorMessage(lastError)}) and no neighbour holds it`
      : 'no neighbour holds it')
  }

  status (): Record<string, unknown> {
    const l = this._ledger
    if (l == null) return { running: false }
    return {
      account: l.account,
      joined: l.joined,
      joining: this.joining != null && !l.joined,
      ...(this.joinError != null ? { joinError: this.joinError } : {}),
      difficulty: this.minJoinDifficulty,
      balance: Number(formatTokens(l.balance())),
      reputation: round(l.reputation()),
      accounts: l.accounts().length,
      proofs: l.proofs().length,
      forked: l.proofs().map(p => p.a.account),
      rejected: l.rejections(),
      memory: l.memory(),
      sync: { ...this.counters }
    }
  }

  registerRoutes (api: ApiServer): void {
    registerWalletRoutes(api, this)
  }

  // ------------------------------------------------------------------ sync (pull)

  /** One pull round with a few random neighbours (or any connected peers when there are none). */
  async syncRound (): Promise<SyncReport[]> {
    if (this.node?.state !== 'started') return []
    this.counters.rounds++
    this.counters.lastRoundAt = Date.now()
    const out = await Promise.allSettled(this.syncPeers(SYNC_FANOUT).map(async p => await this.syncWith(p).catch(err => { this.syncFailed(p, err); throw err })))
    return out.flatMap(r => r.status === 'fulfilled' ? [r.value] : [])
  }

  private syncFailed (peer: PeerId, err: unknown): void {
    this.counters.syncErrors++
    if (this.node?.shutdownSignal.aborted !== true) this.log?.debug(`ledger sync with ${peer.toString().slice(-8)}: ${errorMessage(err)}`)
  }

  /** Exchanges heads with `peer` and fetches what it has that we lack (bounded). One at a time per peer. */
  async syncWith (peer: PeerId, options: AbortOptions = {}): Promise<SyncReport> {
    const key = peer.toString()
    if (this.stopped) return { peer: key, same: false, fetched: 0, accepted: 0, rejected: 0, proofs: 0 }
    const running = this.inFlight.get(key)
    if (running !== undefined) {
      // Heads may have moved since that exchange started: run once more after it (one follow-up at most).
      let queued = this.queued.get(key)
      if (queued === undefined) {
        queued = running.catch(() => undefined).then(async () => { this.queued.delete(key); return await this.syncWith(peer, options) })
        this.queued.set(key, queued)
      }
      return await queued
    }
    const p = this.doSync(peer, options).finally(() => this.inFlight.delete(key))
    void p.then(() => this.firstSyncDone(), () => {})
    this.inFlight.set(key, p)
    return await p
  }

  private async doSync (peer: PeerId, options: AbortOptions): Promise<SyncReport> {
    const ledger = this.ledger
    const report: SyncReport = { peer: peer.toString(), same: false, fetched: 0, accepted: 0, rejected: 0, proofs: 0 }
    const res = await this.ask(peer, { type: 'heads', digest: this.headsDigest() }, HeadsResponse, options)
    for (const account of res.forked ?? []) {
      if (ledger.isForked(account)) continue
      const pr = await this.ask(peer, { type: 'proof', account }, ProofResponse, options)
      if (pr.proof != null) await this.ingestProof(pr.proof, peer)
    }
    if (res.heads === undefined) { report.same = true; return report }
    const diff = diffHeads(this.liveHeads(), res.heads)
    let budget = MAX_BLOCKS_PER_ROUND
    const add = (r: ChainFetch): void => {
      budget -= r.fetched
      report.fetched += r.fetched
      report.accepted += r.accepted
      report.rejected += r.rejected.length
      report.proofs += r.proofs
    }
    const conflicts = diff.conflicts.filter(c => !ledger.isForked(c.account))
    for (const c of conflicts.slice(0, MAX_CONFLICTS_PER_ROUND)) add(await this.scanChain(peer, c.account, { ...options, fromStart: true }))
    let pending = diff.want.map(w => w.account).filter(a => !ledger.isForked(a))
    while (pending.length > 0 && budget > 0) {
      const batch = pending.slice(0, MAX_RANGES_PER_REQUEST)
      const r = await this.fetchRanges(peer, batch, Math.min(MAX_BLOCKS_PER_MESSAGE, budget + batch.length), options)
      add(r)
      if (r.fetched === 0) break
      pending = [...r.more, ...pending.slice(batch.length)]
    }
    // More to do than one round allows (a node catching up): go on shortly instead of at the next tick.
    if ((pending.length > 0 || conflicts.length > MAX_CONFLICTS_PER_ROUND) && report.fetched > 0 && this.node?.state === 'started') {
      setTimeout(() => { void this.syncWith(peer).catch(err => this.syncFailed(peer, err)) }, 50).unref()
    }
    return report
  }

  /**
   * Fetches the blocks after our heads of several accounts in one request, each range starting one block
   * early to detect divergence (as fetchChain does), and ingests them in one batch. Returns the accounts
   * that made progress but have more to fetch.
   */
  private async fetchRanges (peer: PeerId, accounts: string[], limit: number, options: AbortOptions): Promise<ChainFetch & { more: string[] }> {
    const ledger = this.ledger
    const heads = new Map(accounts.map(a => [a, ledger.head(a)]))
    const res = await this.ask(peer, {
      type: 'ranges',
      ranges: accounts.map(account => ({ account, afterSeq: (heads.get(account)?.seq ?? 0) - 1 })),
      limit
    }, RangesResponse, options)
    this.counters.blocksFetched += res.blocks.length
    const total: ChainFetch & { more: string[] } = { fetched: res.blocks.length, accepted: 0, rejected: [], proofs: 0, more: [] }
    const diverged = new Set<string>()
    const keep: unknown[] = []
    for (const raw of res.blocks.map(decodeText)) {
      const b = parseBlock(raw)
      if (b.ok) {
        const head = heads.get(b.value.account)
        if (diverged.has(b.value.account)) continue
        if (head != null && b.value.seq === head.seq) {
          if (b.value.hash !== head.hash) diverged.add(b.value.account)
          continue
        }
      }
      keep.push(raw)
    }
    if (keep.length > 0) {
      const r = await this.ingestFrom(peer, keep, options)
      total.accepted += r.accepted
      total.rejected.push(...r.rejected)
      total.proofs += r.proofs
    }
    for (const account of diverged) merge(total, await this.scanChain(peer, account, { ...options, fromStart: true }))
    // Ask again for ranges the answer had no room for, and for those that moved (not for ones refused).
    const answered = new Set<string>()
    for (const raw of keep) { const b = parseBlock(raw); if (b.ok) answered.add(b.value.account) }
    total.more = res.more.filter(a => accounts.includes(a) && !diverged.has(a) && (!answered.has(a) || (ledger.head(a)?.seq ?? -1) > (heads.get(a)?.seq ?? -1)))
    return total
  }

  /**
   * Fetches `account`'s blocks after the ones held here, starting one block early: when that block is not
   * ours the copies diverged, and the remote copy is scanned from its start (scanChain).
   */
  private async fetchChain (peer: PeerId, account: string, options: AbortOptions & { budget?: number, depth?: number } = {}): Promise<ChainFetch> {
    const ledger = this.ledger
    const total: ChainFetch = { fetched: 0, accepted: 0, rejected: [], proofs: 0 }
    let budget = options.budget ?? MAX_BLOCKS_PER_ROUND
    while (budget > 0 && !ledger.isForked(account)) {
      const head = ledger.head(account)
      const afterSeq = head == null ? -1 : head.seq - 1
      const raw = await this.fetchRange(peer, account, afterSeq, Math.min(MAX_BLOCKS_PER_MESSAGE, budget + 1), options)
      total.fetched += raw.length
      this.counters.blocksFetched += raw.length
      budget -= raw.length
      if (raw.length === 0) break
      let items = raw
      if (head != null) {
        const first = parseBlock(raw[0])
        if (first.ok && first.value.account === account && first.value.seq === head.seq) {
          if (first.value.hash !== head.hash) return merge(total, await this.scanChain(peer, account, { ...options, fromStart: true }))
          items = raw.slice(1)
        }
      }
      if (items.length === 0) break
      merge(total, await this.ingestFrom(peer, items, options))
      const now = ledger.head(account)
      if (now == null || now.seq === head?.seq || raw.length < MAX_BLOCKS_PER_MESSAGE) break
    }
    return total
  }

  /**
   * Reads the remote copy of `account` from its start and compares it with ours: the first block that
   * differs is ingested without blaming the sender (an honest peer may hold the other branch) and yields
   * the double-spend proof; blocks beyond ours are validated as usual.
   */
  private async scanChain (peer: PeerId, account: string, options: AbortOptions & { fromStart: true }): Promise<ChainFetch> {
    const ledger = this.ledger
    const total: ChainFetch = { fetched: 0, accepted: 0, rejected: [], proofs: 0 }
    let after = -1
    while (total.fetched < MAX_DIVERGENCE_SCAN) {
      const raw = await this.fetchRange(peer, account, after, MAX_BLOCKS_PER_MESSAGE, options)
      total.fetched += raw.length
      this.counters.blocksFetched += raw.length
      if (raw.length === 0) break
      const held = ledger.chain(account)
      const fresh: unknown[] = []
      for (const item of raw) {
        const b = parseBlock(item)
        if (!b.ok || b.value.account !== account) { fresh.push(item); continue }
        const mine = held[b.value.seq]
        if (mine === undefined) { fresh.push(item); continue }
        if (mine.hash !== b.value.hash) {
          const r = await ledger.ingest([item], options)
          total.proofs += r.proofs.length
          if (r.proofs.length === 0) total.rejected.push(...r.rejected.map(toRejection))
          return total
        }
      }
      if (fresh.length > 0) merge(total, await this.ingestFrom(peer, fresh, options))
      const last = parseBlock(raw[raw.length - 1])
      if (raw.length < MAX_BLOCKS_PER_MESSAGE || !last.ok) break
      after = last.value.seq
    }
    return total
  }

  /** Ingests blocks from `peer`; chains they depend on are fetched from the same peer, then they are retried once. */
  private async ingestFrom (peer: PeerId, items: unknown[], options: AbortOptions & { depth?: number } = {}): Promise<ChainFetch> {
    const ledger = this.ledger
    const from = peer.toString()
    const r = await ledger.ingest(items, { signal: options.signal, from })
    const out = fromResult(r)
    const depth = options.depth ?? 0
    if (r.needs.length === 0 || depth >= 2) return out
    let fetchFailed = false
    for (const need of r.needs.slice(0, 8)) {
      if (ledger.isForked(need.account)) continue
      await this.fetchChain(peer, need.account, { signal: options.signal, depth: depth + 1 }).catch(() => { fetchFailed = true })
    }
    // Retry what was not judged yet: blocks beyond the head of their chain.
    const retry = items.filter(item => {
      const b = parseBlock(item)
      return b.ok && b.value.seq > (ledger.head(b.value.account)?.seq ?? -1)
    })
    if (retry.length === 0) { out.rejected = out.rejected.filter(x => x.needs == null); return out }
    const again = await ledger.ingest(retry, { signal: options.signal, from })
    // The sender validated these blocks before keeping them, so it holds what they depend on. Asked for
    // it and still without it, the blocks are unfounded (a receive without its send, a reward for an
    // unpaid download): now they count against the sender.
    const unfounded = again.rejected.filter(x => x.needs != null)
    if (unfounded.length > 0 && !fetchFailed && r.needs.length <= 8) {
      for (const x of unfounded) this.node?.drops.add('ledger', x.reason)
      await ledger.reportBadData(from).catch(() => {})
    }
    return { fetched: 0, accepted: out.accepted + again.accepted.length, rejected: [...out.rejected.filter(x => x.needs == null && x.reason !== 'out-of-order'), ...again.rejected.map(toRejection)], proofs: out.proofs + again.proofs.length }
  }

  private async fetchRange (peer: PeerId, account: string, afterSeq: number, limit: number, options: AbortOptions): Promise<unknown[]> {
    const res = await this.ask(peer, { type: 'blocks', account, afterSeq, limit: Math.max(1, Math.min(limit, MAX_BLOCKS_PER_MESSAGE)) }, BlocksResponse, options)
    return res.blocks.map(decodeText)
  }

  private async tryFetchAccount (account: string, options: AbortOptions): Promise<void> {
    try {
      await this.fetchChain(peerIdFromString(account), account, { signal: combineSignals([options.signal], 5_000) })
    } catch (err) {
      this.log?.debug(`could not fetch ${account.slice(-8)}'s chain from it: ${errorMessage(err)}`)
    }
  }

  // ------------------------------------------------------------------ push

  /** Hands blocks to a peer directly (a payment to its payee); returns what it accepted and refused. */
  async pushBlocks (peer: PeerId, blocks: readonly Block[], options: AbortOptions = {}): Promise<z.infer<typeof PushResponse>> {
    this.counters.pushesSent++
    return await this.ask(peer, { type: 'push', blocks: blocks.map(b => Buffer.from(encodeBlock(b)).toString('utf8')) }, PushResponse, options)
  }

  private async deliver (block: Block, payee: string): Promise<void> {
    try {
      const res = await this.pushBlocks(peerIdFromString(payee), [block], { signal: this.node?.shutdownSignal })
      if (res.rejected.length > 0) this.log?.debug(`payee ${payee.slice(-8)} refused ${res.rejected.map(r => r.reason).join(', ')}`)
    } catch (err) {
      // Not reachable now: gossip and pull sync deliver it later.
      this.log?.debug(`could not hand block ${block.seq} to ${payee.slice(-8)}: ${errorMessage(err)}`)
    }
  }

  private async onPush (peer: PeerId, texts: string[]): Promise<z.infer<typeof PushResponse>> {
    this.counters.pushesReceived++
    const ledger = this.ledger
    const items = texts.map(decodeText)
    // A push starts where the pusher's last block is; fill a gap from the pusher first, so an honest
    // payer is not blamed for our missing its earlier blocks.
    const gapFilled = new Set<string>()
    const firstSeq = new Map<string, number>()
    for (const item of items) {
      const b = parseBlock(item)
      if (b.ok && !firstSeq.has(b.value.account)) firstSeq.set(b.value.account, b.value.seq)
    }
    // Pushes are for payments from the pusher's own chain: a peer without a joined account here (after
    // fetching its own chain from it, when it pushes a later block of it, and not pushing its join) has
    // nothing to pay with, and its blocks are dropped unread, before any other chain is fetched for them.
    const pusher = peer.toString()
    const carriesJoin = items.some(item => { const b = parseBlock(item); return b.ok && b.value.account === pusher && b.value.seq === 0 })
    if (ledger.head(pusher) == null && !carriesJoin) {
      const own = firstSeq.get(pusher)
      if (own !== undefined) {
        await this.fetchChain(peer, pusher, { budget: Math.min(own + 1, MAX_BLOCKS_PER_ROUND) }).catch(() => {})
        gapFilled.add(pusher)
      }
      if (ledger.head(pusher) == null) {
        this.node?.drops.add('ledger', 'unjoined-pusher')
        return { accepted: 0, rejected: [{ reason: 'unjoined-pusher', detail: 'push from a peer whose account has not joined (as far as this node knows)' }] }
      }
    }
    for (const [account, seq] of [...firstSeq].slice(0, MAX_GAP_FILLS_PER_PUSH)) {
      if (seq > (ledger.head(account)?.seq ?? -1) + 1 && !ledger.isForked(account)) {
        await this.fetchChain(peer, account, { budget: Math.min(seq + 1, MAX_BLOCKS_PER_ROUND) }).catch(() => {})
        gapFilled.add(account)
      }
    }
    const todo = items.filter(item => {
      const b = parseBlock(item)
      return !(b.ok && gapFilled.has(b.value.account) && ledger.chain(b.value.account)[b.value.seq]?.hash === b.value.hash)
    })
    const r = todo.length > 0 ? await this.ingestFrom(peer, todo) : { fetched: 0, accepted: 0, rejected: [], proofs: 0 }
    return { accepted: r.accepted, rejected: r.rejected.slice(0, MAX_BLOCKS_PER_MESSAGE).map(x => ({ reason: x.reason, ...(x.account !== undefined ? { account: x.account } : {}), ...(x.seq !== undefined ? { seq: x.seq } : {}), ...(x.detail !== undefined ? { detail: x.detail.slice(0, 300) } : {}) })) }
  }

  // ------------------------------------------------------------------ gossip

  private async publish (msg: LedgerGossip): Promise<void> {
    try {
      await this.node?.libp2p.services.pubsub.publish(LEDGER_TOPIC, new TextEncoder().encode(JSON.stringify(msg)))
    } catch (err) {
      this.log?.debug(`ledger publish: ${errorMessage(err)}`)
    }
  }

  private validateGossip (data: Uint8Array): TopicValidatorResult {
    const reject = (reason: string): TopicValidatorResult => { this.node?.drops.add('ledger-gossip', reason); return TopicValidatorResult.Reject }
    if (data.byteLength > MAX_GOSSIP_BYTES) return reject('oversized')
    let msg: LedgerGossip
    try {
      msg = LedgerGossip.parse(JSON.parse(Buffer.from(data).toString('utf8')))
    } catch {
      return reject('malformed')
    }
    if (msg.type === 'proof' && !verifyDoubleSpendProof(msg.proof).ok) return reject('bad-proof')
    return TopicValidatorResult.Accept
  }

  private async onGossip (data: Uint8Array, origin: PeerId, via: PeerId): Promise<void> {
    this.counters.gossipReceived++
    let msg: LedgerGossip
    try {
      msg = LedgerGossip.parse(JSON.parse(Buffer.from(data).toString('utf8')))
    } catch {
      this.node?.drops.add('ledger', 'malformed')
      return
    }
    const ledger = this.ledger
    if (msg.type === 'proof') {
      await this.ingestProof(msg.proof, via)
      return
    }
    const diff = diffHeads(this.liveHeads(), msg.heads)
    const accounts = [...diff.want.map(w => w.account), ...diff.conflicts.map(c => c.account)].filter(a => !ledger.isForked(a))
    if (accounts.length === 0) return
    // The publisher holds what it announced; the forwarder may not yet. Either way pull sync follows.
    for (const peer of origin.equals(via) ? [origin] : [origin, via]) {
      try {
        const r = await this.syncWith(peer)
        if (r.fetched > 0 || r.same) return
      } catch (err) {
        this.log?.debug(`ledger sync after gossip with ${peer.toString().slice(-8)}: ${errorMessage(err)}`)
      }
    }
  }

  private async ingestProof (proof: unknown, from: PeerId): Promise<void> {
    const key = proofKey(proof)
    if (key !== undefined) {
      if (this.proofsFromNetwork.size >= 10_000) this.proofsFromNetwork.clear()
      this.proofsFromNetwork.add(key)
    }
    await this.ledger.ingestProof(proof, { from: from.toString() })
  }

  private onBlock (block: Block): void {
    const me = this.ledger.account
    if (block.account === me) {
      // Announce own heads (batched: a burst of writes makes one message).
      if (this.headsTimer === undefined) {
        this.headsTimer = setTimeout(() => {
          this.headsTimer = undefined
          const head = this._ledger?.head(me)
          if (head != null) void this.publish({ type: 'heads', heads: [head] })
        }, 50)
      }
      return
    }
    if ((block.kind === 'send' && block.to === me) || (block.kind === 'charge' && block.receipt.host === me)) this.scheduleSettle()
  }

  /** Receives pending payments and claims the hosting rewards (and first-adapter grant) they earn. */
  private scheduleSettle (): void {
    if (this.init.autoAccept === false || this.settleTimer !== undefined) return
    this.settleTimer = setTimeout(() => {
      this.settleTimer = undefined
      void this.settleNow()
    }, this.init.settleDelayMs ?? DEFAULT_SETTLE_DELAY_MS)
  }

  /**
   * Exchanges heads with the neighbours first: a payer that double-spent is most often caught in that
   * exchange, and a receive of the branch other nodes saw second would be refused by them for good.
   */
  private async settleNow (): Promise<void> {
    this.settling = this.settling.then(async () => {
      if (this.node?.state !== 'started') return
      await Promise.allSettled(this.syncPeers(SETTLE_SYNC_PEERS).map(async p => await this.syncWith(p)))
      await this.settle()
    }).catch(err => this.log?.warn(`settling payments: ${errorMessage(err)}`))
    await this.settling
  }

  private async settle (): Promise<void> {
    const ledger = this._ledger
    if (ledger == null || !ledger.joined || ledger.isForked(ledger.account)) return
    const received = await ledger.acceptPayments()
    if (received.length > 0) this.log?.info(`Received ${received.length} payment${received.length === 1 ? '' : 's'}: balance ${formatTokens(ledger.balance())} tokens`)
    const own = ledger.chain()
    const claimed = new Set<string>()
    let hasFirstAdapter = false
    for (const b of own) {
      if (b.kind === 'reward' && b.reward.reason === 'hosting') claimed.add(receiptHash(b.reward.receipt))
      if (b.kind === 'grant' && b.grant.reason === 'first-adapter') hasFirstAdapter = true
    }
    for (const b of own) {
      if (b.kind !== 'receive' || b.source.kind !== 'charge') continue
      const receipt = b.source.receipt
      const h = receiptHash(receipt)
      if (claimed.has(h) || this.unclaimable.has(h)) continue
      try {
        await ledger.claimHostingReward(receipt)
        claimed.add(h)
      } catch (err) {
        // Over the cap for this adapter and period, mostly: not claimable, do not retry.
        this.unclaimable.add(h)
        if (!isUserFacing(err)) throw err
      }
      if (!hasFirstAdapter) {
        try {
          await ledger.claimFirstAdapterGrant(receipt)
          hasFirstAdapter = true
        } catch (err) {
          if (!isUserFacing(err)) throw err
        }
      }
    }
  }

  private readonly unclaimable = new Set<string>()

  // ------------------------------------------------------------------ serving

  private admit (peer: PeerId): boolean {
    try {
      this.limiter.consume(peer.toString())
      return true
    } catch {
      return false
    }
  }

  private async answer (req: LedgerRequest, peer: PeerId): Promise<unknown> {
    const ledger = this.ledger
    switch (req.type) {
      case 'heads': {
        const digest = this.headsDigest()
        const forked = ledger.proofs().map(p => p.a.account).slice(0, MAX_FORKED_PER_MESSAGE)
        if (req.digest === digest) return { digest, ...(forked.length > 0 ? { forked } : {}) }
        // Own chain first, so a truncated answer still carries it.
        const heads = this.liveHeads().sort((a, b) => a.account === ledger.account ? -1 : b.account === ledger.account ? 1 : 0).slice(0, MAX_HEADS_PER_MESSAGE)
        return { digest, heads, ...(forked.length > 0 ? { forked } : {}) }
      }
      case 'blocks':
        return { blocks: ledger.blocksAfter(req.account, req.afterSeq, req.limit).map(b => Buffer.from(encodeBlock(b)).toString('utf8')) }
      case 'ranges': {
        const blocks: string[] = []
        const more: string[] = []
        for (const r of req.ranges) {
          const room = req.limit - blocks.length
          const head = ledger.head(r.account)
          if (head == null || head.seq <= r.afterSeq) continue
          if (room <= 0) { more.push(r.account); continue }
          const got = ledger.blocksAfter(r.account, r.afterSeq, room)
          for (const b of got) blocks.push(Buffer.from(encodeBlock(b)).toString('utf8'))
          if (got.length > 0 && got[got.length - 1].seq < head.seq) more.push(r.account)
        }
        return { blocks, more }
      }
      case 'push':
        return await this.onPush(peer, req.blocks)
      case 'proof':
        return { proof: ledger.proofs().find(p => p.a.account === req.account) ?? null }
      case 'receipt':
        // Not the sender's fault (an older peer): nothing is claimed, nothing held against it.
        this.node?.drops.add('ledger', 'relay-receipt')
        return { claimed: false, reason: 'relay rewards are not accepted: no payer can back them without revealing the search origin' }
    }
  }

  private async ask<T> (peer: PeerId, body: LedgerRequest, schema: z.ZodType<T>, options: AbortOptions = {}): Promise<T> {
    const node = this.node!
    return await request(node.libp2p, peer, LEDGER_PROTOCOL, body, {
      responseSchema: schema,
      maxBytes: LEDGER_MAX_BYTES,
      timeoutMs: LEDGER_TIMEOUT_MS,
      signal: combineSignals([options.signal, node.shutdownSignal])
    })
  }

  /**
   * Heads of the chains still in play: a forked account's copies may differ from node to node forever
   * (each stops at the branch it saw first), so they are left out of the exchange and listed as forked.
   */
  liveHeads (): ChainHead[] {
    const l = this.ledger
    return l.heads().filter(h => !l.isForked(h.account))
  }

  /** sha-256 over the live heads (sorted): equal digests mean nothing to exchange. */
  headsDigest (): string {
    return sha256Hex(this.liveHeads().map(h => `${h.account} ${h.seq} ${h.hash}`).sort().join('\n'))
  }

  private syncPeers (n: number): PeerId[] {
    const node = this.node
    if (node == null) return []
    const neighbours = node.neighbours.random(n)
    if (neighbours.length > 0) return neighbours
    return node.libp2p.getPeers().slice(0, n)
  }

  /** The adapter's name: content ids are bundle CIDs (hosted by the content feature) or manifest content hashes. */
  private adapterName (contentId: string): string | undefined {
    try {
      return this.node?.feature<ContentFeature>('content')?.hosted.get(contentId)?.manifest.name ??
        this.node?.catalog.list('local').find(h => h.manifest.contentHash === contentId)?.manifest.name
    } catch {
      return undefined
    }
  }

  private earnedOf (account: string): number {
    return this.ledger.chain(account).reduce((s, b) => s + (b.kind === 'send' || b.kind === 'charge' ? 0 : b.amount), 0)
  }

  private spentOf (account: string): number {
    return this.ledger.chain(account).reduce((s, b) => s + (b.kind === 'send' || b.kind === 'charge' ? b.amount : 0), 0)
  }
}

interface ChainFetch { fetched: number, accepted: number, rejected: Array<{ reason: string, account?: string, seq?: number, detail?: string, needs?: unknown }>, proofs: number }

function toRejection (r: IngestResult['rejected'][number]): ChainFetch['rejected'][number] {
  return { reason: r.reason, account: r.account, seq: r.seq, detail: r.detail, needs: r.needs }
}

function fromResult (r: IngestResult): ChainFetch {
  return { fetched: 0, accepted: r.accepted.length, rejected: r.rejected.map(toRejection), proofs: r.proofs.length }
}

function merge (into: ChainFetch, more: ChainFetch): ChainFetch {
  into.fetched += more.fetched
  into.accepted += more.accepted
  into.rejected.push(...more.rejected)
  into.proofs += more.proofs
  return into
}

/** A block's wire text → its JSON value (left as text when it is not JSON: the ledger rejects it as malformed). */
function decodeText (text: string): unknown {
  try { return JSON.parse(text) } catch { return text }
}

/** Identity of a proof (order-independent), or undefined when it is not shaped like one. */
function proofKey (proof: unknown): string | undefined {
  const p = proof as { a?: { hash?: unknown }, b?: { hash?: unknown } } | null
  if (typeof p?.a?.hash !== 'string' || typeof p?.b?.hash !== 'string') return undefined
  return [p.a.hash, p.b.hash].sort().join('|')
}

function round (x: number): number { return Math.round(x * 1000) / 1000 }
