// The features a full node runs, in start order. The CLI daemon and the VS Code extension both build
// their node with this list, so they behave the same.
import type { MeshFeature } from './feature'
import { ledgerFeature } from './economy'
import { gossip } from './gossip'
import { contentFeature } from './content'
import { flood } from './flood'
import { marketFeature } from './market'
import { storageFeature } from './storage-market'

export interface FeatureOptions {
  /** Seconds between catalog gossip rounds; 0 disables the timer. @default 30 */
  gossipIntervalSeconds?: number
  /** Exchange catalogs with neighbours; off, peers find this node's adapters by network search only. @default true */
  gossip?: boolean
}

export function defaultFeatures (options: FeatureOptions = {}): MeshFeature[] {
  // Content pays for installs, and the market for compute, through the ledger: wired here, so neither
  // imports the economy.
  const ledger = ledgerFeature()
  const content = contentFeature({ payments: ledger })
  const market = marketFeature({ payments: ledger })
  return [
    ...(options.gossip === false ? [] : [gossip({ intervalMs: (options.gossipIntervalSeconds ?? 30) * 1000 })]),
    flood(),
    content,
    ledger,
    market,
    // Storage keeps files as content, lists offers in the market and pays hosts from the wallet.
    storageFeature({ content, listings: market, payments: ledger })
  ]
}
