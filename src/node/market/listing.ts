// A service listing: one provider's signed, versioned offer of one service (inference, fine-tuning,
// adapter, storage), spread on the mesh like catalog entries. What it says about itself is only its
// offer (price, unit, model, adapters, capacity, region, lifetime); how available and reputable the
// provider is, every node measures by itself (measure.ts), never taken from the listing.
import { z } from 'zod'
import { ACCOUNT_RE, MAX_AMOUNT, canonicalJson, createSigner, sha256Hex, signHash, verifyHashSig } from '../ledger'
import type { PrivateKey } from '@libp2p/interface'
import {
  LISTING_SIG_DOMAIN, MAX_CLOCK_SKEW_MS, MAX_LISTING_ADAPTERS, MAX_LISTING_BYTES, MAX_LISTING_TTL_MS, PRICE_UNITS, SERVICE_TYPES
} from './constants'

export type ServiceType = typeof SERVICE_TYPES[number]
export type PriceUnit = typeof PRICE_UNITS[number]

const shortText = (max: number): z.ZodString => z.string().min(1).max(max).regex(/^[\x20-\x7e]+$/, 'printable ASCII only')
const time = z.int().min(0).max(2 ** 50)

const bodyShape = {
  v: z.literal(1),
  /** The provider's account (PeerId text); the signer. */
  provider: z.string().regex(ACCOUNT_RE),
  serviceType: z.enum(SERVICE_TYPES),
  /** The provider's own name for this offer, unique among its listings (e.g. `embeddings`, `openai:llama3`). */
  service: z.string().min(1).max(64).regex(/^[a-z0-9][a-z0-9._:-]*$/, 'lower-case letters, digits and . _ : -'),
  /** The model served (inference) or the base model (fine-tuning, adapter). */
  model: shortText(128).optional(),
  /** Adapters the provider can apply by name. */
  adapters: z.array(shortText(128)).max(MAX_LISTING_ADAPTERS).optional(),
  unit: z.enum(PRICE_UNITS),
  /** Price per unit in ledger units (1 token = 1,000,000). */
  price: z.int().min(0).max(MAX_AMOUNT),
  /** Concurrent requests served (MB offered for storage). */
  capacity: z.int().min(1).max(2 ** 32),
  /** A hint where the provider runs (e.g. `eu-west`), for people; never used to route. */
  region: shortText(32).optional(),
  /** Small provider-defined extras for other services (at most 16, short values). */
  attributes: z.record(z.string().min(1).max(32).regex(/^[a-zA-Z0-9_.-]+$/), z.string().max(256)).optional()
    .refine(a => a === undefined || Object.keys(a).length <= 16, 'at most 16 attributes'),
  /** Version: a higher seq replaces the provider's earlier listing of the same service. */
  seq: z.int().min(0).max(2 ** 50),
  issued: time,
  expires: time,
  /** A withdrawal: the provider stopped offering this service (replaces the listing until it expires). */
  withdrawn: z.literal(true).optional()
}

/** Rules across fields: storage is priced per mb-day (and only storage), the lifetime is positive and capped. */
function consistent<T extends z.ZodType<{ serviceType: ServiceType, unit: PriceUnit, issued: number, expires: number }>> (schema: T): T {
  return schema
    .refine(l => (l.serviceType === 'storage') === (l.unit === 'mb-day'), { message: 'storage is priced per mb-day, and only storage is', path: ['unit'] })
    .refine(l => l.expires > l.issued && l.expires - l.issued <= MAX_LISTING_TTL_MS, { message: 'lifetime must be positive and at most one day', path: ['expires'] }) as T
}

export const listingBodySchema = consistent(z.strictObject(bodyShape))
export const listingSchema = consistent(z.strictObject({ ...bodyShape, sig: z.string().regex(/^[A-Za-z0-9_-]{86}$/) }))

export type ListingBody = z.infer<typeof listingBodySchema>
export type ServiceListing = ListingBody & { sig: string }

/** The listing's identity in a store: one live listing per provider and service. */
export const listingKey = (l: Pick<ListingBody, 'provider' | 'service'>): string => `${l.provider}/${l.service}`

function bodyOf (l: ServiceListing | ListingBody): ListingBody {
  const { sig: _sig, ...body } = l as ServiceListing
  return body
}

export function listingHash (l: ServiceListing | ListingBody): string {
  return sha256Hex(canonicalJson(bodyOf(l)))
}

/** Signs a listing body with the provider's key (the body's provider must be that key's account). */
export async function signListing (privateKey: PrivateKey, body: ListingBody): Promise<ServiceListing> {
  const signer = createSigner(privateKey)
  if (signer.account !== body.provider) throw new TypeError('a listing is signed by its provider')
  const checked = listingBodySchema.parse(body)
  return { ...checked, sig: await signHash(signer, LISTING_SIG_DOMAIN, listingHash(checked)) }
}

export type ListingCheck = { ok: true, listing: ServiceListing } | { ok: false, reason: 'oversized' | 'malformed' | 'invalid' | 'bad-signature' | 'expired' | 'future' }

/** Validates an untrusted listing: size, shape, signature by its provider, lifetime against `now`. */
export function checkListing (raw: unknown, now: number): ListingCheck {
  let text: string
  try { text = canonicalJson(raw) } catch { return { ok: false, reason: 'malformed' } }
  if (Buffer.byteLength(text) > MAX_LISTING_BYTES) return { ok: false, reason: 'oversized' }
  const parsed = listingSchema.safeParse(raw)
  if (!parsed.success) return { ok: false, reason: 'invalid' }
  const listing = parsed.data as ServiceListing
  if (!verifyHashSig(listing.provider, LISTING_SIG_DOMAIN, listingHash(listing), listing.sig)) return { ok: false, reason: 'bad-signature' }
  if (listing.expires <= now) return { ok: false, reason: 'expired' }
  if (listing.issued > now + MAX_CLOCK_SKEW_MS) return { ok: false, reason: 'future' }
  return { ok: true, listing }
}
