// The node capabilities the market uses, named one by one (a started MeshNode has them all), and what it
// needs from other capabilities, injected where the node's features are put together (features.ts).
import type { PeerId, PrivateKey } from '@libp2p/interface'
import type { ComputeReceipt } from '../ledger'
import type { MeshLibp2p } from '../transport/libp2p'
import type { DropCounters } from '../util/counters'
import type { Logger } from '../util/logger'
import type { AbortOptions } from '../util/abort'

export interface MarketComponents {
  readonly libp2p: MeshLibp2p
  /** Signs this node's listings. */
  readonly privateKey: PrivateKey
  readonly log: Logger
  readonly drops: DropCounters
  readonly state: string
  /** Aborted when the node stops. */
  readonly shutdownSignal: AbortSignal
  penalise: (peer: PeerId, reason: string) => void
  /** The node's sentence embedder (the `embeddings` backend serves it). */
  readonly embedder?: { embed: (texts: string[], options?: AbortOptions) => Promise<Float32Array[]> }
}

/**
 * What compute needs from an economy (the ledger feature provides it; wired in features.ts so the market
 * never imports the economy). Amounts are ledger units.
 */
export interface ComputePayments {
  /** This node's account. */
  readonly account: string
  /** Requester: pays `cost` to the provider with a send and signs the compute receipt naming it. */
  payForCompute(r: { requestId: string, provider: string, cost: number }, options?: AbortOptions): Promise<{ receipt: ComputeReceipt, balance: number }>
  /**
   * Provider: a compute receipt arrived from `from` (the requester). Fetches the requester's chain up to
   * the send it names and claims the 50% compute reward; the payment itself is received by the ledger.
   */
  claimComputeReward(receipt: ComputeReceipt, from: PeerId, options?: AbortOptions): Promise<void>
  /** The ledger's reputation of an account, 0–1 (0.5 with no history). */
  reputation(account: string): number
}
