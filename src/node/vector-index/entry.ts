// Validation of what enters the index: entries (id, location, text, attributes, payload) and vectors
// (length, finiteness, non-zero), with the stored form of each (a normalised copy, clean attributes, meta JSON).
import type { EntryMeta } from './codec'
import { MAX_ID_LENGTH } from './constants'
import { InvalidEntryError, VectorDimensionError } from './errors'
import type { EntryAttrs, IndexEntry } from './types'

export function prepareEntry (e: IndexEntry, dimensions: number): { meta: EntryMeta, vector: Float32Array, metaJson: string } {
  if (e == null || typeof e !== 'object') throw new InvalidEntryError('entry must be an object')
  if (typeof e.id !== 'string' || e.id.length === 0 || e.id.length > MAX_ID_LENGTH) throw new InvalidEntryError(`entry id must be a string of 1..${MAX_ID_LENGTH} characters`)
  if (e.location !== 'local' && e.location !== 'remote') throw new InvalidEntryError(`entry ${e.id}: location must be 'local' or 'remote'`)
  if (e.text != null && typeof e.text !== 'string') throw new InvalidEntryError(`entry ${e.id}: text must be a string`)
  const vector = normaliseVector(e.vector, dimensions, `entry ${e.id}`)
  const attrs = cleanAttrs(e.attrs ?? {}, e.id)
  if (e.availableFrom != null && (!Array.isArray(e.availableFrom) || !e.availableFrom.every(p => typeof p === 'string'))) throw new InvalidEntryError(`entry ${e.id}: availableFrom must be an array of peer ids`)
  if (e.cachedAt != null && !Number.isFinite(e.cachedAt)) throw new InvalidEntryError(`entry ${e.id}: cachedAt must be a number`)
  const meta: EntryMeta = { id: e.id, text: e.text ?? '', attrs, location: e.location, payload: e.payload ?? null }
  if (e.availableFrom != null) meta.availableFrom = [...e.availableFrom]
  if (e.cachedAt != null) meta.cachedAt = e.cachedAt
  const metaJson = JSON.stringify(meta)
  if (metaJson === undefined) throw new InvalidEntryError(`entry ${e.id}: payload is not JSON-serialisable`)
  return { meta, vector, metaJson }
}

/** A normalised Float32 copy of `v`; throws on wrong length, non-finite values or a zero vector. */
export function normaliseVector (v: ArrayLike<number> | undefined, dimensions: number, what: string): Float32Array {
  if (v == null || typeof v.length !== 'number') throw new InvalidEntryError(`${what}: vector is required`)
  if (v.length !== dimensions) throw new VectorDimensionError(dimensions, v.length, what)
  const out = new Float32Array(dimensions)
  let ss = 0
  for (let i = 0; i < dimensions; i++) {
    const x = v[i]
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new InvalidEntryError(`${what}: vector has a non-finite value at ${i}`)
    out[i] = x
    ss += x * x
  }
  if (ss === 0) throw new InvalidEntryError(`${what}: vector is all zeros`)
  const inv = 1 / Math.sqrt(ss)
  for (let i = 0; i < dimensions; i++) out[i] *= inv
  return out
}

function cleanAttrs (a: EntryAttrs, id: string): EntryAttrs {
  if (typeof a !== 'object') throw new InvalidEntryError(`entry ${id}: attrs must be an object`)
  const out: EntryAttrs = {}
  const str = (v: unknown, name: string): string | undefined => {
    if (v == null) return undefined
    if (typeof v !== 'string') throw new InvalidEntryError(`entry ${id}: attrs.${name} must be a string`)
    return v
  }
  const num = (v: unknown, name: string): number | undefined => {
    if (v == null) return undefined
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidEntryError(`entry ${id}: attrs.${name} must be a finite number`)
    return v
  }
  const kind = str(a.kind, 'kind')
  const baseModel = str(a.baseModel, 'baseModel')
  const rating = num(a.rating, 'rating')
  const price = num(a.price, 'price')
  if (kind != null) out.kind = kind
  if (baseModel != null) out.baseModel = baseModel
  if (a.specializations != null) {
    if (!Array.isArray(a.specializations) || !a.specializations.every(s => typeof s === 'string')) throw new InvalidEntryError(`entry ${id}: attrs.specializations must be an array of strings`)
    out.specializations = [...a.specializations]
  }
  if (rating != null) out.rating = rating
  if (price != null) out.price = price
  return out
}
