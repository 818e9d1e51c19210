// The keyword (BM25) ranking of hybrid search is computed by our own posting lists for speed; it must rank
// exactly as the MiniSearch 7 index it replaced. Both are built here from a few thousand adapter texts
// derived from the demo catalog, with replacements and deletions, and asked the same queries.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, test } from 'node:test'
import MiniSearch from 'minisearch'
import { tokenize } from '../src/node/vector-index'
import { KeywordIndex } from '../src/node/vector-index/keyword'
import { seededRandom as rng } from '../bench/_random'

const MAX_TERM_SHARE = 0.2

/** The straightforward implementation (what src/node/vector-index/keyword.ts did before), with eager removal. */
class MiniSearchKeywords {
  private readonly ms = new MiniSearch<{ id: string, text: string }>({ fields: ['text'], idField: 'id', storeFields: [], tokenize, processTerm: (t) => t })
  private readonly texts = new Map<string, string>()
  private readonly tokens = new Map<string, Set<string>>()
  get size (): number { return this.ms.documentCount }
  set (id: string, text: string): void {
    this.remove(id)
    if (text.trim() === '') return
    this.ms.add({ id, text })
    this.texts.set(id, text)
    this.tokens.set(id, new Set(tokenize(text)))
  }

  remove (id: string): void {
    const text = this.texts.get(id)
    if (text === undefined) return
    this.ms.remove({ id, text })
    this.texts.delete(id)
    this.tokens.delete(id)
  }

  private df (t: string): number {
    let n = 0
    for (const set of this.tokens.values()) if (set.has(t)) n++
    return n
  }

  search (query: string, limit: number, accept?: (id: string) => boolean): Array<{ id: string, score: number }> {
    const n = Math.max(1, this.ms.documentCount)
    const all = [...new Set(tokenize(query))]
    let terms = all.filter(t => this.df(t) <= MAX_TERM_SHARE * n)
    if (terms.length === 0 && all.length > 0) terms = [all.reduce((a, b) => this.df(a) <= this.df(b) ? a : b)]
    if (terms.length === 0) return []
    return this.ms.search(terms.join(' '), {
      combineWith: 'OR',
      tokenize: (s) => s.split(' '),
      prefix: (term) => term.length >= 5,
      filter: accept != null ? (r) => accept(r.id as string) : undefined
    }).slice(0, limit).map(h => ({ id: h.id as string, score: h.score }))
  }
}

interface Sample { id: string, name: string, description: string, specializations?: string[], capabilities?: string[] }
const samples = readFileSync(path.join(process.env.CONTINUUM_ROOT ?? process.cwd(), 'data', 'sample-catalog', 'catalog.jsonl'), 'utf8')
  .split('\n').filter(l => l.trim() !== '').map(l => JSON.parse(l) as Sample)

/** Adapter-like text i: a demo entry's name and tags with sentences mixed from two entries' descriptions. */
function textFor (i: number, r: () => number): { id: string, text: string } {
  const a = samples[i % samples.length]
  const b = samples[Math.floor(r() * samples.length)]
  const sentences = [...a.description.split('. '), ...b.description.split('. ')].filter(() => r() < 0.6)
  return { id: `${a.id}-${i}`, text: [`${a.id}-${i}`, a.name, sentences.join('. '), ...(a.specializations ?? []), ...(r() < 0.3 ? b.capabilities ?? [] : [])].join('\n') }
}

function assertSameRanking (fast: Array<{ id: string, score: number }>, slow: Array<{ id: string, score: number }>, query: string): void {
  assert.equal(fast.length, slow.length, `"${query}": ${fast.length} hits vs ${slow.length}`)
  for (let i = 0; i < slow.length; i++) {
    assert.ok(Math.abs(fast[i].score - slow[i].score) <= 1e-9 * Math.max(1, slow[i].score), `"${query}" rank ${i}: score ${fast[i].score} vs ${slow[i].score}`)
    // Equal ids, unless the two scores tie with a neighbour (then the order within the tie may differ only in float rounding).
    if (fast[i].id !== slow[i].id) {
      const tied = slow.filter(s => Math.abs(s.score - slow[i].score) <= 1e-9 * Math.max(1, s.score)).map(s => s.id)
      assert.ok(tied.includes(fast[i].id), `"${query}" rank ${i}: ${fast[i].id} instead of ${slow[i].id}`)
    }
  }
}

describe('keyword ranking (own posting lists) equals MiniSearch BM25', () => {
  const r = rng(20)
  const fast = new KeywordIndex()
  const slow = new MiniSearchKeywords()
  const ids: string[] = []
  for (let i = 0; i < 3000; i++) {
    const e = textFor(i, r)
    fast.set(e.id, e.text)
    slow.set(e.id, e.text)
    ids.push(e.id)
  }
  const queries = [
    'sql', 'wine pairing', 'async-debugging-v2-17', 'regex', 'ferment', 'kubernetes deployment yaml',
    'I am building a chatbot that recommends wines for dinner', 'python asyncio event loop stalls', 'legal contract review',
    'garden', 'translation', 'promises never awaited', 'the and of', 'a', 'persona recommendation', 'sommelier', 'music theory chords'
  ]
  for (const s of samples.slice(0, 40)) queries.push(s.name, s.specializations?.[0] ?? s.id)

  test('on a few thousand adapter texts, every query ranks the same documents with the same scores', () => {
    for (const q of queries) assertSameRanking(fast.search(q, 50), slow.search(q, 50), q)
  })

  test('after replacements and deletions (document counts, field lengths and averages follow)', () => {
    for (let i = 0; i < 600; i++) {
      const id = ids[Math.floor(r() * ids.length)]
      if (r() < 0.5) { fast.remove(id); slow.remove(id) } else {
        const e = textFor(Math.floor(r() * 5000), r)
        fast.set(id, e.text); slow.set(id, e.text)
      }
    }
    assert.equal(fast.size, slow.size)
    for (const q of queries) assertSameRanking(fast.search(q, 50), slow.search(q, 50), q)
  })

  test('a filter excludes documents before the limit is applied', () => {
    const accept = (id: string): boolean => id.charCodeAt(id.length - 1) % 2 === 0
    for (const q of queries.slice(0, 10)) {
      const hits = fast.search(q, 20, accept)
      assert.ok(hits.every(h => accept(h.id)))
      assertSameRanking(hits, slow.search(q, 20, accept), q)
    }
  })
})
