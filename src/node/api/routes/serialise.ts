// The wire shapes of search results and updates (the API, the CLI's --json, the web page). Typed results
// become JSON here and nowhere else; numbers are rounded for the wire only.
import type { AdapterResult, SearchUpdate } from '../../search/view'

function round (x: number): number { return Math.round(x * 10_000) / 10_000 }

/** One result on the wire; network results also carry `hops` and `sourcePeer`. */
export function resultJson (r: AdapterResult): Record<string, unknown> {
  return {
    key: r.key,
    id: r.id,
    name: r.name,
    version: r.version,
    description: r.description,
    kind: r.kind,
    baseModel: r.baseModel,
    specializations: r.specializations,
    capabilities: r.capabilities,
    domain: r.domain,
    price: r.price,
    rating: r.rating,
    downloads: r.downloads,
    contentHash: r.contentHash,
    publisher: r.publisher,
    similarity: round(r.similarity),
    score: round(r.score),
    location: r.location,
    availableFrom: r.availableFrom,
    ...(r.hops !== undefined ? { hops: r.hops } : {}),
    ...(r.sourcePeer !== undefined ? { sourcePeer: r.sourcePeer } : {})
  }
}

/** One NDJSON record of `POST /api/search` and `POST /api/flood/continue`. */
export function searchUpdateJson (u: SearchUpdate): Record<string, unknown> {
  switch (u.type) {
    case 'local': return { type: 'local', query: u.query, language: u.language, searchedAs: u.searchedAs, truncated: u.truncated, elapsedMs: Math.round(u.elapsedMs), results: u.results.map(resultJson), ...(u.loading !== undefined ? { loading: u.loading } : {}) }
    case 'batch': return { type: 'batch', elapsedMs: u.elapsedMs, hops: u.hops, results: u.results.map(resultJson) }
    case 'done': return u.network
      ? { type: 'done', total: u.total, peersAnswered: u.peersAnswered, searchId: u.searchId, reason: u.reason, elapsedMs: u.elapsedMs, network: true }
      : { type: 'done', total: u.total, peersAnswered: u.peersAnswered, elapsedMs: u.elapsedMs, network: false }
  }
}
