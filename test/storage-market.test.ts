// Paid storage replicas with five real nodes on loopback: A offers nothing, B/C/D offer storage (market
// listings); A puts a file with 3 replicas, the hosts are paid after proof; with A offline E gets the
// file from the hosts; D deletes its copy, the next audit drops it unpaid and places a replica on E; a
// host answering with a wrong block is caught by hash; malformed and oversized frames are dropped.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { lpStream } from '@libp2p/utils'
import { CID } from 'multiformats/cid'
import { createEmbedder, type Embedder } from '../src/node/embedding'
import { contentFeature } from '../src/node/content'
import { ledgerFeature } from '../src/node/economy'
import { marketFeature } from '../src/node/market'
import type { MeshNode } from '../src/node/mesh-node'
import { storageFeature, STORAGE_PROTOCOL, type StorageApi } from '../src/node/storage-market'
import { serve } from '../src/node/transport/rpc'
import { StorageRequest } from '../src/node/storage-market/protocol'
import { contentOf } from './helpers/content'
import { ledgerOf } from './helpers/ledger'
import { startTestNode, stopAll, tcpAddr, tempDir, waitFor } from './helpers/mesh'

let embedder: Embedder
const nodes: MeshNode[] = []
let work: string
let A: MeshNode, B: MeshNode, C: MeshNode, D: MeshNode, E: MeshNode
let aDir: string

const features = (): ReturnType<typeof storageFeature | typeof contentFeature>[] => {
  const ledger = ledgerFeature({ minJoinDifficulty: 8, syncIntervalMs: 300, settleDelayMs: 200 })
  const content = contentFeature({ findProvidersTimeoutMs: 3_000, payments: ledger })
  const market = marketFeature({ reannounceMs: 300, payments: ledger })
  // Audits run when the test says (auditNow); the interval sets how the term is paid in parts.
  return [content, ledger, market, storageFeature({ content, listings: market, payments: ledger, auditIntervalMs: 60_000, challengeTimeoutMs: 3_000 })] as never
}
const storage = (n: MeshNode): StorageApi => { assert.ok(n.storage !== undefined); return n.storage }
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
const start = async (bootstrap: MeshNode[], dataDir?: string): Promise<MeshNode> => {
  const n = await startTestNode({ embedder, features: features() as never, bootstrap: bootstrap.map(tcpAddr), ...(dataDir !== undefined ? { dataDir } : {}) })
  nodes.push(n)
  return n
}

before(async () => {
  embedder = createEmbedder()
  work = await tempDir('continuum-storage-')
  aDir = await tempDir('continuum-storage-a-')
  A = await start([], aDir)
  B = await start([A])
  C = await start([A, B])
  D = await start([A, B])
  E = await start([A, B, C])
  const all = [A, B, C, D, E]
  await Promise.all(all.map(async n => ledgerOf(n).join()))
  const ids = all.map(n => n.peerId.toString())
  await waitFor('every node holds every join', () => all.every(n => ids.every(id => ledgerOf(n).ledger.head(id) != null)), 60_000)
  // 0.1 token per MB-day.
  for (const h of [B, C, D]) await storage(h).offer({ capacityMb: 100, pricePerMbDay: 100_000 })
  await waitFor('A sees three storage listings', () => (A.market?.list({ type: 'storage', minAvailability: 0 }).length ?? 0) >= 3, 30_000)
})

after(async () => {
  await stopAll(nodes, [work, aDir])
  await embedder?.close()
})

let file: string
let cid: string

test('put --replicas 3: B, C and D hold the file and are paid after proof; a price not accepted stores nothing', async () => {
  file = path.join(work, 'dataset.bin')
  await writeFile(file, randomBytes(700_000))
  await assert.rejects(storage(A).put(file, { replicas: 3, days: 1 }), (err: Error) => err.name === 'StoragePriceError' && /--max-price 0\.3\b/.test(err.message) && !err.message.includes('\n'))
  assert.equal(storage(A).list().length, 0, 'nothing was stored or contracted')
  const stages: string[] = []
  const view = await storage(A).put(file, { replicas: 3, days: 1, maxPrice: 1, hosts: [B, C, D].map(n => n.peerId.toString()), onProgress: p => stages.push(p.stage) })
  cid = view.cid
  assert.deepEqual(new Set(view.hosts.filter(h => h.status === 'active').map(h => h.host)), new Set([B, C, D].map(n => n.peerId.toString())))
  assert.equal(view.health, 'ok')
  assert.ok(stages.includes('done'))
  for (const h of view.hosts) assert.ok(h.proofs >= 1 && h.paid > 0, `host ${h.host.slice(-6)} proved and was paid`)
  for (const h of [B, C, D]) {
    assert.ok((await contentOf(h).dagCids(cid)).length >= 3, 'the host holds every block')
    await waitFor('the host received its payment', () => ledgerOf(h).ledger.balance(h.peerId.toString()) > 100_000_000, 20_000)
  }
})

test('with A offline, E gets the file from the hosts, every block verified', async () => {
  await A.stop()
  const out = path.join(work, 'got.bin')
  const r = await storage(E).get(`ipfs://${cid}`, { out })
  assert.equal(sha(await readFile(out)), sha(await readFile(file)))
  assert.ok(r.providers.length >= 1 && r.providers.every(p => [B, C, D].some(n => n.peerId.toString() === p)))
})

test('D deletes its copy: the next audit fails it, D is not paid further, and a replica is placed on E', async () => {
  A = await start([B, C], aDir)
  await storage(E).offer({ capacityMb: 100, pricePerMbDay: 100_000 })
  await waitFor('A sees E\'s listing', () => A.market?.list({ type: 'storage', minAvailability: 0 }).some(l => l.provider === E.peerId.toString()) === true, 30_000)
  for (const c of await contentOf(D).dagCids(cid)) await contentOf(D).blocks.delete(CID.parse(c))
  const paidBefore = storage(A).statusOf(cid).hosts.find(h => h.host === D.peerId.toString())!.paid
  await storage(A).auditNow()
  const view = storage(A).statusOf(cid)
  const d = view.hosts.find(h => h.host === D.peerId.toString())!
  assert.equal(d.status, 'failed')
  assert.match(d.reason ?? '', /does not hold/)
  await storage(A).auditNow()
  assert.equal(storage(A).statusOf(cid).hosts.find(h => h.host === D.peerId.toString())!.paid, paidBefore, 'D is not paid further')
  const e = view.hosts.find(h => h.host === E.peerId.toString())
  assert.ok(e !== undefined && e.status === 'active', 'a replica was placed on E')
  assert.equal(view.healthy, 3)
})

test('a host that answers a challenge with a wrong block is caught by hash, dropped and counted', async () => {
  // C turns liar: it answers every challenge with random bytes.
  await C.libp2p.unhandle(STORAGE_PROTOCOL)
  await serve(C.libp2p, STORAGE_PROTOCOL, { maxBytes: 8192, timeoutMs: 5_000, requestSchema: StorageRequest, handle: () => ({ type: 'proof', block: randomBytes(1000).toString('base64') }) })
  const before = A.drops.get('storage', 'bad-proof')
  await storage(A).auditNow()
  const c = storage(A).statusOf(cid).hosts.find(h => h.host === C.peerId.toString())!
  assert.equal(c.status, 'failed')
  assert.match(c.reason ?? '', /does not match/)
  assert.equal(A.drops.get('storage', 'bad-proof'), before + 1)
})

test('malformed and oversized contract or challenge frames are dropped and counted; the host keeps serving', async () => {
  const send = async (bytes: Uint8Array): Promise<void> => {
    const stream = await A.libp2p.dialProtocol(B.peerId, STORAGE_PROTOCOL)
    const lp = lpStream(stream, { maxDataLength: 2 * 1024 * 1024 })
    await lp.write(bytes).catch(() => {})
    await lp.read({ signal: AbortSignal.timeout(3_000) }).catch(() => {})
    stream.abort(new Error('done'))
  }
  const bad = (): number => B.drops.total('storage')
  const n0 = bad()
  await send(new TextEncoder().encode('{"type":"challenge","contractId":'))
  await waitFor('malformed frame counted', () => bad() > n0)
  const n1 = B.drops.get('storage', 'oversized')
  // A well-formed proposal padded past the 8 KiB cap (with many source hints) is cut off by size.
  await send(new TextEncoder().encode(JSON.stringify({ type: 'propose', contract: { body: {}, ownerSig: 'x' }, sources: Array.from({ length: 16 }, () => 'x'.repeat(1000)) })))
  await waitFor('oversized frame counted as oversized', () => B.drops.get('storage', 'oversized') > n1)
  const n2 = bad()
  await send(new TextEncoder().encode(JSON.stringify({ type: 'challenge', contractId: 'f'.repeat(32), cid })))
  await waitFor('a challenge for no contract counted', () => bad() > n2)
  assert.equal(B.state, 'started')
})
