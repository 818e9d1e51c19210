// Search filters compiled once per query into a per-slot predicate over the index's attribute columns
// (typed arrays of interned codes, ratings, prices and locations), so a check is a few array reads.
import type { SlotFilter } from './topk'
import type { EntryAttrs, SearchFilters } from './types'

/** Code of an absent attribute (interned strings start at 1). */
const NONE = 0

/**
 * Filter attributes per slot, in typed arrays grown with the matrix, so a filter check is a couple of array
 * reads. Strings (kind, base model, specializations) are interned lower-cased as small integer codes.
 */
export class AttributeColumns {
  /** Interned string -> code; insertion order is code order (1, 2, ...), which the snapshot relies on. */
  readonly codes = new Map<string, number>()
  kindCode = new Int32Array(0)
  baseCode = new Int32Array(0)
  rating = new Float32Array(0)
  price = new Float32Array(0)
  /** 0 local, 1 remote. */
  loc = new Uint8Array(0)
  private cap = 0

  /** The code of `s` (interned on first sight), NONE for no value. */
  code (s: string | undefined): number {
    if (s == null) return NONE
    const key = s.toLowerCase()
    let c = this.codes.get(key)
    if (c == null) {
      c = this.codes.size + 1
      this.codes.set(key, c)
    }
    return c
  }

  /** Makes room for `cap` slots (never shrinks). */
  grow (cap: number): void {
    if (cap <= this.cap) return
    const grow = <T extends Int32Array | Float32Array | Uint8Array>(old: T, make: (n: number) => T): T => { const a = make(cap); a.set(old); return a }
    this.kindCode = grow(this.kindCode, n => new Int32Array(n))
    this.baseCode = grow(this.baseCode, n => new Int32Array(n))
    this.rating = grow(this.rating, n => new Float32Array(n))
    this.price = grow(this.price, n => new Float32Array(n))
    this.loc = grow(this.loc, n => new Uint8Array(n))
    this.cap = cap
  }

  set (slot: number, attrs: EntryAttrs, remote: boolean): void {
    this.kindCode[slot] = this.code(attrs.kind)
    this.baseCode[slot] = this.code(attrs.baseModel)
    this.rating[slot] = attrs.rating ?? NaN
    this.price[slot] = attrs.price ?? NaN
    this.loc[slot] = remote ? 1 : 0
  }

  /** Copies slot `from` over slot `to` (removal keeps rows dense by moving the last one). */
  move (from: number, to: number): void {
    this.kindCode[to] = this.kindCode[from]
    this.baseCode[to] = this.baseCode[from]
    this.rating[to] = this.rating[from]
    this.price[to] = this.price[from]
    this.loc[to] = this.loc[from]
  }
}

function asList (v: string | string[] | undefined): string[] | undefined {
  return v == null ? undefined : Array.isArray(v) ? v : [v]
}

/** A per-slot predicate for the filters, or null when nothing is filtered; `metas[slot].specs` are specialization codes. */
export function compileFilter (f: SearchFilters | undefined, columns: AttributeColumns, metas: ArrayLike<{ readonly specs: number[] }>): SlotFilter | null {
  if (f == null) return null
  const codeSet = (v: string | string[] | undefined): Int32Array | null => {
    const list = asList(v)
    if (list == null) return null
    // Unknown values get -1, which no slot carries.
    return Int32Array.from(list.map(s => columns.codes.get(s.toLowerCase()) ?? -1))
  }
  const kinds = codeSet(f.kind)
  const bases = codeSet(f.baseModel)
  const specs = codeSet(f.specialization)
  const minRating = f.minRating
  const maxPrice = f.maxPrice
  const wantLoc = f.location == null ? -1 : f.location === 'remote' ? 1 : 0
  if (kinds == null && bases == null && specs == null && minRating == null && maxPrice == null && wantLoc < 0) return null
  const { kindCode, baseCode, rating, price, loc } = columns
  return (slot: number): boolean => {
    if (wantLoc >= 0 && loc[slot] !== wantLoc) return false
    if (kinds != null && !kinds.includes(kindCode[slot])) return false
    if (bases != null && !bases.includes(baseCode[slot])) return false
    if (minRating != null && !(rating[slot] >= minRating)) return false // NaN (no rating) fails
    if (maxPrice != null && price[slot] > maxPrice) return false // NaN (free) passes
    if (specs != null) {
      const have = metas[slot].specs
      let hit = false
      for (let i = 0; i < have.length && !hit; i++) hit = specs.includes(have[i])
      if (!hit) return false
    }
    return true
  }
}
