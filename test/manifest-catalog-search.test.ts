// The demo catalog's descriptions must let semantic search do what the design promises: a query that
// describes what you are building finds the right adapters, and the keyword near misses (beer brewing,
// kombucha, soft drinks, climbing plants) rank below them. Uses the real embedder (src/node/embedding)
// on manifestSearchText, exactly as a node does when it imports the catalog.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createEmbedder, type Embedder } from '../src/node/embedding'
import { parseAdapterFieldsJsonl, manifestSearchText } from '../src/node/manifest/index'

const root = process.env.CONTINUUM_ROOT ?? process.cwd()
const { entries } = parseAdapterFieldsJsonl(readFileSync(path.join(root, 'data', 'sample-catalog', 'catalog.jsonl'), 'utf8'))

describe('demo catalog under semantic search', () => {
  let embedder: Embedder
  let vectors: Float32Array[]

  before(async () => {
    embedder = createEmbedder()
    vectors = await embedder.embed(entries.map(e => manifestSearchText(e)))
  })
  after(async () => { await embedder.close() })

  /** 1-based rank of every id for a query (vectors are unit length: dot product = cosine). */
  async function ranking (query: string): Promise<{ rank: (id: string) => number, top: (n: number) => string[] }> {
    const [q] = await embedder.embed([query])
    const ordered = vectors
      .map((v, i) => ({ id: entries[i].id, score: v.reduce((s, x, j) => s + x * q[j], 0) }))
      .sort((a, b) => b.score - a.score)
      .map(r => r.id)
    return {
      rank: id => {
        const at = ordered.indexOf(id)
        assert.ok(at >= 0, `${id} is not in the catalog`)
        return at + 1
      },
      top: n => ordered.slice(0, n)
    }
  }

  const domainOf = (id: string): string => entries.find(e => e.id === id)?.domain ?? ''

  it('a vineyard bot finds viticulture and wine fermentation first, then agriculture and botany above beer and kombucha', async () => {
    const r = await ranking("I'm building a vineyard management AI that needs to understand grape cultivation, fermentation chemistry, and wine production")
    assert.deepEqual(new Set(r.top(2)), new Set(['viticulture-expert-v3', 'fermentation-chemistry-v2']))
    for (const related of ['agricultural-crop-optimization', 'botany-advanced']) {
      for (const nearMiss of ['brewing-beer-2023', 'kombucha-fermentation']) {
        assert.ok(r.rank(related) < r.rank(nearMiss), `${related} (${r.rank(related)}) should rank above ${nearMiss} (${r.rank(nearMiss)})`)
      }
    }
    assert.ok(r.rank('climbing-plants-guide') > 20)

    const wine = await ranking('I need wine fermentation knowledge for vineyard management')
    assert.ok(wine.rank('fermentation-chemistry-v2') <= 3 && wine.rank('viticulture-expert-v3') <= 3, wine.top(5).join(', '))
    assert.ok(wine.rank('brewing-beer-2023') > 10)
  })

  it('a plain keyword still means what it says: "fermentation" and "vines" find beer, kombucha and climbing plants', async () => {
    const fermentation = await ranking('fermentation')
    assert.ok(fermentation.top(5).includes('brewing-beer-2023') && fermentation.top(5).includes('kombucha-fermentation'), fermentation.top(5).join(', '))
    const vines = await ranking('vines')
    assert.deepEqual(new Set(vines.top(2)), new Set(['climbing-plants-guide', 'houseplant-vines-care']))
    // Described by intent, the pun bot's skills are found instead.
    const punBot = await ranking('Viticulture, bartending and agriculture for a pun bot')
    assert.ok(punBot.rank('viticulture-expert-v3') <= 3 && punBot.rank('bartending-basics-v2') <= 3, punBot.top(5).join(', '))
    assert.ok(punBot.rank('climbing-plants-guide') > 20)
  })

  it('a cocktail recommender finds mixology and bartending, not soft drinks', async () => {
    const mixology = await ranking('Mixology techniques and flavor profiles')
    assert.equal(mixology.top(1)[0], 'mixology-flavor-profiles')
    assert.ok(mixology.rank('soft-drink-formulation') > 5)
    const recommender = await ranking('cocktail recommendation AI')
    for (const id of recommender.top(3)) assert.equal(domainOf(id), 'food-drink/cocktails', recommender.top(3).join(', '))
    assert.ok(recommender.rank('soft-drink-formulation') > 10)
    assert.equal((await ranking('bartender skills')).top(1)[0], 'bartending-basics-v2')
  })

  it('an async debugging assistant finds the async and concurrency experts', async () => {
    const async = await ranking('async debugging')
    assert.equal(async.top(1)[0], 'async-debugging-v2')
    assert.ok(async.rank('race-condition-expert') <= 8)
    const races = await ranking('Race conditions and concurrency')
    assert.equal(races.top(1)[0], 'race-condition-expert')
    for (const id of races.top(5)) assert.ok(domainOf(id).startsWith('software/'), `${id} in ${domainOf(id)}`)
  })
})
