// Catalog and search routes of the local API: search (one answer or a progressive stream), continue a
// network search, import, list. Each is a thin call of the node's facade; serialise.ts makes the JSON.
import { z } from 'zod'
import type { MeshNode } from '../../mesh-node'
import type { RouteRegistry } from '../router'
import { BadRequestError } from '../errors'
import { resultFromHit } from '../../search/results'
import { MAX_TIMEOUT_MS, MAX_TTL, MIN_TIMEOUT_MS } from '../../flood/constants'
import { resultJson, searchUpdateJson } from './serialise'

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

const ContinueBody = z.object({
  searchId: z.string().regex(/^[0-9a-f]{32}$/),
  timeoutMs: z.number().int().min(MIN_TIMEOUT_MS).max(MAX_TIMEOUT_MS).optional(),
  hops: z.number().int().min(1).max(MAX_TTL).optional(),
  minResults: z.number().int().min(1).max(100).optional(),
  minSimilarity: z.number().min(0).max(1).optional()
}).strict()

const ImportBody = z.object({ path: z.string().min(1).max(4096) }).strict()

export function registerGenomeRoutes (api: RouteRegistry, node: MeshNode): void {
  api.route('POST', '/api/genome/search', async req => {
    const body = await req.body(SearchBody)
    for await (const u of node.search({ text: body.query, k: body.k, minSimilarity: body.minSimilarity, filters: body.filters }, { signal: req.signal })) {
      if (u.type === 'local') return { query: u.query, language: u.language, searchedAs: u.searchedAs, truncated: u.truncated, elapsedMs: u.elapsedMs, results: u.results.map(resultJson), ...(u.loading !== undefined ? { loading: u.loading } : {}) }
    }
    throw new Error('the search ended without local results')
  })
  // NDJSON records: {type:'local', results, truncated, elapsedMs}, then zero or more
  // {type:'batch', elapsedMs, hops, results}, then {type:'done', total, peersAnswered, elapsedMs, network}.
  api.stream('POST', '/api/search', async (req, write) => {
    const body = await req.body(StreamSearchBody)
    const query = { text: body.query, k: body.k, minSimilarity: body.minSimilarity, filters: body.filters, network: body.network, timeoutMs: body.timeoutMs, hops: body.hops, minResults: body.minResults }
    for await (const u of node.search(query, { signal: req.signal })) write(searchUpdateJson(u))
  })
  // NDJSON: {type:'batch', …} records with only new results, then {type:'done', total, peersAnswered, elapsedMs, network, searchId}.
  api.stream('POST', '/api/flood/continue', async (req, write) => {
    const body = await req.body(ContinueBody)
    const options = { timeoutMs: body.timeoutMs, hops: body.hops, minResults: body.minResults, minSimilarity: body.minSimilarity, signal: req.signal }
    for await (const u of node.continueSearch(body.searchId, options)) write(searchUpdateJson(u))
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
    return node.catalog.list(loc ?? undefined).map(h => resultJson(resultFromHit(h)))
  })
}
