// The features a full node runs. The CLI daemon and the VS Code extension both build their node with
// this list, so they behave the same. The wiring between features is typed and explicit here (content
// is handed the ledger as its payments); the node starts each after the features it declares it needs
// (`MeshFeature.after`, see feature.ts), so the list's order carries no meaning to remember.
import type { MeshFeature } from './feature'
import { ledgerFeature } from './economy'
import { gossip } from './gossip'
import { contentFeature } from './content'
import { flood } from './flood'

export interface FeatureOptions {
  /** Seconds between catalog gossip rounds; 0 disables the timer. @default 30 */
  gossipIntervalSeconds?: number
  /** Exchange catalogs with neighbours; off, peers find this node's adapters by network search only. @default true */
  gossip?: boolean
}

export function defaultFeatures (options: FeatureOptions = {}): MeshFeature[] {
  // Content pays for installs through the ledger: wired here, so content never imports the economy.
  const ledger = ledgerFeature()
  return [
    ...(options.gossip === false ? [] : [gossip({ intervalMs: (options.gossipIntervalSeconds ?? 30) * 1000 })]),
    flood(),
    contentFeature({ payments: ledger }),
    ledger
  ]
}
