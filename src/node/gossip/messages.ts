// Wire messages of /continuum/catalog/1.0.0, validated at the edge.
import { z } from 'zod'
import { MAX_FETCH, MAX_IDS_PER_PAGE, DEFAULT_TOP_N } from './constants'

const ReleaseId = z.string().regex(/^[A-Za-z0-9_-]{12}$/)
const Epoch = z.string().regex(/^[A-Za-z0-9_-]{6,32}$/)

/** Where the asker's own change log stands, so the answerer can tell whether to pull back. */
const Position = z.object({
  epoch: Epoch,
  head: z.number().int().nonnegative(),
  /** XOR of the asker's release ids: when it equals ours, both hold the same set and nothing is listed. */
  root: z.string().regex(/^[A-Za-z0-9_-]{12}$/)
}).strict()

export const CatalogRequest = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('changes'),
    /** The answerer's epoch the asker last synced with (null: never). */
    epoch: Epoch.nullable(),
    since: z.number().int().nonnegative(),
    limit: z.number().int().min(1).max(MAX_IDS_PER_PAGE),
    from: Position
  }).strict(),
  z.object({
    type: z.literal('fetch'),
    ids: z.array(ReleaseId).min(1).max(MAX_FETCH)
  }).strict(),
  z.object({
    // The design's scheme, kept for comparison: send our top N, receive theirs.
    type: z.literal('top'),
    limit: z.number().int().min(1).max(DEFAULT_TOP_N),
    manifests: z.array(z.unknown()).max(DEFAULT_TOP_N)
  }).strict()
])
export type CatalogRequest = z.infer<typeof CatalogRequest>

export const ChangesResponse = z.object({
  epoch: Epoch,
  head: z.number().int().nonnegative(),
  /** [releaseId, seq, held locally by the answerer (1) or cached (0)] */
  ids: z.array(z.tuple([ReleaseId, z.number().int().nonnegative(), z.union([z.literal(0), z.literal(1)])])).max(MAX_IDS_PER_PAGE),
  more: z.boolean(),
  /** Both sides hold the same set: the asker may move its cursor to `head`. */
  same: z.literal(true).optional()
}).strict()
export type ChangesResponse = z.infer<typeof ChangesResponse>

export const ManifestsResponse = z.object({
  manifests: z.array(z.unknown()).max(Math.max(MAX_FETCH, DEFAULT_TOP_N))
}).strict()
export type ManifestsResponse = z.infer<typeof ManifestsResponse>
