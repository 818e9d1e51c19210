// The gossip feature: catalog sync with neighbours plus fast announcements, on a running node. In the
// js-libp2p shape (`gossipService(init)(components)`, over the GossipComponents it names) and as the
// node feature `gossip(init)` (in `defaultFeatures()`), which takes its components from the node it
// starts on.
import { serviceDependencies, type PeerId, type TypedEventTarget } from '@libp2p/interface'
import type { MeshFeature } from '../feature'
import type { AdapterCatalog } from '../catalog/catalog'
import type { NeighbourSet } from '../neighbours/neighbour-set'
import type { MeshLibp2p } from '../transport/libp2p'
import type { DropCounters } from '../util/counters'
import type { Logger } from '../util/logger'
import { checkDependencies } from '../util/services'
import { CatalogGossip, type CatalogGossipInit, type GossipStats } from './catalog-gossip'
import { catalogStore } from './catalog-store'
import { EXPIRE_INTERVAL_MS } from './constants'

export type GossipOptions = Pick<CatalogGossipInit, 'intervalMs' | 'fanout' | 'mode' | 'topN' | 'sortBy' | 'maxPullPerRound' | 'announce' | 'verifyMemo'>

/** The node capabilities gossip uses (a started `MeshNode` has them all). */
export interface GossipComponents {
  readonly libp2p: MeshLibp2p
  readonly catalog: AdapterCatalog
  readonly neighbours: Pick<NeighbourSet, 'random' | 'has' | 'peers'>
  readonly drops: DropCounters
  readonly log: Logger
  penalise: (peer: PeerId, reason: string) => void
  /** `neighbours:change`: a new neighbour gets an exchange at once. */
  readonly addEventListener: TypedEventTarget<{ 'neighbours:change': CustomEvent<{ neighbours: string[] }> }>['addEventListener']
  readonly removeEventListener: TypedEventTarget<{ 'neighbours:change': CustomEvent<{ neighbours: string[] }> }>['removeEventListener']
}

export interface GossipFeature extends MeshFeature {
  /** Runs one round now (tests, "sync now" actions). */
  round(): Promise<void>
  status(): GossipStats & { cacheHitRate: number | null, searches: number }
  readonly [serviceDependencies]: string[]
}

export class GossipService implements GossipFeature {
  readonly name = 'gossip'
  readonly [Symbol.toStringTag] = '@continuum/gossip'
  /** Announcements travel on gossipsub. */
  readonly [serviceDependencies] = ['@libp2p/pubsub']
  private engine?: CatalogGossip
  private node?: GossipComponents
  private expireTimer?: NodeJS.Timeout
  private known = new Set<string>()

  /** `components`: set by gossipService(); a feature takes the node's when it starts. */
  constructor (private readonly options: GossipOptions = {}, private readonly components?: GossipComponents) {}

  // A new neighbour gets an exchange right away instead of waiting for the next round.
  private readonly onNeighbours = (e: CustomEvent<{ neighbours: string[] }>): void => {
    const now = new Set(e.detail.neighbours)
    for (const id of now) {
      if (this.known.has(id)) continue
      const peer = this.node?.neighbours.peers().find(p => p.toString() === id)
      if (peer !== undefined) void this.engine?.exchange(peer)
    }
    this.known = now
  }

  async start (node?: GossipComponents): Promise<void> {
    const n = node ?? this.components
    if (n === undefined) throw new TypeError('gossip needs its components: start it on a node, or create it with gossipService(init)(components)')
    checkDependencies('catalog gossip', n.libp2p, this[serviceDependencies])
    this.node = n
    this.engine = new CatalogGossip({
      ...this.options,
      libp2p: n.libp2p,
      store: catalogStore(n.catalog),
      neighbours: k => n.neighbours.random(k),
      isNeighbour: id => n.neighbours.has(id),
      drops: n.drops,
      penalise: (p, r) => n.penalise(p, r),
      log: n.log.child('gossip')
    })
    await this.engine.start()
    n.addEventListener('neighbours:change', this.onNeighbours)
    this.expireTimer = setInterval(() => {
      n.catalog.expireRemote().then(k => { if (k > 0) n.log.info(`Dropped ${k} cached adapters not re-announced for 24 h`) }, () => {})
    }, EXPIRE_INTERVAL_MS)
    this.expireTimer.unref()
  }

  async stop (): Promise<void> {
    clearInterval(this.expireTimer)
    this.node?.removeEventListener('neighbours:change', this.onNeighbours)
    await this.engine?.stop()
    this.engine = undefined
  }

  async round (): Promise<void> {
    await this.engine?.round()
  }

  status (): GossipStats & { cacheHitRate: number | null, searches: number } {
    const s = this.engine!.status()
    const search = this.node!.catalog.searchStats()
    return { ...s, cacheHitRate: search.hitRate, searches: search.searches }
  }
}

/** Creates the gossip feature (add it to the node's `features`); it takes its components from the node it starts on. */
export function gossip (options: GossipOptions = {}): GossipFeature {
  return new GossipService(options)
}

/** The js-libp2p factory shape: `gossipService(init)(components)`. */
export function gossipService (options: GossipOptions = {}): (components: GossipComponents) => GossipService {
  return components => new GossipService(options, components)
}
