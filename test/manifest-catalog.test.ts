import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import {
  parseAdapterFieldsJsonl, buildUnsignedManifest, signManifest, encodeManifest, decodeManifest, manifestSearchText, ADAPTER_KINDS,
  type AdapterFields
} from '../src/node/manifest/index'

const root = process.env.CONTINUUM_ROOT ?? process.cwd()
const folder = path.join(root, 'data', 'sample-catalog')
const text = readFileSync(path.join(folder, 'catalog.jsonl'), 'utf8')
const { entries, problems } = parseAdapterFieldsJsonl(text)
const byId = new Map<string, AdapterFields>(entries.map(e => [e.id, e]))

describe('demo catalog', () => {
  it('every line is valid adapter fields, with unique ids', () => {
    assert.deepEqual(problems, [])
    assert.equal(entries.length, text.trim().split('\n').length)
    assert.ok(entries.length >= 300, `only ${entries.length} entries`)
    assert.equal(new Set(entries.map(e => e.name)).size, entries.length, 'names repeat')
    assert.equal(new Set(entries.map(e => e.description)).size, entries.length, 'descriptions repeat')
  })

  it('is labelled as demo data', () => {
    const readme = readFileSync(path.join(folder, 'README.md'), 'utf8')
    assert.match(readme, /^# Demo catalog \(demo data\)/)
    assert.match(readme, /do not exist/)
  })

  it('contains the design document\'s examples and their near misses', () => {
    const expected = [
      'viticulture-expert-v3', 'fermentation-chemistry-v2', 'agricultural-crop-optimization', 'botany-advanced',
      'bartending-basics-v2', 'mixology-flavor-profiles', 'async-debugging-v2', 'race-condition-expert',
      'brewing-beer-2023', 'kombucha-fermentation', 'wine-basics', 'soft-drink-formulation', 'climbing-plants-guide',
      'houseplant-vines-care', 'mixology-advanced', 'cocktail-techniques', 'wine-sommelier-v1', 'drink-mixing-pro'
    ]
    for (const id of expected) assert.ok(byId.has(id), `missing ${id}`)
    assert.deepEqual(byId.get('viticulture-expert-v3')?.specializations.slice(0, 3), ['grape-growing', 'pest-management', 'harvest-timing'])
    assert.deepEqual(byId.get('fermentation-chemistry-v2')?.specializations.slice(0, 3), ['wine-fermentation', 'yeast-biology', 'ph-control'])
    assert.deepEqual(byId.get('agricultural-crop-optimization')?.specializations.slice(0, 3), ['soil-analysis', 'irrigation', 'crop-yield'])
    assert.deepEqual(byId.get('botany-advanced')?.specializations.slice(0, 2), ['plant-physiology', 'growth-cycles'])
    const async = byId.get('async-debugging-v2')
    assert.deepEqual([async?.price, async?.metrics.downloads, async?.metrics.rating], [5, 342, 4.8])
    const race = byId.get('race-condition-expert')
    assert.deepEqual([race?.price, race?.metrics.downloads, race?.metrics.rating], [8, 127, 4.9])
    // The near misses say what they are about, so search can tell them apart.
    assert.match(byId.get('brewing-beer-2023')?.description ?? '', /beer/i)
    assert.doesNotMatch(byId.get('brewing-beer-2023')?.description ?? '', /grape/i)
    assert.match(byId.get('climbing-plants-guide')?.description ?? '', /clematis/i)
    assert.doesNotMatch(byId.get('climbing-plants-guide')?.description ?? '', /grape|wine/i)
    assert.notEqual(byId.get('climbing-plants-guide')?.domain, byId.get('viticulture-expert-v3')?.domain)
  })

  it('varies domains, kinds, base models, licences, ranks, prices and versions', () => {
    const count = (f: (e: AdapterFields) => unknown): number => new Set(entries.map(f)).size
    const topLevel = new Set(entries.map(e => e.domain.split('/')[0]))
    for (const domain of ['software', 'data-science', 'law', 'medicine', 'finance', 'education', 'languages', 'writing', 'marketing',
      'agriculture', 'botany', 'gardening', 'food-drink', 'science', 'music', 'games']) {
      assert.ok(topLevel.has(domain), `no ${domain} adapters`)
    }
    assert.ok(count(e => e.domain) >= 30)
    assert.ok(count(e => e.kind) >= 7)
    for (const kind of ['lora', 'qlora', 'ia3', 'persona']) assert.ok(entries.some(e => e.kind === kind), kind)
    assert.ok(entries.every(e => (ADAPTER_KINDS as readonly string[]).includes(e.kind)))
    assert.ok(count(e => e.baseModel) >= 10)
    assert.ok(count(e => e.license) >= 6)
    assert.ok(count(e => e.rank) >= 6)
    assert.ok(count(e => e.price) >= 10)
    assert.ok(count(e => e.version.split('.')[0]) >= 4)
    assert.ok(entries.some(e => e.price === 0))
    // Personas carry no weights, so no rank or target modules.
    for (const e of entries.filter(e => e.kind === 'persona')) assert.equal(e.rank, undefined, e.id)
    for (const e of entries.filter(e => ['lora', 'qlora', 'dora'].includes(e.kind))) assert.ok(e.rank !== undefined && (e.targetModules?.length ?? 0) > 0, e.id)
  })

  it('every entry becomes a signed manifest that a peer accepts', async () => {
    const key = await generateKeyPair('Ed25519')
    const publisher = peerIdFromPrivateKey(key)
    for (const fields of entries) {
      // A stand-in embedding: the real one comes from the embedder on import.
      const seed = fields.id.length
      const raw = Array.from({ length: 384 }, (_, i) => Math.sin(seed + i))
      const norm = Math.hypot(...raw)
      const embedding = raw.map(x => x / norm)
      const manifest = await signManifest(buildUnsignedManifest({ ...fields, embedding, publisher }), key)
      const check = await decodeManifest(encodeManifest(manifest))
      assert.ok(check.ok, `${fields.id}: ${check.ok ? '' : check.problems.join('; ')}`)
      assert.ok(manifestSearchText(fields).startsWith(fields.name))
    }
  })
})
