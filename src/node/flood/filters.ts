// Request filters a peer applies to its own adapters before answering (those the vector index does
// not apply itself).
import type { AdapterManifest } from '../manifest'
import type { SearchFilters } from '../vector-index/types'
import type { WireFilters } from './messages'

/** 0–1: reported accuracy, else rating / 5; undefined when the adapter reports neither. */
export function quality (m: AdapterManifest): number | undefined {
  if (m.metrics.accuracy !== undefined) return m.metrics.accuracy
  if (m.metrics.rating !== undefined) return m.metrics.rating / 5
  return undefined
}

export function matchesFilters (m: AdapterManifest, f: WireFilters): boolean {
  if (f.minQuality !== undefined && f.minQuality > 0 && (quality(m) ?? -1) < f.minQuality) return false
  if (f.domains !== undefined && f.domains.length > 0 && !f.domains.some(d => m.domain === d.toLowerCase() || m.domain.startsWith(d.toLowerCase() + '/'))) return false
  if (f.capabilities !== undefined && f.capabilities.length > 0) {
    const caps = new Set(m.capabilities.map(c => c.toLowerCase()))
    if (!f.capabilities.some(c => caps.has(c.toLowerCase()))) return false
  }
  if (f.kinds !== undefined && f.kinds.length > 0 && !f.kinds.some(k => k.toLowerCase() === m.kind)) return false
  if (f.baseModels !== undefined && f.baseModels.length > 0 && !f.baseModels.some(b => b.toLowerCase() === m.baseModel.toLowerCase())) return false
  if (f.specializations !== undefined && f.specializations.length > 0) {
    const specs = new Set(m.specializations.map(s => s.toLowerCase()))
    if (!f.specializations.some(s => specs.has(s.toLowerCase()))) return false
  }
  if (f.minRating !== undefined && (m.metrics.rating ?? -1) < f.minRating) return false
  if (f.maxPrice !== undefined && m.price > f.maxPrice) return false
  return true
}

/** The part of the wire filters the catalog's index applies itself. */
export function indexFilters (f: WireFilters): SearchFilters {
  return {
    ...(f.kinds !== undefined && f.kinds.length > 0 ? { kind: f.kinds } : {}),
    ...(f.baseModels !== undefined && f.baseModels.length > 0 ? { baseModel: f.baseModels } : {}),
    ...(f.specializations !== undefined && f.specializations.length > 0 ? { specialization: f.specializations } : {}),
    ...(f.minRating !== undefined ? { minRating: f.minRating } : {}),
    ...(f.maxPrice !== undefined ? { maxPrice: f.maxPrice } : {})
  }
}

/** The local API's filters (one value or a list each) as wire filters. */
export function wireFiltersFromApi (f: SearchFilters | undefined): Omit<WireFilters, 'minSimilarity'> {
  if (f === undefined) return {}
  const list = (v: string | string[] | undefined): string[] | undefined => v === undefined ? undefined : Array.isArray(v) ? v : [v]
  const out: Omit<WireFilters, 'minSimilarity'> = {}
  const kinds = list(f.kind); if (kinds !== undefined) out.kinds = kinds
  const baseModels = list(f.baseModel); if (baseModels !== undefined) out.baseModels = baseModels
  const specializations = list(f.specialization); if (specializations !== undefined) out.specializations = specializations
  if (f.minRating !== undefined) out.minRating = f.minRating
  if (f.maxPrice !== undefined) out.maxPrice = f.maxPrice
  return out
}
