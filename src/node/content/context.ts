// What the parts of the content feature (publish, provide, resolve, install, lockfile, seeding) share:
// the few node members they use, the stores, and per-node state. ContentFeature builds it on start.
import type { MeshNode } from '../mesh-node'
import type { DhtStats } from '../dht/stats'
import type { Logger } from '../util/logger'
import type { ContentInit } from './api'
import type { BitswapExchange } from './bitswap'
import type { FsBlockstore } from './blockstore'
import type { HostedIndex } from './hosted'
import type { InstallPayments } from './payments'

/** The node members content uses, and no more. */
export type ContentNode = Pick<MeshNode, 'libp2p' | 'drops' | 'shutdownSignal' | 'peerId' | 'neighbours' | 'catalog' | 'state'>

export interface ContentContext {
  readonly node: ContentNode
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
