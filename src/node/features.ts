// The features a full node runs. The CLI daemon and the VS Code extension both build their node with
// this list, so they behave the same. The wiring between features is typed and explicit here (content
// is handed the ledger as its payments); the node starts each after the features it declares it needs
// (`MeshFeature.after`, see feature.ts), so the list's order carries no meaning to remember.
import type { MeshFeature } from './feature'
import { ledgerFeature } from './economy'
import { gossip } from './gossip'
import { contentFeature } from './content'
import { flood } from './flood'
import { socialFeature, type SocialLedger } from './social'
import type { LedgerFeature } from './economy/ledger-feature'
import { marketFeature } from './market'
import { storageFeature } from './storage-market'

export interface FeatureOptions {
  /** Seconds between catalog gossip rounds; 0 disables the timer. @default 30 */
  gossipIntervalSeconds?: number
  /** Exchange catalogs with neighbours; off, peers find this node's adapters by network search only. @default true */
  gossip?: boolean
  /** Seconds between social pull rounds (posts also spread on their topic at once); 0 disables the timer. @default 30 */
  socialIntervalSeconds?: number
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
    storageFeature({ content, listings: market, payments: ledger }),
    // Tips and receipt-backed ratings read and write the ledger through this narrow view (no social → economy import).
    socialFeature({ ledger: ledgerForSocial(ledger), intervalMs: (options.socialIntervalSeconds ?? 30) * 1000 })
  ]
}

/** The ledger feature as the social layer sees it; each member throws while the ledger is not running. */
export function ledgerForSocial (l: LedgerFeature): SocialLedger {
  return {
    get account () { return l.account },
    send: async (to, units, memo, options) => await l.send(to, units, memo, options),
    * blocks () {
      const ledger = l.ledger
      for (const account of ledger.accounts()) yield * ledger.chain(account)
    },
    onBlock: fn => l.ledger.on('block', e => fn(e.detail)),
    reputation: account => l.ledger.reputation(account),
    claimRatingReward: async (receipt, score, options) => await l.ledger.claimRatingReward(receipt, score, options)
  }
}
