// Search as the extension uses it: local results first (own, installed and gossiped adapters), then
// batches from the network when the flood feature runs, merged by catalog key as they arrive.
// No `vscode` import: the QuickPick (search-quick-pick.ts) and the tests both drive this.
import type { MeshNode } from '../node/mesh-node'
import type { CatalogHit } from '../node/catalog/catalog'
import type { NetworkSearchFeature } from '../node/api/genome-routes'
import type { SearchSettings } from './settings'

/** One adapter as the UI shows it. */
export interface AdapterResult {
  key: string
  id: string
  name: string
  version: string
  description: string
  kind: string
  baseModel: string
  specializations: string[]
  price: number
  rating?: number
  /** Content address (CID or sha256) of the adapter's files. */
  contentHash: string
  publisher: string
  /** 0–1; 0 when the entry was listed rather than searched. */
  similarity: number
  location: 'local' | 'remote'
  /** Peers known to host it (this node not included). */
  availableFrom: string[]
  /** Found by network search rather than in the local catalog. */
  network?: boolean
}

export function resultFromHit (h: CatalogHit): AdapterResult {
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
    price: m.price,
    rating: m.metrics.rating,
    contentHash: m.contentHash,
    publisher: m.publisher,
    similarity: h.similarity,
    location: h.location,
    availableFrom: h.availableFrom
  }
}

const str = (v: unknown, max = 10_000): string | undefined => typeof v === 'string' && v.length <= max ? v : undefined
const num = (v: unknown): number | undefined => typeof v === 'number' && Number.isFinite(v) ? v : undefined
const strList = (v: unknown): string[] => Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').slice(0, 64) : []

/** A result record of a network batch (the `toResult` wire shape); undefined when it lacks what the UI needs. */
export function resultFromWire (v: unknown): AdapterResult | undefined {
  if (typeof v !== 'object' || v === null) return undefined
  const r = v as Record<string, unknown>
  const key = str(r.key, 300)
  const name = str(r.name, 200)
  const contentHash = str(r.contentHash, 200)
  if (key === undefined || name === undefined || contentHash === undefined) return undefined
  return {
    key,
    id: str(r.id, 200) ?? key.split('/').pop() ?? key,
    name,
    version: str(r.version, 100) ?? '',
    description: str(r.description) ?? '',
    kind: str(r.kind, 64) ?? '',
    baseModel: str(r.baseModel, 200) ?? '',
    specializations: strList(r.specializations),
    price: num(r.price) ?? 0,
    rating: num(r.rating),
    contentHash,
    publisher: str(r.publisher, 200) ?? '',
    similarity: Math.min(1, Math.max(0, num(r.similarity) ?? 0)),
    location: r.location === 'local' ? 'local' : 'remote',
    availableFrom: strList(r.availableFrom),
    network: true
  }
}

export type SearchPhase = 'local' | 'network' | 'done'

export interface SearchUpdate {
  results: AdapterResult[]
  phase: SearchPhase
  /** Network search runs on this node (the flood feature). */
  networkAvailable: boolean
  peersAnswered: number
  truncated: boolean
}

export interface SearchOptions {
  signal?: AbortSignal
  /** Called with the merged, ranked list after the local results and after each network batch. */
  onUpdate?: (update: SearchUpdate) => void
  /** Skip the network (local results only). @default false */
  localOnly?: boolean
}

/** Runs a search on the node; resolves with the final merged list. */
export async function searchAdapters (node: MeshNode, text: string, settings: SearchSettings, options: SearchOptions = {}): Promise<SearchUpdate> {
  const signal = options.signal ?? new AbortController().signal
  const outcome = await node.catalog.search({ text, k: settings.maxResults, minSimilarity: settings.minSimilarity }, { signal })
  const merged = new Map<string, AdapterResult>()
  for (const h of outcome.hits) merged.set(h.key, resultFromHit(h))
  const flood = options.localOnly === true ? undefined : node.feature<NetworkSearchFeature>('flood')
  const ranked = (): AdapterResult[] => [...merged.values()].sort((a, b) => b.similarity - a.similarity).slice(0, settings.maxResults)
  let update: SearchUpdate = { results: ranked(), phase: 'local', networkAvailable: flood !== undefined, peersAnswered: 0, truncated: outcome.truncated }
  options.onUpdate?.(update)
  if (flood === undefined) {
    update = { ...update, phase: 'done' }
    options.onUpdate?.(update)
    return update
  }
  const req = { query: text, k: settings.maxResults, minSimilarity: settings.minSimilarity, network: true, timeoutMs: settings.timeoutMs, hops: settings.hops }
  const summary = await flood.streamSearch(req, outcome.vector, record => {
    if (signal.aborted || typeof record !== 'object' || record === null) return
    const rec = record as { type?: unknown, results?: unknown }
    if (rec.type !== 'batch' || !Array.isArray(rec.results)) return
    for (const raw of rec.results) {
      const r = resultFromWire(raw)
      if (r === undefined) continue
      const prev = merged.get(r.key)
      // Keep the local entry (it knows more) but learn new hosts and a better similarity.
      merged.set(r.key, prev === undefined
        ? r
        : { ...prev, similarity: Math.max(prev.similarity, r.similarity), availableFrom: [...new Set([...prev.availableFrom, ...r.availableFrom])] })
    }
    update = { ...update, results: ranked(), phase: 'network' }
    options.onUpdate?.(update)
  }, signal)
  update = { ...update, results: ranked(), phase: 'done', peersAnswered: summary.peersAnswered }
  options.onUpdate?.(update)
  return update
}

/** "92%" */
export function formatSimilarity (s: number): string {
  return `${Math.round(s * 100)}%`
}

export function formatPrice (price: number): string {
  return price === 0 ? 'free' : `${price} ${price === 1 ? 'token' : 'tokens'}`
}

/** Peers hosting an adapter, this node counted when the entry is local. */
export function hostCount (r: Pick<AdapterResult, 'location' | 'availableFrom'>): number {
  return r.availableFrom.length + (r.location === 'local' ? 1 : 0)
}
