// Search as the extension shows it: a thin consumer of the node's one search pipeline (`node.search`),
// keeping one ranked list that grows as network batches arrive. No `vscode` import: the QuickPick
// (search-quick-pick.ts) and the tests both drive this.
import type { AdapterResult, MeshNode } from '../node'
import type { SearchSettings } from './settings'

export { fromNetwork, hostCount, type AdapterResult } from '../node'

export type SearchPhase = 'local' | 'network' | 'done'

/** The ranked results so far, and how far the search has come. */
export interface SearchState {
  results: AdapterResult[]
  phase: SearchPhase
  /** Network search runs on this node (the flood capability). */
  networkAvailable: boolean
  peersAnswered: number
  truncated: boolean
}

export interface SearchOptions {
  signal?: AbortSignal
  /** Called with the merged, ranked list after the local results and after each network batch. */
  onUpdate?: (state: SearchState) => void
  /** Skip the network (local results only). @default false */
  localOnly?: boolean
}

/** Runs a search on the node; resolves with the final ranked list. */
export async function searchAdapters (node: MeshNode, text: string, settings: SearchSettings, options: SearchOptions = {}): Promise<SearchState> {
  const network = options.localOnly !== true
  const results: AdapterResult[] = []
  let state: SearchState = { results: [], phase: 'local', networkAvailable: network && node.flood !== undefined, peersAnswered: 0, truncated: false }
  const query = { text, k: settings.maxResults, minSimilarity: settings.minSimilarity, network, timeoutMs: settings.timeoutMs, hops: settings.hops }
  for await (const u of node.search(query, { signal: options.signal })) {
    // The pipeline never repeats a key: batches only add.
    if (u.type !== 'done') results.push(...u.results)
    const ranked = [...results].sort((a, b) => b.similarity - a.similarity).slice(0, settings.maxResults)
    if (u.type === 'local') state = { ...state, results: ranked, truncated: u.truncated }
    else if (u.type === 'batch') state = { ...state, results: ranked, phase: 'network' }
    else state = { ...state, results: ranked, phase: 'done', networkAvailable: u.network, peersAnswered: u.peersAnswered }
    options.onUpdate?.(state)
  }
  return state
}

/** "92%" */
export function formatSimilarity (s: number): string {
  return `${Math.round(s * 100)}%`
}

export function formatPrice (price: number): string {
  return price === 0 ? 'free' : `${price} ${price === 1 ? 'token' : 'tokens'}`
}
