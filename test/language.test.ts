// Cross-language search, offline: Spanish, French and German queries find the English adapters that match
// them (the glossary renders the query into English words for the English-only embedder and BM25), and
// English queries are left alone.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createEmbedder, type Embedder } from '../src/node/embedding'
import { AdapterCatalog } from '../src/node/catalog/catalog'
import { findSampleCatalog } from '../src/node/catalog/sample'
import { createLogger } from '../src/node/util/logger'
import { detectLanguage, translateQuery } from '../src/node/language'
import { tempDir } from './helpers/mesh'

let embedder: Embedder
let catalog: AdapterCatalog

before(async () => {
  embedder = createEmbedder()
  catalog = new AdapterCatalog({ dir: path.join(await tempDir(), 'catalog'), privateKey: await generateKeyPair('Ed25519'), embedder, log: createLogger() })
  await catalog.open()
  assert.deepEqual((await catalog.import(findSampleCatalog(__dirname)!)).skipped, [])
})

after(async () => {
  await catalog.close()
  await embedder.close()
})

const CASES = [
  { lang: 'es', q: 'elaboración de cerveza artesanal en casa', want: ['brewing-beer-2023', 'craft-beer-styles'], not: ['wine-basics', 'wine-sommelier-v1'] },
  { lang: 'es', q: 'mi casero no me devuelve la fianza del alquiler', want: ['tenant-rights-advisor'], not: [] },
  { lang: 'fr', q: 'accords mets et vins pour un dîner', want: ['wine-sommelier-v1'], not: ['brewing-beer-2023'] },
  { lang: 'fr', q: 'les pods de mon cluster Kubernetes redémarrent sans cesse', want: ['kubernetes-troubleshooter'], not: [] },
  { lang: 'de', q: 'langsame SQL-Abfragen in PostgreSQL beschleunigen', want: ['sql-query-optimizer'], not: [] },
  { lang: 'de', q: 'mein Hund zieht an der Leine, wie erziehe ich ihn', want: ['dog-training-coach'], not: [] }
] as const

for (const c of CASES) {
  test(`${c.lang}: "${c.q}" finds ${c.want.join(' / ')} in the top 3`, async () => {
    const res = await catalog.search({ text: c.q, k: 10 })
    const top = res.hits.slice(0, 3).map(h => h.manifest.id)
    assert.equal(res.language, c.lang)
    assert.ok(top.some(id => (c.want as readonly string[]).includes(id)), `searched as "${res.searchText}": ${top.join(', ')}`)
    assert.deepEqual(top.filter(id => (c.not as readonly string[]).includes(id)), [], `searched as "${res.searchText}"`)
  })
}

test('English queries, names and tags are searched as typed', async () => {
  for (const q of ['Jigsaw Toxic Comment Detector', 'make better pour-over coffee at home', 'back pain exercises', 'Race Condition Expert', 'plan a menu for a party', 'SQL', 'sommelier']) {
    assert.deepEqual(translateQuery(q), { language: 'en', text: q }, q)
  }
  const res = await catalog.search({ text: 'Race Condition Expert', k: 3 })
  assert.equal(res.language, 'en')
  assert.equal(res.hits[0].manifest.id, 'race-condition-expert')
})

test('translation keeps unknown words (names, technical terms), drops function words, splits German compounds', () => {
  assert.equal(translateQuery('optimizar consultas SQL lentas en PostgreSQL').text, 'optimize query SQL slow PostgreSQL')
  assert.equal(translateQuery('Kundenbewertungen nach positiv und negativ sortieren').text, 'customer reviews positive negative sort')
  assert.equal(detectLanguage('pourquoi les feuilles de mes tomates jaunissent').language, 'fr')
})
