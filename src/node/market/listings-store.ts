// The listings this node holds: one per provider and service (the highest seq wins), verified before they
// get here, capped per provider and in all, dropped when they expire. Own listings are kept apart so a
// full store never evicts them.
import { MAX_LISTINGS, MAX_LISTINGS_PER_PROVIDER } from './constants'
import { listingKey, type ServiceListing } from './listing'

export type AcceptResult = 'new' | 'updated' | 'withdrawn' | 'stale' | 'provider-cap'

export interface ListingsStoreInit {
  /** @default MAX_LISTINGS */
  maxListings?: number
  /** @default MAX_LISTINGS_PER_PROVIDER */
  maxPerProvider?: number
}

export class ListingsStore {
  private readonly byKey = new Map<string, ServiceListing>()
  private readonly perProvider = new Map<string, number>()
  private readonly maxListings: number
  private readonly maxPerProvider: number

  constructor (init: ListingsStoreInit = {}) {
    this.maxListings = init.maxListings ?? MAX_LISTINGS
    this.maxPerProvider = init.maxPerProvider ?? MAX_LISTINGS_PER_PROVIDER
  }

  get size (): number { return this.byKey.size }

  get (key: string): ServiceListing | undefined { return this.byKey.get(key) }

  /** Stores a verified listing if it is newer than what is held; `own` listings bypass the caps. */
  accept (l: ServiceListing, own = false): AcceptResult {
    const key = listingKey(l)
    const held = this.byKey.get(key)
    if (held !== undefined && held.seq >= l.seq) return 'stale'
    if (held === undefined) {
      if (!own && (this.perProvider.get(l.provider) ?? 0) >= this.maxPerProvider) return 'provider-cap'
      if (!own && this.byKey.size >= this.maxListings) this.evictOne()
      this.perProvider.set(l.provider, (this.perProvider.get(l.provider) ?? 0) + 1)
    }
    this.byKey.set(key, l)
    return l.withdrawn === true ? 'withdrawn' : held === undefined ? 'new' : 'updated'
  }

  /** Live (not withdrawn, not expired) listings. */
  live (now: number): ServiceListing[] {
    return [...this.byKey.values()].filter(l => l.withdrawn !== true && l.expires > now)
  }

  /** Everything held that has not expired, withdrawals included (what a sync answer hands on). */
  current (now: number): ServiceListing[] {
    return [...this.byKey.values()].filter(l => l.expires > now)
  }

  /** Drops expired listings; returns how many. */
  sweep (now: number): number {
    let n = 0
    for (const [key, l] of this.byKey) {
      if (l.expires > now) continue
      this.remove(key, l)
      n++
    }
    return n
  }

  private remove (key: string, l: ServiceListing): void {
    this.byKey.delete(key)
    const c = (this.perProvider.get(l.provider) ?? 1) - 1
    if (c <= 0) this.perProvider.delete(l.provider)
    else this.perProvider.set(l.provider, c)
  }

  /** Makes room: the listing that expires soonest goes. */
  private evictOne (): void {
    let victim: [string, ServiceListing] | undefined
    for (const e of this.byKey) if (victim === undefined || e[1].expires < victim[1].expires) victim = e
    if (victim !== undefined) this.remove(victim[0], victim[1])
  }
}
