// Spreading listings: each one travels alone on the market gossipsub topic (validated before gossipsub
// forwards it: size, shape, provider signature, lifetime), own listings are re-announced on a timer and
// when a peer subscribes, and a newly identified peer is asked once for the listings it holds (capped)
// so it does not wait for the next round. Rejected listings are counted in the drop counters.
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import { errorMessage } from '../util/logger'
import { COMPUTE_PROTOCOL, MARKET_TOPIC, MAX_LISTINGS_PER_ANSWER, MAX_MARKET_GOSSIP_BYTES } from './constants'
import { checkListing, type ServiceListing } from './listing'
import { MarketGossip } from './protocol'
import type { MarketComponents } from './components'

export interface ListingsGossipDeps {
  components: MarketComponents
  now: () => number
  /** A verified listing from the network; returns true when it changed what this node holds. */
  ingest: (listing: ServiceListing, from: PeerId) => boolean
  /** Own live listings (what is re-announced). */
  own: () => ServiceListing[]
  /** Asks `peer` for the listings it holds. */
  askListings: (peer: PeerId) => Promise<unknown[]>
}

export class ListingsGossip {
  private readonly unsubscribe: Array<() => void> = []
  private timer?: NodeJS.Timeout

  constructor (private readonly deps: ListingsGossipDeps) {}

  start (reannounceMs: number): void {
    const { components } = this.deps
    const pubsub = components.libp2p.services.pubsub
    pubsub.topicValidators.set(MARKET_TOPIC, (_from, msg) => this.validate(msg.data))
    this.unsubscribe.push(() => pubsub.topicValidators.delete(MARKET_TOPIC))
    pubsub.subscribe(MARKET_TOPIC)
    this.unsubscribe.push(() => { try { pubsub.unsubscribe(MARKET_TOPIC) } catch { /* stopping */ } })
    const onMessage = (evt: CustomEvent<{ propagationSource: PeerId, msg: { topic: string, data: Uint8Array } }>): void => {
      const { msg, propagationSource } = evt.detail
      if (msg.topic !== MARKET_TOPIC) return
      const listing = this.decode(msg.data)
      if (listing !== undefined) this.deps.ingest(listing, propagationSource)
    }
    pubsub.addEventListener('gossipsub:message', onMessage as EventListener)
    this.unsubscribe.push(() => pubsub.removeEventListener('gossipsub:message', onMessage as EventListener))
    // A peer joined the topic: it has not seen our listings yet.
    const onSubscription = (evt: CustomEvent<{ subscriptions: Array<{ topic: string, subscribe: boolean }> }>): void => {
      if (evt.detail.subscriptions.some(s => s.topic === MARKET_TOPIC && s.subscribe)) setTimeout(() => { void this.announceOwn() }, 200).unref()
    }
    pubsub.addEventListener('subscription-change', onSubscription as EventListener)
    this.unsubscribe.push(() => pubsub.removeEventListener('subscription-change', onSubscription as EventListener))
    // A new peer that speaks the compute protocol: fetch what it holds once.
    const libp2p = components.libp2p
    const onIdentify = (evt: CustomEvent<{ peerId: PeerId, protocols: string[] }>): void => {
      if (evt.detail.protocols.includes(COMPUTE_PROTOCOL)) void this.syncWith(evt.detail.peerId)
    }
    libp2p.addEventListener('peer:identify', onIdentify)
    this.unsubscribe.push(() => libp2p.removeEventListener('peer:identify', onIdentify))
    if (reannounceMs > 0) {
      this.timer = setInterval(() => { void this.announceOwn() }, reannounceMs)
      this.timer.unref()
    }
  }

  stop (): void {
    clearInterval(this.timer)
    for (const u of this.unsubscribe.splice(0)) u()
  }

  /** Publishes one listing on the topic (a no-op while no peer is subscribed: sync and re-announce cover it). */
  async publish (listing: ServiceListing): Promise<void> {
    try {
      await this.deps.components.libp2p.services.pubsub.publish(MARKET_TOPIC, new TextEncoder().encode(JSON.stringify({ type: 'listing', listing })))
    } catch (err) {
      this.deps.components.log.debug(`market publish: ${errorMessage(err)}`)
    }
  }

  async announceOwn (): Promise<void> {
    for (const l of this.deps.own()) await this.publish(l)
  }

  /** Asks `peer` for its listings and ingests those that verify; returns how many changed what is held. */
  async syncWith (peer: PeerId): Promise<number> {
    let raw: unknown[]
    try {
      raw = await this.deps.askListings(peer)
    } catch (err) {
      this.deps.components.log.debug(`market sync with ${peer.toString().slice(-8)}: ${errorMessage(err)}`)
      return 0
    }
    let changed = 0
    for (const item of raw.slice(0, MAX_LISTINGS_PER_ANSWER)) {
      const c = checkListing(item, this.deps.now())
      if (!c.ok) { this.deps.components.drops.add('market', c.reason); continue }
      if (this.deps.ingest(c.listing, peer)) changed++
    }
    return changed
  }

  private decode (data: Uint8Array): ServiceListing | undefined {
    if (data.byteLength > MAX_MARKET_GOSSIP_BYTES) return undefined
    try {
      const msg = MarketGossip.parse(JSON.parse(Buffer.from(data).toString('utf8')))
      const c = checkListing(msg.listing, this.deps.now())
      return c.ok ? c.listing : undefined
    } catch {
      return undefined
    }
  }

  private validate (data: Uint8Array): TopicValidatorResult {
    const drops = this.deps.components.drops
    if (data.byteLength > MAX_MARKET_GOSSIP_BYTES) { drops.add('market', 'oversized'); return TopicValidatorResult.Reject }
    let msg
    try {
      msg = MarketGossip.parse(JSON.parse(Buffer.from(data).toString('utf8')))
    } catch {
      drops.add('market', 'malformed')
      return TopicValidatorResult.Reject
    }
    const c = checkListing(msg.listing, this.deps.now())
    if (!c.ok) {
      drops.add('market', c.reason)
      // An expired listing can be honest gossip that arrived late: ignored, not held against the sender.
      return c.reason === 'expired' ? TopicValidatorResult.Ignore : TopicValidatorResult.Reject
    }
    return TopicValidatorResult.Accept
  }
}
