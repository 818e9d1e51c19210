// Content addressing without the network: known-answer CIDs (cross-checked with Debian's ipfs_cid),
// the crash-safe blockstore, the strict tar reader and the bundle checks, the lockfile reader.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { readdir, rm, writeFile, readFile, mkdir } from 'node:fs/promises'
import path from 'node:path'
import { buildFileDag, FsBlockstore, readDag, readLockfile } from '../src/node/content'
import { extractBundle } from '../src/node/content/bundle'
import { readTar, tarHeader, writeTar } from '../src/node/content/tar'
import { tempDir } from './helpers/mesh'

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

test('bundle: unknown file names, a tampered manifest or mismatched files are refused', async () => {
  const dir = await tempDir('continuum-bundle-')
  try {
    const evil = await collect(writeTar([{ name: 'manifest.json', size: 2, content: () => [Buffer.from('{}')] }, { name: '../escape', size: 1, content: () => [Buffer.from('x')] }]))
    await mkdir(path.join(dir, 'out1'))
    await assert.rejects(extractBundle((async function * () { yield evil })(), path.join(dir, 'out1')), /unexpected file "\.\.\/escape"/)
    const noManifestFirst = await collect(writeTar([{ name: 'adapter_config.json', size: 2, content: () => [Buffer.from('{}')] }]))
    await mkdir(path.join(dir, 'out2'))
    await assert.rejects(extractBundle((async function * () { yield noManifestFirst })(), path.join(dir, 'out2')), /first file must be manifest\.json/)
    const unsigned = await collect(writeTar([
      { name: 'manifest.json', size: 2, content: () => [Buffer.from('{}')] },
      { name: 'adapter_config.json', size: 2, content: () => [Buffer.from('{}')] },
      { name: 'adapter_model.safetensors', size: 1, content: () => [Buffer.from('x')] }
    ]))
    await mkdir(path.join(dir, 'out3'))
    await assert.rejects(extractBundle((async function * () { yield unsigned })(), path.join(dir, 'out3')), (err: Error) => err.name === 'InvalidBundleError' && /does not verify/.test(err.message))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('lockfile: missing = empty; bad JSON, wrong version, bad entries and key/name mismatch are errors', async () => {
  const dir = await tempDir('continuum-lock-')
  try {
    assert.deepEqual(await readLockfile(dir), { lockfileVersion: 1, adapters: {} })
    const file = path.join(dir, 'continuum.lock.json')
    const entry = { name: 'a', version: '1.0.0', cid: 'bafybeiffndsajwhk3lwjewwdxqntmjm4b5wxaaanokonsggenkbw6slwk4', sha256: 'a'.repeat(64), size: 1, publisher: '12D3KooWx', installedAt: '2026-11-29T00:00:00Z' }
    await writeFile(file, JSON.stringify({ lockfileVersion: 1, adapters: { a: entry } }))
    assert.equal((await readLockfile(dir)).adapters.a.cid, entry.cid)
    for (const [text, re] of [
      ['{', /not valid JSON/],
      [JSON.stringify({ lockfileVersion: 2, adapters: {} }), /malformed \(lockfileVersion/],
      [JSON.stringify({ lockfileVersion: 1, adapters: { a: { ...entry, sha256: 'xyz' } } }), /malformed \(adapters\.a\.sha256/],
      [JSON.stringify({ lockfileVersion: 1, adapters: { b: entry } }), /the key must equal its name/]
    ] as const) {
      await writeFile(file, text)
      await assert.rejects(readLockfile(dir), (err: Error) => err.name === 'LockfileError' && re.test(err.message))
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
