// Adapter bundles over the DHT with real nodes on loopback: publish on A, find and install on E
// through the DHT (E is not connected to A), verified multi-provider download, a corrupting provider,
// resume, reproducible installs from the lockfile, topic lookup, and bad inputs.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { chmod, cp, readFile, readdir, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { CID } from 'multiformats/cid'
import { createEmbedder, type Embedder } from '../src/node/embedding'
import type { MeshNode } from '../src/node/mesh-node'
import { buildFileDag, contentFeature, type InstallProgress } from '../src/node/content'
import { contentOf } from './helpers/content'
import { startTestNode, stopAll, tcpAddr, tempDir, waitFor } from './helpers/mesh'
import { makePeftFolder } from './helpers/peft'



async function sha256File (file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex')
}

async function filesOf (dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const n of (await readdir(dir)).sort()) out[n] = await sha256File(path.join(dir, n))
  return out
}

const feature = contentOf

let embedder: Embedder
const nodes: MeshNode[] = []
const dirs: string[] = []
let A: MeshNode, B: MeshNode, C: MeshNode, D: MeshNode, E: MeshNode
let work: string
let small: { cid: string, folder: string }
let big: { cid: string, folder: string }

before(async () => {
  embedder = createEmbedder()
  work = await tempDir('continuum-content-')
  dirs.push(work)
  const start = async (bootstrap?: MeshNode, init: Parameters<typeof contentFeature>[0] = {}): Promise<MeshNode> => {
    const n = await startTestNode({ embedder, bootstrap: bootstrap === undefined ? [] : [tcpAddr(bootstrap)], features: [contentFeature({ findProvidersTimeoutMs: 4_000, ...init })] })
    nodes.push(n)
    return n
  }
  // A line: A - B - C - D - E (DHT queries add more connections as they go).
  A = await start()
  B = await start(A)
  C = await start(B, { blocksPerRequest: 2, requestsPerProvider: 1 })
  D = await start(C)
  // Small batches so every provider gets asked for blocks (the corrupt-provider test relies on it).
  // E asks only the DHT (not its connected peers), so its installs prove DHT discovery.
  E = await start(D, { blocksPerRequest: 1, requestsPerProvider: 1, askConnectedPeers: false })
  await waitFor('DHT routing tables', () => nodes.every(n => (feature(n).dhtStats().routingTable.size) >= 1), 20_000)

  const smallDir = await makePeftFolder(path.join(work, 'pub', 'vine-canopy'), 'vine-canopy', 20_000, ['canopy-management', 'Wine Pairing'])
  const bigDir = await makePeftFolder(path.join(work, 'pub', 'vine-big'), 'vine-big', 6 * 262_144, ['harvest-timing'])
  const s = await feature(A).publish(smallDir)
  const b = await feature(A).publish(bigDir, { price: 3 })
  small = { cid: s.cid, folder: smallDir }
  big = { cid: b.cid, folder: bigDir }
})

after(async () => {
  await stopAll(nodes, dirs)
  await embedder?.close()
})

test('publish: a CIDv1 of the bundle, provided on the DHT, the same CID as ipfs_cid computes', async (t) => {
  assert.match(small.cid, /^bafybei[a-z2-7]+$/)
  const cid = CID.parse(small.cid)
  assert.equal(cid.version, 1)
  assert.equal(cid.code, 0x70, 'dag-pb')
  assert.equal(cid.multihash.code, 0x12, 'sha2-256')
  // The bundle, name and topic keys (retried in the background if a DHT peer was not ready yet).
  await waitFor('A provided bundle, name and topic keys', () => feature(A).dhtStats().recordsProvided >= 3, 30_000)
  // The bundle is one file: exporting it and hashing it with an independent tool gives the same CID.
  const file = path.join(work, 'big.tar')
  await feature(A).exportBundle(big.cid, file)
  const tar = spawnSync('tar', ['-tf', file], { encoding: 'utf8' })
  assert.equal(tar.status, 0, tar.stderr)
  assert.deepEqual(tar.stdout.trim().split('\n'), ['manifest.json', 'README.md', 'adapter_config.json', 'adapter_model.safetensors'])
  const tool = spawnSync('ipfs_cid', [file], { encoding: 'utf8' })
  if (tool.error !== undefined) {
    t.skip('independent CID check skipped: ipfs_cid is not installed (apt-get install ipfs-cid)')
    return
  }
  const out = JSON.parse(tool.stdout) as { CIDv0: string, CIDv1: string }
  assert.equal(out.CIDv1, big.cid)
  assert.equal(CID.parse(out.CIDv0).toV1().toString(), big.cid)
})

test('install on E by CID: found through the DHT, files hash-match, lockfile right, then seeding', async () => {
  const viaDht = await feature(E).dht.findProviders(CID.parse(small.cid))
  assert.ok(viaDht.providers.some(p => p.id.equals(A.peerId)), 'the DHT lists A as a provider')
  const project = await tempDir('continuum-project-')
  dirs.push(project)
  const seen: InstallProgress[] = []
  const r = await feature(E).install(`ipfs://${small.cid}`, { project, onProgress: p => seen.push(p) })
  assert.equal(r.alreadyInstalled, false)
  assert.equal(r.name, 'vine-canopy')
  assert.equal(r.version, '1.0.0')
  assert.equal(r.cid, small.cid)
  assert.equal(r.dir, path.join(project, '.continuum', 'adapters', 'vine-canopy@1.0.0'))
  for (const f of ['adapter_config.json', 'adapter_model.safetensors', 'README.md']) {
    assert.equal(await sha256File(path.join(r.dir, f)), await sha256File(path.join(small.folder, f)), f)
  }
  const manifest = JSON.parse(await readFile(path.join(r.dir, 'manifest.json'), 'utf8')) as { publisher: string, id: string }
  assert.equal(manifest.publisher, A.peerId.toString())
  const lock = JSON.parse(await readFile(path.join(project, 'continuum.lock.json'), 'utf8')) as { lockfileVersion: number, adapters: Record<string, Record<string, unknown>> }
  assert.equal(lock.lockfileVersion, 1)
  const entry = lock.adapters['vine-canopy']
  assert.equal(entry.cid, small.cid)
  assert.equal(entry.version, '1.0.0')
  assert.equal(entry.publisher, A.peerId.toString())
  assert.match(String(entry.sha256), /^[0-9a-f]{64}$/)
  const exported = path.join(work, 'small.tar')
  await feature(E).exportBundle(small.cid, exported)
  assert.equal(entry.sha256, await sha256File(exported))
  assert.equal(entry.size, (await stat(exported)).size)
  assert.ok(!Number.isNaN(Date.parse(String(entry.installedAt))))
  const last = seen.at(-1)!
  assert.equal(last.bytes, entry.size)
  assert.ok(seen.some(p => p.providers >= 1))

  // Installing what the lockfile pins again is a no-op.
  const again = await feature(E).install('vine-canopy', { project })
  assert.equal(again.alreadyInstalled, true)
  const again2 = await feature(E).install(small.cid, { project })
  assert.equal(again2.alreadyInstalled, true)

  // E now seeds it: another node finds E as a provider too.
  await waitFor('E provides the bundle', async () => {
    const r = await feature(C).findProviders(CID.parse(small.cid))
    return r.providers.some(p => p.equals(E.peerId))
  }, 20_000, 500)

  const listed = await feature(E).listInstalled(project)
  assert.equal(listed.length, 1)
  assert.equal(listed[0].present, true)
  const removed = await feature(E).remove('vine-canopy', { project })
  assert.equal(removed.version, '1.0.0')
  assert.deepEqual(await feature(E).listInstalled(project), [])
  await assert.rejects(stat(r.dir))
  await assert.rejects(feature(E).remove('vine-canopy', { project }), (err: Error) => err.name === 'NotInstalledError')
})

test('install by name resolves through the DHT name key', async () => {
  const project = await tempDir('continuum-project-')
  dirs.push(project)
  const r = await feature(D).install('vine-big', { project, maxPrice: 3 })
  assert.equal(r.cid, big.cid)
  assert.equal(await sha256File(path.join(r.dir, 'adapter_model.safetensors')), await sha256File(path.join(big.folder, 'adapter_model.safetensors')))
})

test('a provider that corrupts blocks is dropped; the install completes from another provider', async () => {
  // B installs (and so seeds) the big bundle; then A starts corrupting every block it serves.
  const pb = await tempDir('continuum-project-')
  dirs.push(pb)
  await feature(B).install(big.cid, { project: pb, maxPrice: 3 })
  const root = CID.parse(big.cid)
  await waitFor('E finds A and B', async () => {
    const r = await feature(E).findProviders(root)
    return [A, B].every(n => r.providers.some(p => p.equals(n.peerId)))
  }, 20_000, 500)
  const store = feature(A).blocks
  const honest = store.get.bind(store)
  store.get = async cid => {
    const bytes = await honest(cid)
    if (bytes === undefined) return undefined
    const bad = Uint8Array.from(bytes)
    bad[bad.length - 1] ^= 0xff
    return bad
  }
  try {
    const project = await tempDir('continuum-project-')
    dirs.push(project)
    const r = await feature(E).install(big.cid, { project, maxPrice: 3 })
    assert.equal(await sha256File(path.join(r.dir, 'adapter_model.safetensors')), await sha256File(path.join(big.folder, 'adapter_model.safetensors')))
    const failedA = r.download?.failed.find(f => f.peer === A.peerId.toString())
    assert.ok(failedA !== undefined, `A was asked and dropped: ${JSON.stringify(r.download)}`)
    assert.equal(failedA.reason, 'verification')
    assert.ok(r.download!.providersUsed.includes(B.peerId.toString()))
    assert.deepEqual(feature(E).blacklisted(big.cid), [A.peerId.toString()])
  } finally {
    store.get = honest
  }
})

test('all providers failing verification: a clear error and nothing written into the project', async () => {
  const dir = await makePeftFolder(path.join(work, 'pub', 'only-a'), 'only-a', 3 * 262_144, ['soil-analysis'])
  const { cid } = await feature(A).publish(dir)
  const store = feature(A).blocks
  const honest = store.get.bind(store)
  store.get = async c => {
    const bytes = await honest(c)
    return bytes === undefined ? undefined : Uint8Array.from(bytes).reverse()
  }
  try {
    const project = await tempDir('continuum-project-')
    dirs.push(project)
    await assert.rejects(feature(C).install(cid, { project }), (err: Error) => {
      assert.equal(err.name, 'AllProvidersFailedError')
      assert.match(err.message, /all providers failed verification/)
      return true
    })
    await assert.rejects(stat(path.join(project, 'continuum.lock.json')))
    assert.deepEqual(await readdir(path.join(project, '.continuum', 'adapters')), [])
  } finally {
    store.get = honest
  }
})

test('an interrupted download resumes from the verified blocks', async () => {
  const dir = await makePeftFolder(path.join(work, 'pub', 'resume-me'), 'resume-me', 10 * 262_144, ['irrigation'])
  const { cid, size } = await feature(A).publish(dir)
  const project = await tempDir('continuum-project-')
  dirs.push(project)
  const ctrl = new AbortController()
  await assert.rejects(feature(C).install(cid, {
    project,
    signal: ctrl.signal,
    onProgress: p => { if (p.bytes > size * 0.3 && p.bytes < size) ctrl.abort(new Error('interrupted by the test')) }
  }), /interrupted by the test/)
  await assert.rejects(stat(path.join(project, 'continuum.lock.json')), 'nothing pinned after an interrupted install')
  const r = await feature(C).install(cid, { project })
  assert.ok(r.download !== undefined, 'the second install downloaded what was missing')
  assert.ok(r.download.resumedBytes > size * 0.3, `resumed ${r.download.resumedBytes} of ${size}`)
  assert.ok(r.download.resumedBytes < size)
  assert.equal(await sha256File(path.join(r.dir, 'adapter_model.safetensors')), await sha256File(path.join(dir, 'adapter_model.safetensors')))
})

test('reinstall from the lockfile in a fresh folder reproduces the same files', async () => {
  const first = await tempDir('continuum-project-')
  dirs.push(first)
  await feature(E).install(small.cid, { project: first })
  await feature(E).install(big.cid, { project: first, maxPrice: 3 })
  const fresh = await tempDir('continuum-project-')
  dirs.push(fresh)
  await cp(path.join(first, 'continuum.lock.json'), path.join(fresh, 'continuum.lock.json'))
  const results = await feature(D).installFromLockfile(fresh, { maxPrice: 3 })
  assert.equal(results.length, 2)
  for (const name of ['vine-canopy@1.0.0', 'vine-big@1.0.0']) {
    assert.deepEqual(await filesOf(path.join(fresh, '.continuum', 'adapters', name)), await filesOf(path.join(first, '.continuum', 'adapters', name)))
  }
  assert.deepEqual(JSON.parse(await readFile(path.join(fresh, 'continuum.lock.json'), 'utf8')).adapters['vine-big'].sha256,
    JSON.parse(await readFile(path.join(first, 'continuum.lock.json'), 'utf8')).adapters['vine-big'].sha256)
  // A second run is a no-op.
  const again = await feature(D).installFromLockfile(fresh)
  assert.ok(again.every(r => r.alreadyInstalled))
})

test('a node without payments (no ledger): a free adapter installs and pays nothing; a priced one is refused with the one-line price error', async () => {
  const project = await tempDir('continuum-project-')
  dirs.push(project)
  const content = C.content! // the facade's typed member, as the extension and the API routes use it
  const free = await content.install('vine-canopy', { project })
  assert.equal(free.alreadyInstalled, false)
  assert.equal(free.payment, undefined)
  await assert.rejects(content.install('vine-big', { project }), (err: Error) => err.name === 'PriceNotAcceptedError' && !err.message.includes('\n') && /--max-price 3/.test(err.message))
  const lock = JSON.parse(await readFile(path.join(project, 'continuum.lock.json'), 'utf8')) as { adapters: Record<string, unknown> }
  assert.deepEqual(Object.keys(lock.adapters), ['vine-canopy'], 'the refused adapter is not pinned')
})

test('topic lookup returns A for a tag of its adapter', async () => {
  const r = await feature(E).findTopic('canopy-management')
  const a = r.providers.find(p => p.peerId === A.peerId.toString())
  assert.ok(a !== undefined, JSON.stringify(r))
  assert.ok(a.adapters.some(x => x.cid === small.cid && x.id === 'vine-canopy'))
  // Tags are normalised: case and spacing do not matter.
  const r2 = await feature(E).findTopic('  wine   PAIRING ')
  assert.ok(r2.providers.some(p => p.peerId === A.peerId.toString()))
  const none = await feature(E).findTopic('no-such-topic-anywhere')
  assert.equal(none.providers.length, 0)
  const stats = feature(E).dhtStats()
  assert.ok(stats.lookups.count >= 3)
  assert.ok(stats.routingTable.buckets >= 1)
})

test('bad inputs: unknown CID or name, malformed lockfile, unwritable project', async () => {
  const project = await tempDir('continuum-project-')
  dirs.push(project)
  // A valid CID of bytes nobody published.
  const unknown = (await buildFileDag([randomBytes(1000)], async () => {})).cid.toString()
  await assert.rejects(feature(E).install(`ipfs://${unknown}`, { project }), (err: Error) => {
    assert.equal(err.name, 'ContentNotFoundError')
    assert.match(err.message, /not found on \d+ providers after \d+\.\d s/)
    return true
  })
  await assert.rejects(feature(E).install('no-such-adapter', { project }), (err: Error) => {
    assert.equal(err.name, 'ContentNotFoundError')
    assert.match(err.message, /"no-such-adapter" not found on \d+ providers after \d+\.\d s/)
    return true
  })
  await assert.rejects(stat(path.join(project, 'continuum.lock.json')))

  // A malformed lockfile is reported and left as it was.
  await writeFile(path.join(project, 'continuum.lock.json'), '{"lockfileVersion": 1, "adapters": [')
  await assert.rejects(feature(E).install(small.cid, { project }), (err: Error) => err.name === 'LockfileError' && /not valid JSON/.test(err.message))
  await writeFile(path.join(project, 'continuum.lock.json'), '{"lockfileVersion": 7, "adapters": {}}')
  await assert.rejects(feature(E).install(small.cid, { project }), (err: Error) => err.name === 'LockfileError' && /malformed/.test(err.message))
  assert.equal(await readFile(path.join(project, 'continuum.lock.json'), 'utf8'), '{"lockfileVersion": 7, "adapters": {}}')
  assert.deepEqual(await readdir(path.join(project, '.continuum', 'adapters')), [])

  // A project whose .continuum cannot be a folder, and one that does not exist.
  const blocked = await tempDir('continuum-project-')
  dirs.push(blocked)
  await writeFile(path.join(blocked, '.continuum'), 'not a folder')
  await assert.rejects(feature(E).install(small.cid, { project: blocked }), (err: Error) => err.name === 'ProjectNotWritableError')
  await assert.rejects(feature(E).install(small.cid, { project: path.join(blocked, 'no', 'such') }), (err: Error) => err.name === 'ProjectNotWritableError' && /does not exist/.test(err.message))
  if (process.getuid?.() !== 0) {
    const ro = await tempDir('continuum-project-')
    dirs.push(ro)
    await chmod(ro, 0o555)
    await assert.rejects(feature(E).install(small.cid, { project: ro }), (err: Error) => err.name === 'ProjectNotWritableError')
    await chmod(ro, 0o755)
  }
  await assert.rejects(feature(E).install('   ', { project }), (err: Error) => err.name === 'InvalidContentRefError')
})
