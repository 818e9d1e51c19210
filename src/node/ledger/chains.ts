// The ledger's memory: every chain held, proven forks, join order, embedded copies, pending payments,
// deliveries, earnings and bad-data weights, with the rules that judge a block against other chains
// (validate.ts judges it against its own) and the limits that bound what peers can make this node hold.
// The Ledger (ledger.ts) owns one, and writes to it only inside its write queue.
import type { Logger } from '../util/logger'
import { isAccountId, receiptHash } from './block'
import { HOSTING_REWARD } from './constants'
import type { Block, ChargeBlock, DoubleSpendProof, DownloadReceipt, SendBlock } from './schema'
import {
  applyBlock, createChainState, makeDoubleSpendProof, validateBlock,
  type ChainState, type RejectReason, type ValidationContext
} from './validate'
import type { ChainNeed, LedgerLimits } from './types'

export interface Chain { state: ChainState, blocks: Block[], payments: number }

export type Checked = { ok: true } | { ok: false, reason: RejectReason, detail?: string, needs?: ChainNeed, proof?: DoubleSpendProof }

export class ChainStore {
  readonly chains = new Map<string, Chain>()
  readonly forks = new Map<string, DoubleSpendProof>()
  /** Known joins sorted by (PoW time, hash): the order early-adopter grants are judged by. */
  readonly joinOrder: Array<{ time: number, hash: string, account: string }> = []
  /** First embedded copy seen of another account's block (`account/seq`), to catch forks hidden in evidence. */
  readonly embedded = new Map<string, Block>()
  /** Payments to the own account not yet received, by hash. */
  readonly incoming = new Map<string, SendBlock | ChargeBlock>()
  /** Distinct download receipts naming each host. */
  readonly deliveries = new Map<string, Set<string>>()
  /** Bad-data weight per peer, in tenths. */
  readonly badTenths = new Map<string, number>()
  readonly rejectCounts = new Map<string, number>()
  /** Own earnings per content id (payments for downloads + hosting rewards). */
  readonly adapterEarnings = new Map<string, number>()
  /** Counterparties of the own chain: their chains decide the own balance, so they get the larger block quota. */
  readonly followed = new Set<string>()
  readonly dropped = { embedded: 0, foreignBlocks: 0, accounts: 0, trackedPeers: 0, deferredReceives: 0 }
  /** Payments already counted as deferred (bounded; only for the counter). */
  readonly deferred = new Set<string>()

  constructor (readonly account: string, readonly minJoinDifficulty: number, readonly limits: LedgerLimits, private readonly logger: Logger | undefined) {}

  context (now: number): ValidationContext {
    return { minJoinDifficulty: this.minJoinDifficulty, now, joinRank: (a) => this.joinRank(a) }
  }

  joinRank (account: string): number | undefined {
    const join = this.chains.get(account)?.blocks[0]
    if (join?.kind !== 'join') return undefined
    return lowerBound(this.joinOrder, join.pow.time, join.hash)
  }

  isKnownAccount (account: string): boolean {
    return isAccountId(account) && (this.chains.get(account)?.blocks.length ?? 0) > 0
  }


  /**
   * validateBlock plus the ledger-level rules, which need other chains: nothing more is accepted from an
   * account with a proven fork, and evidence that points into another chain must be in that chain as held.
   */
  check (block: Block, ctx: ValidationContext): Checked {
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
  checkDependencies (block: Block): Checked {
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
  rememberEmbedded (emb: Block): void {
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
  overQuota (block: Block): string | undefined {
    if (block.account === this.account) return undefined
    const chain = this.chains.get(block.account)
    if (block.seq < (chain?.blocks.length ?? 0)) return undefined
    if (chain == null) return this.chains.size >= this.limits.maxAccounts ? `this node holds ${this.limits.maxAccounts} accounts already` : undefined
    const cap = this.followed.has(block.account) ? this.limits.maxFollowedBlocks : this.limits.maxForeignBlocks
    if (chain.blocks.length < cap) return undefined
    return `this node holds ${cap} blocks of this account already`
  }

  countQuota (block: Block): void {
    if (this.chains.has(block.account)) this.dropped.foreignBlocks++
    else this.dropped.accounts++
  }

  /** Adds bad-data weight; at most `maxTrackedPeers` peers are tracked (the oldest entry goes first). */
  addBad (peer: string, tenths: number): void {
    const had = this.badTenths.get(peer)
    if (had === undefined && this.badTenths.size >= this.limits.maxTrackedPeers) {
      const oldest = this.badTenths.keys().next().value
      if (oldest !== undefined) this.badTenths.delete(oldest)
      this.dropped.trackedPeers++
    }
    this.badTenths.set(peer, (had ?? 0) + tenths)
  }

  /** Records the other account of an own block: its chain decides the own balance, so it is kept whole. */
  follow (block: Block): void {
    const other = counterpartyOf(block)
    if (other !== undefined && other !== this.account) this.followed.add(other)
  }

  /** Folds a validated block into memory; returns double-spend proofs it revealed. */
  accept (block: Block): DoubleSpendProof[] {
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
  checkEmbedded (emb: Block): DoubleSpendProof[] {
    const stored = this.chains.get(emb.account)?.blocks[emb.seq]
    if (stored == null) this.rememberEmbedded(emb)
    if (stored == null || stored.hash === emb.hash || stored.prev !== emb.prev) return []
    const p = makeDoubleSpendProof(stored, emb)
    return this.recordFork(p) ? [p] : []
  }

  recordFork (proof: DoubleSpendProof): boolean {
    const account = proof.a.account
    if (this.forks.has(account)) return false
    this.forks.set(account, proof)
    this.logger?.warn(`double spend proven for ${account} at block ${proof.a.seq}: its payments are refused`)
    return true
  }

  addDelivery (receipt: DownloadReceipt): void {
    // Reputation counts only downloads that paid at least the hosting reward: a payer-chosen micro price
    // would let a host's own throwaway accounts inflate it for nothing.
    if (receipt.price < HOSTING_REWARD) return
    let set = this.deliveries.get(receipt.host)
    if (set == null) { set = new Set(); this.deliveries.set(receipt.host, set) }
    set.add(receiptHash(receipt))
  }

  addEarning (contentId: string, amount: number): void {
    this.adapterEarnings.set(contentId, (this.adapterEarnings.get(contentId) ?? 0) + amount)
  }

  count (reason: string): void {
    this.rejectCounts.set(reason, (this.rejectCounts.get(reason) ?? 0) + 1)
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
