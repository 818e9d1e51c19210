// IPFS interop over Bitswap 1.2.0 with a stock Helia node in this process (TCP on 127.0.0.1, no
// bootstrap, no delegated routing, no HTTP gateways): Helia fetches a published adapter bundle by CID
// from a Continuum node, and a Continuum node installs a bundle that only the Helia node holds.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { readFile, readdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { withBitswap } from '@helia/bitswap'
import { withLibp2pLight } from '@helia/libp2p'
import { unixfs } from '@helia/unixfs'
import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createHeliaLight } from 'helia'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { CID } from 'multiformats/cid'
import { contentFeature } from '../src/node/content'
import { storageFeature } from '../src/node/storage-market'
import type { MeshNode } from '../src/node/mesh-node'
import { contentOf } from './helpers/content'
import { startTestNode, stopAll, tcpAddr, tempDir, waitFor } from './helpers/mesh'
import { makePeftFolder } from './helpers/peft'

type HeliaNode = Awaited<ReturnType<typeof startHelia>>

/** A stock Helia node: Helia's own light core, libp2p and Bitswap, and nothing that reaches outside. */
async function startHelia () {
  const helia = withBitswap(withLibp2pLight(createHeliaLight(), {
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery: [],
    services: { identify: identify() }
  }))
  await helia.start()
  return helia
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

const nodes: MeshNode[] = []
const dirs: string[] = []
let helia: HeliaNode | undefined
let A: MeshNode
let work: string

before(async () => {
  work = await tempDir('continuum-ipfs-')
  dirs.push(work)
  A = await startTestNode({ features: [contentFeature({ findProvidersTimeoutMs: 1_000 })] })
  nodes.push(A)
  helia = await startHelia()
})

after(async () => {
  await helia?.stop()
  await stopAll(nodes, dirs)
})

test('a stock Helia node fetches a published adapter bundle by CID from a Continuum node over Bitswap', async () => {
  const folder = await makePeftFolder(path.join(work, 'pub', 'helia-fetch'), 'helia-fetch', 3 * 262_144)
  const published = await contentOf(A).publish(folder)
  const file = path.join(work, 'published.tar')
  await contentOf(A).exportBundle(published.cid, file)
  const want = await readFile(file)

  await helia!.libp2p.dial(multiaddr(tcpAddr(A)))
  const chunks: Uint8Array[] = []
  for await (const c of unixfs(helia!).cat(CID.parse(published.cid), { signal: AbortSignal.timeout(60_000) })) chunks.push(c)
  const got = Buffer.concat(chunks)
  assert.equal(got.length, want.length)
  assert.equal(sha(got), sha(want), 'Helia got the bundle byte for byte')
  const status = A.status().features.content as { bitswap?: unknown }
  assert.ok(status.bitswap !== undefined, 'the node reports its Bitswap figures')
})

test('a Continuum node installs a bundle that only a stock Helia node holds (same CID as ipfs add)', async () => {
  // Build a bundle on a node that then goes away, so the only copy left is Helia's.
  const P = await startTestNode({ features: [contentFeature()] })
  const folder = await makePeftFolder(path.join(work, 'pub', 'helia-only'), 'helia-only', 2 * 262_144 + 999)
  const published = await contentOf(P).publish(folder)
  const tar = path.join(work, 'helia-only.tar')
  await contentOf(P).exportBundle(published.cid, tar)
  await P.stop()

  // Helia adds the tar the way classic `ipfs add` does: the CID is the one Continuum published.
  const added = await unixfs(helia!).addBytes(await readFile(tar), { cidVersion: 0, rawLeaves: false, chunker: fixedSize({ chunkSize: 262_144 }), layout: balanced({ maxChildrenPerNode: 174 }) })
  assert.equal(added.toV1().toString(), published.cid)

  const B = await startTestNode({ features: [contentFeature({ findProvidersTimeoutMs: 1_000, bitswapWantTimeoutMs: 5_000 })] })
  nodes.push(B)
  await B.connect(helia!.libp2p.getMultiaddrs()[0].toString())
  await waitFor('B connected to Helia', () => B.libp2p.getPeers().some(p => p.equals(helia!.libp2p.peerId)))
  const project = await tempDir('continuum-ipfs-project-')
  dirs.push(project)
  const r = await contentOf(B).install(`ipfs://${published.cid}`, { project })
  assert.equal(r.name, 'helia-only')
  assert.deepEqual(r.download?.providersUsed, ['bitswap'])
  const files = (await readdir(r.dir)).sort()
  assert.ok(files.includes('adapter_model.safetensors'))
  assert.equal(sha(await readFile(path.join(r.dir, 'adapter_model.safetensors'))), sha(await readFile(path.join(folder, 'adapter_model.safetensors'))))
})

test('without Bitswap (the old node) a stock Helia node cannot fetch: the want times out', async () => {
  const C = await startTestNode({ features: [contentFeature({ bitswap: false })] })
  nodes.push(C)
  const folder = await makePeftFolder(path.join(work, 'pub', 'no-bitswap'), 'no-bitswap', 1000)
  const published = await contentOf(C).publish(folder)
  await helia!.libp2p.dial(multiaddr(tcpAddr(C)))
  await assert.rejects(async () => {
    for await (const c of unixfs(helia!).cat(CID.parse(published.cid), { signal: AbortSignal.timeout(3_000) })) void c
  }, (err: Error) => ['LoadBlockFailedError', 'AbortError', 'TimeoutError'].includes(err.name))
})

test('a stock Helia node fetches a stored file by CID, and `storage get` fetches a file only Helia holds (Helia\'s own defaults: raw leaves, CIDv1)', async () => {
  const content = contentFeature({ findProvidersTimeoutMs: 1_000, bitswapWantTimeoutMs: 5_000 })
  const S = await startTestNode({ features: [content, storageFeature({ content })] })
  nodes.push(S)
  const mine = path.join(work, 'mine.bin')
  await writeFile(mine, randomBytes(600_000))
  const stored = await contentOf(S).storeFile(mine)
  await helia!.libp2p.dial(multiaddr(tcpAddr(S)))
  const chunks: Uint8Array[] = []
  for await (const c of unixfs(helia!).cat(CID.parse(stored.cid), { signal: AbortSignal.timeout(60_000) })) chunks.push(c)
  assert.equal(sha(Buffer.concat(chunks)), sha(await readFile(mine)))

  const theirs = randomBytes(1_500_000)
  const cid = await unixfs(helia!).addBytes(theirs)
  const out = path.join(work, 'theirs.bin')
  const r = await S.storage!.get(`ipfs://${cid.toString()}`, { out })
  assert.deepEqual(r.providers, ['bitswap'])
  assert.equal(sha(await readFile(out)), sha(theirs))
})
