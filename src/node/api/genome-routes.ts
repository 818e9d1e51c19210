// Catalog routes of the local API: search, import, list.
import { z } from 'zod'
import type { MeshNode } from '../mesh-node'
import type { ApiServer } from './server'
import type { MeshFeature } from '../feature'
import { BadRequestError } from './errors'

const Filters = z.object({
  kind: z.union([z.string().max(64), z.array(z.string().max(64)).max(20)]).optional(),
  baseModel: z.union([z.string().max(200), z.array(z.string().max(200)).max(20)]).optional(),
  specialization: z.union([z.string().max(100), z.array(z.string().max(100)).max(20)]).optional(),
  minRating: z.number().min(0).max(5).optional(),
  maxPrice: z.number().min(0).optional(),
  location: z.enum(['local', 'remote']).optional()
}).strict()

export const SearchBody = z.object({
  query: z.string().max(10_000),
  k: z.number().int().min(1).max(100).optional(),
  minSimilarity: z.number().min(0).max(1).optional(),
  filters: Filters.optional()
}).strict()

/** Progressive search: local results first, then network batches when `network` is set and flood search runs. */
export const StreamSearchBody = SearchBody.extend({
  network: z.boolean().optional(),
  /** User patience in ms (1–30 s). */
  timeoutMs: z.number().int().min(1_000).max(30_000).optional(),
  hops: z.number().int().min(1).max(10).optional(),
  minResults: z.number().int().min(1).max(100).optional()
}).strict()

export type StreamSearchRequest = z.infer<typeof StreamSearchBody>

/**
 * A feature named 'flood' that streams network batches after the local results: it writes
 * `{ type: 'batch', … }` records and returns the summary.
 */
export interface NetworkSearchFeature extends MeshFeature {
  streamSearch(req: StreamSearchRequest, vector: Float32Array, write: (record: unknown) => void, signal: AbortSignal): Promise<{ total: number, peersAnswered: number }>
}

const ImportBody = z.object({ path: z.string().min(1).max(4096) }).strict()

export function registerGenomeRoutes (api: ApiServer, node: MeshNode): void {
  api.route('POST', '/api/genome/search', async req => {
    const body = await req.body(SearchBody)
    const outcome = await node.catalog.search({ text: body.query, k: body.k, minSimilarity: body.minSimilarity, filters: body.filters }, { signal: req.signal })
    return { query: body.query, language: outcome.language, searchedAs: outcome.searchText, truncated: outcome.truncated, elapsedMs: outcome.elapsedMs, results: outcome.hits.map(toResult) }
  })
  // NDJSON records: {type:'local', results, truncated, elapsedMs}, then zero or more
  // {type:'batch', elapsedMs, hops, results}, then {type:'done', total, peersAnswered, elapsedMs, network}.
  api.stream('POST', '/api/search', async (req, write) => {
    const body = await req.body(StreamSearchBody)
    const started = Date.now()
    const outcome = await node.catalog.search({ text: body.query, k: body.k, minSimilarity: body.minSimilarity, filters: body.filters }, { signal: req.signal })
    write({ type: 'local', query: body.query, language: outcome.language, searchedAs: outcome.searchText, truncated: outcome.truncated, elapsedMs: Math.round(outcome.elapsedMs), results: outcome.hits.map(toResult) })
    let summary = { total: outcome.hits.length, peersAnswered: 0 }
    const flood = body.network === true ? node.feature<NetworkSearchFeature>('flood') : undefined
    // Peers rank with BM25 too: they get the English rendering of a Spanish, French or German query.
    if (flood !== undefined) summary = await flood.streamSearch({ ...body, query: outcome.searchText }, outcome.vector, write, req.signal)
    const network = flood !== undefined
    write({ type: 'done', ...summary, elapsedMs: Date.now() - started, network })
  })
  api.stream('POST', '/api/genome/import', async (req, write) => {
    const { path } = await req.body(ImportBody)
    let last = 0
    const report = await node.catalog.import(path, {
      signal: req.signal,
      onProgress: (done, total) => {
        if (Date.now() - last < 250 && done < total) return
        last = Date.now()
        write({ type: 'progress', done, total })
      }
    })
    write({ type: 'done', ...report })
  })
  api.route('GET', '/api/genome/list', req => {
    const loc = req.url.searchParams.get('location')
    if (loc !== null && loc !== 'local' && loc !== 'remote') throw new BadRequestError('location must be local or remote')
    return node.catalog.list(loc ?? undefined).map(h => toResult(h))
  })
}

/** The shape every search result has on the wire (API, CLI --json, web UI). */
export function toResult (h: { key: string, manifest: import('../manifest').AdapterManifest, similarity: number, score: number, location: 'local' | 'remote', availableFrom: string[] }): Record<string, unknown> {
  const m = h.manifest
  return {
    key: h.key,
    id: m.id,
    name: m.name,
    version: m.version,
    description: m.description,
    kind: m.kind,
    baseModel: m.baseModel,
    specializations: m.specializations,
    capabilities: m.capabilities,
    domain: m.domain,
    price: m.price,
    rating: m.metrics.rating,
    downloads: m.metrics.downloads,
    contentHash: m.contentHash,
    publisher: m.publisher,
    similarity: round(h.similarity),
    score: round(h.score),
    location: h.location,
    availableFrom: h.availableFrom
  }
}

function round (x: number): number { return Math.round(x * 10_000) / 10_000 }
