// Posts and tombstones on the network, by the catalog's mechanisms (src/node/gossip): own new items are
// published on a gossipsub topic at once (every node validates before forwarding), and a pull round with a
// few neighbours catches up what the topic missed, incrementally: the same ChangeLog (seq numbers, epoch,
// XOR root), so a round where nothing changed costs one small request and answer per neighbour. Bad input
// is dropped and counted (`social:*` drop counters); a peer that keeps sending it is disconnected.
import type { PeerId } from '@libp2p/interface'
import { TopicValidatorResult, type Message } from '@libp2p/gossipsub'
import type { MeshLibp2p } from '../transport/libp2p'
import { request, serve, type BadMessageReason, type ByteMeter } from '../transport/rpc'
import { ChangeLog } from '../gossip/changelog'
import { RollingRate } from '../gossip/rolling-rate'
import type { DropCounters } from '../util/counters'
import { PeerRateLimit } from '../util/peer-rate'
import { errorMessage, type Logger } from '../util/logger'
import { encodeJson } from '../transport/rpc'
import {
  BAD_ITEMS_BEFORE_BAN, DEFAULT_FANOUT, MAX_FETCH, MAX_FRAME_BYTES, MAX_IDS_PER_PAGE, RATE_PER_SECOND, RPC_TIMEOUT_MS, SOCIAL_PROTOCOL, SOCIAL_TOPIC
} from './constants'
import { ChangesResponse, ItemsResponse, SocialRequest, type SocialItem } from './schema'
import { decodeItem, shortId, type ItemCheck } from './item'

/** What gossip needs from the social layer: its items, and a way to offer new ones. */
export interface SocialGossipStore {
  items(): Iterable<SocialItem>
  item(id: string): SocialItem | undefined
  has(id: string): boolean
  /** Judges and stores an item checked for shape and signature: 'stored', 'duplicate' or a refusal reason. */
  offer(check: ItemCheck & { ok: true }, from: PeerId): Promise<'stored' | 'duplicate' | string>
}

export interface SocialGossipInit {
  libp2p: MeshLibp2p
  store: SocialGossipStore
  neighbours: (n: number) => PeerId[]
  drops: DropCounters
  penalise: (peer: PeerId, reason: string) => void
  log: Logger
  /** Pull round interval; 0: rounds only when asked. */
  intervalMs: number
  fanout?: number
}

interface Cursor { epoch: string | null, since: number }

export class SocialGossip {
  private readonly changes = new ChangeLog()
  /** short id → item id */
  private readonly byShort = new Map<string, string>()
  private readonly cursors = new Map<string, Cursor>()
  private readonly rate = new PeerRateLimit(RATE_PER_SECOND)
  private readonly bad = new Map<string, number>()
  private readonly pulling = new Set<string>()
  private readonly controller = new AbortController()
  private timer?: NodeJS.Timeout
  private readonly bytesOutRate = new RollingRate(60_000)
  readonly stats = { rounds: 0, received: 0, published: 0, topicReceived: 0, bytesIn: 0, bytesOut: 0, topicBytesOut: 0 }
  private readonly meter: ByteMeter = {
    in: n => { this.stats.bytesIn += n },
    out: n => { this.stats.bytesOut += n; this.bytesOutRate.add(n) }
  }

  constructor (private readonly init: SocialGossipInit) {}

  async start (): Promise<void> {
    for (const item of this.init.store.items()) this.record(item)
    const { libp2p } = this.init
    await serve(libp2p, SOCIAL_PROTOCOL, {
      maxBytes: MAX_FRAME_BYTES,
      timeoutMs: RPC_TIMEOUT_MS,
      requestSchema: SocialRequest,
      meter: this.meter,
      admit: ({ peer }) => this.rate.admit(peer),
      handle: (req, { peer }) => this.answer(req, peer),
      onBadMessage: (reason: BadMessageReason, { peer }, detail) => this.badMessage(peer, reason, detail)
    })
    const pubsub = libp2p.services.pubsub
    pubsub.topicValidators.set(SOCIAL_TOPIC, async (from, msg) => await this.validate(from, msg))
    pubsub.subscribe(SOCIAL_TOPIC)
    if (this.init.intervalMs > 0) {
      this.timer = setInterval(() => { void this.round() }, this.init.intervalMs)
      this.timer.unref()
    }
  }

  async stop (): Promise<void> {
    this.controller.abort()
    clearInterval(this.timer)
    const pubsub = this.init.libp2p.services.pubsub
    pubsub.topicValidators.delete(SOCIAL_TOPIC)
    try { pubsub.unsubscribe(SOCIAL_TOPIC) } catch { /* already stopped */ }
    await this.init.libp2p.unhandle(SOCIAL_PROTOCOL).catch(() => {})
  }

  /** An item entered the store (own or received): listed for pulls. */
  record (item: SocialItem): void {
    const s = shortId(item.id)
    this.byShort.set(s, item.id)
    this.changes.record(item.id, s, false)
  }

  /** An item left the store (expired, deleted). */
  forget (id: string): void {
    this.changes.remove(id)
    this.byShort.delete(shortId(id))
  }

  /** Publishes an own item on the topic (the pull rounds deliver it too, should the topic miss it). */
  async publish (item: SocialItem): Promise<void> {
    const bytes = encodeJson(item)
    try {
      await this.init.libp2p.services.pubsub.publish(SOCIAL_TOPIC, bytes)
      this.stats.published++
      this.stats.topicBytesOut += bytes.byteLength
    } catch (err) {
      // No subscribed peer yet (a lone node): the next pull round carries it.
      this.init.log.debug(`social publish: ${errorMessage(err)}`)
    }
  }

  async round (): Promise<void> {
    this.stats.rounds++
    await Promise.all(this.init.neighbours(this.init.fanout ?? DEFAULT_FANOUT).map(async p => await this.exchange(p)))
  }

  /** Pulls what `peer` has that we lack. Never throws. */
  async exchange (peer: PeerId): Promise<void> {
    const id = peer.toString()
    if (this.pulling.has(id) || this.controller.signal.aborted) return
    this.pulling.add(id)
    try {
      await this.pull(peer)
    } catch (err) {
      if (!this.controller.signal.aborted) this.init.log.debug(`social gossip with ${id.slice(-8)} failed: ${errorMessage(err)}`)
    } finally {
      this.pulling.delete(id)
    }
  }

  private async call<T> (peer: PeerId, body: SocialRequest, schema: import('zod').ZodType<T>): Promise<T> {
    return await request(this.init.libp2p, peer, SOCIAL_PROTOCOL, body, { responseSchema: schema, maxBytes: MAX_FRAME_BYTES, timeoutMs: RPC_TIMEOUT_MS, signal: this.controller.signal, meter: this.meter })
  }

  private async pull (peer: PeerId): Promise<void> {
    const id = peer.toString()
    let cursor = this.cursors.get(id) ?? { epoch: null, since: 0 }
    for (let page = 0; page < 20; page++) {
      const res = await this.call(peer, { type: 'changes', epoch: cursor.epoch, since: cursor.since, limit: MAX_IDS_PER_PAGE, from: { epoch: this.changes.epoch, head: this.changes.head, root: this.changes.root } }, ChangesResponse)
      if (res.same === true) { this.cursors.set(id, { epoch: res.epoch, since: res.head }); return }
      if (res.epoch !== cursor.epoch) cursor = { epoch: res.epoch, since: 0 }
      const missing = res.ids.filter(([s]) => !this.byShort.has(s)).map(([s]) => s)
      for (let i = 0; i < missing.length; i += MAX_FETCH) {
        const got = await this.call(peer, { type: 'fetch', ids: missing.slice(i, i + MAX_FETCH) }, ItemsResponse)
        const wanted = new Set(missing.slice(i, i + MAX_FETCH))
        for (const value of got.items) await this.receive(value, peer, wanted)
      }
      cursor = { epoch: res.epoch, since: res.ids.length > 0 ? res.ids[res.ids.length - 1][1] : cursor.since }
      this.cursors.set(id, cursor)
      if (!res.more) break
    }
  }

  private async receive (value: unknown, peer: PeerId, wanted: Set<string>): Promise<void> {
    let check: ItemCheck
    try { check = decodeItem(encodeJson(value)) } catch { check = { ok: false, reason: 'malformed', detail: 'not JSON' } }
    if (!check.ok) { this.badItem(peer, check.reason, check.detail); return }
    if (!wanted.has(shortId(check.item.id))) { this.init.drops.add('social', 'unrequested'); return }
    const verdict = await this.init.store.offer(check, peer)
    if (verdict === 'stored') this.stats.received++
    else if (verdict !== 'duplicate') this.init.drops.add('social', verdict)
  }

  private answer (req: SocialRequest, peer: PeerId): unknown {
    if (req.type === 'changes') {
      this.maybePullBack(peer, req.from)
      if (req.from.root === this.changes.root) return { epoch: this.changes.epoch, head: this.changes.head, ids: [], more: false, same: true }
      const since = req.epoch === this.changes.epoch ? req.since : 0
      const { records, more } = this.changes.since(since, req.limit)
      return { epoch: this.changes.epoch, head: this.changes.head, ids: records.map(r => [r.id, r.seq]), more }
    }
    const items: SocialItem[] = []
    for (const s of req.ids) {
      const full = this.byShort.get(s)
      const item = full !== undefined ? this.init.store.item(full) : undefined
      if (item !== undefined) items.push(item)
    }
    return { items }
  }

  /**
   * The asker holds a different set and has moved on since we last read its log: pull back from it, so
   * both directions converge (as catalog gossip does). Not again once our cursor is at its head, or two
   * nodes that judge an item differently (one refuses it) would ping-pong for ever.
   */
  private maybePullBack (peer: PeerId, from: { epoch: string, head: number, root: string }): void {
    const id = peer.toString()
    if (this.pulling.has(id) || from.root === this.changes.root) return
    const c = this.cursors.get(id)
    if (c !== undefined && c.epoch === from.epoch && c.since >= from.head) return
    setTimeout(() => { void this.exchange(peer) }, 50).unref()
  }

  /** Gossipsub asks before delivering or forwarding: only valid, new, allowed items pass. */
  private async validate (from: PeerId, msg: Message): Promise<TopicValidatorResult> {
    const check = decodeItem(msg.data)
    if (!check.ok) { this.init.drops.add('social', check.reason); return TopicValidatorResult.Reject }
    // The message's origin must be the author (no relaying others' items as one's own announcement).
    const origin = msg.type === 'signed' ? msg.from.toString() : undefined
    if (origin !== check.item.author) { this.init.drops.add('social', 'not-author'); return TopicValidatorResult.Reject }
    if (this.init.store.has(check.item.id)) return TopicValidatorResult.Ignore
    const verdict = await this.init.store.offer(check, from)
    if (verdict === 'stored') { this.stats.topicReceived++; return TopicValidatorResult.Accept }
    if (verdict === 'duplicate') return TopicValidatorResult.Ignore
    // Refused by policy (over the author's rate, expired, deleted): counted, not forwarded, not held
    // against the forwarder (its own cache may judge differently).
    this.init.drops.add('social', verdict)
    return TopicValidatorResult.Ignore
  }

  private badMessage (peer: PeerId, reason: BadMessageReason, detail: string): void {
    this.init.drops.add('social', reason)
    this.init.log.debug(`dropped ${reason} social message from ${peer.toString().slice(-8)}: ${detail}`)
    if (reason === 'malformed' || reason === 'invalid' || reason === 'oversized') this.init.penalise(peer, `${reason} social message`)
  }

  private badItem (peer: PeerId, reason: string, detail: string): void {
    this.init.drops.add('social', reason)
    const n = (this.bad.get(peer.toString()) ?? 0) + 1
    this.bad.set(peer.toString(), n)
    if (n >= BAD_ITEMS_BEFORE_BAN) {
      this.bad.delete(peer.toString())
      this.init.penalise(peer, `sent ${n} invalid social items (${detail})`)
    }
  }

  get bytesOutPerSec (): number { return Math.round(this.bytesOutRate.perSecond()) }
  get changeLog (): { epoch: string, head: number, size: number } { return { epoch: this.changes.epoch, head: this.changes.head, size: this.changes.size } }
}
