// The one search pipeline: local results first (own, installed and cached adapters), then batches from
// the network (flood search) when asked and available, de-duplicated by catalog key. The HTTP route, the
// CLI (through the route), the QuickPick and the marketplace panel all consume this; none re-implements it.
import type { AdapterCatalog } from '../catalog/catalog'
import type { FloodSearch, FloodSearchOptions, FloodSearchQuery } from '../flood/engine'
import { wireFiltersFromApi } from '../flood/filters'
import type { SearchFilters } from '../vector-index/types'
import { resultFromHit, resultFromNetwork } from './results'
import type { SearchUpdate } from './view'
import { NetworkSearchUnavailableError } from './errors'

export interface SearchQuery {
  /** What the user is building, in their words. */
  text: string
  /** Local results at most. @default the catalog's default (10) */
  k?: number
  /** Leave out results less similar than this (0–1). */
  minSimilarity?: number
  filters?: SearchFilters
  /** Also ask the mesh (flood search) when this node runs it. @default false */
  network?: boolean
  /** Network: user patience in ms (1–30 s). */
  timeoutMs?: number
  /** Network: how far the query travels. */
  hops?: number
  /** Network: stop early once this many good results are in. */
  minResults?: number
}

export interface SearchOptions {
  signal?: AbortSignal
  /** Called with every update as it is produced (for consumers that prefer a callback to iterating). */
  onProgress?: (update: SearchUpdate) => void
}

/** The network side of a search: the flood capability. */
export interface NetworkSearch {
  search(query: FloodSearchQuery, options: FloodSearchOptions): FloodSearch
  continue(searchId: string, options: FloodSearchOptions): FloodSearch
}

export interface SearchDeps {
  catalog: Pick<AdapterCatalog, 'search'>
  /** Absent when this node runs no network search. */
  network?: NetworkSearch
}

/** Runs one search; iterate it for updates (local, batches, done). */
export async function * search (deps: SearchDeps, query: SearchQuery, options: SearchOptions = {}): AsyncGenerator<SearchUpdate> {
  const started = Date.now()
  const emit = (u: SearchUpdate): SearchUpdate => { options.onProgress?.(u); return u }
  const outcome = await deps.catalog.search({ text: query.text, k: query.k, minSimilarity: query.minSimilarity, filters: query.filters }, { signal: options.signal })
  const local = outcome.hits.map(resultFromHit)
  yield emit({ type: 'local', query: query.text, language: outcome.language, searchedAs: outcome.searchText, results: local, truncated: outcome.truncated, elapsedMs: outcome.elapsedMs, ...(outcome.loading !== undefined ? { loading: outcome.loading } : {}) })
  const network = query.network === true ? deps.network : undefined
  if (network === undefined) {
    yield emit({ type: 'done', total: local.length, peersAnswered: 0, elapsedMs: Date.now() - started, network: false })
    return
  }
  // What was shown goes to the flood as `known`: the network never repeats it, and nothing is searched twice.
  const shown = new Set(local.map(r => r.key))
  const flood = network.search(
    // Peers rank with BM25 too: they get the English rendering of a Spanish, French or German query.
    { vector: outcome.vector, text: outcome.searchText, filters: wireFiltersFromApi(query.filters), known: [...shown] },
    { timeoutMs: query.timeoutMs, hops: query.hops, minResults: query.minResults, minSimilarity: query.minSimilarity, signal: options.signal }
  )
  yield * networkUpdates(flood, shown, local.length, started, emit)
}

/** Extends a search (running or finished) with more hops or patience: only results not shown before. */
export async function * continueSearch (network: NetworkSearch | undefined, searchId: string, options: FloodSearchOptions & { onProgress?: (update: SearchUpdate) => void } = {}): AsyncGenerator<SearchUpdate> {
  if (network === undefined) throw new NetworkSearchUnavailableError('Network search does not run on this node: there is no search to continue')
  const started = Date.now()
  const emit = (u: SearchUpdate): SearchUpdate => { options.onProgress?.(u); return u }
  yield * networkUpdates(network.continue(searchId, options), new Set(), 0, started, emit)
}

async function * networkUpdates (flood: FloodSearch, shown: Set<string>, alreadyShown: number, started: number, emit: (u: SearchUpdate) => SearchUpdate): AsyncGenerator<SearchUpdate> {
  for await (const batch of flood) {
    const results = batch.results.filter(r => !shown.has(r.key)).map(resultFromNetwork)
    for (const r of results) shown.add(r.key)
    yield emit({ type: 'batch', elapsedMs: batch.elapsedMs, hops: batch.hops, results })
  }
  const s = await flood.summary
  yield emit({ type: 'done', total: alreadyShown + s.total, peersAnswered: s.peersAnswered, searchId: s.searchId, reason: s.reason, elapsedMs: Date.now() - started, network: true })
}
