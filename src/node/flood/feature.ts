// The 'flood' feature: bounded flood search on a running mesh node. The node's search pipeline
// (src/node/search) asks it for network batches after the local results; `continue` extends a search
// that has finished. It knows nothing of the HTTP API: its routes live in src/node/api/routes.
import type { MeshNode } from '../mesh-node'
import type { MeshFeature } from '../feature'
import { NodeNotStartedError } from '../errors'
import { FINISHED_SEARCHES_KEPT, FINISHED_SEARCH_TTL_MS } from './constants'
import { UnknownSearchError } from './errors'
import type { FloodEngineStats, FloodSearch, FloodSearchOptions, FloodSearchQuery } from './engine'
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

export class FloodFeature implements MeshFeature {
  readonly name = 'flood'
  private service?: FloodService
  private readonly searches = new Map<string, { search: FloodSearch, at: number }>()

  constructor (private readonly init: FloodFeatureInit = {}) {}

  async start (node: MeshNode): Promise<void> {
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
}

export function flood (init: FloodFeatureInit = {}): FloodFeature {
  return new FloodFeature(init)
}
