// The market as a node capability (`node.market`): this node's signed listings and everyone's it holds,
// with availability and reputation measured here, plus the compute provider and requester on top
// (provider.ts, requester.ts). js-libp2p shape: `marketService(init)(components)`; as a node feature,
// `marketFeature(init)` takes its components from the node it starts on.
//
// Parts, one concern each: listing.ts (schema, signing), listings-store.ts (held listings: versions,
// caps, expiry), listings-gossip.ts (topic, re-announce, sync with new peers), measure.ts (availability
// and reputation per provider), rpc.ts (the /continuum/compute/1.0.0 streams).
import { TypedEventEmitter } from 'main-event'
import { serviceCapabilities, serviceDependencies, type PeerId } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { MeshFeature } from '../feature'
import type { AbortOptions } from '../util/abort'
import {
  DEFAULT_LISTING_TTL_MS, DEFAULT_MIN_AVAILABILITY, DEFAULT_REANNOUNCE_MS, MAX_LISTING_TTL_MS, MAX_LISTINGS_PER_ANSWER, SWEEP_INTERVAL_MS
} from './constants'
import { ListingRejectedError, MarketNotRunningError } from './errors'
import { checkListing, listingKey, signListing, type ListingBody, type PriceUnit, type ServiceListing, type ServiceType } from './listing'
import { ListingsStore } from './listings-store'
import { ListingsGossip } from './listings-gossip'
import { ProviderTracker, type ProviderMeasure } from './measure'
import { ComputeRpc, type ComputeExchange } from './rpc'
import type { ComputePayments, MarketComponents } from './components'

export interface MarketInit {
  /** Pays for compute and claims compute rewards (the ledger); without it compute is free only. */
  payments?: ComputePayments
  /** Own listings are re-announced this often; 0 disables the timer. @default 60000 */
  reannounceMs?: number
  /** Lifetime of own listings. @default 600000 (10 minutes) */
  listingTtlMs?: number
  /** Compute requests one peer may make per second. @default 10 */
  ratePerSecond?: number
  /** Longest compute exchange in ms. @default 120000 */
  exchangeTimeoutMs?: number
  /** Clock (tests). @default Date.now */
  now?: () => number
}

/** What a provider offers; the node signs it as a listing. Prices are ledger units (1 token = 1,000,000). */
export interface ListingOffer {
  serviceType: ServiceType
  service: string
  price: number
  /** @default 'request' ('mb-day' for storage) */
  unit?: PriceUnit
  model?: string
  adapters?: string[]
  /** @default 1 */
  capacity?: number
  region?: string
  attributes?: Record<string, string>
}

export interface ListingFilter {
  type?: ServiceType
  /** The listing's model (or one of its adapters), case-insensitive. */
  model?: string
  /** The provider's own name for the offer. */
  service?: string
  /** @default 0.5 */
  minAvailability?: number
  /** Include this node's own listings. @default true */
  includeOwn?: boolean
}

/** A listing with what this node measured of its provider. */
export interface MarketListing extends ServiceListing, ProviderMeasure { own: boolean }

export interface MarketEvents {
  /** A listing arrived, changed, was withdrawn or published here. */
  'listing': CustomEvent<{ listing: ServiceListing, change: 'new' | 'updated' | 'withdrawn' }>
}

/** The market as consumers see it (`node.market`). */
export interface MarketApi extends TypedEventEmitter<MarketEvents> {
  /** This node's account (its PeerId text). */
  readonly account: string
  /** Signs and spreads a listing of `offer` (replacing this node's earlier listing of the same service). */
  publish(offer: ListingOffer, options?: AbortOptions): Promise<ServiceListing>
  /** Withdraws this node's listing of `service`; resolves undefined when there was none. */
  withdraw(service: string, options?: AbortOptions): Promise<ServiceListing | undefined>
  /** Live listings, measured here, ordered by price ascending then reputation descending. */
  list(filter?: ListingFilter): MarketListing[]
  /** This node's own live listings. */
  own(): ServiceListing[]
  /** Takes a listing from elsewhere (e.g. a DHT record): verified, then stored like gossip. */
  ingest(raw: unknown): ServiceListing
  /** What this node measured of a provider. */
  measure(provider: string): ProviderMeasure
  status(): Record<string, unknown>
}

interface Parts { components: MarketComponents, rpc: ComputeRpc, gossip: ListingsGossip, account: string }

export class MarketFeature extends TypedEventEmitter<MarketEvents> implements MeshFeature, MarketApi {
  readonly name = 'market'
  readonly [Symbol.toStringTag] = '@continuum/market'
  readonly [serviceDependencies] = ['@libp2p/identify', '@libp2p/pubsub']
  readonly store = new ListingsStore()
  readonly tracker: ProviderTracker
  protected parts?: Parts
  private readonly offers = new Map<string, ListingOffer>()
  private sweepTimer?: NodeJS.Timeout
  private lastSeq = 0
  /** Compute requests are handed here (provider.ts sets it). */
  protected onCompute: (x: ComputeExchange) => Promise<void> = async x => { await x.send({ type: 'refused', reason: 'this node provides no compute' }) }

  constructor (protected readonly init: MarketInit = {}, private readonly components?: MarketComponents) {
    super()
    this.tracker = new ProviderTracker(account => this.init.payments?.reputation(account) ?? 0.5)
  }

  protected now (): number { return (this.init.now ?? Date.now)() }

  protected get running (): Parts {
    if (this.parts === undefined) throw new MarketNotRunningError()
    return this.parts
  }

  get account (): string { return this.running.account }

  async start (node?: MarketComponents): Promise<void> {
    const components = node ?? this.components
    if (components === undefined) throw new TypeError('the market needs its components: start it on a node, or create it with marketService(init)(components)')
    const capabilities = new Set(Object.values(components.libp2p.services).flatMap(s => (s as { [serviceCapabilities]?: string[] })[serviceCapabilities] ?? []))
    const missing = this[serviceDependencies].filter(d => !capabilities.has(d))
    if (missing.length > 0) throw new TypeError(`the market needs libp2p services that are missing: ${missing.join(', ')}`)
    const account = peerIdFromPrivateKey(components.privateKey).toString()
    const rpc = new ComputeRpc(components, { ratePerSecond: this.init.ratePerSecond ?? 10, timeoutMs: this.init.exchangeTimeoutMs ?? 120_000 })
    const gossip = new ListingsGossip({
      components,
      now: () => this.now(),
      ingest: (l, from) => this.accept(l, from),
      own: () => this.ownCurrent(),
      askListings: async peer => await rpc.askListings(peer, MAX_LISTINGS_PER_ANSWER)
    })
    this.parts = { components, rpc, gossip, account }
    await rpc.serve({
      listings: limit => this.store.current(this.now()).slice(0, limit),
      compute: async x => await this.onCompute(x)
    })
    gossip.start(this.init.reannounceMs ?? DEFAULT_REANNOUNCE_MS)
    this.sweepTimer = setInterval(() => { void this.refresh() }, SWEEP_INTERVAL_MS)
    this.sweepTimer.unref()
  }

  async stop (): Promise<void> {
    clearInterval(this.sweepTimer)
    const parts = this.parts
    if (parts === undefined) return
    parts.gossip.stop()
    await parts.rpc.unhandle()
    this.parts = undefined
  }

  /** A verified listing from the network; returns true when it changed what is held. */
  private accept (l: ServiceListing, _from?: PeerId): boolean {
    if (this.parts !== undefined && l.provider === this.parts.account) return false // own listings come from here only
    const r = this.store.accept(l)
    if (r === 'stale') return false
    if (r === 'provider-cap') { this.parts?.components.drops.add('market', 'provider-cap'); return false }
    this.safeDispatchEvent('listing', { detail: { listing: l, change: r } })
    return true
  }

  ingest (raw: unknown): ServiceListing {
    const c = checkListing(raw, this.now())
    if (!c.ok) throw new ListingRejectedError(c.reason)
    this.accept(c.listing)
    return c.listing
  }

  async publish (offer: ListingOffer, options: AbortOptions = {}): Promise<ServiceListing> {
    const listing = await this.sign(offer, false)
    options.signal?.throwIfAborted()
    this.offers.set(offer.service, offer)
    await this.spread(listing)
    return listing
  }

  async withdraw (service: string, _options: AbortOptions = {}): Promise<ServiceListing | undefined> {
    const offer = this.offers.get(service)
    if (offer === undefined) return undefined
    this.offers.delete(service)
    const listing = await this.sign(offer, true)
    await this.spread(listing)
    return listing
  }

  private async sign (offer: ListingOffer, withdrawn: boolean): Promise<ServiceListing> {
    const { components, account } = this.running
    const now = this.now()
    const ttl = Math.min(this.init.listingTtlMs ?? DEFAULT_LISTING_TTL_MS, MAX_LISTING_TTL_MS)
    // Versions are the clock in ms, kept increasing, so a restarted node's listings replace its old ones.
    this.lastSeq = Math.max(this.lastSeq + 1, now)
    const body: ListingBody = {
      v: 1,
      provider: account,
      serviceType: offer.serviceType,
      service: offer.service,
      unit: offer.unit ?? (offer.serviceType === 'storage' ? 'mb-day' : 'request'),
      price: offer.price,
      capacity: offer.capacity ?? 1,
      seq: this.lastSeq,
      issued: now,
      expires: now + ttl,
      ...(offer.model !== undefined ? { model: offer.model } : {}),
      ...(offer.adapters !== undefined && offer.adapters.length > 0 ? { adapters: offer.adapters } : {}),
      ...(offer.region !== undefined ? { region: offer.region } : {}),
      ...(offer.attributes !== undefined ? { attributes: offer.attributes } : {}),
      ...(withdrawn ? { withdrawn: true as const } : {})
    }
    try {
      return await signListing(components.privateKey, body)
    } catch (err) {
      if ((err as Error).name === 'ZodError') throw new ListingRejectedError('invalid', `Invalid listing: ${(err as { issues?: Array<{ path: unknown[], message: string }> }).issues?.map(i => `${i.path.join('.')}: ${i.message}`).join('; ') ?? ''}`)
      throw err
    }
  }

  private async spread (listing: ServiceListing): Promise<void> {
    const r = this.store.accept(listing, true)
    if (r !== 'stale' && r !== 'provider-cap') this.safeDispatchEvent('listing', { detail: { listing, change: r } })
    await this.running.gossip.publish(listing)
  }

  /** Own listings held now (withdrawals included, until they expire). */
  private ownCurrent (): ServiceListing[] {
    const account = this.parts?.account
    return this.store.current(this.now()).filter(l => l.provider === account)
  }

  own (): ServiceListing[] {
    return this.ownCurrent().filter(l => l.withdrawn !== true)
  }

  /** Sweeps expired listings and re-signs own offers past half their lifetime. */
  private async refresh (): Promise<void> {
    const now = this.now()
    this.store.sweep(now)
    if (this.parts === undefined) return
    for (const offer of this.offers.values()) {
      const held = this.store.get(listingKey({ provider: this.parts.account, service: offer.service }))
      if (held === undefined || held.expires - now < (held.expires - held.issued) / 2) await this.publish(offer).catch(() => {})
    }
  }

  measure (provider: string): ProviderMeasure { return this.tracker.measure(provider) }

  list (filter: ListingFilter = {}): MarketListing[] {
    const now = this.now()
    const account = this.parts?.account
    const minAvailability = filter.minAvailability ?? DEFAULT_MIN_AVAILABILITY
    const model = filter.model?.toLowerCase()
    return this.store.live(now)
      .filter(l => filter.type === undefined || l.serviceType === filter.type)
      .filter(l => filter.service === undefined || l.service === filter.service)
      .filter(l => model === undefined || l.model?.toLowerCase() === model || (l.adapters ?? []).some(a => a.toLowerCase() === model))
      .filter(l => filter.includeOwn !== false || l.provider !== account)
      .map(l => ({ ...l, ...this.tracker.measure(l.provider), own: l.provider === account }))
      .filter(l => l.availability >= minAvailability)
      .sort((a, b) => a.price - b.price || b.reputation - a.reputation || a.provider.localeCompare(b.provider))
  }

  status (): Record<string, unknown> {
    if (this.parts === undefined) return { running: false }
    const now = this.now()
    return { listings: this.store.live(now).length, own: this.own().length }
  }
}

/** Creates the market feature (add it to the node's `features`); it takes its components from the node it starts on. */
export function marketFeature (init: MarketInit = {}): MarketFeature {
  return new MarketFeature(init)
}

/** The js-libp2p factory shape: `marketService(init)(components)`. */
export function marketService (init: MarketInit = {}): (components: MarketComponents) => MarketApi {
  return components => new MarketFeature(init, components)
}
