// Catalog hits and flood results as the one typed `AdapterResult`.
import type { CatalogHit } from '../catalog/catalog'
import type { NetworkResult } from '../flood/engine'
import type { AdapterManifest } from '../manifest'
import type { AdapterResult } from './view'

function fromManifest (m: AdapterManifest): Omit<AdapterResult, 'key' | 'similarity' | 'score' | 'location' | 'availableFrom'> {
  return {
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
    publisher: m.publisher
  }
}

/** A local catalog entry (searched, or listed with similarity 0). */
export function resultFromHit (h: CatalogHit): AdapterResult {
  return { key: h.key, ...fromManifest(h.manifest), similarity: h.similarity, score: h.score, location: h.location, availableFrom: h.availableFrom }
}

/** A result a peer returned to a flood search. */
export function resultFromNetwork (r: NetworkResult): AdapterResult {
  return { key: r.key, ...fromManifest(r.manifest), similarity: r.similarity, score: r.similarity, location: 'remote', availableFrom: r.availableFrom, hops: r.hops, sourcePeer: r.sourcePeer }
}
