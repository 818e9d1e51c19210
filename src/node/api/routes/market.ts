// Market routes of the local API (the CLI's `market list`, the Services page), thin calls of the node's
// market (`node.market`). Prices on the wire are tokens; the market counts ledger units. A node without
// the market feature has no market routes (404).
import { z } from 'zod'
import { formatTokens } from '../../ledger'
import { SERVICE_TYPES } from '../../market/constants'
import type { MarketApi, MarketListing } from '../../market'
import type { RouteRegistry } from '../router'
import { BadRequestError } from '../errors'

const ListQuery = z.strictObject({
  type: z.enum(SERVICE_TYPES).optional(),
  model: z.string().min(1).max(128).optional(),
  service: z.string().min(1).max(64).optional(),
  minAvailability: z.coerce.number().min(0).max(1).optional()
})

const tokensOf = (units: number): number => Number(formatTokens(units))

/** A listing as JSON: its offer with the price in tokens, and what this node measured of the provider. */
export function listingJson (l: MarketListing): Record<string, unknown> {
  return {
    provider: l.provider,
    serviceType: l.serviceType,
    service: l.service,
    ...(l.model !== undefined ? { model: l.model } : {}),
    adapters: l.adapters ?? [],
    unit: l.unit,
    price: tokensOf(l.price),
    capacity: l.capacity,
    ...(l.region !== undefined ? { region: l.region } : {}),
    ...(l.attributes !== undefined ? { attributes: l.attributes } : {}),
    expires: l.expires,
    availability: round(l.availability),
    reputation: round(l.reputation),
    answered: l.answered,
    failed: l.failed,
    own: l.own
  }
}

function round (x: number): number { return Math.round(x * 1000) / 1000 }

export function registerMarketRoutes (api: RouteRegistry, market: MarketApi): void {
  api.route('GET', '/api/market/listings', req => {
    const parsed = ListQuery.safeParse(Object.fromEntries(req.url.searchParams))
    if (!parsed.success) throw new BadRequestError(parsed.error.issues.map(i => `${i.path.join('.')}: ${i.message}`).join('; '))
    const q = parsed.data
    return { listings: market.list({ type: q.type, model: q.model, service: q.service, minAvailability: q.minAvailability }).map(listingJson) }
  })
}
