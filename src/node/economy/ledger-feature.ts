// The token ledger on the network: a MeshFeature that keeps this node's account chain (src/node/ledger)
// under the data dir, exchanges chain heads with neighbours, fetches missing ranges, pushes payments to
// their payees, broadcasts double-spend proofs, receives payments and claims hosting rewards on its own,
// and serves the wallet (`node.wallet`; routes in api/routes/wallet.ts, CLI in cli/wallet.ts).
//
// This file is the lifecycle and the figures; the parts, one concern each:
// - rpc.ts: the request/response protocol (answers, the client side, the per-peer limit);
// - sync.ts: pull sync, the backstop (heads digests, bounded ranges, divergence scans);
// - push.ts: payments handed straight to their payee, and pushes judged here;
// - gossip.ts: own heads and double-spend proofs on the gossipsub topic;
// - settle.ts: receiving payments and claiming the rewards they earn;
// - wallet.ts: joining, sends, the content layer's payments, stats and `verify` (`WalletApi`).
// Every block is judged by the ledger (`ingest(..., { from })`): rejections are counted (ledger and
// `mesh status` dropped messages) and lower the sender's reputation.
import path from 'node:path'
import { serviceCapabilities, serviceDependencies, type PeerId } from '@libp2p/interface'
import type { z } from 'zod'
import {
  formatTokens, openLedger, DEFAULT_JOIN_DIFFICULTY, NotJoinedError,
  type Block, type ChainHead, type ChargeBlock, type ComputeReceipt, type DownloadReceipt, type RelayReceipt, type HistoryEntry, type JoinBlock, type Ledger, type LedgerLimits, type SendBlock
} from '../ledger'
import type { MeshFeature } from '../feature'
import { delay, type AbortOptions } from '../util/abort'
import type { Logger } from '../util/logger'
import { DEFAULT_SYNC_INTERVAL_MS, DIFFICULTY_ENV, LEDGER_DIR, LEDGER_PROTOCOL, AUTO_JOIN_WAIT_MS } from './constants'
import type { PushResponse, ReceiptResponse } from './protocol'
import type { EconomyContext, LedgerComponents, SyncCounters } from './context'
import { LedgerRpc } from './rpc'
import { PullSync, headsDigest, liveHeads, type SyncReport } from './sync'
import { LedgerPush } from './push'
import { LedgerGossipChannel } from './gossip'
import { Settler } from './settle'
import { MissingServiceError } from './errors'
import { Wallet, type AccountSummary, type DownloadCharge, type InstallPayment, type VerifyReport, type WalletApi, type WalletBalance, type WalletStats } from './wallet'

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
   * neighbours (see settle.ts). @default 2000
   */
  settleDelayMs?: number
  /** Clock for new blocks (tests). @default Date.now */
  now?: () => number
  /** Memory limits of the ledger for peer-fed data (defaults in src/node/ledger/constants.ts). */
  limits?: Partial<LedgerLimits>
}

/** Creates the ledger feature (add it to the node's `features`); it takes its components from the node it starts on. */
export function ledgerFeature (init: LedgerFeatureInit = {}): LedgerFeature {
  return new LedgerFeature(init)
}

/** The ledger as a service (the js-libp2p shape): the wallet, the content layer's payment hooks, start and stop. */
export interface LedgerService extends WalletApi {
  start(): Promise<void>
  stop(): Promise<void>
  payForDownload(d: DownloadCharge, options?: AbortOptions): Promise<{ receipt: DownloadReceipt, block: ChargeBlock }>
  payForInstall(d: { contentId: string, bytes: number, price?: number, publisher?: string, providers: readonly string[] }, options?: AbortOptions): Promise<InstallPayment | undefined>
  onReceipt(receipt: DownloadReceipt, from: PeerId, options?: AbortOptions): Promise<void>
  /** The libp2p capabilities it needs on `components.libp2p`; start refuses components without them. */
  readonly [serviceDependencies]: string[]
}

/**
 * The js-libp2p factory shape: `ledgerService(init)(components)`, with the components it uses named in
 * LedgerComponents (a started MeshNode has them all).
 */
export function ledgerService (init: LedgerFeatureInit = {}): (components: LedgerComponents) => LedgerService {
  return components => new LedgerFeature(init, components)
}

interface Parts { ctx: EconomyContext, rpc: LedgerRpc, sync: PullSync, push: LedgerPush, gossip: LedgerGossipChannel, settler: Settler, wallet: Wallet }

export class LedgerFeature implements MeshFeature, LedgerService {
  readonly name = 'ledger'
  readonly [Symbol.toStringTag] = '@continuum/ledger'
  /** Heads are exchanged when a peer has identified; heads and proofs travel on gossipsub. */
  readonly [serviceDependencies] = ['@libp2p/identify', '@libp2p/pubsub']
  readonly minJoinDifficulty: number
  private parts?: Parts
  private timer?: NodeJS.Timeout
  private readonly unsubscribe: Array<() => void> = []
  private stopped = false
  private readonly counters: SyncCounters = { rounds: 0, blocksFetched: 0, pushesReceived: 0, pushesSent: 0, gossipReceived: 0, proofsPublished: 0, syncErrors: 0, lastRoundAt: 0 }

  /** `components`: set by ledgerService(); a feature takes the node's when it starts. */
  constructor (private readonly init: LedgerFeatureInit = {}, private readonly components?: LedgerComponents) {
    const env = Number(process.env[DIFFICULTY_ENV])
    this.minJoinDifficulty = init.minJoinDifficulty ?? (process.env[DIFFICULTY_ENV] !== undefined && Number.isSafeInteger(env) && env >= 0 && env <= 64 ? env : DEFAULT_JOIN_DIFFICULTY)
  }

  private get running (): Parts {
    if (this.parts === undefined) throw new NotJoinedError('the ledger feature is not running')
    return this.parts
  }

  /** The ledger store (own chain and every chain fetched). */
  get ledger (): Ledger { return this.running.ctx.ledger }

  get account (): string { return this.ledger.account }

  async start (node?: LedgerComponents): Promise<void> {
    const components = node ?? this.components
    if (components === undefined) throw new TypeError('the ledger needs its components: start it on a node, or create it with ledgerService(init)(components)')
    const capabilities = new Set(Object.values(components.libp2p.services).flatMap(s => (s as { [serviceCapabilities]?: string[] })[serviceCapabilities] ?? []))
    const missing = this[serviceDependencies].filter(d => !capabilities.has(d))
    if (missing.length > 0) throw new MissingServiceError(missing)
    const log: Logger = components.log.child('ledger')
    const ledger = await openLedger({
      privateKey: components.privateKey, dir: path.join(components.dataDir, LEDGER_DIR), minJoinDifficulty: this.minJoinDifficulty, now: this.init.now, logger: log, limits: this.init.limits
    }, { signal: components.shutdownSignal })
    const isStopped = (): boolean => this.stopped
    const ctx: EconomyContext = { components, ledger, log, counters: this.counters, get stopped () { return isStopped() } }
    const rpc = new LedgerRpc(ctx)
    // Proofs a heads answer names go through the gossip channel, which remembers them (not republished).
    const sync: PullSync = new PullSync(ctx, rpc, async (proof, from) => await gossip.ingestProof(proof, from))
    const push = new LedgerPush(ctx, rpc, sync)
    const gossip = new LedgerGossipChannel(ctx, sync)
    const settler = new Settler(ctx, sync, this.init)
    const wallet = new Wallet(ctx, { rpc, sync, push, settler }, this.minJoinDifficulty)
    this.parts = { ctx, rpc, sync, push, gossip, settler, wallet }

    await rpc.serve(async (peer, blocks) => await push.onPush(peer, blocks))
    gossip.start()
    // A new neighbour: exchange heads once it has identified (and registered our protocol).
    const libp2p = components.libp2p
    const onIdentify = (evt: CustomEvent<{ peerId: PeerId, protocols: string[] }>): void => {
      if (evt.detail.protocols.includes(LEDGER_PROTOCOL)) void sync.syncWith(evt.detail.peerId).catch(err => sync.failed(evt.detail.peerId, err))
    }
    libp2p.addEventListener('peer:identify', onIdentify)
    this.unsubscribe.push(() => libp2p.removeEventListener('peer:identify', onIdentify))
    this.unsubscribe.push(ledger.on('block', e => {
      if (e.detail.account === ledger.account) gossip.announceOwnHead()
      else settler.onBlock(e.detail)
    }))
    // Counted as dropped only when held against the sender (a missing dependency is fetched and retried).
    this.unsubscribe.push(ledger.on('rejected', e => { if (e.detail.needs == null) components.drops.add('ledger', e.detail.reason) }))

    const interval = this.init.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS
    if (interval > 0) {
      this.timer = setInterval(() => { void sync.syncRound() }, interval)
      this.timer.unref()
    }
    if (ledger.joined) settler.schedule()
    else if (this.init.autoJoin !== false) void this.autoJoin(components).catch(() => {})
  }

  async stop (): Promise<void> {
    this.stopped = true
    clearInterval(this.timer)
    const parts = this.parts
    if (parts === undefined) return
    parts.gossip.stop()
    for (const u of this.unsubscribe.splice(0)) u()
    await parts.rpc.unhandle()
    await parts.settler.stop()
    await parts.wallet.settled()
    await parts.sync.settled()
    await parts.ctx.ledger.close()
  }

  /**
   * Joins in the background on a first start, but only after asking the first peers: a node whose ledger
   * directory was lost (same key, new data) must fetch its own chain back, since a second join block of
   * the same account would be a proven double spend.
   */
  private async autoJoin (components: LedgerComponents): Promise<void> {
    const { sync } = this.running
    // The first heads exchange with a peer, or the end of the first bootstrap round (no peers), or a cap.
    await Promise.race([sync.firstSync, components.bootstrapped, delay(AUTO_JOIN_WAIT_MS, { signal: components.shutdownSignal })]).catch(() => {})
    if (this.stopped) return
    await sync.syncRound().catch(() => [])
    if (this.stopped || this.ledger.joined) return
    await this.join()
  }

  // ------------------------------------------------------------------ wallet (WalletApi)

  /** Joins the ledger (PoW at the network difficulty, +100 tokens); resolves at once when already joined. */
  async join (options: AbortOptions = {}): Promise<JoinBlock> { return await this.running.wallet.join(options) }

  /** Pays `amountUnits` to `to` (a PeerId). Nothing is written on error (unknown peer, low balance, bad amount). */
  async send (to: string, amountUnits: number, memo = '', options: AbortOptions = {}): Promise<SendBlock> {
    return await this.running.wallet.send(to, amountUnits, memo, options)
  }

  balance (): WalletBalance { return this.running.wallet.balance() }

  /** balance, earned, spent, reputation and the top earning adapter (with its paid downloads). */
  stats (): WalletStats { return this.running.wallet.stats() }

  history (options: { account?: string, limit?: number } = {}): HistoryEntry[] { return this.running.wallet.history(options) }

  /** Accounts held here: balance, reputation, chain length, proven fork. */
  accounts (): AccountSummary[] { return this.running.wallet.accounts() }

  /**
   * Fetches `account`'s whole chain (from the account itself when reachable, else from neighbours that
   * hold it), compares it block by block with the copy held here and validates what is new.
   */
  async verify (account: string, options: AbortOptions = {}): Promise<VerifyReport> { return await this.running.wallet.verify(account, options) }

  status (): Record<string, unknown> {
    const parts = this.parts
    if (parts === undefined) return { running: false }
    const l = parts.ctx.ledger
    const wallet = parts.wallet
    return {
      account: l.account,
      joined: l.joined,
      joining: wallet.isJoining,
      ...(wallet.joinError != null ? { joinError: wallet.joinError } : {}),
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

  // ------------------------------------------------------------------ payments (the content layer's hooks)

  /**
   * Pays the host for a download whose bundle verified and hands it the charge (see wallet.ts). Throws
   * UnknownPeerError / InsufficientBalanceError / NotJoinedError and writes nothing then.
   */
  async payForDownload (d: DownloadCharge, options: AbortOptions = {}): Promise<{ receipt: DownloadReceipt, block: ChargeBlock }> {
    return await this.running.wallet.payForDownload(d, options)
  }

  /** Pays for a verified install (the publisher its price, or the first provider per MB); never throws (see wallet.ts). */
  async payForInstall (d: { contentId: string, bytes: number, price?: number, publisher?: string, providers: readonly string[] }, options: AbortOptions = {}): Promise<InstallPayment | undefined> {
    return await this.running.wallet.payForInstall(d, options)
  }

  /** The market's hook (requester): pays a compute provider and signs the receipt (see wallet.ts). */
  async payForCompute (r: { requestId: string, provider: string, cost: number }, options: AbortOptions = {}): Promise<{ receipt: ComputeReceipt, balance: number }> {
    return await this.running.wallet.payForCompute(r, options)
  }

  /** The market's hook (provider): claims the compute reward a requester's receipt earns (see wallet.ts). */
  async claimComputeReward (receipt: ComputeReceipt, from: PeerId, options: AbortOptions = {}): Promise<void> {
    await this.running.wallet.claimComputeReward(receipt, from, options)
  }

  /** The ledger's reputation of an account (0.5 with no history here, or when the ledger is not running). */
  reputation (account: string): number {
    return this.parts === undefined ? 0.5 : this.parts.ctx.ledger.reputation(account)
  }

  /** The host side, when a receipt arrives by another protocol: fetches the downloader's chain from `from`. */
  async onReceipt (receipt: DownloadReceipt, from: PeerId, options: AbortOptions = {}): Promise<void> {
    await this.running.wallet.onReceipt(receipt, from, options)
  }

  /** Hands a relay receipt to a peer; relay rewards are not accepted, so the answer is `claimed: false`. */
  async handRelayReceipt (peer: PeerId, receipt: RelayReceipt, options: AbortOptions = {}): Promise<z.infer<typeof ReceiptResponse>> {
    return await this.running.wallet.handRelayReceipt(peer, receipt, options)
  }

  // ------------------------------------------------------------------ sync (tests and tools)

  /** One pull round with a few random neighbours (or any connected peers when there are none). */
  async syncRound (): Promise<SyncReport[]> { return await (this.parts?.sync.syncRound() ?? []) }

  /** Exchanges heads with `peer` and fetches what it has that we lack (bounded). */
  async syncWith (peer: PeerId, options: AbortOptions = {}): Promise<SyncReport> { return await this.running.sync.syncWith(peer, options) }

  /** Hands blocks to a peer directly (a payment to its payee); returns what it accepted and refused. */
  async pushBlocks (peer: PeerId, blocks: readonly Block[], options: AbortOptions = {}): Promise<z.infer<typeof PushResponse>> {
    return await this.running.push.pushBlocks(peer, blocks, options)
  }

  /** Heads of the chains still in play (forked accounts left out). */
  liveHeads (): ChainHead[] { return liveHeads(this.ledger) }

  /** sha-256 over the live heads (sorted): equal digests mean nothing to exchange. */
  headsDigest (): string { return headsDigest(this.ledger) }
}

function round (x: number): number { return Math.round(x * 1000) / 1000 }
