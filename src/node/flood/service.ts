// Binds the flood engine to libp2p: one length-prefixed JSON frame per stream on
// `/continuum/search/1.0.0`, sent only over existing connections (a response never dials anyone).
import { lpStream } from '@libp2p/utils'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import type { Libp2p } from 'libp2p'
import type { AdapterCatalog } from '../catalog/catalog'
import { manifestEmbedding } from '../manifest'
import type { DropCounters } from '../util/counters'
import { errorMessage, type Logger } from '../util/logger'
import { encodeJson } from '../transport/rpc'
import { FLOOD_PROTOCOL, FRAME_TIMEOUT_MS, MAX_FRAME_BYTES, PROFILE_REFRESH_MS } from './constants'
import { FloodEngine, type DropReason, type FloodEngineInit, type FloodHit, type FloodQuery, type NetworkResult } from './engine'
import { indexFilters } from './filters'
import type { FloodFrame } from './messages'

export type FloodCatalog = Pick<AdapterCatalog, 'searchVector' | 'list' | 'put'>

export interface FloodServiceInit extends Partial<Pick<FloodEngineInit, 'strategy' | 'fanout' | 'exploreShare' | 'requestsPerSecond' | 'framesPerSecond' | 'maxConcurrentSearches' | 'tap' | 'verify'>> {
  libp2p: Libp2p
  catalog: FloodCatalog
  /** Peers requests are forwarded to (the node's neighbour set). */
  neighbours: () => string[]
  drops: DropCounters
  log: Logger
  /** Disconnects and bans a peer that broke the protocol. */
  penalise?: (peer: PeerId, reason: string) => void
  /** Cache network results as remote catalog entries. @default true */
  cacheResults?: boolean
  /** Rebuild neighbour profiles from the catalog this often (0: never). @default 30000 */
  profileRefreshMs?: number
}

const decoder = new TextDecoder('utf-8', { fatal: true })
const DROP_PROTOCOL = 'flood'

export class FloodService {
  readonly engine: FloodEngine
  private readonly peerIds = new Map<string, PeerId>()
  private profileTimer?: NodeJS.Timeout
  private readonly vectorCache = new Map<string, Float32Array>()
  private readonly inflight = new Set<Promise<unknown>>()

  constructor (private readonly init: FloodServiceInit) {
    const { drops, log } = init
    this.engine = new FloodEngine({
      self: init.libp2p.peerId.toString(),
      neighbours: init.neighbours,
      answer: (q, limit) => this.answer(q, limit),
      send: (peer, frame) => this.send(peer, frame),
      onDrop: reason => drops.add(DROP_PROTOCOL, reason),
      onMisbehaviour: (peer, reason) => this.misbehaved(peer, reason),
      onResults: init.cacheResults === false ? undefined : results => this.cache(results),
      strategy: init.strategy,
      fanout: init.fanout,
      exploreShare: init.exploreShare,
      requestsPerSecond: init.requestsPerSecond,
      framesPerSecond: init.framesPerSecond,
      maxConcurrentSearches: init.maxConcurrentSearches,
      tap: init.tap,
      verify: init.verify
    })
    void log
  }

  async start (): Promise<void> {
    await this.init.libp2p.handle(FLOOD_PROTOCOL, (stream: Stream, connection: Connection) => this.onStream(stream, connection), {
      maxInboundStreams: 64,
      runOnLimitedConnection: false
    })
    const every = this.init.profileRefreshMs ?? PROFILE_REFRESH_MS
    this.refreshProfiles()
    if (every > 0) {
      this.profileTimer = setInterval(() => this.refreshProfiles(), every)
      this.profileTimer.unref()
    }
  }

  async stop (): Promise<void> {
    clearInterval(this.profileTimer)
    this.engine.stop()
    await this.init.libp2p.unhandle(FLOOD_PROTOCOL).catch(() => {})
    await Promise.allSettled([...this.inflight])
  }

  private async onStream (stream: Stream, connection: Connection): Promise<void> {
    const from = connection.remotePeer.toString()
    let raw: unknown
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_FRAME_BYTES })
      const frame = await lp.read({ signal: AbortSignal.timeout(FRAME_TIMEOUT_MS) })
      void stream.close().catch(() => {})
      raw = JSON.parse(decoder.decode(frame.subarray()))
    } catch (err) {
      const name = (err as { name?: string })?.name ?? ''
      const reason: DropReason = /InvalidDataLength|InvalidMessageLength/.test(name) ? 'invalid' : name === 'TimeoutError' || name === 'AbortError' ? 'malformed' : 'malformed'
      this.init.drops.add(DROP_PROTOCOL, reason)
      this.init.log.debug(`Dropped unreadable search frame from ${from.slice(-8)}: ${errorMessage(err)}`)
      this.misbehaved(from, reason, connection.remotePeer)
      stream.abort(err instanceof Error ? err : new Error(errorMessage(err)))
      return
    }
    const p = this.engine.receive(from, raw)
    this.inflight.add(p)
    await p.finally(() => this.inflight.delete(p))
  }

  private async send (peer: string, frame: FloodFrame): Promise<void> {
    const id = this.peerId(peer)
    // Never dial for a flood frame: neighbours and upstream relays are connected already.
    const conn = this.init.libp2p.getConnections(id).find(c => c.status === 'open')
    if (conn === undefined) throw new Error(`not connected to ${peer}`)
    const signal = AbortSignal.timeout(FRAME_TIMEOUT_MS)
    const stream = await conn.newStream(FLOOD_PROTOCOL, { signal })
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_FRAME_BYTES })
      await lp.write(encodeJson(frame), { signal })
      await stream.close({ signal })
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(errorMessage(err)))
      throw err
    }
  }

  private peerId (id: string): PeerId {
    let p = this.peerIds.get(id)
    if (p === undefined) {
      p = peerIdFromString(id)
      if (this.peerIds.size > 1024) this.peerIds.clear()
      this.peerIds.set(id, p)
    }
    return p
  }

  private misbehaved (peer: string, reason: DropReason, id?: PeerId): void {
    if (this.init.penalise === undefined) return
    try {
      this.init.penalise(id ?? this.peerId(peer), `${reason} search message`)
    } catch { /* not a valid peer id: nothing to disconnect */ }
  }

  /** This node's own adapters (not cached ones: it can only vouch for what it holds). */
  private answer (q: FloodQuery, limit: number): FloodHit[] {
    return this.init.catalog.searchVector(q.vector, q.keywords.length > 0 ? q.keywords.join(' ') : undefined, {
      k: limit,
      minSimilarity: q.filters.minSimilarity,
      filters: { ...indexFilters(q.filters), location: 'local' }
    }).map(h => ({ manifest: h.manifest, similarity: h.similarity }))
  }

  private cache (results: NetworkResult[]): void {
    const p = (async () => {
      for (const r of results) {
        try {
          await this.init.catalog.put(r.manifest, 'remote', r.sourcePeer)
        } catch (err) {
          this.init.log.debug(`caching ${r.key}: ${errorMessage(err)}`)
        }
      }
    })()
    this.inflight.add(p)
    void p.finally(() => this.inflight.delete(p))
  }

  /** Smart forwarding learns what each neighbour holds from the catalog's cached entries (gossip fills them). */
  refreshProfiles (): void {
    try {
      const neighbours = new Set(this.init.neighbours())
      const profiles = new Map<string, { vectors: Float32Array[], tags: string[] }>()
      for (const hit of this.init.catalog.list('remote')) {
        const peers = hit.availableFrom.filter(p => neighbours.has(p))
        if (peers.length === 0) continue
        const cacheKey = `${hit.key}@${hit.manifest.version}`
        let v = this.vectorCache.get(cacheKey)
        if (v === undefined) {
          v = manifestEmbedding(hit.manifest)
          if (this.vectorCache.size > 20_000) this.vectorCache.clear()
          this.vectorCache.set(cacheKey, v)
        }
        for (const p of peers) {
          let e = profiles.get(p)
          if (e === undefined) { e = { vectors: [], tags: [] }; profiles.set(p, e) }
          e.vectors.push(v)
          e.tags.push(...hit.manifest.specializations, ...hit.manifest.capabilities)
        }
      }
      this.engine.profiles.setCatalogProfiles(profiles)
    } catch (err) {
      this.init.log.debug(`neighbour profiles: ${errorMessage(err)}`)
    }
  }
}
