// Catalog routes of the local API: search, import, list.
import { z } from 'zod'
import type { MeshNode } from '../mesh-node'
import type { ApiServer } from './server'
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

const ImportBody = z.object({ path: z.string().min(1).max(4096) }).strict()

export function registerGenomeRoutes (api: ApiServer, node: MeshNode): void {
  api.route('POST', '/api/genome/search', async req => {
    const body = await req.body(SearchBody)
    const outcome = await node.catalog.search({ text: body.query, k: body.k, minSimilarity: body.minSimilarity, filters: body.filters }, { signal: req.signal })
    return { query: body.query, truncated: outcome.truncated, elapsedMs: outcome.elapsedMs, results: outcome.hits.map(toResult) }
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
