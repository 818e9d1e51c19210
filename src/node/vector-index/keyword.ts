// BM25 keyword side of hybrid search. Names and tags are often compounds ("sql-expert-lora", "text_to_sql"),
// so a compound is indexed both whole and split: typing the exact name matches the whole token, which is
// rare and therefore scores high under BM25, while its parts still match loosely.
//
// Scoring is MiniSearch 7's (BM25+ with k 1.2, b 0.7, d 0.5; prefix matches weighted 0.375 * len / (len +
// 0.3 * extra); the sum multiplied by the number of query terms matched; ties in first-match order), which
// this index used before. It is computed here over plain posting maps with score arrays and a bounded heap,
// because MiniSearch builds a result object per matching document and sorts them all (13.5 ms at 10k and
// 261 ms at 100k per query), and its index is slow to build. test/vector-index-keyword.test.ts checks that
// both return the same ranking. Deletions are applied at once (as MiniSearch after a vacuum).
import { TopK } from './heap'

const STOP = new Set(('a an and are as at be but by for from has have i i\'m im in into is it its me my need needs ' +
  'of on or our so that the their this to we with want wants you your building build builds help helps ' +
  'something thing things can should would will like about').split(' '))

const SPLIT = /[\s,;:!?()[\]{}"'`<>|*#=+~^]+/u
const COMPOUND = /[-_./@]+/u

/** Words of `text`, lower-cased, each compound also split into its parts. */
export function tokenize (text: string): string[] {
  const out: string[] = []
  for (const raw of text.toLowerCase().split(SPLIT)) {
    const word = raw.replace(/^[-_./@]+|[-_./@]+$/gu, '')
    if (word === '') continue
    if (COMPOUND.test(word)) {
      out.push(word)
      for (const part of word.split(COMPOUND)) if (part !== '' && !STOP.has(part)) out.push(part)
    } else if (!STOP.has(word)) {
      out.push(word)
    }
  }
  return out
}

export interface KeywordHit { id: string, score: number }

/**
 * Query terms found in more than this share of documents are dropped (unless nothing else is left): their
 * BM25 weight is near zero anyway, and matching them means scoring most of the index.
 */
const MAX_TERM_SHARE = 0.2

/** Query terms at least this long also match longer words they start ("ferment" finds "fermentation"). */
const PREFIX_MIN = 5

// BM25+ parameters and the prefix-match weight (MiniSearch's defaults).
const BM25_K = 1.2
const BM25_B = 0.7
const BM25_D = 0.5
const PREFIX_WEIGHT = 0.375

/**
 * Documents holding one term, in ascending document number (numbers are given in insertion order), as one
 * flat array of (document, occurrences) pairs: a Map per term cost ~100 bytes per entry, and small typed
 * arrays (most terms are rare) cost more in allocation and GC than they save. Removed documents stay until
 * the next renumbering and are skipped; `live` is the term's document frequency.
 */
interface Posting { pairs: number[], live: number }

export class KeywordIndex {
  private readonly postings = new Map<string, Posting>()
  /** First PREFIX_MIN characters -> indexed terms longer than that, for prefix matching. */
  private readonly byPrefix = new Map<string, Set<string>>()
  private readonly numberOf = new Map<string, number>()
  private ids: Array<string | undefined> = []
  /** Distinct terms per document number (the BM25 field length is their count). */
  private terms: Array<string[] | undefined> = []
  private next = 0
  private docs = 0
  /** Running average of the field length, updated as MiniSearch does (same float rounding). */
  private avgLength = 0
  // Per-query scratch, indexed by document number.
  private acc = new Float64Array(0)
  private termAcc = new Float64Array(0)
  private matched = new Uint16Array(0)
  private seen = new Int32Array(0)

  get size (): number { return this.docs }

  has (id: string): boolean { return this.numberOf.has(id) }

  set (id: string, text: string): void {
    this.remove(id)
    if (text.trim() === '') return
    const tokens = tokenize(text)
    const tf = new Map<string, number>()
    for (const t of tokens) tf.set(t, (tf.get(t) ?? 0) + 1)
    const doc = this.next++
    this.numberOf.set(id, doc)
    this.ids[doc] = id
    this.terms[doc] = [...tf.keys()]
    this.avgLength = (this.avgLength * this.docs + tf.size) / (this.docs + 1)
    this.docs++
    for (const [t, n] of tf) {
      let p = this.postings.get(t)
      if (p == null) {
        this.postings.set(t, p = { pairs: [], live: 0 })
        if (t.length > PREFIX_MIN) {
          const key = t.slice(0, PREFIX_MIN)
          let set = this.byPrefix.get(key)
          if (set == null) this.byPrefix.set(key, set = new Set())
          set.add(t)
        }
      }
      p.pairs.push(doc, n)
      p.live++
    }
    this.maybeRenumber()
  }

  remove (id: string): void {
    const doc = this.numberOf.get(id)
    if (doc == null) return
    const terms = this.terms[doc]!
    this.avgLength = this.docs === 1 ? 0 : (this.avgLength * this.docs - terms.length) / (this.docs - 1)
    this.docs--
    for (const t of terms) {
      const p = this.postings.get(t)!
      if (--p.live === 0) {
        this.postings.delete(t)
        if (t.length > PREFIX_MIN) this.byPrefix.get(t.slice(0, PREFIX_MIN))?.delete(t)
      }
    }
    this.numberOf.delete(id)
    this.ids[doc] = undefined
    this.terms[doc] = undefined
  }

  /** Replaced documents leave holes in the numbering; close them when they outnumber the live ones (order kept). */
  private maybeRenumber (): void {
    if (this.next < 2 * this.docs + 1024) return
    const renumber = new Int32Array(this.next).fill(-1)
    const ids: string[] = []
    const terms: string[][] = []
    for (let d = 0; d < this.next; d++) {
      const id = this.ids[d]
      if (id === undefined) continue
      renumber[d] = ids.length
      this.numberOf.set(id, ids.length)
      ids.push(id)
      terms.push(this.terms[d]!)
    }
    for (const p of this.postings.values()) {
      const pairs = p.pairs
      let w = 0
      for (let i = 0; i < pairs.length; i += 2) {
        const d = renumber[pairs[i]]
        if (d < 0) continue
        pairs[w++] = d
        pairs[w++] = pairs[i + 1]
      }
      pairs.length = w
    }
    this.ids = ids
    this.terms = terms
    this.next = ids.length
  }

  /** The query's terms worth searching: known ones, minus those in most documents. */
  private queryTerms (query: string): string[] {
    const n = Math.max(1, this.docs)
    const df = (t: string): number => this.postings.get(t)?.live ?? 0
    const all = [...new Set(tokenize(query))]
    const kept = all.filter(t => df(t) <= MAX_TERM_SHARE * n)
    if (kept.length > 0 || all.length === 0) return kept
    // Only very common terms: keep the least common one.
    return [all.reduce((a, b) => df(a) <= df(b) ? a : b)]
  }

  private scratch (): void {
    if (this.acc.length >= this.next) return
    const n = Math.max(1024, this.next * 2)
    this.acc = new Float64Array(n)
    this.termAcc = new Float64Array(n)
    this.matched = new Uint16Array(n)
    this.seen = new Int32Array(n).fill(-1)
  }

  /** Adds one indexed term's BM25+ scores (times `weight`) into termAcc; records newly touched documents. */
  private score (term: string, weight: number, touched: number[]): void {
    const p = this.postings.get(term)
    if (p == null) return
    const { termAcc, terms } = this
    const idf = Math.log(1 + (this.docs - p.live + 0.5) / (p.live + 0.5))
    const avg = this.avgLength
    const pairs = p.pairs
    for (let i = 0; i < pairs.length; i += 2) {
      const doc = pairs[i]
      const dt = terms[doc]
      if (dt === undefined) continue // removed
      const tf = pairs[i + 1]
      const len = dt.length
      const raw = idf * (BM25_D + tf * (BM25_K + 1) / (tf + BM25_K * (1 - BM25_B + BM25_B * len / avg)))
      // Every BM25+ score is > 0, so 0 means not yet matched by this query term.
      if (termAcc[doc] === 0) touched.push(doc)
      termAcc[doc] += weight * raw
    }
  }

  /** Best BM25 matches for `query`, best first; `accept` filters by id before ranking. */
  search (query: string, limit: number, accept?: (id: string) => boolean): KeywordHit[] {
    const terms = this.queryTerms(query)
    if (terms.length === 0 || limit <= 0) return []
    this.scratch()
    const { acc, termAcc, matched, seen } = this
    const order: number[] = [] // documents in the order first matched: the tie-break
    const termTouched: number[] = []
    for (const t of terms) {
      termTouched.length = 0
      this.scoreTerm(t, termTouched)
      for (const doc of termTouched) {
        if (seen[doc] < 0) { seen[doc] = order.length; order.push(doc) }
        acc[doc] += termAcc[doc]
        termAcc[doc] = 0
        matched[doc]++
      }
    }
    const heap = new TopK(limit)
    for (let i = 0; i < order.length; i++) {
      const doc = order[i]
      const s = acc[doc] * matched[doc]
      acc[doc] = 0
      matched[doc] = 0
      seen[doc] = -1
      if (s < heap.min) continue
      if (accept != null && !accept(this.ids[doc]!)) continue
      heap.push(s, i)
    }
    return heap.sorted().map(h => ({ id: this.ids[order[h.slot]]!, score: h.score }))
  }

  private scoreTerm (t: string, touched: number[]): void {
    const p = this.postings.get(t)
    if (p != null) {
      const { termAcc, terms } = this
      const idf = Math.log(1 + (this.docs - p.live + 0.5) / (p.live + 0.5))
      const avg = this.avgLength
      const pairs = p.pairs
      for (let i = 0; i < pairs.length; i += 2) {
        const doc = pairs[i]
        const dt = terms[doc]
        if (dt === undefined) continue // removed
        const tf = pairs[i + 1]
        const len = dt.length
        termAcc[doc] = idf * (BM25_D + tf * (BM25_K + 1) / (tf + BM25_K * (1 - BM25_B + BM25_B * len / avg)))
        touched.push(doc)
      }
    }
    if (t.length < PREFIX_MIN) return
    const longer = this.byPrefix.get(t.slice(0, PREFIX_MIN))
    if (longer == null) return
    const derived = [...longer].filter(d => d.length > t.length && d.startsWith(t)).sort()
    if (derived.length === 0) return
    for (const d of derived) this.score(d, PREFIX_WEIGHT * d.length / (d.length + 0.3 * (d.length - t.length)), touched)
  }
}
