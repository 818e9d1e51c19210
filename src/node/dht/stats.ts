// Timed DHT operations and routing-table figures for `continuum dht stats`. Every provide and
// provider lookup the content feature makes goes through here, so the figures are what users got.
//
// Hops: Kademlia queries run in parallel, so a lookup has no single path. We count, for each peer
// queried, its distance in rounds from our own routing table (peers we knew = 1, peers learned from a
// hop-h answer = h + 1); a lookup's hop count is the hop of the answer that carried the first
// provider (find) or the deepest peer queried (provide). 0 = answered from our own provider store.
import type { PeerId, PeerInfo } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import type { KadDHT, QueryEvent } from '@libp2p/kad-dht'

export interface TimingSummary { count: number, failed: number, meanMs: number, p90Ms: number, meanHops: number }

export interface DhtStatsSnapshot {
  routingTable: { size: number, buckets: number, nonEmptyBuckets: number, largestBucket: number }
  recordsProvided: number
  lastReprovideAt: string | null
  provides: TimingSummary
  lookups: TimingSummary
}

const KEEP = 1000

/** A provide reached no peer (empty routing table, or every peer failed). */
export class ProvideError extends Error {
  static override name = 'ProvideError'
  override name = 'ProvideError'
}

class Series {
  private readonly ms: number[] = []
  private readonly hops: number[] = []
  count = 0
  failed = 0
  add (ms: number, hops: number): void {
    this.count++
    this.ms.push(ms)
    this.hops.push(hops)
    if (this.ms.length > KEEP) { this.ms.shift(); this.hops.shift() }
  }

  summary (): TimingSummary {
    const sorted = [...this.ms].sort((a, b) => a - b)
    const mean = sorted.length === 0 ? 0 : sorted.reduce((s, x) => s + x, 0) / sorted.length
    const p90 = sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.9) - 1)]
    const meanHops = this.hops.length === 0 ? 0 : this.hops.reduce((s, x) => s + x, 0) / this.hops.length
    return { count: this.count, failed: this.failed, meanMs: Math.round(mean * 10) / 10, p90Ms: Math.round(p90 * 10) / 10, meanHops: Math.round(meanHops * 100) / 100 }
  }
}

/** Tracks the round ("hop") in which each queried peer was learned. */
class HopTracker {
  private readonly depth = new Map<string, number>()
  maxQueried = 0
  firstProviderHop: number | undefined
  on (e: QueryEvent): void {
    if (e.name === 'SEND_QUERY') {
      const d = this.depth.get(e.to.toString()) ?? 1
      if (d > this.maxQueried) this.maxQueried = d
    } else if (e.name === 'PEER_RESPONSE') {
      const d = this.depth.get(e.from.toString()) ?? 1
      for (const c of e.closer) {
        const id = c.id.toString()
        const prev = this.depth.get(id)
        if (prev === undefined || prev > d + 1) this.depth.set(id, d + 1)
      }
      if (e.providers.length > 0 && this.firstProviderHop === undefined) this.firstProviderHop = d
    } else if (e.name === 'PROVIDER' && this.firstProviderHop === undefined) {
      this.firstProviderHop = this.depth.get(e.from.toString()) ?? 0
    }
  }
}

export interface FindProvidersResult {
  providers: PeerInfo[]
  /** Peers that answered the lookup. */
  queried: number
  hops: number
  elapsedMs: number
}

export class DhtStats {
  private readonly provides = new Series()
  private readonly lookups = new Series()
  private readonly provided = new Set<string>()
  lastReprovideAt: number | null = null

  constructor (private readonly dht: () => KadDHT, private readonly self: () => PeerId) {}

  /**
   * Announces us as a provider of `key`; resolves with hops, time and how many peers stored the
   * record. kad-dht itself does not fail when no peer took it: we do (the caller retries later).
   */
  async provide (key: CID, options: { signal?: AbortSignal } = {}): Promise<{ hops: number, elapsedMs: number, peers: number }> {
    const started = performance.now()
    const hops = new HopTracker()
    let peers = 0
    try {
      for await (const e of this.dht().provide(key, { signal: options.signal })) {
        hops.on(e)
        if (e.name === 'PEER_RESPONSE' && e.messageName === 'ADD_PROVIDER') peers++
      }
    } catch (err) {
      this.provides.failed++
      throw err
    }
    if (peers === 0) {
      this.provides.failed++
      throw new ProvideError(`no DHT peer stored the provider record for ${key.toString()}`)
    }
    const elapsedMs = performance.now() - started
    this.provides.add(elapsedMs, hops.maxQueried)
    this.provided.add(key.toString())
    return { hops: hops.maxQueried, elapsedMs, peers }
  }

  /** Providers of `key` (deduplicated, without us), stopping early at `limit`. */
  async findProviders (key: CID, options: { signal?: AbortSignal, limit?: number, includeSelf?: boolean } = {}): Promise<FindProvidersResult> {
    const started = performance.now()
    const hops = new HopTracker()
    const found = new Map<string, PeerInfo>()
    const answered = new Set<string>()
    const self = this.self().toString()
    const limit = options.limit ?? Infinity
    const inner = new AbortController()
    const signal = options.signal === undefined ? inner.signal : AbortSignal.any([options.signal, inner.signal])
    try {
      for await (const e of this.dht().findProviders(key, { signal })) {
        hops.on(e)
        if (e.name === 'PEER_RESPONSE') answered.add(e.from.toString())
        if (e.name === 'PROVIDER' || (e.name === 'PEER_RESPONSE' && e.providers.length > 0)) {
          for (const p of e.providers) {
            const id = p.id.toString()
            if (id === self && options.includeSelf !== true) continue
            if (!found.has(id) || found.get(id)!.multiaddrs.length < p.multiaddrs.length) found.set(id, p)
          }
          if (found.size >= limit) { inner.abort(); break }
        }
      }
    } catch (err) {
      // Our own early stop, or the caller's timeout: return what was found so far.
      if (!inner.signal.aborted && options.signal?.aborted !== true) {
        this.lookups.failed++
        throw err
      }
    }
    const elapsedMs = performance.now() - started
    const h = hops.firstProviderHop ?? hops.maxQueried
    this.lookups.add(elapsedMs, h)
    return { providers: [...found.values()], queried: answered.size, hops: h, elapsedMs }
  }

  forget (key: CID): void { this.provided.delete(key.toString()) }

  snapshot (): DhtStatsSnapshot {
    return {
      routingTable: routingTableFigures(this.dht()),
      recordsProvided: this.provided.size,
      lastReprovideAt: this.lastReprovideAt === null ? null : new Date(this.lastReprovideAt).toISOString(),
      provides: this.provides.summary(),
      lookups: this.lookups.summary()
    }
  }
}

interface BucketLike { peers?: unknown[], left?: BucketLike, right?: BucketLike }

/** Size and bucket shape of kad-dht's routing table (a k-bucket tree; its leaves are the buckets). */
export function routingTableFigures (dht: KadDHT): DhtStatsSnapshot['routingTable'] {
  const rt = (dht as unknown as { routingTable?: { size?: number, kb?: { root?: BucketLike } } }).routingTable
  let buckets = 0
  let nonEmpty = 0
  let largest = 0
  const walk = (b: BucketLike | undefined): void => {
    if (b === undefined) return
    if (Array.isArray(b.peers)) {
      buckets++
      if (b.peers.length > 0) nonEmpty++
      largest = Math.max(largest, b.peers.length)
      return
    }
    walk(b.left)
    walk(b.right)
  }
  walk(rt?.kb?.root)
  return { size: rt?.size ?? 0, buckets, nonEmptyBuckets: nonEmpty, largestBucket: largest }
}
