// The features a full node runs, in start order. The CLI daemon and the VS Code extension both build
// their node with this list, so they behave the same.
import type { MeshFeature } from './feature'
import { contentFeature } from './content'
import { ledgerFeature } from './economy'

export interface FeatureOptions {
  /** Seconds between catalog gossip rounds; 0 disables the timer. */
  gossipIntervalSeconds?: number
}

export function defaultFeatures (_options: FeatureOptions = {}): MeshFeature[] {
  return [
    contentFeature(),
    ledgerFeature()
  ]
}
