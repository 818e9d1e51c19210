// Wire frames of /continuum/compute/1.0.0 and of the market gossip topic, validated at the edge. The first
// frame of a stream is a request; a compute answer streams frames back (tokens or vectors, then done or
// refused) and the requester ends with its payment receipt (or a rejection). Listings inside frames are
// `unknown` here and checked one by one (checkListing), so one bad listing is dropped alone.
import { z } from 'zod'
import { computeReceiptSchema } from '../ledger'
import { MAX_LISTINGS_PER_ANSWER } from './constants'

/** Largest prompt (characters); the whole request frame is capped by COMPUTE_MAX_FRAME_BYTES. */
export const MAX_PROMPT_CHARS = 32_000
/** Most tokens a generation may ask for. */
export const MAX_GENERATE_TOKENS = 4_096
/** Most texts in one embed request, and their size. */
export const MAX_EMBED_TEXTS = 64
export const MAX_EMBED_TEXT_CHARS = 8_000
/** Largest token frame (characters of text). */
export const MAX_TOKEN_TEXT = 4_096
/** Largest frame either way (a batch of 64 vectors of 384 floats as JSON is ~500 kB). */
export const COMPUTE_MAX_FRAME_BYTES = 1024 * 1024
/** Most dimensions of a returned vector. */
export const MAX_VECTOR_DIMENSIONS = 4_096

const id = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/)
const service = z.string().min(1).max(64)
const units = z.int().min(0).max(2 ** 50)

export const ComputeRequest = z.discriminatedUnion('type', [
  /** The listings this node holds (a new peer catches up without waiting for gossip). */
  z.strictObject({ type: z.literal('listings'), limit: z.int().min(1).max(MAX_LISTINGS_PER_ANSWER) }),
  z.strictObject({
    type: z.literal('generate'),
    requestId: id,
    service,
    prompt: z.string().min(1).max(MAX_PROMPT_CHARS),
    adapter: z.string().min(1).max(128).optional(),
    model: z.string().min(1).max(128).optional(),
    maxTokens: z.int().min(1).max(MAX_GENERATE_TOKENS),
    /** The price per request the requester accepts (its listing's price, in units). */
    price: units
  }),
  z.strictObject({
    type: z.literal('embed'),
    requestId: id,
    service,
    texts: z.array(z.string().min(1).max(MAX_EMBED_TEXT_CHARS)).min(1).max(MAX_EMBED_TEXTS),
    price: units
  })
])
export type ComputeRequest = z.infer<typeof ComputeRequest>

export const ListingsAnswer = z.strictObject({ listings: z.array(z.unknown()).max(MAX_LISTINGS_PER_ANSWER) })

export const ComputeFrame = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('token'), text: z.string().max(MAX_TOKEN_TEXT) }),
  z.strictObject({ type: z.literal('vectors'), vectors: z.array(z.array(z.number().finite()).min(1).max(MAX_VECTOR_DIMENSIONS)).min(1).max(MAX_EMBED_TEXTS) }),
  /** The answer is complete; `cost` is what the provider asks (units), at most the accepted price. */
  z.strictObject({ type: z.literal('done'), cost: units, tokens: z.int().min(0).max(2 ** 32).optional() }),
  z.strictObject({ type: z.literal('refused'), reason: z.string().max(300) })
])
export type ComputeFrame = z.infer<typeof ComputeFrame>

/** The requester's last frame: the receipt of its payment, or why it does not pay. */
export const SettleFrame = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('receipt'), receipt: computeReceiptSchema }),
  z.strictObject({ type: z.literal('unpaid'), reason: z.string().max(300) })
])
export type SettleFrame = z.infer<typeof SettleFrame>

/** A gossip message on MARKET_TOPIC: one listing (checked by checkListing). */
export const MarketGossip = z.strictObject({ type: z.literal('listing'), listing: z.unknown() })
