// Market routes of the local API (the CLI's `market list`, the Services page), thin calls of the node's
// market (`node.market`). Prices on the wire are tokens; the market counts ledger units. A node without
// the market feature has no market routes (404).
import { z } from 'zod'
import { formatTokens, parseTokens } from '../../ledger'
import { SERVICE_TYPES } from '../../market/constants'
import { BACKEND_NAMES, isMarketUserError, type BackendName, type MarketApi, type MarketListing, type ComputeResult } from '../../market'
import { MAX_EMBED_TEXTS, MAX_EMBED_TEXT_CHARS, MAX_GENERATE_TOKENS, MAX_PROMPT_CHARS } from '../../market/protocol'
import { isUserFacing } from '../../economy/errors'
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

/** Tokens as typed (number or text) → units; a bad amount is the caller's mistake. */
const amount = z.union([z.number().min(0), z.string().min(1).max(32)])
function units (v: number | string, what: string): number {
  try {
    return parseTokens(String(v))
  } catch (err) {
    throw new BadRequestError(`${what}: ${(err as Error).message}`)
  }
}

const ProviderBody = z.strictObject({
  backend: z.enum(BACKEND_NAMES as [BackendName, ...BackendName[]]),
  pricePerRequest: amount,
  model: z.string().min(1).max(128).optional(),
  url: z.string().min(1).max(2048).optional(),
  adapters: z.array(z.string().min(1).max(128)).max(64).optional(),
  adapterMode: z.enum(['model', 'llama-cpp']).optional(),
  maxConcurrent: z.int().min(1).max(256).optional(),
  region: z.string().min(1).max(32).optional()
})
const StopBody = z.strictObject({ backend: z.string().min(1).max(64).optional() })
const GenerateBody = z.strictObject({
  prompt: z.string().min(1).max(MAX_PROMPT_CHARS),
  maxPrice: amount,
  adapter: z.string().min(1).max(128).optional(),
  model: z.string().min(1).max(128).optional(),
  maxTokens: z.int().min(1).max(MAX_GENERATE_TOKENS).optional(),
  preferLocal: z.boolean().optional()
})
const EmbedBody = z.strictObject({
  texts: z.array(z.string().min(1).max(MAX_EMBED_TEXT_CHARS)).min(1).max(MAX_EMBED_TEXTS),
  maxPrice: amount,
  preferLocal: z.boolean().optional()
})

/** A market or wallet mistake is the caller's (400, one line); anything else stays a server error. */
async function userErrors<T> (fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (isMarketUserError(err) || isUserFacing(err)) throw new BadRequestError((err as Error).message)
    throw err
  }
}

function resultJson (r: ComputeResult): Record<string, unknown> {
  return { provider: r.provider, service: r.service, cost: tokensOf(r.cost), ...(r.balance !== undefined ? { balance: tokensOf(r.balance) } : {}), failed: r.failed }
}

export function registerMarketRoutes (api: RouteRegistry, market: MarketApi): void {
  api.route('GET', '/api/market/listings', req => {
    const parsed = ListQuery.safeParse(Object.fromEntries(req.url.searchParams))
    if (!parsed.success) throw new BadRequestError(parsed.error.issues.map(i => `${i.path.join('.')}: ${i.message}`).join('; '))
    const q = parsed.data
    return { listings: market.list({ type: q.type, model: q.model, service: q.service, minAvailability: q.minAvailability }).map(listingJson) }
  })
  api.route('GET', '/api/compute/providers', () => ({ providers: market.providers().map(p => ({ ...p, price: tokensOf(p.price), earned: tokensOf(p.earned) })) }))
  api.route('POST', '/api/compute/provider', async req => {
    const body = await req.body(ProviderBody)
    const price = units(body.pricePerRequest, 'pricePerRequest')
    return await userErrors(async () => {
      const l = await market.startProvider({ ...body, pricePerRequest: price }, { signal: req.signal })
      return { service: l.service, model: l.model, adapters: l.adapters ?? [], price: tokensOf(l.price), unit: l.unit, capacity: l.capacity, expires: l.expires }
    })
  })
  api.route('POST', '/api/compute/provider/stop', async req => {
    const body = await req.body(StopBody)
    return { stopped: await market.stopProvider(body.backend) }
  })
  api.route('POST', '/api/ai/embed', async req => {
    const body = await req.body(EmbedBody)
    const maxPrice = units(body.maxPrice, 'maxPrice')
    return await userErrors(async () => {
      const r = await market.embed(body.texts, { maxPrice, preferLocal: body.preferLocal, signal: req.signal })
      return { ...resultJson(r), vectors: r.vectors }
    })
  })
  // NDJSON records: {type:'token', text} as they come, {type:'retry', provider, error} when a provider
  // failed and the next is tried (text restarts), then {type:'done', provider, cost, tokens, text, …}.
  api.stream('POST', '/api/ai/generate', async (req, write) => {
    const body = await req.body(GenerateBody)
    const maxPrice = units(body.maxPrice, 'maxPrice')
    const r = await userErrors(async () => await market.generate({
      prompt: body.prompt,
      maxPrice,
      adapter: body.adapter,
      model: body.model,
      maxTokens: body.maxTokens,
      preferLocal: body.preferLocal,
      signal: req.signal,
      onToken: text => write({ type: 'token', text }),
      onRetry: e => write({ type: 'retry', ...e })
    }))
    write({ type: 'done', ...resultJson(r), tokens: r.tokens, text: r.text })
  })
}
