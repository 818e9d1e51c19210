// The 'flood' feature: bounded flood search on a running mesh node. It streams network batches after
// the local results of `POST /api/search`, and offers a programmatic API (search, continue) to the
// extension; `POST /api/flood/continue` extends a finished search.
import { z } from 'zod'
import type { MeshNode } from '../mesh-node'
import type { ApiServer } from '../api/server'
import { toResult, type NetworkSearchFeature, type StreamSearchRequest } from '../api/genome-routes'
import { NodeNotStartedError } from '../errors'
import { FINISHED_SEARCHES_KEPT, FINISHED_SEARCH_TTL_MS, MAX_TIMEOUT_MS, MAX_TTL, MIN_TIMEOUT_MS } from './constants'
import { UnknownSearchError } from './errors'
import type { FloodBatch, FloodEngineStats, FloodSearch, FloodSearchOptions, FloodSearchQuery, NetworkResult } from './engine'
import { wireFiltersFromApi } from './filters'
import { FloodService, type FloodServiceInit } from './service'

export interface FloodFeatureInit extends Partial<Pick<FloodServiceInit, 'strategy' | 'fanout' | 'exploreShare' | 'requestsPerSecond' | 'framesPerSecond' | 'maxConcurrentSearches' | 'cacheResults' | 'profileRefreshMs' | 'tap'>> {
  /**
   * Peers requests are forwarded to. @default the node's neighbour set. Tests pin a topology with it
   * (a line or a ring), since peer exchange and the DHT connect nodes beyond it.
   */
  forwardTo?: () => string[]
}

export interface FloodStatus extends FloodEngineStats {
  strategy: string
  profiledNeighbours: number
}

const ContinueBody = z.object({
  searchId: z.string().regex(/^[0-9a-f]{32}$/),
  timeoutMs: z.number().int().min(MIN_TIMEOUT_MS).max(MAX_TIMEOUT_MS).optional(),
  hops: z.number().int().min(1).max(MAX_TTL).optional(),
  minResults: z.number().int().min(1).max(100).optional(),
  minSimilarity: z.number().min(0).max(1).optional()
}).strict()

/** The wire shape of a network result: the local API's result plus how far and from whom. */
export function networkResultRecord (r: NetworkResult): Record<string, unknown> {
  return {
    ...toResult({ key: r.key, manifest: r.manifest, similarity: r.similarity, score: r.similarity, location: 'remote', availableFrom: r.availableFrom }),
    hops: r.hops,
    sourcePeer: r.sourcePeer
  }
}

export function batchRecord (b: FloodBatch): Record<string, unknown> {
  return { type: 'batch', elapsedMs: b.elapsedMs, hops: b.hops, results: b.results.map(networkResultRecord) }
}

export class FloodFeature implements NetworkSearchFeature {
  readonly name = 'flood'
  private service?: FloodService
  private node?: MeshNode
  private readonly searches = new Map<string, { search: FloodSearch, at: number }>()

  constructor (private readonly init: FloodFeatureInit = {}) {}

  async start (node: MeshNode): Promise<void> {
    this.node = node
    this.service = new FloodService({
      ...this.init,
      libp2p: node.libp2p,
      catalog: node.catalog,
      neighbours: this.init.forwardTo ?? (() => node.neighbours.list()),
      drops: node.drops,
      log: node.log.child('flood'),
      penalise: (peer, reason) => node.penalise(peer, reason)
    })
    await this.service.start()
  }

  async stop (): Promise<void> {
    await this.service?.stop()
    this.service = undefined
    this.searches.clear()
  }

  private get svc (): FloodService {
    if (this.service === undefined) throw new NodeNotStartedError('Flood search is not running: start the node first')
    return this.service
  }

  /** The engine, for figures and tests. */
  get engine (): FloodService['engine'] { return this.svc.engine }

  status (): FloodStatus {
    const e = this.service?.engine
    return {
      ...(e?.stats ?? { requestsProcessed: 0, duplicates: 0, forwarded: 0, responsesSent: 0, responsesRelayed: 0, framesSent: 0, framesHandled: 0, searchesStarted: 0, activeSearches: 0 }),
      strategy: e?.strategy ?? this.init.strategy ?? 'smart',
      profiledNeighbours: e?.profiles.size ?? 0
    }
  }

  /**
   * Searches the mesh: iterate the result for batches as they arrive; `await search.summary` for
   * totals; `search.continue({ hops, timeoutMs })` (or `continue(search.id, …)`) searches further.
   */
  search (query: FloodSearchQuery, options: FloodSearchOptions = {}): FloodSearch {
    return this.remember(this.svc.engine.search(query, options))
  }

  /** Extends a search (running or finished, kept 10 minutes) with more hops or patience. */
  continue (searchId: string, options: FloodSearchOptions = {}): FloodSearch {
    this.prune()
    const entry = this.searches.get(searchId)
    if (entry === undefined) throw new UnknownSearchError(`No search ${searchId} to continue: it finished more than ${FINISHED_SEARCH_TTL_MS / 60_000} minutes ago or never ran here`)
    return this.remember(entry.search.continue(options))
  }

  private remember (search: FloodSearch): FloodSearch {
    this.prune()
    this.searches.set(search.id, { search, at: Date.now() })
    while (this.searches.size > FINISHED_SEARCHES_KEPT) this.searches.delete(this.searches.keys().next().value!)
    return search
  }

  private prune (): void {
    const cutoff = Date.now() - FINISHED_SEARCH_TTL_MS
    for (const [id, e] of this.searches) if (e.at < cutoff && e.search.finished) this.searches.delete(id)
  }

  async streamSearch (req: StreamSearchRequest, vector: Float32Array, write: (record: unknown) => void, signal: AbortSignal): Promise<{ total: number, peersAnswered: number, searchId: string, reason: string }> {
    // The local results were streamed already: the network stream never repeats them.
    const local = this.localKeys(req, vector)
    const search = this.search(
      { vector, text: req.query, filters: wireFiltersFromApi(req.filters), known: local },
      { timeoutMs: req.timeoutMs, hops: req.hops, minResults: req.minResults, minSimilarity: req.minSimilarity, signal }
    )
    return this.pipe(search, write, local.length)
  }

  /** The keys `POST /api/search` has just streamed as local results (same query, same options). */
  private localKeys (req: StreamSearchRequest, vector: Float32Array): string[] {
    try {
      return this.node?.catalog.searchVector(vector, req.query, { k: req.k, filters: req.filters, minSimilarity: req.minSimilarity }).map(h => h.key) ?? []
    } catch {
      return []
    }
  }

  private async pipe (search: FloodSearch, write: (record: unknown) => void, alreadyShown: number): Promise<{ total: number, peersAnswered: number, searchId: string, reason: string }> {
    for await (const batch of search) write(batchRecord(batch))
    const s = await search.summary
    return { total: alreadyShown + s.total, peersAnswered: s.peersAnswered, searchId: s.searchId, reason: s.reason }
  }

  registerRoutes (api: ApiServer): void {
    // NDJSON: {type:'batch', …} records with only new results, then {type:'done', total, peersAnswered, elapsedMs, network, searchId}.
    api.stream('POST', '/api/flood/continue', async (req, write) => {
      const body = await req.body(ContinueBody)
      const started = Date.now()
      const search = this.continue(body.searchId, { timeoutMs: body.timeoutMs, hops: body.hops, minResults: body.minResults, minSimilarity: body.minSimilarity, signal: req.signal })
      const summary = await this.pipe(search, write, 0)
      write({ type: 'done', ...summary, elapsedMs: Date.now() - started, network: true })
    })
  }
}

export function flood (init: FloodFeatureInit = {}): FloodFeature {
  return new FloodFeature(init)
}
