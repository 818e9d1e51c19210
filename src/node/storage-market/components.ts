// What the storage market uses of the node, and of other capabilities: the content layer's blocks, the
// market's listings and the wallet, each injected where the node's features are put together
// (features.ts), so this folder imports none of them.
import type { PeerId, PrivateKey } from '@libp2p/interface'
import type { Libp2p } from 'libp2p'
import type { AbortOptions } from '../util/abort'
import type { DropCounters } from '../util/counters'
import type { Logger } from '../util/logger'

export interface StorageComponents {
  readonly libp2p: Libp2p
  readonly privateKey: PrivateKey
  readonly dataDir: string
  readonly log: Logger
  readonly drops: DropCounters
  readonly shutdownSignal: AbortSignal
  penalise: (peer: PeerId, reason: string) => void
}

export interface FetchProgress { bytes: number, totalBytes: number, providers: number }

/** Blocks as files (the content feature). */
export interface StorageContent {
  storeFile(file: string, options?: AbortOptions & { onProgress?: (bytes: number) => void }): Promise<{ cid: string, size: number, sha256: string, blocks: number }>
  dagCids(cid: string, options?: AbortOptions): Promise<string[]>
  fetchDag(cid: string, providers: string[], options?: AbortOptions & { maxBytes?: number, onProgress?: (p: FetchProgress) => void, bitswap?: boolean }): Promise<{ size: number, blocksFetched: number, providersUsed: string[] }>
  writeDagFile(cid: string, file: string, options?: AbortOptions): Promise<{ cid: string, size: number }>
  readBlock(cid: string): Promise<Uint8Array | undefined>
  findProviderIds(cid: string, options?: AbortOptions & { limit?: number }): Promise<string[]>
  provideCid(cid: string, options?: AbortOptions): Promise<boolean>
}

/** A storage listing as the market holds it (issue #17's ServiceListing, with what this node measured). */
export interface StorageListing {
  provider: string
  price: number
  capacity: number
  region?: string
  reputation: number
  availability: number
}

/** Storage offers through the market (node.market). */
export interface StorageListings {
  publish(offer: { serviceType: 'storage', service: string, price: number, unit: 'mb-day', capacity: number, region?: string }, options?: AbortOptions): Promise<unknown>
  withdraw(service: string, options?: AbortOptions): Promise<unknown>
  list(filter: { type: 'storage', minAvailability?: number, includeOwn?: boolean }): StorageListing[]
}

/** Payments to hosts (the wallet). Amounts are ledger units (1 token = 1,000,000). */
export interface StoragePayments {
  send(to: string, amountUnits: number, memo?: string, options?: AbortOptions): Promise<unknown>
}
