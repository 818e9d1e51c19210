// What the parts of the content feature (publish, provide, resolve, install, lockfile, seeding) share:
// the few node members they use (ContentComponents), the stores, and per-node state. ContentFeature
// builds it on start.
import type { PeerId } from '@libp2p/interface'
import type { AdapterCatalog } from '../catalog/catalog'
import type { DhtStats } from '../dht/stats'
import type { NeighbourSet } from '../neighbours/neighbour-set'
import type { MeshLibp2p } from '../transport/libp2p'
import type { DropCounters } from '../util/counters'
import type { Logger } from '../util/logger'
import type { ContentInit } from './api'
import type { BitswapExchange } from './bitswap'
import type { FsBlockstore } from './blockstore'
import type { HostedIndex } from './hosted'
import type { InstallPayments } from './payments'

/** The node capabilities content uses, and no more (a started `MeshNode` has them all). */
export interface ContentComponents {
  readonly libp2p: MeshLibp2p
  readonly peerId: PeerId
  /** Bundles, hosted index and block store live under `<dataDir>/content`. */
  readonly dataDir: string
  readonly log: Logger
  readonly drops: DropCounters
  /** Published and installed adapters enter it; resolve looks names up in it. */
  readonly catalog: AdapterCatalog
  readonly neighbours: Pick<NeighbourSet, 'list'>
  /** 'started' while the node runs: background provides stop otherwise. */
  readonly state: string
  /** Aborted when the node stops. */
  readonly shutdownSignal: AbortSignal
  /** Resolves when the first bootstrap round has finished (the first provide waits for DHT peers). */
  readonly bootstrapped: Promise<unknown>
}

export interface ContentContext {
  readonly node: ContentComponents
  readonly init: ContentInit
  /** The block store (verified on every read). */
  readonly blocks: FsBlockstore
  readonly hosted: HostedIndex
  readonly dht: DhtStats
  readonly log: Logger
  /** Providers that sent bad data, per content (CID string → peer ids). */
  readonly blacklist: Map<string, Set<string>>
  /** Bitswap with stock IPFS peers; undefined when turned off (ContentInit.bitswap). */
  readonly bitswap?: BitswapExchange
  /** Pays for verified installs; undefined = this node has no economy. */
  readonly payments?: InstallPayments
}
