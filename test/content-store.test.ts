// Content addressing without the network: known-answer CIDs (cross-checked with Debian's ipfs_cid),
// the crash-safe blockstore, the strict tar reader and the bundle checks, the lockfile reader.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { readdir, rm, writeFile, readFile, mkdir } from 'node:fs/promises'
import path from 'node:path'
import { buildFileDag, FsBlockstore, readDag, readLockfile } from '../src/node/content'
import { bundleEntries, extractBundle } from '../src/node/content/bundle'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import * as dagPb from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { buildUnsignedManifest, encodeManifest, readPeftFolder, signManifest } from '../src/node/manifest'
import { readTar, tarHeader, writeTar } from '../src/node/content/tar'
import { tempDir } from './helpers/mesh'

const root = process.env.CONTINUUM_ROOT ?? path.resolve(__dirname, '..', '..')
const SAMPLE = path.join(root, 'data', 'sample-catalog', 'peft', 'viticulture-notes-lora')

async function cidOf (bytes: Uint8Array): Promise<{ v0: string, v1: string, blocks: number }> {
  const r = await buildFileDag([bytes], async () => {})
  return { v0: r.cidV0.toString(), v1: r.cid.toString(), blocks: r.blocks }
}

async function collect (source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for await (const p of source) parts.push(p)
  return Buffer.concat(parts)
}

test('known-answer CIDs: the values ipfs_cid / ipfs add give for the same bytes', async () => {
  // From `ipfs_cid` (Debian ipfs-cid) on these exact inputs.
  assert.deepEqual(await cidOf(new TextEncoder().encode('hello\n')), { v0: 'QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN', v1: 'bafybeiffndsajwhk3lwjewwdxqntmjm4b5wxaaanokonsggenkbw6slwk4', blocks: 1 })
  assert.equal((await cidOf(new Uint8Array(0))).v0, 'QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH')
  // Multi-level DAGs (1, 2 and 3 levels) agree with the tool when it is installed.
  const tool = spawnSync('ipfs_cid', ['--help'], { encoding: 'utf8' })
  if (tool.error !== undefined) return
  const dir = await tempDir('continuum-cid-')
  try {
    for (const size of [262_144, 262_145, 174 * 262_144 + 1]) {
      const bytes = randomBytes(size)
      const file = path.join(dir, `f${size}`)
      await writeFile(file, bytes)
      const out = JSON.parse(spawnSync('ipfs_cid', [file], { encoding: 'utf8' }).stdout) as { CIDv0: string, CIDv1: string }
      const ours = await cidOf(bytes)
      assert.equal(ours.v0, out.CIDv0, `${size} bytes`)
      assert.equal(ours.v1, out.CIDv1, `${size} bytes`)
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('blockstore: a torn or corrupted block file is detected on read, deleted, and reads as missing', async () => {
  const dir = await tempDir('continuum-blocks-')
  try {
    const store = new FsBlockstore(dir)
    await store.open()
    const data = randomBytes(3 * 262_144 + 10)
    const r = await buildFileDag([data], (cid, bytes) => store.put(cid, bytes))
    assert.deepEqual(await collect(readDag(store, r.cid)), data)
    // Truncate one leaf file as a power cut might.
    const sub = (await readdir(dir)).find(n => !n.endsWith('.tmp'))!
    const victim = path.join(dir, sub, (await readdir(path.join(dir, sub)))[0])
    const bytes = await readFile(victim)
    await writeFile(victim, bytes.subarray(0, bytes.length >> 1))
    await assert.rejects(collect(readDag(store, r.cid)), (err: Error) => err.name === 'ContentNotFoundError')
    assert.equal(store.corruptRemoved, 1)
    await assert.rejects(readFile(victim), 'the corrupt file was deleted')
    // Leftover temp files of a crash are cleaned on open.
    await writeFile(path.join(dir, 'abc.1234.tmp'), 'x')
    await new FsBlockstore(dir).open()
    assert.ok(!(await readdir(dir)).includes('abc.1234.tmp'))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('tar: deterministic bytes, strict reader (no links, no path prefixes, checksums, no trailing data)', async () => {
  const entries = [{ name: 'a.txt', size: 3, content: () => [Buffer.from('abc')] }, { name: 'b.bin', size: 0, content: () => [] }]
  const one = await collect(writeTar(entries))
  const two = await collect(writeTar(entries))
  assert.deepEqual(one, two)
  assert.equal(one.length % 512, 0)
  const got: Array<{ name: string, data: string }> = []
  let cur = ''
  await readTar((async function * () { for (let i = 0; i < one.length; i += 100) yield one.subarray(i, i + 100) })(), {
    begin: () => { cur = '' },
    data: p => { cur += Buffer.from(p).toString() },
    end: e => { got.push({ name: e.name, data: cur }) }
  })
  assert.deepEqual(got, [{ name: 'a.txt', data: 'abc' }, { name: 'b.bin', data: '' }])
  const sink = { begin: () => {}, data: () => {}, end: () => {} }
  const bad = Buffer.from(one)
  bad[0] ^= 1
  await assert.rejects(readTar((async function * () { yield bad })(), sink), /checksum/)
  const link = Buffer.from(tarHeader('x', 0))
  link[156] = '2'.charCodeAt(0)
  let sum = 0
  link.fill(32, 148, 156)
  for (const b of link) sum += b
  link.write(sum.toString(8).padStart(6, '0') + '\0 ', 148)
  await assert.rejects(readTar((async function * () { yield link; yield new Uint8Array(1024) })(), sink), /only regular files/)
  await assert.rejects(readTar((async function * () { yield one.subarray(0, 600) })(), sink), /truncated/)
  await assert.rejects(readTar((async function * () { yield Buffer.concat([one, Buffer.from('junk')]) })(), sink), /after the end/)
})

test('bundle: round trip; unknown names, tampered files, oversize claims and unsigned manifests are refused', async () => {
  const dir = await tempDir('continuum-bundle-')
  try {
    const key = await generateKeyPair('Ed25519')
    const info = await readPeftFolder(SAMPLE)
    const embedding = new Float32Array(384)
    embedding[0] = 1
    const manifest = await signManifest(buildUnsignedManifest({ ...info.fields, embedding, publisher: peerIdFromPrivateKey(key) }), key)
    const manifestBytes = Buffer.from(encodeManifest(manifest))
    const asSource = (b: Uint8Array) => (async function * () { yield b })()
    let n = 0
    const extractTo = async (bytes: Uint8Array): Promise<unknown> => {
      const out = path.join(dir, `out${n++}`)
      await mkdir(out)
      return extractBundle(asSource(bytes), out)
    }
    const good = await collect(writeTar(bundleEntries(manifest, info.dir, info.files)))
    const r = await extractTo(good) as { manifest: { id: string } }
    assert.equal(r.manifest.id, manifest.id)
    assert.equal(await readFile(path.join(dir, 'out0', 'adapter_model.safetensors'), 'hex'), await readFile(path.join(SAMPLE, 'adapter_model.safetensors'), 'hex'))

    const m = { name: 'manifest.json', size: manifestBytes.length, content: () => [manifestBytes] }
    const evil = await collect(writeTar([m, { name: '../escape', size: 1, content: () => [Buffer.from('x')] }]))
    await assert.rejects(extractTo(evil), /unexpected file "\.\.\/escape"/)
    const huge = await collect(writeTar([m, { name: 'adapter_model.safetensors', size: manifest.sizeBytes + 1, content: () => [Buffer.alloc(manifest.sizeBytes + 1)] }]))
    await assert.rejects(extractTo(huge), /more than the manifest's/)
    const tampered = Buffer.from(good)
    tampered[tampered.length - 2000] ^= 1 // inside the weights (the last file)
    await assert.rejects(extractTo(tampered), (err: Error) => err.name === 'InvalidBundleError' && /contentHash/.test(err.message))
    const padded = Buffer.from(good)
    padded[padded.length - 1100] = 7 // the weights' tar padding
    await assert.rejects(extractTo(padded), /non-zero padding/)
    const noManifestFirst = await collect(writeTar([{ name: 'adapter_config.json', size: 2, content: () => [Buffer.from('{}')] }]))
    await assert.rejects(extractTo(noManifestFirst), /first file must be manifest\.json/)
    const unsigned = await collect(writeTar([{ name: 'manifest.json', size: 2, content: () => [Buffer.from('{}')] }]))
    await assert.rejects(extractTo(unsigned), (err: Error) => err.name === 'InvalidBundleError' && /does not verify/.test(err.message))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('a DAG that declares fewer bytes than its blocks expand to is refused', async () => {
  const dir = await tempDir('continuum-bomb-')
  try {
    const store = new FsBlockstore(dir)
    await store.open()
    const leaf = await buildFileDag([randomBytes(1000)], (cid, bytes) => store.put(cid, bytes))
    // A parent that links the same leaf three times but declares 1 byte for each.
    const parent = dagPb.encode(dagPb.prepare({ Data: new UnixFS({ type: 'file', blockSizes: [1n, 1n, 1n] }).marshal(), Links: [0, 1, 2].map(() => ({ Hash: leaf.cidV0, Name: '', Tsize: 1 })) }))
    const cid = CID.createV0(Digest.create(0x12, createHash('sha256').update(parent).digest()))
    await store.put(cid, parent)
    await assert.rejects(collect(readDag(store, cid)), (err: Error) => err.name === 'BlockVerificationError' && /more bytes than it declares/.test(err.message))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('lockfile: missing = empty; bad JSON, wrong version, bad entries and key/name mismatch are errors', async () => {
  const dir = await tempDir('continuum-lock-')
  try {
    assert.deepEqual(await readLockfile(dir), { lockfileVersion: 1, adapters: {} })
    const file = path.join(dir, 'continuum.lock.json')
    const entry = { name: 'a', version: '1.0.0', cid: 'bafybeiffndsajwhk3lwjewwdxqntmjm4b5wxaaanokonsggenkbw6slwk4', sha256: 'a'.repeat(64), size: 1, publisher: '12D3KooWGRUVh9MzMdFRmrEhkZVZCLy3nkJzWPf4ZrCMN4xhSJpS', installedAt: '2026-11-29T00:00:00Z' }
    await writeFile(file, JSON.stringify({ lockfileVersion: 1, adapters: { a: entry } }))
    assert.equal((await readLockfile(dir)).adapters.a.cid, entry.cid)
    for (const [text, re] of [
      ['{', /not valid JSON/],
      [JSON.stringify({ lockfileVersion: 2, adapters: {} }), /malformed \(lockfileVersion/],
      [JSON.stringify({ lockfileVersion: 1, adapters: { a: { ...entry, sha256: 'xyz' } } }), /malformed \(adapters\.a\.sha256/],
      [JSON.stringify({ lockfileVersion: 1, adapters: { b: entry } }), /the key must equal its name/],
      // A cloned repository's lockfile is untrusted: a version or name that walks out of the project, a non-CID, an unbounded size.
      [JSON.stringify({ lockfileVersion: 1, adapters: { a: { ...entry, version: '/../../../../X' } } }), /malformed \(adapters\.a\.version/],
      [JSON.stringify({ lockfileVersion: 1, adapters: { '../a': { ...entry, name: '../a' } } }), /malformed \(adapters\.\.\.\/a\.name/],
      [JSON.stringify({ lockfileVersion: 1, adapters: { a: { ...entry, cid: 'QmNotACid/../../x' } } }), /malformed \(adapters\.a\.cid/],
      [JSON.stringify({ lockfileVersion: 1, adapters: { a: { ...entry, size: 1e15 } } }), /malformed \(adapters\.a\.size/],
      [JSON.stringify({ lockfileVersion: 1, adapters: { a: { ...entry, publisher: '12D3KooWx' } } }), /malformed \(adapters\.a\.publisher/]
    ] as const) {
      await writeFile(file, text)
      await assert.rejects(readLockfile(dir), (err: Error) => err.name === 'LockfileError' && re.test(err.message))
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
