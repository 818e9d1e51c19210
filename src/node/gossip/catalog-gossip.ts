// Catalog gossip: every interval, pull what 3 random neighbours have that we lack, and announce own
// publishes on a gossipsub topic so they spread in seconds.
//
// The design resends each node's top 100 manifests (~150 KB) every round. Here a round is
// incremental: each node keeps a change log of what it holds; a peer asks for the releases that
// entered it since the position it synced to last time (`changes`), and fetches only the ones it
// lacks (`fetch`). When nothing changed, a round costs one small request and answer per neighbour.
// The asker says where its own log stands, so the other side pulls back when it is behind:
// both directions stay in sync. Everything received is verified (schema, embedding model and
// dimension, signature) before it is cached; bad input is dropped, counted and costs the peer.
import type { PeerId } from '@libp2p/interface'
import { TopicValidatorResult, type Message } from '@libp2p/gossipsub'
import type { MeshLibp2p } from '../transport/libp2p'
import { request, serve, type ByteMeter, type BadMessageReason } from '../transport/rpc'
import type { DropCounters } from '../util/counters'
import { PeerRateLimit } from '../util/peer-rate'
import { errorMessage, type Logger } from '../util/logger'
import { decodeManifest, encodeManifest, type AdapterManifest } from '../manifest'
import { ChangeLog } from './changelog'
import { releaseId } from './short-id'
import { VerifyMemo } from './verify-memo'
import { CatalogRequest, ChangesResponse, ManifestsResponse } from './messages'
import type { RemoteOffer, SortBy, SyncStore } from './store'
import { RollingRate } from './rolling-rate'
import {
  ANNOUNCE_PER_SECOND, ANNOUNCE_TOPIC, BAD_MANIFESTS_BEFORE_BAN, BYTE_BUDGET_PER_MINUTE, CATALOG_PROTOCOL, DEFAULT_FANOUT,
  DEFAULT_INTERVAL_MS, DEFAULT_MAX_PULL_PER_ROUND, DEFAULT_TOP_N, MAX_ANNOUNCE_BYTES, MAX_FETCH, MAX_FRAME_BYTES,
  MAX_IDS_PER_PAGE, RATE_PER_SECOND, RPC_TIMEOUT_MS
} from './constants'

export type GossipMode = 'incremental' | 'full'

export interface CatalogGossipInit {
  libp2p: MeshLibp2p
  store: SyncStore
  /** Up to n random neighbours. */
  neighbours: (n: number) => PeerId[]
  isNeighbour: (peer: string) => boolean
  drops: DropCounters
  /** Disconnects and temporarily bans a peer. */
  penalise: (peer: PeerId, reason: string) => void
  log: Logger
  /** Round interval in ms; 0 disables the timer (rounds run only when asked). @default 30000 */
  intervalMs?: number
  /** Neighbours per round. @default 3 */
  fanout?: number
  /** 'incremental' (digest then fetch) or the design's 'full' resend of the top N. @default 'incremental' */
  mode?: GossipMode
  /** Full mode: how many, and by what. @default 100, 'popularity' */
  topN?: number
  sortBy?: SortBy
  /** Manifests pulled from one peer in one round. @default 1000 */
  maxPullPerRound?: number
  /** Publish own new releases on the announce topic. @default true */
  announce?: boolean
  /** Share one verification memo between nodes (simulations). */
  verifyMemo?: VerifyMemo
}

interface Cursor { epoch: string | null, since: number }

export interface GossipStats {
  mode: GossipMode
  intervalMs: number
  rounds: number
  lastGossipAt: number | null
  exchanges: { ok: number, failed: number }
  received: number
  announced: number
  announcementsReceived: number
  bytesInPerSec: number
  bytesOutPerSec: number
  bytesIn: number
  bytesOut: number
  changeLog: { epoch: string, head: number, size: number }
}

export class CatalogGossip {
  private readonly log: ChangeLog = new ChangeLog()
  private readonly cursors = new Map<string, Cursor>()
  private readonly rate = new PeerRateLimit(RATE_PER_SECOND)
  private readonly budget = new Map<string, { minute: number, bytes: number }>()
  private readonly badManifests = new Map<string, number>()
  private readonly memo: VerifyMemo
  private readonly pulling = new Set<string>()
  private readonly announceQueue: AdapterManifest[] = []
  private readonly unsubscribe: Array<() => void> = []
  private timer?: NodeJS.Timeout
  private announceTimer?: NodeJS.Timeout
  private readonly controller = new AbortController()
  private readonly bytesInRate = new RollingRate(60_000)
  private readonly bytesOutRate = new RollingRate(60_000)
  private stats = { rounds: 0, lastGossipAt: null as number | null, ok: 0, failed: 0, received: 0, announced: 0, announcementsReceived: 0, bytesIn: 0, bytesOut: 0 }
  readonly mode: GossipMode
  readonly intervalMs: number
  private readonly meter: ByteMeter = {
    in: n => { this.stats.bytesIn += n; this.bytesInRate.add(n) },
    out: n => { this.stats.bytesOut += n; this.bytesOutRate.add(n) }
  }

  private readonly onAnnouncement = (evt: CustomEvent<Message>): void => {
    if (evt.detail.topic === ANNOUNCE_TOPIC) this.stats.announcementsReceived++
  }

  constructor (private readonly init: CatalogGossipInit) {
    this.mode = init.mode ?? 'incremental'
    this.intervalMs = init.intervalMs ?? DEFAULT_INTERVAL_MS
    this.memo = init.verifyMemo ?? new VerifyMemo()
  }

  async start (): Promise<void> {
    const { store, libp2p } = this.init
    for (const r of store.snapshot()) this.log.record(r.key, releaseId(r.key, r.version), r.local)
    this.unsubscribe.push(store.onChange((key, version, local, manifest) => {
      this.log.record(key, releaseId(key, version), local)
      if (local && manifest.publisher === libp2p.peerId.toString() && this.init.announce !== false) this.queueAnnouncement(manifest)
    }))
    this.unsubscribe.push(store.onRemove(key => this.log.remove(key)))
    await serve(libp2p, CATALOG_PROTOCOL, {
      maxBytes: MAX_FRAME_BYTES,
      timeoutMs: RPC_TIMEOUT_MS,
      requestSchema: CatalogRequest,
      meter: this.meter,
      admit: ({ peer }) => this.rate.admit(peer),
      handle: (req, { peer }) => this.answer(req, peer),
      onBadMessage: (reason: BadMessageReason, { peer }, detail) => this.badMessage(peer, reason, detail)
    })
    const pubsub = libp2p.services.pubsub
    pubsub.topicValidators.set(ANNOUNCE_TOPIC, async (from, msg) => this.validateAnnouncement(from, msg))
    pubsub.addEventListener('message', this.onAnnouncement)
    pubsub.subscribe(ANNOUNCE_TOPIC)
    if (this.intervalMs > 0) {
      this.timer = setInterval(() => { void this.round() }, this.intervalMs)
      this.timer.unref()
    }
  }

  async stop (): Promise<void> {
    this.controller.abort()
    clearInterval(this.timer)
    clearTimeout(this.announceTimer)
    for (const u of this.unsubscribe.splice(0)) u()
    const pubsub = this.init.libp2p.services.pubsub
    pubsub.removeEventListener('message', this.onAnnouncement)
    pubsub.topicValidators.delete(ANNOUNCE_TOPIC)
    try { pubsub.unsubscribe(ANNOUNCE_TOPIC) } catch { /* already stopped */ }
    await this.init.libp2p.unhandle(CATALOG_PROTOCOL).catch(() => {})
  }

  status (): GossipStats {
    return {
      mode: this.mode,
      intervalMs: this.intervalMs,
      rounds: this.stats.rounds,
      lastGossipAt: this.stats.lastGossipAt,
      exchanges: { ok: this.stats.ok, failed: this.stats.failed },
      received: this.stats.received,
      announced: this.stats.announced,
      announcementsReceived: this.stats.announcementsReceived,
      bytesInPerSec: Math.round(this.bytesInRate.perSecond()),
      bytesOutPerSec: Math.round(this.bytesOutRate.perSecond()),
      bytesIn: this.stats.bytesIn,
      bytesOut: this.stats.bytesOut,
      changeLog: { epoch: this.log.epoch, head: this.log.head, size: this.log.size }
    }
  }

  /** One gossip round: exchange with `fanout` random neighbours. */
  async round (): Promise<void> {
    const peers = this.init.neighbours(this.init.fanout ?? DEFAULT_FANOUT)
    this.stats.rounds++
    await Promise.all(peers.map(p => this.exchange(p)))
    this.stats.lastGossipAt = Date.now()
  }

  /** Syncs with one peer now. Never throws. */
  async exchange (peer: PeerId): Promise<void> {
    const id = peer.toString()
    if (this.pulling.has(id) || this.controller.signal.aborted) return
    this.pulling.add(id)
    try {
      if (this.mode === 'full') await this.exchangeFull(peer)
      else await this.pull(peer)
      this.stats.ok++
      this.stats.lastGossipAt = Date.now()
    } catch (err) {
      this.stats.failed++
      if (!this.controller.signal.aborted) this.init.log.debug(`gossip with ${id.slice(-8)} failed: ${errorMessage(err)}`)
    } finally {
      this.pulling.delete(id)
    }
  }

  private async call<T> (peer: PeerId, body: CatalogRequest, schema: import('zod').ZodType<T>): Promise<T> {
    return request(this.init.libp2p, peer, CATALOG_PROTOCOL, body, { responseSchema: schema, maxBytes: MAX_FRAME_BYTES, timeoutMs: RPC_TIMEOUT_MS, signal: this.controller.signal, meter: this.meter })
  }

  /** Incremental pull: releases that entered the peer's log since our cursor, fetching only what we lack. */
  private async pull (peer: PeerId): Promise<void> {
    const id = peer.toString()
    let cursor = this.cursors.get(id) ?? { epoch: null, since: 0 }
    let budget = this.init.maxPullPerRound ?? DEFAULT_MAX_PULL_PER_ROUND
    for (let page = 0; page < 20; page++) {
      const res = await this.call(peer, { type: 'changes', epoch: cursor.epoch, since: cursor.since, limit: MAX_IDS_PER_PAGE, from: { epoch: this.log.epoch, head: this.log.head, root: this.log.root } }, ChangesResponse)
      if (res.same === true) {
        this.cursors.set(id, { epoch: res.epoch, since: res.head })
        return
      }
      if (res.epoch !== cursor.epoch) cursor = { epoch: res.epoch, since: 0 }
      const missing: Array<[string, number, 0 | 1]> = []
      const seen: string[] = []
      let covered = cursor.since
      for (const entry of res.ids) {
        const have = this.log.get(entry[0])
        if (have !== undefined) {
          if (!have.local) seen.push(have.key)
          covered = entry[1]
          continue
        }
        if (missing.length >= budget) break
        missing.push(entry)
      }
      for (let i = 0; i < missing.length; i += MAX_FETCH) {
        const chunk = missing.slice(i, i + MAX_FETCH)
        await this.fetchAndStore(peer, chunk)
        covered = chunk[chunk.length - 1][1]
      }
      budget -= missing.length
      if (seen.length > 0) await this.init.store.refresh(seen, undefined)
      const exhausted = budget <= 0 && res.ids.length > 0 && covered < res.ids[res.ids.length - 1][1]
      cursor = { epoch: res.epoch, since: exhausted ? covered : (res.ids.length > 0 ? res.ids[res.ids.length - 1][1] : Math.max(cursor.since, 0)) }
      this.cursors.set(id, cursor)
      if (!res.more || exhausted) break
    }
  }

  private async fetchAndStore (peer: PeerId, ids: Array<[string, number, 0 | 1]>): Promise<void> {
    const res = await this.call(peer, { type: 'fetch', ids: ids.map(i => i[0]) }, ManifestsResponse)
    const wanted = new Map(ids.map(i => [i[0], i[2]]))
    const offers: RemoteOffer[] = []
    for (const value of res.manifests) {
      const check = await this.memo.check(value)
      if (!check.ok) { this.badManifest(peer, check.problems); continue }
      const m = check.manifest
      const rid = releaseId(`${m.publisher}/${m.id}`, m.version)
      const local = wanted.get(rid)
      if (local === undefined) { this.init.drops.add('catalog', 'unrequested'); continue }
      // The answerer hosts what it holds locally; otherwise the publisher is the one to ask.
      offers.push({ manifest: m, fromPeer: local === 1 ? peer.toString() : m.publisher })
    }
    if (offers.length > 0) this.stats.received += await this.init.store.putRemote(offers)
  }

  /** The design's scheme: send our top N, receive theirs, every round. */
  private async exchangeFull (peer: PeerId): Promise<void> {
    const topN = this.init.topN ?? DEFAULT_TOP_N
    const mine = this.init.store.top(topN, this.init.sortBy ?? 'popularity')
    const res = await this.call(peer, { type: 'top', limit: topN, manifests: mine }, ManifestsResponse)
    await this.storeOffered(peer, res.manifests)
  }

  private async storeOffered (peer: PeerId, values: unknown[]): Promise<void> {
    const offers: RemoteOffer[] = []
    for (const value of values) {
      const check = await this.memo.check(value)
      if (!check.ok) { this.badManifest(peer, check.problems); continue }
      if (this.init.store.hasRelease(`${check.manifest.publisher}/${check.manifest.id}`, check.manifest.version)) continue
      offers.push({ manifest: check.manifest, fromPeer: peer.toString() })
    }
    if (offers.length > 0) this.stats.received += await this.init.store.putRemote(offers)
  }

  private async answer (req: CatalogRequest, peer: PeerId): Promise<unknown> {
    if (req.type === 'changes') {
      this.maybePullBack(peer, req.from)
      if (req.from.root === this.log.root) return this.charge(peer, { epoch: this.log.epoch, head: this.log.head, ids: [], more: false, same: true as const })
      const since = req.epoch === this.log.epoch ? req.since : 0
      const page = this.log.since(since, req.limit)
      return this.charge(peer, { epoch: this.log.epoch, head: this.log.head, ids: page.records.map(r => [r.id, r.seq, r.local ? 1 : 0]), more: page.more })
    }
    if (req.type === 'fetch') {
      const manifests: AdapterManifest[] = []
      for (const rid of req.ids) {
        const rec = this.log.get(rid)
        const m = rec !== undefined ? this.init.store.manifest(rec.key) : undefined
        if (m !== undefined) manifests.push(m)
      }
      return this.charge(peer, { manifests })
    }
    // 'top': store theirs, answer with ours.
    await this.storeOffered(peer, req.manifests)
    return this.charge(peer, { manifests: this.init.store.top(req.limit, this.init.sortBy ?? 'popularity') })
  }

  /** The asker's log moved past what we synced from it: pull back soon (both directions stay in sync). */
  private maybePullBack (peer: PeerId, from: { epoch: string, head: number, root: string }): void {
    const id = peer.toString()
    if (!this.init.isNeighbour(id) || this.pulling.has(id) || from.root === this.log.root) return
    const c = this.cursors.get(id)
    if (c !== undefined && c.epoch === from.epoch && c.since >= from.head) return
    setTimeout(() => { void this.exchange(peer) }, 50).unref()
  }

  /** Per-peer byte budget for what we send: over it, the answer is replaced by an error. */
  private charge<T> (peer: PeerId, body: T): T {
    const bytes = JSON.stringify(body).length
    const minute = Math.floor(Date.now() / 60_000)
    const b = this.budget.get(peer.toString())
    const used = b !== undefined && b.minute === minute ? b.bytes : 0
    if (used + bytes > BYTE_BUDGET_PER_MINUTE) {
      this.init.drops.add('catalog', 'over-budget')
      throw Object.assign(new Error('byte budget exceeded'), { name: 'RateLimitError' })
    }
    this.budget.set(peer.toString(), { minute, bytes: used + bytes })
    return body
  }

  private badMessage (peer: PeerId, reason: BadMessageReason, detail: string): void {
    this.init.drops.add('catalog', reason)
    this.init.log.debug(`dropped ${reason} catalog message from ${peer.toString().slice(-8)}: ${detail}`)
    if (reason === 'malformed' || reason === 'invalid' || reason === 'oversized') this.init.penalise(peer, `${reason} catalog message`)
  }

  /** A manifest that fails verification: counted; a peer that keeps sending them is disconnected. */
  private badManifest (peer: PeerId, problems: string[]): void {
    this.init.drops.add('catalog', reasonOf(problems))
    const n = (this.badManifests.get(peer.toString()) ?? 0) + 1
    this.badManifests.set(peer.toString(), n)
    if (n >= BAD_MANIFESTS_BEFORE_BAN) {
      this.badManifests.delete(peer.toString())
      this.init.penalise(peer, `sent ${n} invalid manifests (${problems[0] ?? 'invalid'})`)
    }
  }

  private queueAnnouncement (m: AdapterManifest): void {
    this.announceQueue.push(m)
    if (this.announceTimer === undefined) this.flushAnnouncements()
  }

  private flushAnnouncements (): void {
    this.announceTimer = undefined
    const batch = this.announceQueue.splice(0, ANNOUNCE_PER_SECOND)
    for (const m of batch) {
      this.init.libp2p.services.pubsub.publish(ANNOUNCE_TOPIC, encodeManifest(m))
        .then(() => { this.stats.announced++ })
        .catch(err => this.init.log.debug(`announce failed: ${errorMessage(err)}`))
    }
    if (this.announceQueue.length > 0 && !this.controller.signal.aborted) {
      this.announceTimer = setTimeout(() => this.flushAnnouncements(), 1_000)
      this.announceTimer.unref()
    }
  }

  /** Gossipsub asks us before delivering or forwarding: only valid, self-published manifests pass. */
  private async validateAnnouncement (from: PeerId, msg: Message): Promise<TopicValidatorResult> {
    if (msg.data.byteLength > MAX_ANNOUNCE_BYTES) { this.init.drops.add('announce', 'oversized'); return TopicValidatorResult.Reject }
    const check = await decodeManifest(msg.data)
    if (!check.ok) { this.init.drops.add('announce', reasonOf(check.problems)); return TopicValidatorResult.Reject }
    const m = check.manifest
    const origin = msg.type === 'signed' ? msg.from.toString() : undefined
    if (origin !== m.publisher) { this.init.drops.add('announce', 'not-publisher'); return TopicValidatorResult.Reject }
    if (m.publisher === this.init.libp2p.peerId.toString()) return TopicValidatorResult.Ignore
    await this.init.store.putRemote([{ manifest: m, fromPeer: m.publisher }])
    void from
    return TopicValidatorResult.Accept
  }
}

/** A short reason code for the drop counters from a manifest's problem list. */
function reasonOf (problems: string[]): string {
  const text = problems.join(' ')
  // A wrong embedding also breaks the signature: name the more specific problem.
  if (/embedding/.test(text)) return 'bad-embedding'
  if (/signature/.test(text)) return 'bad-signature'
  if (/not valid JSON|UTF-8|bytes/.test(text)) return 'malformed'
  return 'invalid-manifest'
}
