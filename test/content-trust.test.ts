// Attacks on the content layer's trust boundaries, with real nodes on loopback: a cloned repository's
// lockfile that walks out of the project, a symlinked `.continuum` or adapter folder, a crash between
// the two renames of an install's swap, a provider whose DAG expands beyond what it declares, and a
// PEFT folder whose files are symlinks to private files.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, readdir, rename, stat, symlink, writeFile, lstat } from 'node:fs/promises'
import path from 'node:path'
import * as dagPb from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import { createEmbedder, type Embedder } from '../src/node/embedding'
import type { MeshNode } from '../src/node/mesh-node'
import { blockCid, contentFeature, downloadDag } from '../src/node/content'
import { adapterPath } from '../src/node/content/paths'
import { installRef, parseContentRef } from '../src/node/content/ref'
import { contentOf } from './helpers/content'
import { startTestNode, stopAll, tcpAddr, tempDir, waitFor } from './helpers/mesh'
import { makePeftFolder } from './helpers/peft'

let embedder: Embedder
const nodes: MeshNode[] = []
const dirs: string[] = []
let A: MeshNode, B: MeshNode
let work: string
let canopy: { cid: string, sha256: string, size: number, publisher: string }
let other: { cid: string }

const feature = contentOf

/** Every file under `dir` with its size, so "nothing changed" is one deepEqual. */
async function snapshot (dir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  const walk = async (d: string): Promise<void> => {
    for (const n of await readdir(d)) {
      const p = path.join(d, n)
      const st = await lstat(p)
      if (st.isDirectory()) await walk(p)
      else out[path.relative(dir, p)] = st.size
    }
  }
  await walk(dir)
  return out
}

/** A one-line error of the expected name. */
function oneLine (name: string, pattern?: RegExp): (err: Error) => boolean {
  return err => {
    assert.equal(err.name, name, err.message)
    assert.ok(!err.message.includes('\n'), `one line: ${err.message}`)
    if (pattern !== undefined) assert.match(err.message, pattern)
    return true
  }
}

before(async () => {
  embedder = createEmbedder()
  work = await tempDir('continuum-trust-')
  dirs.push(work)
  A = await startTestNode({ embedder, features: [contentFeature({ findProvidersTimeoutMs: 3_000 })] })
  nodes.push(A)
  B = await startTestNode({ embedder, bootstrap: [tcpAddr(A)], features: [contentFeature({ findProvidersTimeoutMs: 3_000 })] })
  nodes.push(B)
  await waitFor('B connected to A', () => B.libp2p.getPeers().some(p => p.equals(A.peerId)))
  const p = await feature(A).publish(await makePeftFolder(path.join(work, 'pub', 'vine-canopy'), 'vine-canopy', 20_000))
  canopy = { cid: p.cid, sha256: p.sha256, size: p.size, publisher: p.manifest.publisher }
  other = { cid: (await feature(A).publish(await makePeftFolder(path.join(work, 'pub', 'vine-other'), 'vine-other', 10_000, ['irrigation']))).cid }
})

after(async () => {
  await stopAll(nodes, dirs)
  await embedder?.close()
})

test('a lockfile whose version walks out of the project: install, install from lockfile and remove leave the outside folder intact', async () => {
  const root = await tempDir('continuum-traversal-')
  dirs.push(root)
  const project = path.join(root, 'cloned-repo')
  const sentinel = path.join(root, 'precious')
  await mkdir(project)
  await mkdir(sentinel)
  await writeFile(path.join(sentinel, 'keep.txt'), 'do not delete')
  // adapters/vine-canopy@/../../../../precious resolves to ROOT/precious.
  const entry = { name: 'vine-canopy', version: '/../../../../precious', cid: canopy.cid, sha256: canopy.sha256, size: canopy.size, publisher: canopy.publisher, installedAt: '2026-01-01T00:00:00.000Z' }
  await writeFile(path.join(project, 'continuum.lock.json'), JSON.stringify({ lockfileVersion: 1, adapters: { 'vine-canopy': entry } }))
  const before = await snapshot(root)

  await assert.rejects(feature(A).install(canopy.cid, { project }), oneLine('LockfileError', /adapters\.vine-canopy\.version/))
  await assert.rejects(feature(A).installFromLockfile(project), oneLine('LockfileError'))
  await assert.rejects(feature(A).remove('vine-canopy', { project }), oneLine('LockfileError'))
  await assert.rejects(feature(A).listInstalled(project), oneLine('LockfileError'))
  assert.equal(await readFile(path.join(sentinel, 'keep.txt'), 'utf8'), 'do not delete')
  assert.deepEqual(await snapshot(root), before, 'nothing outside (or inside) the project changed')

  // The same for an id with separators, a non-CID and an unbounded size.
  for (const bad of [{ ...entry, version: '1.0.0', name: '../x' }, { ...entry, version: '1.0.0', cid: '../../etc' }, { ...entry, version: '1.0.0', size: 1e15 }]) {
    await writeFile(path.join(project, 'continuum.lock.json'), JSON.stringify({ lockfileVersion: 1, adapters: { [bad.name]: bad } }))
    await assert.rejects(feature(A).installFromLockfile(project), oneLine('LockfileError'))
  }
  // Past the schema, the one path helper still refuses anything that leaves the adapters folder.
  await assert.rejects(adapterPath(path.join(project, '.continuum', 'adapters'), 'vine-canopy', '/../../../../precious'), oneLine('UnsafePathError'))
  assert.equal(await readFile(path.join(sentinel, 'keep.txt'), 'utf8'), 'do not delete')
})

test('a symlinked .continuum or adapter folder is refused and nothing outside the project changes', async () => {
  const root = await tempDir('continuum-symlink-')
  dirs.push(root)
  const project = path.join(root, 'cloned-repo')
  const outside = path.join(root, 'elsewhere')
  await mkdir(path.join(outside, 'adapters', '.old-deadbeef'), { recursive: true })
  await writeFile(path.join(outside, 'adapters', '.old-deadbeef', 'keep.txt'), 'mine')
  await mkdir(path.join(outside, 'adapters', '.tmp-keep'), { recursive: true })
  await mkdir(project)
  await symlink(outside, path.join(project, '.continuum'))
  const before = await snapshot(outside)
  await assert.rejects(feature(A).install(canopy.cid, { project }), oneLine('UnsafePathError', /\.continuum is a symlink/))
  await assert.rejects(feature(A).install('vine-canopy', { project }), oneLine('UnsafePathError'))
  assert.deepEqual(await snapshot(outside), before)
  await assert.rejects(stat(path.join(project, 'continuum.lock.json')))

  // A real .continuum whose installed adapter folder is a symlink to somewhere else.
  const project2 = path.join(root, 'repo2')
  await mkdir(path.join(project2, '.continuum', 'adapters'), { recursive: true })
  const victim = path.join(root, 'victim')
  await mkdir(victim)
  await writeFile(path.join(victim, 'keep.txt'), 'mine')
  await symlink(victim, path.join(project2, '.continuum', 'adapters', 'vine-canopy@1.0.0'))
  const entry = { name: 'vine-canopy', version: '1.0.0', cid: canopy.cid, sha256: canopy.sha256, size: canopy.size, publisher: canopy.publisher, installedAt: '2026-01-01T00:00:00.000Z' }
  await writeFile(path.join(project2, 'continuum.lock.json'), JSON.stringify({ lockfileVersion: 1, adapters: { 'vine-canopy': entry } }))
  const victimBefore = await snapshot(victim)
  await assert.rejects(feature(A).install(canopy.cid, { project: project2 }), oneLine('UnsafePathError', /symlink/))
  await assert.rejects(feature(A).remove('vine-canopy', { project: project2 }), oneLine('UnsafePathError'))
  assert.deepEqual(await snapshot(victim), victimBefore)
})

test('killed between the two renames of a swap: the next run restores the previous copy instead of deleting it', async () => {
  const project = await tempDir('continuum-crash-')
  dirs.push(project)
  const first = await feature(A).install(canopy.cid, { project })
  const adapters = path.join(project, '.continuum', 'adapters')
  // The on-disk state a kill -9 leaves after "old folder → .old-*" and before ".tmp-* → place":
  // the previous copy aside, the new copy unpacked in a temp folder, the lockfile still pinning it.
  await rename(first.dir, path.join(adapters, '.old-0badc0de-vine-canopy@1.0.0'))
  await mkdir(path.join(adapters, '.tmp-Ab12Cd'))
  await writeFile(path.join(adapters, '.tmp-Ab12Cd', 'adapter_model.safetensors'), randomBytes(100))
  // The next run (installing something else) rolls back.
  await feature(A).install(other.cid, { project })
  const listed = await feature(A).listInstalled(project)
  assert.deepEqual(listed.map(e => [e.name, e.present]).sort(), [['vine-canopy', true], ['vine-other', true]])
  assert.deepEqual((await readdir(adapters)).sort(), ['vine-canopy@1.0.0', 'vine-other@1.0.0'], 'temp folder gone, nothing left aside')
})

test('a provider whose DAG holds more than its root declares: stopped at the first oversized block, nothing beyond the bound stored', async () => {
  // Root declares 20 bytes in 20 children of 1 byte each; each child really holds 128 KiB.
  const leaves = Array.from({ length: 20 }, () => randomBytes(128 * 1024))
  const leafCids = leaves.map(l => blockCid(l, 1, 0x55))
  const rootBytes = dagPb.encode(dagPb.prepare({
    Data: new UnixFS({ type: 'file', blockSizes: leaves.map(() => 1n) }).marshal(),
    Links: leafCids.map(c => ({ Hash: c, Name: '', Tsize: 1 }))
  }))
  const root = blockCid(rootBytes, 1)
  await feature(A).blocks.put(root, rootBytes)
  for (let i = 0; i < leaves.length; i++) await feature(A).blocks.put(leafCids[i], leaves[i])
  await assert.rejects(downloadDag({ libp2p: B.libp2p, blocks: feature(B).blocks, root, providers: [A.peerId] }), oneLine('InvalidBundleError', /holds 131072 bytes, its parent declares 1/))
  for (const c of leafCids) assert.equal(await feature(B).blocks.has(c), false, 'no oversized leaf was written')

  // Endless breadth: a root with more links than any layout uses is refused before any child is asked for.
  const wide = Array.from({ length: 5000 }, (_, i) => blockCid(Buffer.from(`leaf ${i}`), 1, 0x55))
  const wideBytes = dagPb.encode(dagPb.prepare({ Data: new UnixFS({ type: 'file', blockSizes: wide.map((_, i) => BigInt(`leaf ${i}`.length)) }).marshal(), Links: wide.map(c => ({ Hash: c, Name: '', Tsize: 8 })) }))
  const wideRoot = blockCid(wideBytes, 1)
  await feature(A).blocks.put(wideRoot, wideBytes)
  for (let i = 0; i < 50; i++) await feature(A).blocks.put(wide[i], Buffer.from(`leaf ${i}`))
  await assert.rejects(downloadDag({ libp2p: B.libp2p, blocks: feature(B).blocks, root: wideRoot, providers: [A.peerId] }), oneLine('InvalidBundleError', /5000 links/))
  for (const c of wide.slice(0, 50)) assert.equal(await feature(B).blocks.has(c), false)

  // A root that declares more than the caller's bound (the lockfile's or manifest's size) is refused at once.
  await assert.rejects(downloadDag({ libp2p: B.libp2p, blocks: feature(B).blocks, root: wideRoot, maxBytes: 100, providers: [A.peerId] }), oneLine('InvalidBundleError', /over the 100-byte limit/))
})

test('publishing a PEFT folder whose README is a symlink to a file outside it is refused', async () => {
  const dir = await makePeftFolder(path.join(work, 'pub', 'leaky'), 'leaky', 10_000)
  const secret = path.join(work, 'id_rsa')
  await writeFile(secret, '---\nlicense: apache-2.0\n---\nPRIVATE KEY\n')
  await rename(path.join(dir, 'README.md'), path.join(work, 'readme-moved.md'))
  await symlink(secret, path.join(dir, 'README.md'))
  await assert.rejects(feature(A).publish(dir), oneLine('UnsafePathError', /README\.md.*symlink/))
  assert.equal(feature(A).hosted.list().some(b => b.manifest.id === 'leaky'), false)
})

test('install references: one format for the CLI, the extension and the web UI', () => {
  const publisher = canopy.publisher
  assert.equal(installRef({ contentHash: 'sha256-' + 'a'.repeat(64), id: 'vine-canopy', version: '1.0.0', publisher }), `${publisher}/vine-canopy@1.0.0`)
  assert.equal(installRef({ contentHash: canopy.cid, id: 'vine-canopy', version: '1.0.0', publisher }), canopy.cid)
  assert.deepEqual(parseContentRef(`${publisher}/vine-canopy@1.0.0`), { kind: 'name', id: 'vine-canopy', version: '1.0.0', publisher })
  assert.deepEqual(parseContentRef('vine-canopy@1.0.0'), { kind: 'name', id: 'vine-canopy', version: '1.0.0' })
  assert.deepEqual(parseContentRef('Vine Canopy'), { kind: 'name', id: 'Vine Canopy' })
  assert.deepEqual(parseContentRef(`ipfs://${canopy.cid}`), { kind: 'cid', cid: canopy.cid })
})
