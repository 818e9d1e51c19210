// What a search gives its consumers (HTTP route, CLI, QuickPick, marketplace panel, web page): one typed
// result and one update stream. Dependency-free on purpose: the browser page bundles this file (its
// values) and imports the rest of the node's surface as types only.

/** One adapter found by a search or listed from the catalog. */
export interface AdapterResult {
  /** Catalog key: `<publisher>/<id>`. */
  key: string
  id: string
  name: string
  version: string
  description: string
  kind: string
  baseModel: string
  specializations: string[]
  capabilities: string[]
  domain?: string
  price: number
  rating?: number
  downloads: number
  /** Content address (CID or sha256) of the adapter's files. */
  contentHash: string
  publisher: string
  /** Cosine similarity to the query, 0–1; 0 when the entry was listed rather than searched. */
  similarity: number
  /** Fused ranking score (equals the similarity for network results). */
  score: number
  location: 'local' | 'remote'
  /** Peers known to host it (this node not included). */
  availableFrom: string[]
  /** Network results only: the distance of the first peer that returned it. */
  hops?: number
  /** Network results only: the first peer that returned it. */
  sourcePeer?: string
}

/**
 * A search, as it progresses: the local results first, then zero or more network batches (only results
 * not shown before), then a summary.
 */
export type SearchUpdate =
  /** `loading`: an import (e.g. the demo catalog at start) still fills the catalog, so results may be missing. */
  /** `language`: detected language of the query; `searchedAs`: the (English) text that was searched. */
  | { type: 'local', query: string, language?: string, searchedAs?: string, results: AdapterResult[], truncated: boolean, elapsedMs: number, loading?: { done: number, total: number } }
  | { type: 'batch', results: AdapterResult[], elapsedMs: number, hops: number }
  | { type: 'done', total: number, peersAnswered: number, elapsedMs: number, network: boolean, searchId?: string, reason?: string }

/** The result came from a network batch (rather than the local catalog). */
export function fromNetwork (r: Pick<AdapterResult, 'sourcePeer'>): boolean {
  return r.sourcePeer !== undefined
}

/** CIDv0 (`Qm…`) or base32 CIDv1 (`b…`); anything else (a `sha256-…` content hash) is not a CID. */
export function isCid (s: string): boolean {
  return /^(?:Qm[1-9A-HJ-NP-Za-km-z]{44}|b[a-z2-7]{58,120})$/.test(s)
}

/**
 * What to ask the content capability for when installing a result: its CID when the manifest carries one,
 * else `publisher/id@version`, so exactly the adapter the user picked is installed (never another
 * publisher's release of the same id). One formatter for the extension and the web UI.
 */
export { installRef } from '../content/ref'

/** Peers hosting an adapter, this node counted when the entry is local. */
export function hostCount (r: Pick<AdapterResult, 'location' | 'availableFrom'>): number {
  return r.availableFrom.length + (r.location === 'local' ? 1 : 0)
}
