// Signed social items as they travel and are stored: a post (text, links, reply, optional rating) or a
// tombstone that deletes one of the author's posts. Objects are strict: an unknown member changes the
// hash, so it is refused rather than dropped. The embedding is not part of the item: each node computes
// it from the text with its own embedder, so nobody can steer search with a forged vector.
import { z } from 'zod'
import { ACCOUNT_RE, downloadReceiptSchema } from '../ledger'
import { MAX_LINKS, MAX_LINK_CHARS, MAX_TEXT_CHARS } from './constants'

const account = z.string().regex(ACCOUNT_RE, 'not an Ed25519 peer id')
const hashHex = z.string().regex(/^[0-9a-f]{64}$/, 'not a sha-256 hex digest')
const signature = z.string().regex(/^[A-Za-z0-9_-]{86}$/, 'not a base64url Ed25519 signature')
const time = z.int().min(0).max(2 ** 47)
// Printable text: control characters other than newline and tab are refused (terminal escapes in a feed).
// eslint-disable-next-line no-control-regex
const text = z.string().min(1).max(MAX_TEXT_CHARS, `at most ${MAX_TEXT_CHARS} characters`).refine(t => !/[\u0000-\u0008\u000b-\u001f\u007f]/.test(t), 'contains control characters').refine(t => t.trim() !== '', 'is empty')

/** A review: the rating of an adapter, backed by the author's signed download receipt. */
export const ratingSchema = z.strictObject({
  /** The adapter's catalog key, `<publisher>/<id>`. */
  adapter: z.string().min(3).max(MAX_LINK_CHARS).regex(/^[1-9A-HJ-NP-Za-km-z]{40,128}\/\S+$/, 'not <publisher>/<id>'),
  score: z.int().min(1).max(5),
  receipt: downloadReceiptSchema
})

export const postBodySchema = z.strictObject({
  v: z.literal(1),
  kind: z.literal('post'),
  author: account,
  time,
  text,
  /** Adapters the post is about: catalog keys or CIDs. */
  adapters: z.array(z.string().min(1).max(MAX_LINK_CHARS).regex(/^\S+$/, 'has spaces')).max(MAX_LINKS).optional(),
  /** The post this one replies to. */
  replyTo: hashHex.optional(),
  rating: ratingSchema.optional()
})

export const tombstoneBodySchema = z.strictObject({
  v: z.literal(1),
  kind: z.literal('delete'),
  author: account,
  time,
  /** The author's post this deletes. */
  target: hashHex
})

const signed = { id: hashHex, sig: signature }
export const postSchema = postBodySchema.extend(signed).strict()
export const tombstoneSchema = tombstoneBodySchema.extend(signed).strict()
export const itemSchema = z.discriminatedUnion('kind', [postSchema, tombstoneSchema])

export type Rating = z.infer<typeof ratingSchema>
export type PostBody = z.infer<typeof postBodySchema>
export type TombstoneBody = z.infer<typeof tombstoneBodySchema>
export type Post = z.infer<typeof postSchema>
export type Tombstone = z.infer<typeof tombstoneSchema>
export type SocialItem = z.infer<typeof itemSchema>
export type ItemBody = PostBody | TombstoneBody

const Epoch = z.string().regex(/^[A-Za-z0-9_-]{6,32}$/)
const ShortId = z.string().regex(/^[A-Za-z0-9_-]{12}$/)

/** Wire messages of /continuum/social/1.0.0: the catalog's incremental scheme (changes, then fetch). */
export const SocialRequest = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('changes'),
    epoch: Epoch.nullable(),
    since: z.int().nonnegative(),
    limit: z.int().min(1).max(2_000),
    /** Where the asker's own log stands: a differing root makes the answerer pull back. */
    from: z.strictObject({ epoch: Epoch, head: z.int().nonnegative(), root: ShortId })
  }),
  z.strictObject({ type: z.literal('fetch'), ids: z.array(ShortId).min(1).max(100) })
])
export type SocialRequest = z.infer<typeof SocialRequest>

export const ChangesResponse = z.strictObject({
  epoch: Epoch,
  head: z.int().nonnegative(),
  ids: z.array(z.tuple([ShortId, z.int().nonnegative()])).max(2_000),
  more: z.boolean(),
  same: z.literal(true).optional()
})
export const ItemsResponse = z.strictObject({ items: z.array(z.unknown()).max(100) })
