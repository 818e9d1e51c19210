// Wire format of `/continuum/search/1.0.0`: one length-prefixed JSON frame per stream, either a
// request (flooded outwards, TTL-bounded) or a response (walked back hop by hop along the request's
// path). Everything here is validated at the edge; manifests in responses are verified by the origin.
import { z } from 'zod'
import { MAX_KEYWORDS, MAX_RESULTS_PER_PEER, MAX_SKIP, MAX_TTL } from './constants'

const PeerIdText = z.string().min(10).max(128).regex(/^[1-9A-HJ-NP-Za-km-z]+$|^[a-z2-7]+$/)
const RequestId = z.string().regex(/^[0-9a-f]{32}$/)
const Tag = z.string().min(1).max(64)

export const WireFilters = z.object({
  /** Cosine similarity a result must reach. */
  minSimilarity: z.number().min(0).max(1).optional(),
  /** 0–1: the adapter's reported accuracy, or its rating / 5 when it has no accuracy. */
  minQuality: z.number().min(0).max(1).optional(),
  /** Any of these domains (a domain also matches its sub-domains: `food-drink` matches `food-drink/wine`). */
  domains: z.array(Tag).max(20).optional(),
  /** Has any of these capabilities. */
  capabilities: z.array(Tag).max(20).optional(),
  kinds: z.array(Tag).max(20).optional(),
  baseModels: z.array(z.string().min(1).max(200)).max(20).optional(),
  specializations: z.array(Tag).max(20).optional(),
  minRating: z.number().min(0).max(5).optional(),
  maxPrice: z.number().min(0).optional()
}).strict()
export type WireFilters = z.infer<typeof WireFilters>

export const SearchRequestFrame = z.object({
  type: z.literal('request'),
  v: z.literal(1),
  id: RequestId,
  /** Query embedding: canonical base64 of 384 little-endian float32 values. */
  embedding: z.string().length(2048),
  keywords: z.array(z.string().min(1).max(40)).max(MAX_KEYWORDS),
  filters: WireFilters,
  /** Hops this request may still travel, counting the receiver; checked against MAX_TTL separately so an over-limit TTL is counted as such. */
  ttl: z.number().int().min(1).max(1_000),
  /** Relays the request passed, first hop first. The origin is never in it. */
  path: z.array(PeerIdText).max(MAX_TTL * 2),
  /** Origin's clock when the request left, ms since epoch. */
  ts: z.number().int().min(0),
  /** Short hashes of results the origin already has (continued searches). */
  skip: z.array(z.string().regex(/^[0-9a-f]{12}$/)).max(MAX_SKIP).optional()
}).strict()
export type SearchRequestFrame = z.infer<typeof SearchRequestFrame>

export const SearchResponseFrame = z.object({
  type: z.literal('response'),
  v: z.literal(1),
  id: RequestId,
  /** The peer that answered (unauthenticated claim; the manifests themselves are signed). */
  responder: PeerIdText,
  /** The responder's distance from the origin. */
  hops: z.number().int().min(1).max(MAX_TTL),
  /** The request's path as the responder received it; each relay checks it is the last entry and pops itself. */
  path: z.array(PeerIdText).max(MAX_TTL),
  results: z.array(z.object({
    manifest: z.record(z.string(), z.unknown()),
    similarity: z.number().min(0).max(1)
  }).strict()).min(1).max(MAX_RESULTS_PER_PEER)
}).strict()
export type SearchResponseFrame = z.infer<typeof SearchResponseFrame>

/**
 * "Everything behind me has answered": sent upstream along the request's path once a peer has answered
 * and every peer it forwarded to has sent its own `done` (a duplicate is answered with `done` at once),
 * so the origin can end a search as soon as the mesh within reach has answered instead of waiting out
 * the user's timeout. `responses` is how many response frames the sender passed upstream for this request:
 * frames travel on separate streams, so the receiver counts them in before it trusts the `done`.
 */
export const SearchDoneFrame = z.object({
  type: z.literal('done'),
  v: z.literal(1),
  id: RequestId,
  path: z.array(PeerIdText).max(MAX_TTL),
  responses: z.number().int().min(0).max(10_000)
}).strict()
export type SearchDoneFrame = z.infer<typeof SearchDoneFrame>

export const FloodFrame = z.discriminatedUnion('type', [SearchRequestFrame, SearchResponseFrame, SearchDoneFrame])
export type FloodFrame = z.infer<typeof FloodFrame>
