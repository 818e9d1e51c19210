// Binds the flood engine to libp2p: length-prefixed JSON frames on `/continuum/search/1.0.0`. Each
// node keeps one outbound stream per peer it talks to and writes every frame on it (opening a stream
// per frame cost more than the frame); frames go only over existing connections (never a dial).
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
/** An inbound stream with no frame for this long is closed (the sender reopens one when needed). */
const STREAM_IDLE_MS = 5 * 60_000

interface Channel { stream: Stream, write: (bytes: Uint8Array) => Promise<void> }
const DROP_PROTOCOL = 'flood'

export class FloodService {
  readonly engine: FloodEngine
  private readonly peerIds = new Map<string, PeerId>()
  private profileTimer?: NodeJS.Timeout
  private readonly vectorCache = new Map<string, Float32Array>()
  private readonly inflight = new Set<Promise<unknown>>()
  private readonly outbound = new Map<string, Promise<Channel>>()

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
    for (const ch of this.outbound.values()) void ch.then(c => c.stream.close().catch(() => {}), () => {})
    this.outbound.clear()
    await this.init.libp2p.unhandle(FLOOD_PROTOCOL).catch(() => {})
    await Promise.allSettled([...this.inflight])
  }

  /** Reads frames until the peer closes the stream (senders keep one stream open per neighbour). */
  private async onStream (stream: Stream, connection: Connection): Promise<void> {
    const from = connection.remotePeer.toString()
    const lp = lpStream(stream, { maxDataLength: MAX_FRAME_BYTES })
    while (true) {
      let bytes: Uint8Array
      try {
        bytes = (await lp.read({ signal: AbortSignal.timeout(STREAM_IDLE_MS) })).subarray()
      } catch (err) {
        const name = (err as { name?: string })?.name ?? ''
        if (/InvalidDataLength|InvalidMessageLength/.test(name)) {
          this.bad(from, 'invalid', connection.remotePeer, err)
          stream.abort(err as Error)
        } else {
          // End of stream, idle timeout or reset: nothing wrong, just done.
          void stream.close().catch(() => {})
        }
        return
      }
      let raw: unknown
      try {
        raw = JSON.parse(decoder.decode(bytes))
      } catch (err) {
        this.bad(from, 'malformed', connection.remotePeer, err)
        stream.abort(new Error('malformed search frame'))
        return
      }
      // Handle without holding up the next frame.
      const p = this.engine.receive(from, raw)
      this.inflight.add(p)
      void p.finally(() => this.inflight.delete(p))
    }
  }

  private bad (from: string, reason: DropReason, id: PeerId, err: unknown): void {
    this.init.drops.add(DROP_PROTOCOL, reason)
    this.init.log.debug(`Dropped ${reason} search frame from ${from.slice(-8)}: ${errorMessage(err)}`)
    this.misbehaved(from, reason, id)
  }

  private async send (peer: string, frame: FloodFrame): Promise<void> {
    const bytes = encodeJson(frame)
    // One retry on a fresh stream: a kept stream may have been closed by the other side meanwhile.
    for (let attempt = 0; ; attempt++) {
      const ch = await this.channel(peer)
      try {
        await ch.write(bytes)
        return
      } catch (err) {
        this.dropChannel(peer, ch)
        ch.stream.abort(err instanceof Error ? err : new Error(errorMessage(err)))
        if (attempt >= 1) throw err
      }
    }
  }

  /** The open outbound stream to `peer`, opened on first use. Never dials: neighbours and upstream relays are connected already. */
  private async channel (peer: string): Promise<Channel> {
    let ch = this.outbound.get(peer)
    if (ch !== undefined) {
      const c = await ch
      if (c.stream.status === 'open') return c
      this.dropChannel(peer, c)
    }
    ch = (async (): Promise<Channel> => {
      const conn = this.init.libp2p.getConnections(this.peerId(peer)).find(c => c.status === 'open')
      if (conn === undefined) throw new Error(`not connected to ${peer}`)
      const stream = await conn.newStream(FLOOD_PROTOCOL, { signal: AbortSignal.timeout(FRAME_TIMEOUT_MS) })
      const lp = lpStream(stream, { maxDataLength: MAX_FRAME_BYTES })
      let queue: Promise<void> = Promise.resolve()
      const c: Channel = {
        stream,
        // Frames are written one after another, never interleaved.
        write: bytes => {
          const next = queue.then(() => lp.write(bytes, { signal: AbortSignal.timeout(FRAME_TIMEOUT_MS) }))
          queue = next.catch(() => {})
          return next
        }
      }
      stream.addEventListener('close', () => this.dropChannel(peer, c))
      return c
    })()
    this.outbound.set(peer, ch)
    ch.catch(() => { if (this.outbound.get(peer) === ch) this.outbound.delete(peer) })
    return ch
  }

  private dropChannel (peer: string, c: Channel): void {
    const current = this.outbound.get(peer)
    if (current === undefined) return
    void current.then(x => { if (x === c && this.outbound.get(peer) === current) this.outbound.delete(peer) }, () => {})
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
