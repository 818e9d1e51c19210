// The wallet: joining, payments (sends, the content layer's download and install payments), the figures
// the CLI, the local API, the extension and the web UI show, and `verify` of another account's chain.
// `WalletApi` is what those consumers see (`node.wallet`); the payment hooks stay on the feature.
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import type { z } from 'zod'
import {
  formatTokens, isAccountId, InsufficientBalanceError, NotJoinedError, UnknownPeerError,
  type ChargeBlock, type ComputeReceipt, type DownloadReceipt, type HistoryEntry, type JoinBlock, type LedgerStats, type RelayReceipt, type SendBlock
} from '../ledger'
import { combineSignals, type AbortOptions } from '../util/abort'
import { errorMessage } from '../util/logger'
import { SYNC_FANOUT } from './constants'
import { ReceiptResponse } from './protocol'
import { ChainUnavailableError } from './errors'
import type { EconomyContext } from './context'
import type { LedgerRpc } from './rpc'
import type { PullSync } from './sync'
import type { LedgerPush } from './push'
import type { Settler } from './settle'

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

/** Amounts are integer units (1 token = 1,000,000 units) here; the API and CLI show tokens. */
export interface WalletBalance { account: string, balance: number, joined: boolean, joining: boolean }

/** The ledger's figures of this account, with the top adapter's paid downloads and name, and a proven fork. */
export interface WalletStats extends Omit<LedgerStats, 'topAdapter'> {
  /** The own adapter that earned most, with its paid downloads and its name when this node knows it. */
  topAdapter: { contentId: string, earned: number, downloads: number, name?: string } | null
  forked: boolean
}

export interface AccountSummary { account: string, balance: number, reputation: number, blocks: number, forked: boolean }

/** The wallet as the CLI, the local API, the extension and the web UI use it (`node.wallet`). */
export interface WalletApi {
  /** This node's account (its PeerId text). */
  readonly account: string
  balance(): WalletBalance
  /** balance, earned, spent, reputation and the top earning adapter. */
  stats(): WalletStats
  /** An account's entries (this one's by default), newest first. */
  history(options?: { account?: string, limit?: number }): HistoryEntry[]
  /** Accounts held here. */
  accounts(): AccountSummary[]
  /** Pays `amountUnits` to `to`; throws the wallet's one-line errors and writes nothing then. */
  send(to: string, amountUnits: number, memo?: string, options?: AbortOptions): Promise<SendBlock>
  /** Fetches `account`'s chain and checks it block by block. */
  verify(account: string, options?: AbortOptions): Promise<VerifyReport>
  /** Joins (PoW at the network difficulty); resolves at once when joined. */
  join(options?: AbortOptions): Promise<JoinBlock>
  /** The figures of `mesh status` (features.ledger). */
  status(): Record<string, unknown>
}

export class Wallet {
  private joining: Promise<JoinBlock> | null = null
  private _joinError: string | null = null

  constructor (
    private readonly ctx: EconomyContext,
    private readonly parts: { rpc: LedgerRpc, sync: PullSync, push: LedgerPush, settler: Settler },
    readonly minJoinDifficulty: number
  ) {}

  private get rpc (): LedgerRpc { return this.parts.rpc }
  private get sync (): PullSync { return this.parts.sync }
  private get push (): LedgerPush { return this.parts.push }
  private get settler (): Settler { return this.parts.settler }

  /** Why the last join failed, while it has not succeeded since. */
  get joinError (): string | null { return this._joinError }

  /** A join is running (proof-of-work) and has not finished. */
  get isJoining (): boolean { return this.joining != null && !this.ctx.ledger.joined }

  /** Waits for a join in flight (on stop). */
  async settled (): Promise<void> { await this.joining?.catch(() => {}) }

  /** Joins the ledger (PoW at the network difficulty, +100 tokens); resolves at once when already joined. */
  async join (options: AbortOptions = {}): Promise<JoinBlock> {
    const ledger = this.ctx.ledger
    const existing = ledger.chain()[0]
    if (existing?.kind === 'join') return existing
    if (this.joining == null) {
      const started = Date.now()
      this.joining = ledger.join({ difficulty: this.minJoinDifficulty, signal: combineSignals([this.ctx.components.shutdownSignal]) }).then(block => {
        this.ctx.log.info(`Joined the ledger in ${((Date.now() - started) / 1000).toFixed(1)} s of proof-of-work (${this.minJoinDifficulty} bits): ${formatTokens(block.balance)} tokens`)
        this._joinError = null
        return block
      }, err => {
        this._joinError = errorMessage(err)
        this.joining = null
        if (this.ctx.components.shutdownSignal.aborted !== true) this.ctx.log.warn(`Ledger join failed: ${this._joinError}`)
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

  /** Pays `amountUnits` to `to` (a PeerId). Nothing is written on error (unknown peer, low balance, bad amount). */
  async send (to: string, amountUnits: number, memo = '', options: AbortOptions = {}): Promise<SendBlock> {
    const ledger = this.ctx.ledger
    if (!ledger.joined) throw new NotJoinedError(this.joining != null ? 'this node is still joining the ledger (proof-of-work in progress); try again in a few seconds' : 'this node has not joined the ledger')
    if (!isAccountId(to)) throw new UnknownPeerError(to)
    if (Number.isSafeInteger(amountUnits) && amountUnits > ledger.balance()) throw new InsufficientBalanceError(formatTokens(amountUnits), formatTokens(ledger.balance()))
    if (ledger.head(to) == null && to !== ledger.account) await this.sync.tryFetchAccount(to, options)
    const block = await ledger.send(to, amountUnits, memo, options)
    void this.push.deliver(block, to)
    return block
  }

  /**
   * The content layer's hook: pays the host for a download whose bundle verified, and hands the charge
   * (with the downloader-signed receipt) to the host, which receives the payment and claims its hosting
   * reward. Throws UnknownPeerError / InsufficientBalanceError / NotJoinedError and writes nothing then.
   */
  async payForDownload (d: DownloadCharge, options: AbortOptions = {}): Promise<{ receipt: DownloadReceipt, block: ChargeBlock }> {
    const ledger = this.ctx.ledger
    if (!ledger.joined) throw new NotJoinedError()
    if (!isAccountId(d.host)) throw new UnknownPeerError(d.host)
    if (ledger.head(d.host) == null) await this.sync.tryFetchAccount(d.host, options)
    const price = d.price !== undefined && d.price > 0 ? Math.round(d.price * 1_000_000) : undefined
    const paid = await ledger.payForDownload({ contentId: d.contentId, bytes: d.bytes, host: d.host, ...(price !== undefined ? { price } : {}) }, options)
    void this.push.deliver(paid.block, d.host)
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
    const host = priced ? (d.publisher !== this.ctx.ledger.account ? d.publisher : undefined) : d.providers.find(p => p !== this.ctx.ledger.account)
    if (host === undefined) return undefined
    try {
      const { block } = await this.payForDownload({ contentId: d.contentId, bytes: d.bytes, host, price: d.price }, options)
      this.ctx.log.info(`Paid ${formatTokens(block.amount)} tokens to ${host.slice(-8)} for ${d.contentId}`)
      return { host, amount: Number(formatTokens(block.amount)), priced: block.receipt.priced, balance: Number(formatTokens(block.balance)) }
    } catch (err) {
      this.ctx.log.warn(`Could not pay ${host.slice(-8)} for ${d.contentId}: ${errorMessage(err)}`)
      return { host, error: errorMessage(err) }
    }
  }

  /**
   * The market's hook, requester side: pays a compute provider `cost` units for a request it served
   * (a send, handed straight to the provider) and signs the compute receipt naming that send. Throws the
   * wallet's one-line errors and writes nothing then.
   */
  async payForCompute (r: { requestId: string, provider: string, cost: number }, options: AbortOptions = {}): Promise<{ receipt: ComputeReceipt, balance: number }> {
    const ledger = this.ctx.ledger
    if (!ledger.joined) throw new NotJoinedError()
    if (!isAccountId(r.provider)) throw new UnknownPeerError(r.provider)
    if (r.cost > ledger.balance()) throw new InsufficientBalanceError(formatTokens(r.cost), formatTokens(ledger.balance()))
    if (ledger.head(r.provider) == null) await this.sync.tryFetchAccount(r.provider, options)
    const { receipt, block } = await ledger.payForCompute(r, options)
    void this.push.deliver(block, r.provider)
    return { receipt, balance: block.balance }
  }

  /**
   * The market's hook, provider side: a compute receipt from `from` (its requester). Fetches the
   * requester's chain (the send it names) and claims the compute reward, which the ledger grants only
   * when that send, of at least the cost, to this account, is in the requester's chain held here.
   * The payment itself is received by the settler like any send.
   */
  async claimComputeReward (receipt: ComputeReceipt, from: PeerId, options: AbortOptions = {}): Promise<void> {
    const ledger = this.ctx.ledger
    if (receipt.provider !== ledger.account || receipt.requester !== from.toString()) throw new UnknownPeerError(receipt.requester)
    await this.sync.fetchChain(from, receipt.requester, { signal: options.signal })
    await ledger.claimComputeReward(receipt, options)
    this.settler.schedule()
  }

  /**
   * The host side, when a receipt arrives by another protocol: fetches the downloader's chain from
   * `from` (the charge that paid the receipt is in it); receiving and the hosting reward then follow.
   */
  async onReceipt (receipt: DownloadReceipt, from: PeerId, options: AbortOptions = {}): Promise<void> {
    if (receipt.host !== this.ctx.ledger.account) return
    await this.sync.fetchChain(from, receipt.downloader, { signal: options.signal })
    if (this.settler.autoAccept) await this.settler.settleNow()
  }

  /**
   * Hands a relay receipt to a peer (the wire message stays for older peers). Relay rewards are not
   * accepted any more (see src/node/ledger/validate.ts), so the answer is always `claimed: false`.
   */
  async handRelayReceipt (peer: PeerId, receipt: RelayReceipt, options: AbortOptions = {}): Promise<z.infer<typeof ReceiptResponse>> {
    return await this.rpc.ask(peer, { type: 'receipt', receipt }, ReceiptResponse, options)
  }

  balance (): WalletBalance {
    const l = this.ctx.ledger
    return { account: l.account, balance: l.balance(), joined: l.joined, joining: this.isJoining }
  }

  /** balance, earned, spent, reputation and the top earning adapter (with its paid downloads). */
  stats (): WalletStats {
    const l = this.ctx.ledger
    const s = l.stats()
    let top = null
    if (s.topAdapter != null) {
      const downloads = l.chain().filter(b => b.kind === 'receive' && b.source.kind === 'charge' && b.source.receipt.contentId === s.topAdapter!.contentId).length
      const name = this.adapterName(s.topAdapter.contentId)
      top = { ...s.topAdapter, downloads, ...(name !== undefined ? { name } : {}) }
    }
    return { ...s, topAdapter: top, forked: l.isForked(l.account) }
  }

  history (options: { account?: string, limit?: number } = {}): HistoryEntry[] {
    return this.ctx.ledger.history(options)
  }

  /** Accounts held here: balance, reputation, chain length, proven fork. */
  accounts (): AccountSummary[] {
    const l = this.ctx.ledger
    return l.accounts().map(a => ({ account: a, balance: l.balance(a), reputation: l.reputation(a), blocks: l.chain(a).length, forked: l.isForked(a) }))
  }

  /**
   * Fetches `account`'s whole chain (from the account itself when reachable, else from neighbours that
   * hold it), compares it block by block with the copy held here and validates what is new.
   */
  async verify (account: string, options: AbortOptions = {}): Promise<VerifyReport> {
    if (!isAccountId(account)) throw new UnknownPeerError(account)
    const l = this.ctx.ledger
    const candidates = [peerIdFromString(account), ...this.sync.peers(SYNC_FANOUT * 2).filter(p => p.toString() !== account)]
    let lastError: unknown = new UnknownPeerError(account)
    for (const peer of candidates) {
      try {
        const res = await this.sync.scanChain(peer, account, { signal: options.signal, fromStart: true })
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

  /** The name the node knows for a content id, if any (a lookup that fails names nothing). */
  private adapterName (contentId: string): string | undefined {
    try {
      return this.ctx.components.adapterName?.(contentId)
    } catch {
      return undefined
    }
  }

  private earnedOf (account: string): number {
    return this.ctx.ledger.chain(account).reduce((s, b) => s + (b.kind === 'send' || b.kind === 'charge' ? 0 : b.amount), 0)
  }

  private spentOf (account: string): number {
    return this.ctx.ledger.chain(account).reduce((s, b) => s + (b.kind === 'send' || b.kind === 'charge' ? b.amount : 0), 0)
  }
}
