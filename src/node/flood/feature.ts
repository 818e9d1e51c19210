// The 'flood' feature: bounded flood search on a running mesh node. The node's search pipeline
// (src/node/search) asks it for network batches after the local results; `continue` extends a search
// that has finished. It knows nothing of the HTTP API: its routes live in src/node/api/routes.
// In the js-libp2p shape (`floodService(init)(components)`, over the FloodComponents it names) and as
// the node feature `flood(init)` (in `defaultFeatures()`), which takes its components from the node it
// starts on.
import { serviceDependencies, type PeerId } from '@libp2p/interface'
import type { MeshFeature } from '../feature'
import type { NeighbourSet } from '../neighbours/neighbour-set'
import type { MeshLibp2p } from '../transport/libp2p'
import type { DropCounters } from '../util/counters'
import type { Logger } from '../util/logger'
import { checkDependencies } from '../util/services'
import { NodeNotStartedError } from '../errors'
import { FINISHED_SEARCHES_KEPT, FINISHED_SEARCH_TTL_MS } from './constants'
import { UnknownSearchError } from './errors'
import type { FloodEngineStats, FloodSearch, FloodSearchOptions, FloodSearchQuery } from './engine'
import { FloodService, type FloodCatalog, type FloodServiceInit } from './service'

export interface FloodFeatureInit extends Partial<Pick<FloodServiceInit, 'strategy' | 'fanout' | 'exploreShare' | 'requestsPerSecond' | 'framesPerSecond' | 'maxConcurrentSearches' | 'cacheResults' | 'profileRefreshMs' | 'tap'>> {
  /**
   * Peers requests are forwarded to. @default the node's neighbour set. Tests pin a topology with it
   * (a line or a ring), since peer exchange and the DHT connect nodes beyond it.
   */
  forwardTo?: () => string[]
}

/** The node capabilities flood search uses (a started `MeshNode` has them all). */
export interface FloodComponents {
  readonly libp2p: MeshLibp2p
  /** Answers requests from own adapters and caches what the network returned. */
  readonly catalog: FloodCatalog
  readonly neighbours: Pick<NeighbourSet, 'list'>
  readonly drops: DropCounters
  readonly log: Logger
  penalise: (peer: PeerId, reason: string) => void
}

export interface FloodStatus extends FloodEngineStats {
  strategy: string
  profiledNeighbours: number
}

export class FloodFeature implements MeshFeature {
  readonly name = 'flood'
  readonly [Symbol.toStringTag] = '@continuum/flood'
  /** Frames travel on its own protocol over existing connections: no libp2p service is needed. */
  readonly [serviceDependencies]: string[] = []
  private service?: FloodService
  private readonly searches = new Map<string, { search: FloodSearch, at: number }>()

  /** `components`: set by floodService(); a feature takes the node's when it starts. */
  constructor (private readonly init: FloodFeatureInit = {}, private readonly components?: FloodComponents) {}

  async start (components?: FloodComponents): Promise<void> {
    const node = components ?? this.components
    if (node === undefined) throw new TypeError('flood search needs its components: start it on a node, or create it with floodService(init)(components)')
    checkDependencies('flood search', node.libp2p, this[serviceDependencies])
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

/** Creates the flood feature (add it to the node's `features`); it takes its components from the node it starts on. */
export function flood (init: FloodFeatureInit = {}): FloodFeature {
  return new FloodFeature(init)
}

/** The js-libp2p factory shape: `floodService(init)(components)` (not to be confused with `FloodService`, its protocol binding). */
export function floodService (init: FloodFeatureInit = {}): (components: FloodComponents) => FloodFeature {
  return components => new FloodFeature(init, components)
}
