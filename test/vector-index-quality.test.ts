// Ranking quality of hybrid search on the demo catalog with the real embedder (all-MiniLM-L6-v2): the
// design's "describe what you're building" examples rank by meaning, and exact names and tags put that
// adapter first. Prints the fusion comparison (vector only / BM25 only / rrf / weighted) as diagnostics.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { createEmbedder, type Embedder } from '../src/node/embedding'
import { manifestSearchText, parseAdapterFieldsJsonl } from '../src/node/manifest/index'
import { openVectorIndex, type SearchQuery, type VectorIndex } from '../src/node/vector-index'

const root = process.env.CONTINUUM_ROOT ?? process.cwd()
const { entries } = parseAdapterFieldsJsonl(readFileSync(path.join(root, 'data', 'sample-catalog', 'catalog.jsonl'), 'utf8'))
const domain = new Map(entries.map(e => [e.id, e.domain]))
const inDomain = (...ds: string[]) => (id: string): boolean => ds.includes(domain.get(id)!)

// Relevance judgements for the design document's examples, by catalog domain.
const vineyard = (id: string): boolean => inDomain('agriculture/viticulture', 'food-drink/wine')(id) || ['agricultural-crop-optimization', 'botany-advanced', 'soil-health-advisor'].includes(id)
const DESCRIBE: Array<[string, (id: string) => boolean]> = [
  ["I'm building a vineyard management AI that needs to understand grape cultivation, fermentation chemistry, and wine production", vineyard],
  ['I need wine fermentation knowledge for vineyard management', vineyard],
  ['Grape cultivation and wine chemistry', vineyard],
  ['Mixology techniques and flavor profiles', inDomain('food-drink/cocktails')],
  ['cocktail recommendation AI', inDomain('food-drink/cocktails')],
  ['bartender skills', inDomain('food-drink/cocktails')],
  ['Race conditions and concurrency', inDomain('software/concurrency')],
  ['async debugging assistant', inDomain('software/concurrency')],
  ['Viticulture, bartending and agriculture for a pun bot', inDomain('agriculture/viticulture', 'food-drink/cocktails', 'agriculture', 'food-drink/wine')]
]
const tagCount = new Map<string, number>()
for (const e of entries) for (const s of e.specializations) tagCount.set(s, (tagCount.get(s) ?? 0) + 1)
/** Tags carried by exactly one adapter: typing one should find that adapter. */
const UNIQUE_TAGS = entries.flatMap(e => e.specializations.filter(s => tagCount.get(s) === 1).map(s => [s, e.id] as const))
const NAMES = entries.map(e => [e.name, e.id] as const)

describe('hybrid search quality on the demo catalog', () => {
  let embedder: Embedder
  let index: VectorIndex
  let dir: string
  const qv = new Map<string, Float32Array>()

  before(async () => {
    embedder = createEmbedder()
    const texts = entries.map(e => manifestSearchText(e))
    const vectors = await embedder.embed(texts)
    dir = mkdtempSync(path.join(tmpdir(), 'continuum-vquality-'))
    index = await openVectorIndex({ dir })
    await index.upsertMany(entries.map((e, i) => ({
      id: e.id, vector: vectors[i], text: texts[i], location: 'local' as const,
      attrs: { kind: e.kind, baseModel: e.baseModel, specializations: e.specializations }, payload: { name: e.name }
    })))
    const queries = [...DESCRIBE.map(d => d[0]), ...NAMES.map(n => n[0]), ...UNIQUE_TAGS.map(t => t[0])]
    const qvs = await embedder.embed(queries)
    queries.forEach((q, i) => qv.set(q, qvs[i]))
  })
  after(async () => {
    await index?.close()
    await embedder?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const search = (text: string, extra: Partial<SearchQuery> = {}, k = 10): string[] => index.search({ vector: qv.get(text)!, text, k, ...extra }).map(r => r.id)

  test('the design examples rank by meaning, near misses stay out of the top 5', () => {
    const vine = search(DESCRIBE[0][0], {}, 5)
    assert.ok(vine.includes('viticulture-expert-v3') && vine.includes('fermentation-chemistry-v2'), vine.join(', '))
    for (const miss of ['brewing-beer-2023', 'kombucha-fermentation', 'climbing-plants-guide']) assert.ok(!vine.includes(miss), vine.join(', '))
    const mix = search('Mixology techniques and flavor profiles', {}, 5)
    assert.equal(mix[0], 'mixology-flavor-profiles')
    assert.ok(!mix.includes('soft-drink-formulation'))
    assert.equal(search('Race conditions and concurrency', {}, 1)[0], 'race-condition-expert')
    assert.equal(search('async debugging assistant', {}, 1)[0], 'async-debugging-v2')
    const pun = search('Viticulture, bartending and agriculture for a pun bot', {}, 5)
    assert.ok(pun.includes('viticulture-expert-v3') && pun.includes('bartending-basics-v2'), pun.join(', '))
    assert.ok(!pun.includes('climbing-plants-guide') && !pun.includes('houseplant-vines-care'), pun.join(', '))
  })

  test('every adapter name, typed exactly, puts that adapter first', () => {
    const misses = NAMES.filter(([name, id]) => search(name, {}, 1)[0] !== id)
    assert.deepEqual(misses, [])
  })

  test('a tag that only one adapter carries finds that adapter first (at least 95% of them)', () => {
    const hits = UNIQUE_TAGS.filter(([tag, id]) => search(tag, {}, 1)[0] === id).length
    assert.ok(hits / UNIQUE_TAGS.length >= 0.95, `${hits}/${UNIQUE_TAGS.length}`)
  })

  test('fusion comparison (diagnostic) and hybrid at least as good as vector only on the design examples', (t) => {
    const variants: Array<[string, (q: string) => SearchQuery]> = [
      ['vector only', q => ({ vector: qv.get(q)! })],
      ['bm25 only', q => ({ text: q, exactPhrase: false })],
      ['rrf', q => ({ vector: qv.get(q)!, text: q, fusion: 'rrf', exactPhrase: false })],
      ['weighted', q => ({ vector: qv.get(q)!, text: q, fusion: 'weighted', exactPhrase: false })],
      ['rrf + exact tier', q => ({ vector: qv.get(q)!, text: q, fusion: 'rrf' })],
      ['weighted + exact tier (default)', q => ({ vector: qv.get(q)!, text: q, fusion: 'weighted' })]
    ]
    const p5 = new Map<string, number>()
    for (const [name, make] of variants) {
      let prec = 0
      let ndcg = 0
      for (const [q, rel] of DESCRIBE) {
        const ids = index.search({ ...make(q), k: 10 }).map(r => r.id)
        prec += ids.slice(0, 5).filter(rel).length / 5
        const relevant = entries.filter(e => rel(e.id)).length
        let dcg = 0
        let ideal = 0
        for (let i = 0; i < 10; i++) {
          if (ids[i] != null && rel(ids[i])) dcg += 1 / Math.log2(i + 2)
          if (i < relevant) ideal += 1 / Math.log2(i + 2)
        }
        ndcg += dcg / ideal
      }
      const hit1 = (list: ReadonlyArray<readonly [string, string]>): number => list.filter(([q, id]) => index.search({ ...make(q), k: 1 })[0]?.id === id).length / list.length
      p5.set(name, prec / DESCRIBE.length)
      t.diagnostic(`${name.padEnd(32)} describe P@5 ${(prec / DESCRIBE.length).toFixed(3)}  nDCG@10 ${(ndcg / DESCRIBE.length).toFixed(3)}  name hit@1 ${hit1(NAMES).toFixed(3)}  unique-tag hit@1 ${hit1(UNIQUE_TAGS).toFixed(3)} (${UNIQUE_TAGS.length} tags)`)
    }
    assert.ok(p5.get('weighted + exact tier (default)')! >= p5.get('vector only')!)
  })
})
