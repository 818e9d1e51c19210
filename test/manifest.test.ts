import { generateKeyPair, generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, unlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  buildUnsignedManifest, signManifest, verifyManifest, assertManifest, encodeManifest, decodeManifest, manifestEmbedding,
  manifestSearchText, manifestSigningBytes, manifestKey, manifestVectorIn, canonicalize, encodeEmbedding, readPeftFolder,
  validateAdapterFields, parseAdapterFieldsJsonl, LIMITS,
  type AdapterManifest, type ManifestInit
} from '../src/node/manifest/index'

const root = process.env.CONTINUUM_ROOT ?? process.cwd()
const samplePeft = path.join(root, 'data', 'sample-catalog', 'peft')

/** A deterministic unit-length 384-dim vector. */
function vector (seed: number, dims = 384): number[] {
  const v = Array.from({ length: dims }, (_, i) => Math.sin(seed * 7.1 + i * 0.37) + Math.cos(i * seed * 0.013))
  const norm = Math.hypot(...v)
  return v.map(x => x / norm)
}

function fields (overrides: Partial<ManifestInit> = {}): Omit<ManifestInit, 'publisher'> {
  return {
    id: 'viticulture-expert-v3',
    name: 'Viticulture Expert',
    version: '3.0.1',
    description: 'Grape growing for wine: canopy management, vineyard pests and disease, and harvest timing from sugar and acid readings.',
    kind: 'lora',
    baseModel: 'meta-llama/Llama-3.1-8B-Instruct',
    rank: 16,
    targetModules: ['q_proj', 'v_proj'],
    license: 'apache-2.0',
    specializations: ['grape-growing', 'pest-management', 'harvest-timing'],
    capabilities: ['question-answering', 'planning'],
    domain: 'agriculture/viticulture',
    sizeBytes: 54_525_952,
    contentHash: `sha256-${'ab'.repeat(32)}`,
    metrics: { accuracy: 0.91, downloads: 342, rating: 4.8 },
    price: 5,
    createdAt: '2026-11-01T10:00:00.000Z',
    embedding: vector(1),
    ...overrides
  }
}

/** Re-sign arbitrary content with `key`, bypassing validation, to isolate one schema problem. */
async function forceSign (content: Record<string, unknown>, key: PrivateKey): Promise<Record<string, unknown>> {
  const { signature: _s, ...unsigned } = content
  const signature = await key.sign(manifestSigningBytes(unsigned))
  return { ...unsigned, signature: Buffer.from(signature).toString('base64') }
}

async function problemsOf (value: unknown): Promise<string[]> {
  const check = await verifyManifest(value)
  assert.equal(check.ok, false, 'expected the manifest to be rejected')
  return check.ok ? [] : check.problems
}

function assertHasProblem (problems: string[], field: string, pattern: RegExp): void {
  assert.ok(problems.some(p => p.startsWith(`${field}:`) && pattern.test(p)), `expected a "${field}: ${pattern}" problem in:\n  ${problems.join('\n  ')}`)
}

describe('adapter manifest', () => {
  let key: PrivateKey
  let other: PrivateKey
  let manifest: AdapterManifest

  before(async () => {
    key = await generateKeyPair('Ed25519')
    other = await generateKeyPair('Ed25519')
    manifest = await signManifest(buildUnsignedManifest({ ...fields(), publisher: peerIdFromPrivateKey(key) }), key)
  })

  describe('round trip', () => {
    it('build → sign → encode → decode → verify returns the same manifest', async () => {
      const bytes = encodeManifest(manifest)
      const check = await decodeManifest(bytes)
      assert.ok(check.ok, check.ok ? '' : check.problems.join('; '))
      assert.deepEqual(check.manifest, manifest)
      assert.equal(check.manifest.publisher, peerIdFromPrivateKey(key).toString())
      assert.equal(check.manifest.manifestVersion, 1)
      assert.equal(check.manifest.embedding.model, 'sentence-transformers/all-MiniLM-L6-v2')
      // The wire form is canonical: re-encoding the decoded manifest gives the same bytes.
      assert.deepEqual(encodeManifest(check.manifest), bytes)
      assert.deepEqual(await assertManifest(JSON.parse(new TextDecoder().decode(bytes))), manifest)
    })

    it('carries the embedding exactly, as 2 KB of float32 bytes', () => {
      const original = Float32Array.from(vector(1))
      const decoded = manifestEmbedding(manifest)
      assert.equal(decoded.length, 384)
      assert.deepEqual(decoded, original)
      assert.equal(manifest.embedding.data.length, 2048) // base64 of 1536 bytes
      assert.ok(encodeManifest(manifest).byteLength < 4096)
    })

    it('wire bytes are sorted-key JSON without whitespace', () => {
      const text = new TextDecoder().decode(encodeManifest(manifest))
      assert.ok(!/[\n ]"|": /.test(text.replace(/"(?:[^"\\]|\\.)*"/g, '""')), 'no whitespace outside strings')
      const keys = Object.keys(JSON.parse(text))
      assert.deepEqual(keys, [...keys].sort())
      assert.ok(text.startsWith('{"baseModel":'))
    })

    it('signatures are deterministic for the same content (Ed25519)', async () => {
      const { signature: _s, ...unsigned } = manifest
      const again = await signManifest(unsigned, key)
      assert.equal(again.signature, manifest.signature)
    })

    it('the same manifest with its keys in another order still verifies', async () => {
      const shuffled = Object.fromEntries(Object.entries(manifest).reverse())
      assert.equal((await verifyManifest(shuffled)).ok, true)
    })

    it('matches the known-answer wire format (checked once against Python json + cryptography)', async () => {
      // Changing any of these values breaks interoperability with nodes already in the mesh: a format
      // change needs a new manifestVersion. The bytes were verified independently with Python:
      // json.dumps(sort_keys=True, separators=(',', ':'), ensure_ascii=False) reproduces them, and
      // cryptography's Ed25519PublicKey.verify accepts the signature over the domain prefix + JCS.
      const seeded = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(7))
      const raw = Array.from({ length: 384 }, (_, i) => Math.cos(i * 0.5))
      const norm = Math.hypot(...raw)
      const kat = await signManifest(buildUnsignedManifest({
        id: 'wine-basics', name: 'Wine Basics — ünïcode', version: '1.0.0', description: 'Intro to wine.\nLine "two".', kind: 'lora',
        baseModel: 'meta-llama/Llama-3.1-8B-Instruct', rank: 16, targetModules: ['q_proj', 'v_proj'], license: 'apache-2.0',
        specializations: ['wine'], capabilities: ['qa'], domain: 'food-drink/wine', sizeBytes: 1000, contentHash: `sha256-${'a'.repeat(64)}`,
        metrics: { accuracy: 0.91, downloads: 342, rating: 4.8 }, price: 0.1, createdAt: '2026-11-29T19:00:00Z',
        embedding: raw.map(x => x / norm), publisher: peerIdFromPrivateKey(seeded)
      }), seeded)
      assert.equal(kat.publisher, '12D3KooWRawPbxPtP1eZaJpumGnyWX2DcUyd3RQnydr3eAto4Az7')
      assert.equal(kat.signature, 'JleTct33yRXjBCw+AjFSFEVRG443Ri8vkMKhQxO/NiJyPyyWsFz7qDffWBsPWwdkvvfwIVseLOnMX66178nkAw==')
      const bytes = encodeManifest(kat)
      assert.equal(createHash('sha256').update(bytes).digest('hex'), 'c6ec410f5eb9795db61d6d9c2595b5c4ef40c712d9242f94bb45258a385662a6')
      assert.ok(new TextDecoder().decode(bytes).startsWith('{"baseModel":"meta-llama/Llama-3.1-8B-Instruct","capabilities":["qa"],"contentHash":"sha256-'))
    })

    it('applies defaults for metrics, price and createdAt', () => {
      const { metrics: _m, price: _p, createdAt: _c, ...rest } = fields()
      const unsigned = buildUnsignedManifest({ ...rest, publisher: peerIdFromPrivateKey(key) })
      assert.deepEqual(unsigned.metrics, { downloads: 0 })
      assert.equal(unsigned.price, 0)
      assert.ok(Math.abs(Date.parse(unsigned.createdAt) - Date.now()) < 60_000)
    })

    it('manifestKey names publisher, id and version', () => {
      assert.equal(manifestKey(manifest), `${manifest.publisher}/viticulture-expert-v3@3.0.1`)
    })
  })

  describe('rejections', () => {
    it('a signature made over other content', async () => {
      const { signature: _s, ...unsigned } = manifest
      const otherContent = await signManifest({ ...unsigned, version: '3.0.2' }, key)
      const problems = await problemsOf({ ...manifest, signature: otherContent.signature })
      assert.deepEqual(problems, ['signature: does not match the manifest content and publisher key'])
    })

    it('a signature by another key', async () => {
      const problems = await problemsOf(await forceSign({ ...manifest }, other))
      assert.deepEqual(problems, ['signature: does not match the manifest content and publisher key'])
    })

    it('a signature that is not 64 bytes of base64', async () => {
      assertHasProblem(await problemsOf({ ...manifest, signature: 'not base64!' }), 'signature', /64-byte Ed25519 signature/)
      assertHasProblem(await problemsOf({ ...manifest, signature: Buffer.alloc(32).toString('base64') }), 'signature', /64-byte/)
      const { signature: _s, ...unsigned } = manifest
      assertHasProblem(await problemsOf(unsigned), 'signature', /required/)
    })

    for (const [field, value] of [
      ['description', 'Brewing beer at home.'],
      ['price', 0],
      ['version', '3.0.2'],
      ['specializations', ['grape-growing', 'pest-management']],
      ['metrics', { accuracy: 0.99, downloads: 100000, rating: 5 }],
      ['createdAt', '2026-11-02T10:00:00.000Z']
    ] as const) {
      it(`a ${field} changed after signing`, async () => {
        const problems = await problemsOf({ ...manifest, [field]: value })
        assert.deepEqual(problems, ['signature: does not match the manifest content and publisher key'])
      })
    }

    it('one flipped bit in the embedding', async () => {
      const bytes = Buffer.from(manifest.embedding.data, 'base64')
      bytes[100] ^= 0x01
      const tampered = { ...manifest, embedding: { ...manifest.embedding, data: bytes.toString('base64') } }
      assert.deepEqual(await problemsOf(tampered), ['signature: does not match the manifest content and publisher key'])
    })

    it('an embedding of the wrong dimension', async () => {
      for (const dims of [383, 385, 768]) {
        const value = await forceSign({ ...manifest, embedding: { ...manifest.embedding, data: encodeEmbedding(vector(2, dims)) } }, key)
        assert.deepEqual(await problemsOf(value), [`embedding.data: must hold 384 float32 values (dimension), got ${dims}`])
      }
      const ragged = await forceSign({ ...manifest, embedding: { ...manifest.embedding, data: Buffer.alloc(1537).toString('base64') } }, key)
      assertHasProblem(await problemsOf(ragged), 'embedding.data', /got 1537 bytes/)
      assert.throws(() => buildUnsignedManifest({ ...fields({ embedding: vector(1, 383) }), publisher: peerIdFromPrivateKey(key) }),
        (err: Error & { problems?: string[] }) => err.name === 'ManifestValidationError' && err.problems?.[0] === 'embedding.data: must hold 384 float32 values (dimension), got 383')
    })

    it('an embedding with NaN or infinity, or not canonical base64', async () => {
      const nan = vector(3)
      nan[5] = Number.NaN
      assertHasProblem(await problemsOf(await forceSign({ ...manifest, embedding: { ...manifest.embedding, data: encodeEmbedding(nan) } }, key)), 'embedding.data', /finite/)
      const spaced = `${manifest.embedding.data.slice(0, 10)}\n${manifest.embedding.data.slice(10)}`
      assertHasProblem(await problemsOf(await forceSign({ ...manifest, embedding: { ...manifest.embedding, data: spaced } }, key)), 'embedding.data', /canonical base64/)
    })

    it('an embedding that is not unit length', async () => {
      const long = vector(4).map(x => x * 3)
      const value = await forceSign({ ...manifest, embedding: { ...manifest.embedding, data: encodeEmbedding(long) } }, key)
      assert.deepEqual(await problemsOf(value), ['embedding.data: must be a unit-length vector (L2 norm 1 ± 0.001), got norm 3.000'])
      const zero = await forceSign({ ...manifest, embedding: { ...manifest.embedding, data: encodeEmbedding(new Array(384).fill(0)) } }, key)
      assertHasProblem(await problemsOf(zero), 'embedding.data', /got norm 0\.000/)
      assert.throws(() => buildUnsignedManifest({ ...fields({ embedding: long }), publisher: peerIdFromPrivateKey(key) }), { name: 'ManifestValidationError' })
    })

    it('an unknown embedding model', async () => {
      const value = await forceSign({ ...manifest, embedding: { ...manifest.embedding, model: 'BAAI/bge-small-en-v1.5' } }, key)
      assert.deepEqual(await problemsOf(value), ['embedding.model: unknown embedding model "BAAI/bge-small-en-v1.5" (supported: sentence-transformers/all-MiniLM-L6-v2)'])
      assert.throws(() => buildUnsignedManifest({ ...fields({ embeddingModel: 'openai/text-embedding-3-small' }), publisher: peerIdFromPrivateKey(key) }), { name: 'ManifestValidationError' })
    })

    it('a publisher that is not a PeerId, not Ed25519, or not the signer', async () => {
      assert.deepEqual(await problemsOf({ ...manifest, publisher: 'carol-ai' }), ['publisher: must be a libp2p PeerId'])
      const secp = await generateKeyPair('secp256k1')
      const secpId = peerIdFromPrivateKey(secp).toString()
      assert.deepEqual(await problemsOf({ ...manifest, publisher: secpId }), ['publisher: must be an Ed25519 PeerId, got a secp256k1 PeerId'])
      // A valid Ed25519 publisher that did not sign.
      assert.deepEqual(await problemsOf({ ...manifest, publisher: peerIdFromPrivateKey(other).toString() }),
        ['signature: does not match the manifest content and publisher key'])
      // The CID form of the same PeerId is not the canonical form.
      const cidForm = peerIdFromPrivateKey(key).toCID().toString()
      assertHasProblem(await problemsOf({ ...manifest, publisher: cidForm }), 'publisher', /canonical form/)
    })

    it('out-of-range metrics and price', async () => {
      const problems = await problemsOf({ ...manifest, metrics: { accuracy: 1.5, downloads: -3, rating: 5.5 }, price: -1 })
      assertHasProblem(problems, 'metrics.accuracy', /between 0 and 1/)
      assertHasProblem(problems, 'metrics.downloads', /negative/)
      assertHasProblem(problems, 'metrics.rating', /between 0 and 5/)
      assertHasProblem(problems, 'price', /negative/)
      assertHasProblem(await problemsOf({ ...manifest, metrics: { downloads: 2.5 } }), 'metrics.downloads', /whole number/)
      assertHasProblem(await problemsOf({ ...manifest, rank: 0 }), 'rank', /at least 1/)
      assertHasProblem(await problemsOf({ ...manifest, sizeBytes: -1 }), 'sizeBytes', /negative/)
      assertHasProblem(await problemsOf({ ...manifest, metrics: { downloads: 1, accuracy: '0.9' } }), 'metrics.accuracy', /expected number/)
    })

    it('oversize strings and lists', async () => {
      const problems = await problemsOf({
        ...manifest,
        name: 'n'.repeat(LIMITS.nameLength + 1),
        description: 'd'.repeat(LIMITS.descriptionLength + 1),
        specializations: Array.from({ length: LIMITS.tagCount + 1 }, (_, i) => `tag-${i}`),
        capabilities: ['c'.repeat(LIMITS.tagLength + 1)],
        targetModules: Array.from({ length: LIMITS.targetModuleCount + 1 }, (_, i) => `m${i}`),
        baseModel: `org/${'m'.repeat(LIMITS.baseModelLength)}`
      })
      assertHasProblem(problems, 'name', /at most 128 characters/)
      assertHasProblem(problems, 'description', /at most 4000 characters/)
      assertHasProblem(problems, 'specializations', /at most 32 specializations/)
      assertHasProblem(problems, 'capabilities.0', /at most 64 characters/)
      assertHasProblem(problems, 'targetModules', /at most 128 target modules/)
      assertHasProblem(problems, 'baseModel', /at most 200 characters/)
      assertHasProblem(problems, 'signature', /does not match/)
    })

    it('bad formats: id, version, kind, domain, content hash, dates, control characters', async () => {
      const problems = await problemsOf({
        ...manifest,
        id: 'Viticulture Expert!',
        version: 'v3',
        kind: 'finetune',
        domain: 'Food & Drink',
        contentHash: 'md5-abc',
        createdAt: 'yesterday',
        name: 'Wine\u0007Basics',
        manifestVersion: 2
      })
      for (const field of ['id', 'version', 'kind', 'domain', 'contentHash', 'createdAt', 'name', 'manifestVersion']) {
        assert.ok(problems.some(p => p.startsWith(`${field}:`)), `expected a ${field} problem in ${problems.join('; ')}`)
      }
    })

    it('missing and unknown fields', async () => {
      const { description: _d, ...noDescription } = manifest
      const problems = await problemsOf({ ...noDescription, homepage: 'https://example.invalid' })
      assert.ok(problems.includes('description: is required'), problems.join('; '))
      assert.ok(problems.includes('manifest: unknown field "homepage"'), problems.join('; '))
      assert.ok(problems.includes('signature: does not match the manifest content and publisher key'), problems.join('; '))
    })

    it('lists every problem at once', async () => {
      const problems = await problemsOf({
        ...manifest,
        publisher: 'not-a-peer',
        embedding: { model: 'unknown/model', data: encodeEmbedding(vector(1, 100)) },
        metrics: { accuracy: 2, downloads: -1, rating: 9 },
        name: ''
      })
      assertHasProblem(problems, 'publisher', /PeerId/)
      assertHasProblem(problems, 'embedding.model', /unknown embedding model/)
      assertHasProblem(problems, 'embedding.data', /got 100/)
      assertHasProblem(problems, 'metrics.accuracy', /between 0 and 1/)
      assertHasProblem(problems, 'metrics.downloads', /negative/)
      assertHasProblem(problems, 'metrics.rating', /between 0 and 5/)
      assertHasProblem(problems, 'name', /empty/)
      assert.ok(problems.length >= 7)
    })

    it('input that is not an object', async () => {
      for (const [value, got] of [[null, 'null'], [undefined, 'undefined'], ['manifest', 'string'], [42, 'number'], [[manifest], 'an array']] as const) {
        assert.deepEqual(await problemsOf(value), [`manifest: must be a JSON object, got ${got}`])
      }
      await assert.rejects(assertManifest('nope'), { name: 'ManifestValidationError' })
    })

    it('malformed bytes', async () => {
      const decode = async (bytes: Uint8Array): Promise<string[]> => {
        const check = await decodeManifest(bytes)
        assert.equal(check.ok, false)
        return check.ok ? [] : check.problems
      }
      assert.deepEqual(await decode(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), ['manifest: is not valid UTF-8'])
      assertHasProblem(await decode(new TextEncoder().encode('{"id": "x",')), 'manifest', /not valid JSON/)
      assertHasProblem(await decode(new Uint8Array(0)), 'manifest', /not valid JSON/)
      assert.deepEqual(await decode(new TextEncoder().encode('[1,2,3]')), ['manifest: must be a JSON object, got an array'])
      assertHasProblem(await decode(new Uint8Array(LIMITS.maxManifestBytes + 1).fill(0x20)), 'manifest', /exceeds the 65536-byte limit/)
      // Truncated wire bytes of a real manifest.
      const bytes = encodeManifest(manifest)
      assertHasProblem(await decode(bytes.subarray(0, bytes.length - 10)), 'manifest', /not valid JSON/)
      // Deeply nested junk is rejected without blowing the stack.
      const deep = '{"x":'.repeat(5000) + '1' + '}'.repeat(5000)
      const problems = await decode(new TextEncoder().encode(deep))
      assert.ok(problems.length > 0)
    })
  })

  describe('building and signing', () => {
    it('buildUnsignedManifest lists every bad field', () => {
      assert.throws(() => buildUnsignedManifest({ ...fields({ rank: -1, license: '', sizeBytes: 1.5 }), publisher: 'nobody' }), (err: Error & { problems?: string[] }) => {
        assert.equal(err.name, 'ManifestValidationError')
        for (const field of ['rank', 'license', 'sizeBytes', 'publisher']) assert.ok(err.problems?.some(p => p.startsWith(`${field}:`)), `${field} in ${err.problems?.join('; ')}`)
        return true
      })
    })

    it('signManifest refuses a key that is not the publisher\'s, or not Ed25519', async () => {
      const unsigned = buildUnsignedManifest({ ...fields(), publisher: peerIdFromPrivateKey(key) })
      await assert.rejects(signManifest(unsigned, other), { name: 'PublisherMismatchError' })
      await assert.rejects(signManifest(unsigned, await generateKeyPair('secp256k1')), { name: 'UnsupportedKeyTypeError' })
      await assert.rejects(signManifest({ ...unsigned, price: -5 }, key), { name: 'ManifestValidationError' })
    })

    it('honours an aborted signal', async () => {
      await assert.rejects(verifyManifest(manifest, { signal: AbortSignal.abort() }), { name: 'AbortError' })
      await assert.rejects(readPeftFolder(path.join(samplePeft, 'viticulture-notes-lora'), { signal: AbortSignal.abort() }), { name: 'AbortError' })
    })
  })

  describe('vectors in more than one embedding space', () => {
    it('carries signed vectors keyed by model id; a node reads the one of its space and falls back to the default', async () => {
      const e5 = vector(9, 384)
      const signed = await signManifest(buildUnsignedManifest({ ...fields(), extraEmbeddings: { 'intfloat/multilingual-e5-small': e5 }, publisher: peerIdFromPrivateKey(key) }), key)
      const check = await decodeManifest(encodeManifest(signed))
      assert.ok(check.ok, check.ok ? '' : check.problems.join('; '))
      const got = manifestVectorIn(check.manifest, 'intfloat/multilingual-e5-small')!
      assert.ok(got.every((x, i) => Math.abs(x - e5[i]) < 1e-6))
      assert.equal(manifestVectorIn(check.manifest, 'acme/unknown-model'), undefined, 'a space the manifest lacks')
      assert.deepEqual(manifestVectorIn(check.manifest, 'sentence-transformers/all-MiniLM-L6-v2'), manifestEmbedding(check.manifest))
      // The extra vectors are signed: swapping one breaks the signature.
      const swapped = { ...signed, extraEmbeddings: { 'intfloat/multilingual-e5-small': encodeEmbedding(vector(10, 384)) } }
      assertHasProblem(await problemsOf(swapped), 'signature', /does not match/)
      // A manifest without them is byte for byte what it was before extra spaces existed.
      assert.equal('extraEmbeddings' in manifest, false)
    })

    it('rejects oversized, too many, malformed or non-unit extra vectors, and a second copy of the default space', async () => {
      const base = (await signManifest(buildUnsignedManifest({ ...fields(), publisher: peerIdFromPrivateKey(key) }), key)) as unknown as Record<string, unknown>
      const withExtra = async (extra: Record<string, string>): Promise<string[]> => await problemsOf(await forceSign({ ...base, extraEmbeddings: extra }, key))
      assertHasProblem(await withExtra({ 'acme/huge': encodeEmbedding(vector(2, 1024)) }), 'extraEmbeddings.acme/huge', /too long/)
      assertHasProblem(await withExtra({ 'a/one': encodeEmbedding(vector(2)), 'a/two': encodeEmbedding(vector(3)), 'a/three': encodeEmbedding(vector(4)) }), 'extraEmbeddings', /at most 2 extra embedding spaces/)
      assertHasProblem(await withExtra({ 'acme/x': 'not base64!' }), 'extraEmbeddings.acme/x', /canonical base64/)
      assertHasProblem(await withExtra({ 'acme/x': encodeEmbedding(vector(2).map(x => x * 3)) }), 'extraEmbeddings.acme/x', /unit-length/)
      assertHasProblem(await withExtra({ 'sentence-transformers/all-MiniLM-L6-v2': encodeEmbedding(vector(2)) }), 'extraEmbeddings.sentence-transformers/all-MiniLM-L6-v2', /default space/)
      assertHasProblem(await withExtra({ __proto__x: encodeEmbedding(vector(2)) }), 'extraEmbeddings.__proto__x', /model id/)
    })
  })

  describe('canonical encoding', () => {
    it('sorts keys, drops whitespace and formats numbers as ECMAScript does (RFC 8785)', () => {
      assert.equal(canonicalize({ b: 1, a: [true, null, 'x\n"'], c: { z: 1e21, y: -0, x: 0.1, w: 1e-7 } }),
        '{"a":[true,null,"x\\n\\""],"b":1,"c":{"w":1e-7,"x":0.1,"y":0,"z":1e+21}}')
      // Keys sort by UTF-16 code units.
      assert.equal(canonicalize({ '\u20ac': 1, '\r': 2, '\ud83d\ude00': 3, 1: 4 }), '{"\\r":2,"1":4,"€":1,"😀":3}')
    })

    it('refuses values JSON cannot carry', () => {
      assert.throws(() => canonicalize({ x: Number.NaN }), { name: 'CanonicalEncodingError' })
      assert.throws(() => canonicalize({ x: new Date() }), { name: 'CanonicalEncodingError' })
      assert.throws(() => canonicalize({ x: 1n }), { name: 'CanonicalEncodingError' })
      assert.throws(() => canonicalize(JSON.parse('{"a":'.repeat(20) + '1' + '}'.repeat(20))), { name: 'CanonicalEncodingError' })
    })
  })

  describe('search text', () => {
    it('joins name, description, specializations, capabilities and domain', () => {
      const text = manifestSearchText(manifest)
      assert.equal(text, [
        'Viticulture Expert',
        manifest.description,
        'Specializations: grape growing, pest management, harvest timing.',
        'Capabilities: question answering, planning.',
        'Domain: agriculture viticulture.'
      ].join('\n'))
    })
  })

  describe('PEFT folders', () => {
    let work: string
    before(() => { work = mkdtempSync(path.join(tmpdir(), 'continuum-peft-')) })
    after(() => rmSync(work, { recursive: true, force: true }))

    /** A writable copy of one sample adapter. */
    function copySample (name: string, as = name): string {
      const dir = path.join(work, as)
      cpSync(path.join(samplePeft, name), dir, { recursive: true })
      return dir
    }

    it('the committed sample adapters are exactly what scripts/make-sample-peft.mjs writes', () => {
      const out = path.join(work, 'regenerated')
      const run = spawnSync(process.execPath, [path.join(root, 'scripts', 'make-sample-peft.mjs'), out], { encoding: 'utf8' })
      assert.equal(run.status, 0, run.stderr)
      const names = readdirSync(samplePeft).sort()
      assert.deepEqual(readdirSync(out).sort(), names)
      for (const name of names) {
        for (const file of ['adapter_config.json', 'adapter_model.safetensors', 'README.md']) {
          assert.ok(readFileSync(path.join(out, name, file)).equals(readFileSync(path.join(samplePeft, name, file))), `${name}/${file} differs`)
        }
      }
    })

    it('reads a LoRA adapter', async () => {
      const info = await readPeftFolder(path.join(samplePeft, 'viticulture-notes-lora'))
      assert.equal(info.fields.id, 'viticulture-notes-lora')
      assert.equal(info.fields.name, 'Viticulture Notes (LoRA, demo)')
      assert.equal(info.fields.kind, 'lora')
      assert.equal(info.fields.rank, 2)
      assert.deepEqual(info.fields.targetModules, ['q_proj', 'v_proj'])
      assert.equal(info.fields.baseModel, 'HuggingFaceTB/SmolLM2-135M-Instruct')
      assert.equal(info.fields.license, 'apache-2.0')
      assert.equal(info.fields.version, '0.1.0')
      assert.equal(info.fields.domain, 'agriculture/viticulture')
      assert.deepEqual(info.fields.specializations, ['grape-growing', 'canopy-management', 'harvest-timing', 'vineyard-pests'])
      // The card's first paragraph after the title, joined into one line (long enough on its own).
      assert.equal(info.fields.description, 'Demo LoRA for a small vineyard assistant: it is meant to answer questions about growing wine grapes, ' +
        'such as canopy management, pruning, disease pressure from mildew, and deciding when to harvest from sugar and acidity readings.')
      assert.equal(info.peftType, 'LORA')
      assert.equal(info.weights.tensors.length, 4)
      assert.equal(info.weights.parameters, 2 * 576 * 3 + 192 * 2)
      const sizes = info.files.reduce((s, f) => s + f.sizeBytes, 0)
      assert.equal(info.fields.sizeBytes, sizes)
      assert.deepEqual(info.files.map(f => f.path), ['README.md', 'adapter_config.json', 'adapter_model.safetensors'])
      assert.match(info.fields.contentHash, /^sha256-[0-9a-f]{64}$/)
      assert.equal((await readPeftFolder(path.join(samplePeft, 'viticulture-notes-lora'))).fields.contentHash, info.fields.contentHash)
    })

    it('reads IA3 and prompt-tuning adapters', async () => {
      const ia3 = await readPeftFolder(path.join(samplePeft, 'cocktail-balance-ia3'))
      assert.equal(ia3.fields.kind, 'ia3')
      assert.equal(ia3.fields.rank, undefined)
      assert.deepEqual(ia3.fields.targetModules, ['.*\\.layers\\.0\\.self_attn\\.(k_proj|v_proj)'])
      assert.equal(ia3.fields.baseModel, 'Qwen/Qwen2.5-0.5B-Instruct')
      assert.equal(ia3.fields.price, 1)
      const prompt = await readPeftFolder(path.join(samplePeft, 'async-race-hints-prompt'))
      assert.equal(prompt.fields.kind, 'prompt-tuning')
      assert.equal(prompt.fields.baseModel, 'Qwen/Qwen2.5-Coder-0.5B-Instruct')
      assert.deepEqual(prompt.weights.tensors.map(t => [t.name, t.dtype, t.shape]), [['prompt_embeddings', 'F16', [4, 896]]])
      assert.notEqual(prompt.fields.contentHash, ia3.fields.contentHash)
    })

    it('turns a PEFT folder into a signed manifest that verifies', async () => {
      const info = await readPeftFolder(path.join(samplePeft, 'async-race-hints-prompt'), { overrides: { version: '0.1.1' } })
      assert.equal(info.fields.version, '0.1.1')
      const signed = await signManifest(buildUnsignedManifest({ ...info.fields, embedding: vector(9), publisher: peerIdFromPrivateKey(key) }), key)
      assert.equal((await decodeManifest(encodeManifest(signed))).ok, true)
    })

    it('falls back to the folder name and a generated description without a model card', async () => {
      const dir = copySample('viticulture-notes-lora', 'My Vineyard Adapter')
      unlinkSync(path.join(dir, 'README.md'))
      const info = await readPeftFolder(dir)
      assert.equal(info.fields.id, 'my-vineyard-adapter')
      assert.equal(info.fields.name, 'My Vineyard Adapter')
      assert.equal(info.fields.license, 'unknown')
      assert.equal(info.fields.description, 'lora adapter for HuggingFaceTB/SmolLM2-135M-Instruct.')
      assert.deepEqual(info.files.map(f => f.path), ['adapter_config.json', 'adapter_model.safetensors'])
    })

    it('joins short opening paragraphs of the card and strips markdown', async () => {
      const dir = copySample('cocktail-balance-ia3', 'short-paragraphs')
      const readme = readFileSync(path.join(dir, 'README.md'), 'utf8')
      const frontMatter = readme.slice(0, readme.indexOf('\n---\n') + 5)
      writeFileSync(path.join(dir, 'README.md'), `${frontMatter}\n[![badge](https://img.example/b.svg)](https://x.example)\n\n# Sour **Balance**\n\n` +
        'A *small* adapter.\n\nIt balances `sour` drinks, see [the guide](https://guide.example).\n\n## Training\n\nNot part of the summary.\n')
      const info = await readPeftFolder(dir)
      assert.equal(info.fields.name, 'Sour Balance')
      assert.equal(info.fields.description, 'A small adapter.\n\nIt balances sour drinks, see the guide.')
    })

    it('takes specializations from hub tags when the card has no continuum block', async () => {
      const dir = copySample('cocktail-balance-ia3', 'hub-tags')
      writeFileSync(path.join(dir, 'README.md'), `---\nlicense: mit\nbase_model: Qwen/Qwen2.5-0.5B-Instruct\npipeline_tag: text-generation\ntags:\n` +
        `- peft\n- ia3\n- base_model:adapter:Qwen/Qwen2.5-0.5B-Instruct\n- cocktails\n- ${'x'.repeat(100)}\n- mixology\n- cocktails\n---\n# Hub Card\n\nBalances cocktails.\n`)
      const info = await readPeftFolder(dir)
      assert.deepEqual(info.fields.specializations, ['cocktails', 'mixology'])
      assert.deepEqual(info.fields.capabilities, ['text-generation'])
      assert.equal(info.fields.id, 'hub-tags')
      assert.equal(info.fields.version, '1.0.0')
      assert.equal(info.fields.domain, 'general')
    })

    it('changing any file changes the content hash', async () => {
      const dir = copySample('cocktail-balance-ia3', 'hash-check')
      const before = (await readPeftFolder(dir)).fields.contentHash
      writeFileSync(path.join(dir, 'README.md'), readFileSync(path.join(dir, 'README.md'), 'utf8') + '\nMore notes.\n')
      assert.notEqual((await readPeftFolder(dir)).fields.contentHash, before)
    })

    async function peftProblems (dir: string): Promise<string[]> {
      let problems: string[] = []
      await assert.rejects(readPeftFolder(dir), (err: Error & { problems?: string[] }) => {
        assert.equal(err.name, 'InvalidPeftFolderError')
        problems = err.problems ?? []
        return true
      })
      return problems
    }

    it('rejects a folder without adapter_config.json', async () => {
      const dir = copySample('viticulture-notes-lora', 'no-config')
      unlinkSync(path.join(dir, 'adapter_config.json'))
      assert.deepEqual(await peftProblems(dir), ['adapter_config.json: missing'])
    })

    it('lists every missing file, and explains a pickle-only folder', async () => {
      const dir = copySample('viticulture-notes-lora', 'pickle-only')
      unlinkSync(path.join(dir, 'adapter_config.json'))
      unlinkSync(path.join(dir, 'adapter_model.safetensors'))
      writeFileSync(path.join(dir, 'adapter_model.bin'), 'pickle')
      const problems = await peftProblems(dir)
      assert.equal(problems.length, 2)
      assert.equal(problems[0], 'adapter_config.json: missing')
      assert.match(problems[1], /^adapter_model\.safetensors: missing \(adapter_model\.bin is a pickle file/)
      assert.deepEqual(await peftProblems(path.join(work, 'does-not-exist')), [`${path.join(work, 'does-not-exist')}: is not a folder`])
    })

    it('rejects bad safetensors headers', async () => {
      const dir = copySample('viticulture-notes-lora', 'bad-header')
      const file = path.join(dir, 'adapter_model.safetensors')
      const good = readFileSync(file)
      const headerLength = Number(good.readBigUInt64LE(0))

      const huge = Buffer.from(good)
      huge.writeBigUInt64LE(1n << 40n, 0)
      writeFileSync(file, huge)
      assert.deepEqual(await peftProblems(dir), ['adapter_model.safetensors: header length 1099511627776 exceeds the 16777216-byte limit'])

      const past = Buffer.from(good)
      past.writeBigUInt64LE(BigInt(good.length), 0)
      writeFileSync(file, past)
      assertHasProblem(await peftProblems(dir), 'adapter_model.safetensors', /runs past the end/)

      writeFileSync(file, good.subarray(0, 5))
      assertHasProblem(await peftProblems(dir), 'adapter_model.safetensors', /shorter than the 8-byte header length/)

      const notJson = Buffer.from(good)
      notJson.write('{{{{', 8)
      writeFileSync(file, notJson)
      assertHasProblem(await peftProblems(dir), 'adapter_model.safetensors', /not valid JSON/)

      // A header that lies about shapes and dtypes, and leaves a hole in the data.
      const header = JSON.parse(good.subarray(8, 8 + headerLength).toString('utf8'))
      const names = Object.keys(header).filter(k => k !== '__metadata__').sort()
      header[names[0]].shape = [3, 576]
      header[names[1]].dtype = 'F13'
      const json = Buffer.from(JSON.stringify(header).padEnd(headerLength, ' '))
      assert.equal(json.length, headerLength)
      writeFileSync(file, Buffer.concat([good.subarray(0, 8), json, good.subarray(8 + headerLength)]))
      const problems = await peftProblems(dir)
      assertHasProblem(problems, 'adapter_model.safetensors', /data_offsets span 2304 bytes but BF16 \[3,576\] needs 3456/)
      assertHasProblem(problems, 'adapter_model.safetensors', /unknown dtype "F13"/)

      // Extra bytes after the last tensor are a hole too.
      writeFileSync(file, Buffer.concat([good, Buffer.alloc(16)]))
      assertHasProblem(await peftProblems(dir), 'adapter_model.safetensors', /tensors cover 7680 bytes but the data buffer is 7696 bytes/)
    })

    it('rejects a config that does not match the weights or names no usable base model', async () => {
      const dir = copySample('viticulture-notes-lora', 'bad-config')
      const configFile = path.join(dir, 'adapter_config.json')
      const config = JSON.parse(readFileSync(configFile, 'utf8'))
      writeFileSync(configFile, JSON.stringify({ ...config, r: 8, base_model_name_or_path: '/home/me/models/smollm' }))
      writeFileSync(path.join(dir, 'README.md'), '# Untitled\n\nNo front matter here.\n')
      const problems = await peftProblems(dir)
      assertHasProblem(problems, 'adapter_model.safetensors', /4 lora_A tensor|2 lora_A tensor/)
      assertHasProblem(problems, 'adapter_config.json', /is a local path, not a model id and README\.md names no base_model/)

      writeFileSync(configFile, JSON.stringify({ ...config, peft_type: 'MAGIC' }))
      assertHasProblem(await peftProblems(dir), 'adapter_config.json', /peft_type "MAGIC" is not supported/)
      writeFileSync(configFile, '{ not json')
      assert.deepEqual(await peftProblems(dir), ['adapter_config.json: is not valid JSON'])
      writeFileSync(configFile, JSON.stringify({ ...config, r: 'two' }))
      assertHasProblem(await peftProblems(dir), 'adapter_config.json', /^adapter_config\.json: r: /)
    })

    it('rejects a model card whose front matter is not valid YAML', async () => {
      const dir = copySample('cocktail-balance-ia3', 'bad-card')
      writeFileSync(path.join(dir, 'README.md'), '---\nlicense: [mit\ntags: {\n---\n# Card\n')
      assert.deepEqual(await peftProblems(dir), ['README.md: front matter is not valid YAML'])
    })
  })

  describe('adapter fields', () => {
    it('validates catalog-style lines and reports problems by line', () => {
      const { embedding: _e, createdAt: _c, ...good } = fields()
      assert.equal(validateAdapterFields(good).ok, true)
      const text = [JSON.stringify(good), '', JSON.stringify({ ...good, id: 'other', price: -1 }), 'not json', JSON.stringify(good)].join('\n')
      const result = parseAdapterFieldsJsonl(text)
      assert.equal(result.entries.length, 1)
      assert.deepEqual(result.problems, ['line 3: price: must not be negative', 'line 4: not valid JSON', 'line 5: id: viticulture-expert-v3 repeats an earlier line'])
    })
  })
})
