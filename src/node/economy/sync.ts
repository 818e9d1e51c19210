// Pull sync, the backstop: every `syncIntervalMs`, and when a peer connects, ask a few neighbours for their
// heads with our heads digest; equal digests end the exchange. Otherwise `diffHeads` picks the ranges to
// fetch (bounded per round). Each range starts one block early: if that block is not ours, the two copies
// diverged and the remote copy is scanned from its start for the first differing block, which, ingested
// without blaming the sender, yields the double-spend proof. Every block is judged by the ledger
// (`ingest(..., { from })`); rejections that only lack another chain (`needs`) fetch it from the same peer
// and are retried once.
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import { diffHeads, parseBlock, sha256Hex, type ChainHead, type IngestResult, type Ledger } from '../ledger'
import { combineSignals, type AbortOptions } from '../util/abort'
import { errorMessage } from '../util/logger'
import {
  MAX_BLOCKS_PER_MESSAGE, MAX_BLOCKS_PER_ROUND, MAX_CONFLICTS_PER_ROUND, MAX_DIVERGENCE_SCAN, MAX_RANGES_PER_REQUEST, SYNC_FANOUT
} from './constants'
import { BlocksResponse, HeadsResponse, ProofResponse, RangesResponse } from './protocol'
import { decodeText, running, type EconomyContext } from './context'
import type { LedgerRpc } from './rpc'

export interface SyncReport { peer: string, same: boolean, fetched: number, accepted: number, rejected: number, proofs: number }

export interface ChainFetch { fetched: number, accepted: number, rejected: Array<{ reason: string, account?: string, seq?: number, detail?: string, needs?: unknown }>, proofs: number }

/**
 * Heads of the chains still in play: a forked account's copies may differ from node to node forever
 * (each stops at the branch it saw first), so they are left out of the exchange and listed as forked.
 */
export function liveHeads (ledger: Ledger): ChainHead[] {
  return ledger.heads().filter(h => !ledger.isForked(h.account))
}

/** sha-256 over the live heads (sorted): equal digests mean nothing to exchange. */
export function headsDigest (ledger: Ledger): string {
  return sha256Hex(liveHeads(ledger).map(h => `${h.account} ${h.seq} ${h.hash}`).sort().join('\n'))
}

export class PullSync {
  private readonly inFlight = new Map<string, Promise<SyncReport>>()
  private readonly queued = new Map<string, Promise<SyncReport>>()
  private firstSyncDone: () => void = () => {}
  /** Resolves when a heads exchange with some peer has completed. */
  readonly firstSync = new Promise<void>(resolve => { this.firstSyncDone = resolve })

  /** `onProof` takes a double-spend proof a peer named in its heads answer. */
  constructor (private readonly ctx: EconomyContext, private readonly rpc: LedgerRpc, private readonly onProof: (proof: unknown, from: PeerId) => Promise<void>) {}

  private get ledger (): Ledger { return this.ctx.ledger }

  /** Waits for the exchanges in flight (on stop). */
  async settled (): Promise<void> {
    await Promise.allSettled([...this.inFlight.values()])
  }

  /** Up to `n` random neighbours, or any connected peers when there are none. */
  peers (n: number): PeerId[] {
    const neighbours = this.ctx.components.neighbours.random(n)
    if (neighbours.length > 0) return neighbours
    return this.ctx.components.libp2p.getPeers().slice(0, n)
  }

  /** One pull round with a few random neighbours (or any connected peers when there are none). */
  async syncRound (): Promise<SyncReport[]> {
    if (!running(this.ctx)) return []
    this.ctx.counters.rounds++
    this.ctx.counters.lastRoundAt = Date.now()
    const out = await Promise.allSettled(this.peers(SYNC_FANOUT).map(async p => await this.syncWith(p).catch(err => { this.failed(p, err); throw err })))
    return out.flatMap(r => r.status === 'fulfilled' ? [r.value] : [])
  }

  failed (peer: PeerId, err: unknown): void {
    this.ctx.counters.syncErrors++
    if (!this.ctx.components.shutdownSignal.aborted) this.ctx.log.debug(`ledger sync with ${peer.toString().slice(-8)}: ${errorMessage(err)}`)
  }

  /** Exchanges heads with `peer` and fetches what it has that we lack (bounded). One at a time per peer. */
  async syncWith (peer: PeerId, options: AbortOptions = {}): Promise<SyncReport> {
    const key = peer.toString()
    if (this.ctx.stopped) return { peer: key, same: false, fetched: 0, accepted: 0, rejected: 0, proofs: 0 }
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
    const res = await this.rpc.ask(peer, { type: 'heads', digest: headsDigest(ledger) }, HeadsResponse, options)
    for (const account of res.forked ?? []) {
      if (ledger.isForked(account)) continue
      const pr = await this.rpc.ask(peer, { type: 'proof', account }, ProofResponse, options)
      if (pr.proof != null) await this.onProof(pr.proof, peer)
    }
    if (res.heads === undefined) { report.same = true; return report }
    const diff = diffHeads(liveHeads(ledger), res.heads)
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
    if ((pending.length > 0 || conflicts.length > MAX_CONFLICTS_PER_ROUND) && report.fetched > 0 && running(this.ctx)) {
      setTimeout(() => { void this.syncWith(peer).catch(err => this.failed(peer, err)) }, 50).unref()
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
    const res = await this.rpc.ask(peer, {
      type: 'ranges',
      ranges: accounts.map(account => ({ account, afterSeq: (heads.get(account)?.seq ?? 0) - 1 })),
      limit
    }, RangesResponse, options)
    this.ctx.counters.blocksFetched += res.blocks.length
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
  async fetchChain (peer: PeerId, account: string, options: AbortOptions & { budget?: number, depth?: number } = {}): Promise<ChainFetch> {
    const ledger = this.ledger
    const total: ChainFetch = { fetched: 0, accepted: 0, rejected: [], proofs: 0 }
    let budget = options.budget ?? MAX_BLOCKS_PER_ROUND
    while (budget > 0 && !ledger.isForked(account)) {
      const head = ledger.head(account)
      const afterSeq = head == null ? -1 : head.seq - 1
      const raw = await this.fetchRange(peer, account, afterSeq, Math.min(MAX_BLOCKS_PER_MESSAGE, budget + 1), options)
      total.fetched += raw.length
      this.ctx.counters.blocksFetched += raw.length
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
  async scanChain (peer: PeerId, account: string, options: AbortOptions & { fromStart: true }): Promise<ChainFetch> {
    const ledger = this.ledger
    const total: ChainFetch = { fetched: 0, accepted: 0, rejected: [], proofs: 0 }
    let after = -1
    while (total.fetched < MAX_DIVERGENCE_SCAN) {
      const raw = await this.fetchRange(peer, account, after, MAX_BLOCKS_PER_MESSAGE, options)
      total.fetched += raw.length
      this.ctx.counters.blocksFetched += raw.length
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
  async ingestFrom (peer: PeerId, items: unknown[], options: AbortOptions & { depth?: number } = {}): Promise<ChainFetch> {
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
      for (const x of unfounded) this.ctx.components.drops.add('ledger', x.reason)
      await ledger.reportBadData(from).catch(() => {})
    }
    return { fetched: 0, accepted: out.accepted + again.accepted.length, rejected: [...out.rejected.filter(x => x.needs == null && x.reason !== 'out-of-order'), ...again.rejected.map(toRejection)], proofs: out.proofs + again.proofs.length }
  }

  private async fetchRange (peer: PeerId, account: string, afterSeq: number, limit: number, options: AbortOptions): Promise<unknown[]> {
    const res = await this.rpc.ask(peer, { type: 'blocks', account, afterSeq, limit: Math.max(1, Math.min(limit, MAX_BLOCKS_PER_MESSAGE)) }, BlocksResponse, options)
    return res.blocks.map(decodeText)
  }

  async tryFetchAccount (account: string, options: AbortOptions): Promise<void> {
    try {
      await this.fetchChain(peerIdFromString(account), account, { signal: combineSignals([options.signal], 5_000) })
    } catch (err) {
      this.ctx.log.debug(`could not fetch ${account.slice(-8)}'s chain from it: ${errorMessage(err)}`)
    }
  }
}

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
