// The protocol logic of bounded flood search, independent of the transport: the libp2p service
// (`service.ts`) and the in-process simulation harness (`bench/flood`) both drive this class, so the
// benchmarks run exactly what nodes run.
//
// A request carries no origin: the origin sends it with an empty path, every relay appends itself
// before forwarding, and the answer walks back along that path, each relay checking that it is the
// path's last entry, that the rest matches what it forwarded, and that the response came from a peer
// it forwarded to, then popping itself. Only the first hop ever talks to the origin.
import { createHash, randomBytes } from 'node:crypto'
import { catalogKey } from '../catalog/catalog'
import { decodeEmbedding, encodeEmbedding, verifyManifest, type AdapterManifest } from '../manifest'
import {
  DEFAULT_FANOUT, FRAMES_PER_PEER_PER_SECOND, MAX_CLOCK_SKEW_MS, MAX_CONCURRENT_SEARCHES, MAX_KEYWORDS, MAX_RESULTS_PER_PEER, MAX_SKIP,
  MAX_TTL, REQUESTS_PER_PEER_PER_SECOND, ROUTE_TTL_MS, SEEN_CAPACITY, SEEN_TTL_MS, VERIFIED_CACHE_SIZE
} from './constants'
import { PeerRateLimit } from '../util/peer-rate'
import { FloodBusyError, InvalidSearchOptionsError } from './errors'
import { Completion } from './completion'
import { chooseTargets, clamp01, extractKeywords, NeighbourProfiles, type ForwardingStrategy } from './forwarding'
import { matchesFilters } from './filters'
import { FloodFrame, type SearchDoneFrame, type SearchRequestFrame, type SearchResponseFrame } from './messages'
import { normaliseOptions, type ResolvedSearchOptions } from './options'
import type { FloodSearch, SearchState } from './search'
import { FloodSession } from './session'
import type { DropReason, FloodEngineInit, FloodEngineStats, FloodHit, FloodQuery, FloodSearchOptions, FloodSearchQuery } from './types'

export type {
  DropReason, FloodBatch, FloodEndReason, FloodEngineInit, FloodEngineStats, FloodHit, FloodQuery, FloodSearchOptions, FloodSearchQuery, FloodSummary, NetworkResult
} from './types'
// The search handle moved to search.ts (the session to session.ts); importers of the engine keep finding it here.
export { FloodSearch, type SearchState } from './search'

interface Route {
  upstream: string
  path: string[]
  forwardedTo: Set<string>
  expires: number
  responses: number
  /** Completion of the subtree behind each peer this request was forwarded to. */
  completion: Completion
  /** Response frames passed upstream (own answer included). */
  sentUpstream: number
  doneSent: boolean
}

/** Responses a relay passes back per request at most: a relay cannot be made an amplifier. */
const MAX_RESPONSES_PER_ROUTE = 500
/** Local hits asked for before filtering. */
const MAX_K_ASKED = 100

export class FloodEngine {
  readonly profiles: NeighbourProfiles
  readonly stats: FloodEngineStats = { requestsProcessed: 0, duplicates: 0, forwarded: 0, responsesSent: 0, responsesRelayed: 0, framesSent: 0, framesHandled: 0, searchesStarted: 0, activeSearches: 0 }
  private readonly seen = new Map<string, number>()
  private readonly routes = new Map<string, Route>()
  private readonly sessions = new Map<string, FloodSession>()
  private readonly requestRate: PeerRateLimit
  private readonly frameRate: PeerRateLimit
  private readonly verified = new Map<string, AdapterManifest | null>()
  private stopped = false

  constructor (readonly init: FloodEngineInit) {
    this.profiles = init.profiles ?? new NeighbourProfiles()
    this.requestRate = new PeerRateLimit(init.requestsPerSecond ?? REQUESTS_PER_PEER_PER_SECOND)
    this.frameRate = new PeerRateLimit(init.framesPerSecond ?? FRAMES_PER_PEER_PER_SECOND)
  }

  get strategy (): ForwardingStrategy { return this.init.strategy ?? 'smart' }

  stop (): void {
    this.stopped = true
    for (const s of [...this.sessions.values()]) s.end('aborted')
  }

  /** Handles one frame received from `from`. Never throws: bad frames are dropped and counted. */
  async receive (from: string, raw: unknown): Promise<void> {
    if (this.stopped) return
    try {
      await this.handle(from, raw)
    } finally {
      this.stats.framesHandled++
    }
  }

  private async handle (from: string, raw: unknown): Promise<void> {
    this.init.tap?.(from, raw)
    if (!this.frameRate.admit(from)) { this.drop('rate-limited'); return }
    const parsed = FloodFrame.safeParse(raw)
    if (!parsed.success) { this.drop('invalid', from); return }
    const frame = parsed.data
    if (frame.type === 'request') this.onRequest(from, frame)
    else if (frame.type === 'done') this.onDone(from, frame)
    else await this.onResponse(from, frame)
  }

  private drop (reason: DropReason, misbehaving?: string): void {
    this.init.onDrop(reason)
    if (misbehaving !== undefined) this.init.onMisbehaviour?.(misbehaving, reason)
  }

  private onRequest (from: string, req: SearchRequestFrame): void {
    const now = Date.now()
    if (!this.requestRate.admit(from)) { this.drop('rate-limited'); return }
    // Over the clamp, or a relay inflated the TTL on the way (hops travelled + hops left > clamp).
    if (req.ttl > MAX_TTL || req.path.length + req.ttl > MAX_TTL) { this.drop('ttl'); return }
    const { self } = this.init
    if ((req.path.length > 0 && req.path[req.path.length - 1] !== from) || req.path.includes(self) || new Set(req.path).size !== req.path.length) {
      this.drop('forged-path', from)
      return
    }
    if (Math.abs(now - req.ts) > MAX_CLOCK_SKEW_MS) { this.drop('stale'); return }
    if (this.isSeen(req.id, now)) {
      this.stats.duplicates++
      // Nothing more from here: say so at once, so the sender does not wait for this branch.
      this.sendFrame(from, { type: 'done', v: 1, id: req.id, path: req.path, responses: 0 })
      return
    }
    let vector: Float32Array
    try {
      vector = decodeEmbedding(req.embedding)
      if (vector.length !== 384 || !isUnit(vector)) throw new RangeError('not a unit vector of 384 values')
    } catch {
      this.drop('invalid', from)
      return
    }
    this.markSeen(req.id, now)
    this.stats.requestsProcessed++
    const route: Route = { upstream: from, path: req.path, forwardedTo: new Set(), expires: now + ROUTE_TTL_MS, responses: 0, completion: new Completion([]), sentUpstream: 0, doneSent: false }
    this.addRoute(req.id, route)
    const query: FloodQuery = { vector, keywords: req.keywords, filters: req.filters, skip: new Set(req.skip ?? []) }
    // Forward first, so the flood is not held up by the local search.
    if (req.ttl > 1) {
      const exclude = new Set([from, self, ...req.path])
      const candidates = this.init.neighbours().filter(p => !exclude.has(p))
      const targets = chooseTargets({ strategy: this.strategy, candidates, fanout: this.init.fanout ?? DEFAULT_FANOUT, query: vector, keywords: req.keywords, profiles: this.profiles, exploreShare: this.init.exploreShare })
      const next: SearchRequestFrame = { ...req, ttl: req.ttl - 1, path: [...req.path, self] }
      for (const t of targets) route.forwardedTo.add(t)
      route.completion = new Completion(targets)
      for (const t of targets) {
        this.stats.forwarded++
        this.sendFrame(t, next, () => { route.completion.failed(t); this.maybeDone(req.id, route) })
      }
    }
    let hits: FloodHit[]
    try {
      // Ask for more than we send: filters the local index cannot apply and skipped results thin it out.
      hits = this.init.answer(query, MAX_K_ASKED)
        .filter(h => h.similarity >= (req.filters.minSimilarity ?? 0) && matchesFilters(h.manifest, req.filters) && !query.skip.has(shortHash(catalogKey(h.manifest))))
        .slice(0, MAX_RESULTS_PER_PEER)
    } catch {
      hits = []
    }
    if (hits.length === 0) { this.maybeDone(req.id, route); return }
    this.stats.responsesSent++
    route.sentUpstream++
    this.sendFrame(from, {
      type: 'response',
      v: 1,
      id: req.id,
      responder: self,
      hops: req.path.length + 1,
      path: req.path,
      results: hits.slice(0, MAX_RESULTS_PER_PEER).map(h => ({ manifest: h.manifest as unknown as Record<string, unknown>, similarity: clamp01(h.similarity) }))
    })
    this.maybeDone(req.id, route)
  }

  /** Once this node answered and everything behind it has too, tell the upstream peer (once). */
  private maybeDone (id: string, route: Route): void {
    if (route.doneSent || !route.completion.complete) return
    route.doneSent = true
    this.sendFrame(route.upstream, { type: 'done', v: 1, id, path: route.path, responses: route.sentUpstream })
  }

  private onDone (from: string, frame: SearchDoneFrame): void {
    if (frame.path.length === 0) {
      const session = this.sessions.get(frame.id)
      if (session === undefined) { this.drop('unknown-request'); return }
      if (!session.forwardedTo.has(from)) { this.drop('forged-path', from); return }
      session.peerDone(from, frame.responses)
      return
    }
    const route = this.routes.get(frame.id)
    if (route === undefined || route.expires < Date.now()) { this.drop('unknown-request'); return }
    if (frame.path[frame.path.length - 1] !== this.init.self || !route.forwardedTo.has(from) || !samePath(frame.path.slice(0, -1), route.path)) {
      this.drop('forged-path', from)
      return
    }
    route.completion.done(from, frame.responses)
    this.maybeDone(frame.id, route)
  }

  private async onResponse (from: string, res: SearchResponseFrame): Promise<void> {
    const now = Date.now()
    if (res.path.length === 0) {
      const session = this.sessions.get(res.id)
      if (session === undefined) { this.drop('unknown-request'); return }
      if (!session.forwardedTo.has(from)) { this.drop('forged-path', from); return }
      this.learn(from, res)
      await session.deliver(from, res)
      return
    }
    const route = this.routes.get(res.id)
    if (route === undefined || route.expires < now) { this.drop('unknown-request'); return }
    const { self } = this.init
    // We must be the path's last relay, the rest must be the path we received, the response must come
    // from a peer we forwarded to, and the responder must be further out than us.
    if (res.path[res.path.length - 1] !== self || !route.forwardedTo.has(from) || !samePath(res.path.slice(0, -1), route.path) || res.hops <= res.path.length) {
      this.drop('forged-path', from)
      return
    }
    route.completion.response(from)
    if (++route.responses > MAX_RESPONSES_PER_ROUTE) { this.drop('route-full'); this.maybeDone(res.id, route); return }
    this.learn(from, res)
    this.stats.responsesRelayed++
    route.sentUpstream++
    this.sendFrame(route.upstream, { ...res, path: route.path })
    this.maybeDone(res.id, route)
  }

  /** Results that came back through `peer` teach smart forwarding where such adapters live. */
  private learn (peer: string, res: SearchResponseFrame): void {
    const vectors: Float32Array[] = []
    const tags: string[] = []
    for (const r of res.results.slice(0, 5)) {
      const m = r.manifest as { embedding?: { data?: unknown }, specializations?: unknown, capabilities?: unknown }
      try {
        if (typeof m.embedding?.data === 'string') {
          const v = decodeEmbedding(m.embedding.data)
          if (v.length === 384 && isUnit(v)) vectors.push(v)
        }
      } catch { /* unverified at relays: just skip what does not decode */ }
      for (const list of [m.specializations, m.capabilities]) if (Array.isArray(list)) for (const t of list.slice(0, 32)) if (typeof t === 'string' && t.length <= 64) tags.push(t)
    }
    this.profiles.learn(peer, vectors, tags)
  }

  private sendFrame (peer: string, frame: FloodFrame, onFailure?: () => void): void {
    this.stats.framesSent++
    this.init.send(peer, frame).catch(() => { this.init.onDrop('send-failed'); onFailure?.() })
  }

  private isSeen (id: string, now: number): boolean {
    const t = this.seen.get(id)
    return t !== undefined && t > now
  }

  private markSeen (id: string, now: number): void {
    this.seen.delete(id)
    this.seen.set(id, now + SEEN_TTL_MS)
    // Bounded: drop expired entries from the oldest end, then the oldest if still full.
    for (const [k, exp] of this.seen) {
      if (this.seen.size <= SEEN_CAPACITY && exp > now) break
      this.seen.delete(k)
    }
  }

  private addRoute (id: string, route: Route): void {
    this.routes.set(id, route)
    const now = Date.now()
    for (const [k, r] of this.routes) {
      if (this.routes.size <= SEEN_CAPACITY && r.expires > now) break
      this.routes.delete(k)
    }
  }

  /** Verifies a manifest from the network, memoised by the digest of its full content. */
  async verify (raw: unknown): Promise<AdapterManifest | undefined> {
    if (this.init.verify !== undefined) return this.init.verify(raw)
    const digest = createHash('sha256').update(JSON.stringify(raw)).digest('base64')
    const cached = this.verified.get(digest)
    if (cached !== undefined) return cached ?? undefined
    const check = await verifyManifest(raw)
    const value = check.ok ? check.manifest : null
    this.verified.set(digest, value)
    if (this.verified.size > VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!)
    return value ?? undefined
  }

  /** Starts a search from this node. Iterate the returned search for batches as they arrive. */
  search (query: FloodSearchQuery, options: FloodSearchOptions = {}): FloodSearch {
    const opts = normaliseOptions(options)
    if (query.vector.length !== 384) throw new InvalidSearchOptionsError(`The query vector must have 384 values, got ${query.vector.length}`)
    const keywords = query.keywords ?? (query.text !== undefined ? extractKeywordsFrom(query.text) : [])
    const state: SearchState = {
      vector: query.vector,
      keywords: keywords.slice(0, MAX_KEYWORDS),
      filters: query.filters ?? {},
      known: new Map(),
      preKnown: new Set(query.known ?? []),
      answered: new Set()
    }
    return this.launch(state, opts)
  }

  /** @internal starts one round of a search over `state` (a new search or a continuation). */
  launch (state: SearchState, opts: ResolvedSearchOptions): FloodSearch {
    const active = this.sessions.size
    if (active >= (this.init.maxConcurrentSearches ?? MAX_CONCURRENT_SEARCHES)) {
      throw new FloodBusyError(`${active} network searches are already running: wait for one to finish`)
    }
    const id = randomBytes(16).toString('hex')
    const now = Date.now()
    this.markSeen(id, now)
    const session = new FloodSession(this, id, state, opts, () => { this.sessions.delete(id); this.stats.activeSearches = this.sessions.size })
    this.sessions.set(id, session)
    this.stats.searchesStarted++
    this.stats.activeSearches = this.sessions.size
    const skip = [...state.known.keys(), ...state.preKnown].slice(0, MAX_SKIP).map(shortHash)
    const frame: SearchRequestFrame = {
      type: 'request',
      v: 1,
      id,
      embedding: encodeEmbedding(state.vector),
      keywords: state.keywords,
      filters: { ...state.filters, minSimilarity: opts.minSimilarity },
      ttl: opts.hops,
      path: [],
      ts: now,
      ...(skip.length > 0 ? { skip } : {})
    }
    const candidates = this.init.neighbours().filter(p => p !== this.init.self)
    const targets = chooseTargets({ strategy: this.strategy, candidates, fanout: this.init.fanout ?? DEFAULT_FANOUT, query: state.vector, keywords: state.keywords, profiles: this.profiles, exploreShare: this.init.exploreShare })
    for (const t of targets) session.forwardedTo.add(t)
    session.completion = new Completion(targets)
    for (const t of targets) this.sendFrame(t, frame, () => session.peerFailed(t))
    if (targets.length === 0) queueMicrotask(() => session.end('no-neighbours'))
    return session.search
  }
}

export function shortHash (key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12)
}

function isUnit (v: Float32Array): boolean {
  let s = 0
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) return false
    s += v[i] * v[i]
  }
  return Math.abs(Math.sqrt(s) - 1) < 0.01
}

function samePath (a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

function extractKeywordsFrom (text: string): string[] {
  return extractKeywords(text, MAX_KEYWORDS)
}