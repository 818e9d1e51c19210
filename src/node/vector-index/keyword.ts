// BM25 keyword side of hybrid search (MiniSearch). Names and tags are often compounds ("sql-expert-lora",
// "text_to_sql"), so a compound is indexed both whole and split: typing the exact name matches the whole
// token, which is rare and therefore scores high under BM25, while its parts still match loosely.
import MiniSearch from 'minisearch'

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

export class KeywordIndex {
  private readonly ms = new MiniSearch<{ id: string, text: string }>({
    fields: ['text'],
    idField: 'id',
    storeFields: [],
    tokenize,
    processTerm: (t) => t,
    // Vacuum in small steps so deletes never stall a query for long.
    autoVacuum: { minDirtCount: 1000, minDirtFactor: 0.2, batchSize: 1000, batchWait: 10 }
  })

  /** Documents per term, and each document's distinct terms (to undo its counts on removal). */
  private readonly df = new Map<string, number>()
  private readonly terms = new Map<string, string[]>()

  get size (): number { return this.ms.documentCount }

  set (id: string, text: string): void {
    this.remove(id)
    if (text.trim() === '') return
    this.ms.add({ id, text })
    const distinct = [...new Set(tokenize(text))]
    for (const t of distinct) this.df.set(t, (this.df.get(t) ?? 0) + 1)
    this.terms.set(id, distinct)
  }

  remove (id: string): void {
    if (!this.ms.has(id)) return
    this.ms.discard(id)
    for (const t of this.terms.get(id) ?? []) {
      const n = (this.df.get(t) ?? 1) - 1
      if (n <= 0) this.df.delete(t)
      else this.df.set(t, n)
    }
    this.terms.delete(id)
  }

  /** The query's terms worth searching: known ones, minus those in most documents. */
  private queryTerms (query: string): string[] {
    const n = Math.max(1, this.ms.documentCount)
    const all = [...new Set(tokenize(query))]
    const kept = all.filter(t => (this.df.get(t) ?? 0) <= MAX_TERM_SHARE * n)
    if (kept.length > 0 || all.length === 0) return kept
    // Only very common terms: keep the least common one.
    return [all.reduce((a, b) => (this.df.get(a) ?? 0) <= (this.df.get(b) ?? 0) ? a : b)]
  }

  /** Best BM25 matches for `query`, best first; `accept` filters by id before ranking. */
  search (query: string, limit: number, accept?: (id: string) => boolean): KeywordHit[] {
    const terms = this.queryTerms(query)
    if (terms.length === 0) return []
    const hits = this.ms.search(terms.join(' '), {
      combineWith: 'OR',
      // Terms are already tokenized and filtered.
      tokenize: (s) => s.split(' '),
      // "ferment" finds "fermentation"; short words would match too much.
      prefix: (term) => term.length >= 5,
      filter: accept != null ? (r) => accept(r.id as string) : undefined
    })
    const out: KeywordHit[] = []
    for (let i = 0; i < hits.length && i < limit; i++) out.push({ id: hits[i].id as string, score: hits[i].score })
    return out
  }
}
