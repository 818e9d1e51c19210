// The one per-peer rate limit every protocol uses (flood, gossip, peer exchange): a budget of requests
// per second per peer, on @libp2p/utils' RateLimiter (its per-peer windows expire by themselves, so the
// table stays as small as the set of peers heard from in the last second).
import { RateLimiter } from '@libp2p/utils'
import type { PeerId } from '@libp2p/interface'

export class PeerRateLimit {
  private readonly limiter: RateLimiter

  /** `perSecond` requests per peer in each one-second window. */
  constructor (perSecond: number) {
    this.limiter = new RateLimiter({ points: perSecond, duration: 1 })
  }

  /** True when `peer` is within its budget (and uses one unit of it); false when it is over. */
  admit (peer: PeerId | string): boolean {
    try {
      this.limiter.consume(peer.toString())
      return true
    } catch {
      return false
    }
  }
}
