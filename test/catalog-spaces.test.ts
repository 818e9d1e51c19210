// Catalogs in more than one embedding space: a node with a user-supplied model publishes manifests carrying
// vectors in both spaces; a node with the same model ranks those entries in its space and every other entry
// in the default one; a node without it (or with another model) uses the default space for all of them.
import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createEmbedder, inspectModelFolder, type Embedder } from '../src/node/embedding'
import { AdapterCatalog } from '../src/node/catalog/catalog'
import { buildUnsignedManifest, manifestSearchText, manifestVectorIn, signManifest, type AdapterManifest } from '../src/node/manifest'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createLogger } from '../src/node/util/logger'
import { tempDir } from './helpers/mesh'
import { copyShippedModel } from './helpers/model-folder'

const SPACE = 'acme/minilm-prefixed'
const adapter = (id: string, name: string, description: string): Record<string, unknown> => ({
  id, name, version: '1.0.0', description, kind: 'lora', baseModel: 'meta-llama/Llama-3.1-8B-Instruct', license: 'apache-2.0',
  specializations: [], capabilities: ['question-answering'], domain: 'food-drink', sizeBytes: 1000, contentHash: `sha256-${'cd'.repeat(32)}`
})
const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s }

describe('catalog: embedding spaces', () => {
  let work: string
  let standard: Embedder
  let mine: Embedder
  let published: AdapterManifest[]
  let foreign: AdapterManifest[]
  const open = async (name: string, space?: Embedder): Promise<AdapterCatalog> => {
    const c = new AdapterCatalog({ dir: path.join(work, name, 'catalog'), privateKey: await generateKeyPair('Ed25519'), embedder: standard, spaceEmbedder: space, log: createLogger() })
    await c.open()
    return c
  }

  before(async () => {
    work = await tempDir('continuum-spaces-')
    standard = createEmbedder()
    // The user's model: a copy of the shipped one under another id, with e5-style prefixes (so its vectors differ).
    mine = createEmbedder({ model: inspectModelFolder(copyShippedModel(path.join(work, 'model'), { name: SPACE, prompts: { query: 'query: ', passage: 'passage: ' } })) })
    const publisher = await open('publisher', mine)
    const jsonl = [
      adapter('sour-beer-brewing', 'Sour Beer Brewing', 'Brewing sour beers: kettle souring, lactobacillus, mixed fermentation and barrel ageing.'),
      adapter('espresso-dialing', 'Espresso Dialing', 'Dialing in espresso: grind size, dose, yield and extraction time for a balanced shot.')
    ].map(a => JSON.stringify(a)).join('\n')
    assert.deepEqual((await publisher.importJsonl(jsonl, 'test')).skipped, [])
    published = publisher.list('local').map(h => h.manifest)
    await publisher.close()
    // Another publisher runs no extra model; a third carries a space nobody here runs.
    const key = await generateKeyPair('Ed25519')
    const sign = async (fields: Record<string, unknown>, extra?: Record<string, Float32Array>): Promise<AdapterManifest> => {
      const [v] = await standard.embed([manifestSearchText(fields as never)])
      return await signManifest(buildUnsignedManifest({ ...fields, embedding: v, extraEmbeddings: extra, publisher: peerIdFromPrivateKey(key) } as never), key)
    }
    foreign = [
      await sign(adapter('kombucha-fermentation', 'Kombucha Fermentation', 'Brewing kombucha: SCOBY care, first and second fermentation, flavouring and carbonation.')),
      await sign(adapter('cider-making', 'Cider Making', 'Making hard cider from apples: pressing, yeast choice and fermentation.'), { 'other/unknown-model': Float32Array.from({ length: 16 }, () => 0.25) })
    ]
  })
  after(async () => {
    await mine.close()
    await standard.close()
    rmSync(work, { recursive: true, force: true })
  })

  it('publishes manifests that carry a vector in the user model\'s space, embedded with its passage prefix', async () => {
    assert.equal(published.length, 2)
    for (const m of published) {
      const v = manifestVectorIn(m, SPACE)
      assert.ok(v !== undefined, `${m.id} carries a ${SPACE} vector`)
      const ref = await mine.embedOne(manifestSearchText(m), { role: 'passage' })
      assert.ok(dot(v, ref) > 0.9999)
    }
  })

  it('ranks entries that have a vector in its space there, and falls back to the default space for the rest', async () => {
    const c = await open('same-model', mine)
    try {
      await c.putRemoteMany([...published, ...foreign].map(manifest => ({ manifest, fromPeer: manifest.publisher })))
      const out = await c.search({ text: 'brewing sour beer with lactobacillus', k: 4 })
      assert.equal(out.space, SPACE)
      const byId = new Map(out.hits.map(h => [h.manifest.id, h]))
      assert.equal(out.hits[0].manifest.id, 'sour-beer-brewing')
      const query = await mine.embedOne('brewing sour beer with lactobacillus', { role: 'query' })
      const sour = byId.get('sour-beer-brewing')!
      assert.equal(sour.space, SPACE)
      assert.ok(Math.abs(sour.similarity - dot(query, manifestVectorIn(sour.manifest, SPACE)!)) < 1e-3, 'similarity is measured in the user model\'s space')
      for (const id of ['kombucha-fermentation', 'cider-making']) {
        const hit = byId.get(id)
        assert.ok(hit !== undefined, `${id} is still found (default space)`)
        assert.equal(hit.space, undefined, `${id} has no vector in ${SPACE}: ranked in the default space (an unknown space is ignored)`)
      }
    } finally {
      await c.close()
    }
  })

  it('a node without the model searches every entry in the default space, and picks the space up when configured later', async () => {
    const plain = await open('later')
    await plain.putRemoteMany([...published, ...foreign].map(manifest => ({ manifest, fromPeer: manifest.publisher })))
    const before = await plain.search({ text: 'dialing in espresso', k: 4 })
    assert.equal(before.space, undefined)
    assert.ok(before.hits.every(h => h.space === undefined))
    assert.equal(before.hits[0].manifest.id, 'espresso-dialing')
    await plain.close()
    // Same data dir, now with the model: entries cached before it was configured are indexed in its space on open.
    const withModel = new AdapterCatalog({ dir: path.join(work, 'later', 'catalog'), privateKey: await generateKeyPair('Ed25519'), embedder: standard, spaceEmbedder: mine, log: createLogger() })
    await withModel.open()
    try {
      const after = await withModel.search({ text: 'dialing in espresso', k: 4 })
      assert.equal(after.hits[0].manifest.id, 'espresso-dialing')
      assert.equal(after.hits[0].space, SPACE)
    } finally {
      await withModel.close()
    }
  })
})
