// The catalog: import (JSONL and PEFT folders), hybrid semantic search, persistence — with the real
// embedder and the demo catalog.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { createEmbedder, type Embedder } from '../src/node/embedding'
import { AdapterCatalog } from '../src/node/catalog/catalog'
import { findSampleCatalog } from '../src/node/catalog/sample'
import { createLogger } from '../src/node/util/logger'
import { tempDir } from './helpers/mesh'

let embedder: Embedder
let key: PrivateKey
let catalog: AdapterCatalog
let dir: string
const sample = findSampleCatalog(__dirname)!
const root = path.dirname(path.dirname(path.dirname(sample)))

before(async () => {
  embedder = createEmbedder()
  key = await generateKeyPair('Ed25519')
  dir = await tempDir()
  catalog = new AdapterCatalog({ dir: path.join(dir, 'catalog'), privateKey: key, embedder, log: createLogger() })
  await catalog.open()
  const report = await catalog.import(sample)
  assert.deepEqual(report.skipped, [])
  assert.ok(report.imported >= 300, `imported ${report.imported}`)
})

after(async () => {
  await catalog.close()
  await embedder.close()
})

const rank = (hits: Array<{ manifest: { id: string } }>, id: string): number => hits.findIndex(h => h.manifest.id === id)

test('the design\'s vineyard query ranks viticulture and fermentation chemistry above beer brewing and kombucha', async () => {
  const { hits } = await catalog.search({ text: "I'm building a vineyard management AI that needs grape cultivation, fermentation chemistry and wine production", k: 30 })
  assert.equal(hits[0].manifest.id, 'viticulture-expert-v3', `first: ${hits[0].manifest.id}`)
  const vit = rank(hits, 'viticulture-expert-v3')
  const ferm = rank(hits, 'fermentation-chemistry-v2')
  assert.ok(ferm >= 0 && ferm < 5, `fermentation-chemistry-v2 at ${ferm}`)
  for (const miss of ['brewing-beer-2023', 'kombucha-fermentation']) {
    const r = rank(hits, miss)
    assert.ok(r === -1 || (r > vit && r > ferm), `${miss} at ${r} should rank below viticulture (${vit}) and fermentation chemistry (${ferm})`)
  }
  assert.ok(hits.every(h => h.similarity >= 0 && h.similarity <= 1))
  assert.ok(hits[0].location === 'local')
})

test('intent finds the right skill without its words: concurrency bugs → async debugging experts', async () => {
  const { hits } = await catalog.search({ text: 'my assistant must help track down race conditions and deadlocks in concurrent code', k: 5 })
  const ids = hits.map(h => h.manifest.id)
  assert.ok(ids.includes('race-condition-expert') || ids.includes('async-debugging-v2'), ids.join(', '))
})

test('an exact-name query puts that adapter first', async () => {
  const all = catalog.list('local')
  // Pick a few adapters and search for their exact names.
  for (const h of [all[0], all[Math.floor(all.length / 2)], all[all.length - 1]]) {
    const { hits } = await catalog.search({ text: h.manifest.name, k: 3 })
    assert.equal(hits[0].manifest.name, h.manifest.name, `query "${h.manifest.name}" → ${hits[0].manifest.name}`)
  }
})

test('filters narrow the results', async () => {
  const { hits } = await catalog.search({ text: 'helpful assistant', k: 20, filters: { kind: 'persona' } })
  assert.ok(hits.length > 0)
  assert.ok(hits.every(h => h.manifest.kind === 'persona'))
  const cheap = await catalog.search({ text: 'code review', k: 20, filters: { maxPrice: 0 } })
  assert.ok(cheap.hits.every(h => h.manifest.price === 0))
})

test('empty and over-long queries', async () => {
  await assert.rejects(catalog.search({ text: '   ' }), { name: 'InvalidQueryError', message: /empty/ })
  const long = 'vineyard irrigation and grape harvest timing '.repeat(60)
  const res = await catalog.search({ text: long })
  assert.equal(res.truncated, true)
  assert.ok(res.hits.length > 0)
})

test('JSONL import reports bad lines with their numbers and imports the rest; re-import is a no-op', async () => {
  const file = path.join(dir, 'mixed.jsonl')
  const good = { id: 'tide-pool-guide', name: 'Tide Pool Guide', version: '1.0.0', description: 'Identifies tide pool creatures and explains their ecology for coastal field trips.', kind: 'persona', baseModel: 'meta-llama/Meta-Llama-3-8B-Instruct', license: 'apache-2.0', specializations: ['marine biology'], capabilities: ['identification'], domain: 'science/biology', sizeBytes: 0, contentHash: 'sha256-' + 'a'.repeat(64) }
  await writeFile(file, [JSON.stringify(good), '{broken', JSON.stringify({ ...good, id: 'Bad Id!' }), ''].join('\n'))
  const r = await catalog.import(file)
  assert.equal(r.imported, 1)
  assert.deepEqual(r.skipped.map(s => s.line), [2, 3])
  assert.match(r.skipped[1].problems.join(' '), /id/)
  const again = await catalog.import(file)
  assert.equal(again.imported, 0)
  assert.equal(again.unchanged, 1)
  const { hits } = await catalog.search({ text: 'crabs and anemones at the beach', k: 3 })
  assert.equal(hits[0].manifest.id, 'tide-pool-guide')
  assert.equal(hits[0].manifest.publisher, catalog.publisher)
})

test('a folder of PEFT adapters imports with fields from the adapter files', async () => {
  const r = await catalog.import(path.join(root, 'data', 'sample-catalog', 'peft'))
  assert.deepEqual(r.skipped, [])
  assert.ok(r.imported + r.updated >= 3)
  const byId = new Map(catalog.list('local').map(h => [h.manifest.id, h.manifest]))
  const lora = byId.get('viticulture-notes-lora')
  assert.equal(lora?.kind, 'lora')
  assert.ok(lora.rank !== undefined && lora.rank > 0)
  assert.ok((lora.targetModules ?? []).length > 0)
  assert.ok(lora.sizeBytes > 0 && lora.sizeBytes < 1_000_000)
  assert.match(lora.contentHash, /^sha256-[0-9a-f]{64}$/)
  assert.equal(byId.get('cocktail-balance-ia3')?.kind, 'ia3')
  assert.ok(byId.has('async-race-hints-prompt'))
})

test('a missing import source is a one-line error', async () => {
  await assert.rejects(catalog.import(path.join(dir, 'nope.jsonl')), { name: 'ImportSourceError', message: /Cannot read .*nope\.jsonl \(ENOENT\): check the path/ })
})

test('the catalog survives a reopen', async () => {
  const before = catalog.count()
  await catalog.close()
  catalog = new AdapterCatalog({ dir: path.join(dir, 'catalog'), privateKey: key, embedder, log: createLogger() })
  await catalog.open()
  assert.equal(catalog.count(), before)
  const { hits } = await catalog.search({ text: 'wine pairing with dinner', k: 3 })
  assert.ok(hits.length === 3)
})
