// Catalog gossip between real nodes on loopback: convergence, fast announcements, bad input, cache limits.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { lpStream } from '@libp2p/utils'
import { createEmbedder, type Embedder } from '../src/node/embedding'
import { findSampleCatalog } from '../src/node/catalog/sample'
import { gossip, type GossipFeature } from '../src/node/gossip'
import { CATALOG_PROTOCOL, ANNOUNCE_TOPIC } from '../src/node/gossip/constants'
import { encodeManifest, type AdapterManifest } from '../src/node/manifest'
import type { MeshNode, MeshNodeInit } from '../src/node/mesh-node'
import { startTestNode, stopAll, tcpAddr, tempDir, waitFor, connectedTo } from './helpers/mesh'

let embedder: Embedder
let lines: string[]
let dir: string

before(async () => {
  embedder = createEmbedder()
  lines = (await readFile(findSampleCatalog(__dirname)!, 'utf8')).trim().split('\n')
  dir = await tempDir()
})
after(async () => { await embedder.close() })

async function shard (name: string, from: number, count: number): Promise<string> {
  const file = path.join(dir, `${name}.jsonl`)
  await writeFile(file, lines.slice(from, from + count).join('\n'))
  return file
}

async function node (init: MeshNodeInit & { gossipMs?: number } = {}): Promise<MeshNode> {
  return startTestNode({ embedder, features: [gossip({ intervalMs: init.gossipMs ?? 500 })], ...init })
}

const gossipOf = (n: MeshNode): GossipFeature => n.feature<GossipFeature>('gossip')!
const idOf = (line: string): string => (JSON.parse(line) as { id: string }).id

test('four nodes with different catalogs converge; a search finds an adapter only another node published', async () => {
  const nodes: MeshNode[] = []
  try {
    const a = await node()
    nodes.push(a)
    for (let i = 1; i < 4; i++) nodes.push(await node({ bootstrap: [tcpAddr(nodes[i - 1])] }))
    // A line a-b-c-d: d learns a's adapters through b and c (multi-hop gossip).
    for (const [i, n] of nodes.entries()) await n.catalog.import(await shard(`n${i}`, i * 12, 12))
    const total = 48
    await waitFor('every catalog to hold all 48 adapters', () => nodes.every(n => n.catalog.count() === total), 30_000, 200)
    const d = nodes[3]
    assert.equal(d.catalog.count('local'), 12)
    assert.equal(d.catalog.count('remote'), 36)
    const onlyA = JSON.parse(lines[0]) as { id: string, name: string, description: string }
    const { hits } = await d.catalog.search({ text: onlyA.description, k: 3 })
    assert.equal(hits[0].manifest.id, onlyA.id)
    assert.equal(hits[0].location, 'remote')
    assert.ok(hits[0].availableFrom.includes(a.peerId.toString()), `availableFrom ${hits[0].availableFrom.join(',')} should include A`)
    const status = d.status().features.gossip as { lastGossipAt: number | null, bytesIn: number, cacheHitRate: number | null }
    assert.ok(status.lastGossipAt !== null && status.bytesIn > 0)
    assert.equal(status.cacheHitRate, 1)
  } finally {
    await stopAll(nodes)
  }
})

test('steady state: once in sync, a round moves only a few hundred bytes', async () => {
  const nodes: MeshNode[] = []
  try {
    const a = await node({ gossipMs: 0 })
    nodes.push(a)
    const b = await node({ gossipMs: 0, bootstrap: [tcpAddr(a)] })
    nodes.push(b)
    await a.catalog.import(await shard('sa', 100, 20))
    await b.catalog.import(await shard('sb', 120, 20))
    await waitFor('B neighbours A', () => b.neighbours.has(a.peerId.toString()))
    await gossipOf(b).round()
    await waitFor('both hold 40', () => a.catalog.count() === 40 && b.catalog.count() === 40, 15_000)
    await gossipOf(a).round()
    await gossipOf(b).round()
    const before = gossipOf(b).status().bytesIn + gossipOf(b).status().bytesOut
    await gossipOf(b).round()
    const after = gossipOf(b).status().bytesIn + gossipOf(b).status().bytesOut
    assert.ok(after - before > 0, 'the round did talk')
    assert.ok(after - before < 500, `a steady-state round cost ${after - before} bytes`)
  } finally {
    await stopAll(nodes)
  }
})

test('a new publish reaches every node through the announce topic within seconds (timer off)', async () => {
  const nodes: MeshNode[] = []
  try {
    const a = await node({ gossipMs: 0 })
    nodes.push(a)
    nodes.push(await node({ gossipMs: 0, bootstrap: [tcpAddr(a)] }))
    nodes.push(await node({ gossipMs: 0, bootstrap: [tcpAddr(a)] }))
    await waitFor('announce mesh formed', () => a.libp2p.services.pubsub.getSubscribers(ANNOUNCE_TOPIC).length === 2, 15_000)
    await a.catalog.import(await shard('announce', 200, 1))
    const id = idOf(lines[200])
    await waitFor('both other nodes hold the new adapter', () => nodes.slice(1).every(n => n.catalog.list('remote').some(h => h.manifest.id === id)), 10_000)
    assert.ok((gossipOf(a).status().announced) >= 1)
  } finally {
    await stopAll(nodes)
  }
})

async function signedBy (n: MeshNode, line: string, tweak?: (m: AdapterManifest) => unknown): Promise<unknown> {
  const [fields] = await n.catalog.publishFields([JSON.parse(line)])
  const m = fields
  return tweak !== undefined ? tweak(structuredClone(m)) : m
}

async function sendRaw (from: MeshNode, to: MeshNode, body: Uint8Array): Promise<void> {
  const stream = await from.libp2p.dialProtocol(to.peerId, CATALOG_PROTOCOL)
  const lp = lpStream(stream, { maxDataLength: 8 * 1024 * 1024 })
  await lp.write(body).catch(() => {})
  await lp.read({ signal: AbortSignal.timeout(3_000) }).catch(() => {})
}

test('forged, mis-embedded, oversized and malformed catalog messages are dropped and counted; valid entries survive', async () => {
  const nodes: MeshNode[] = []
  try {
    const a = await node({ gossipMs: 0 })
    nodes.push(a)
    const honest = await node({ gossipMs: 0, bootstrap: [tcpAddr(a)] })
    nodes.push(honest)
    await honest.catalog.import(await shard('honest', 210, 5))
    // One round may run before the honest node is a neighbour on a loaded machine: repeat it (slowly,
    // well under the request rate limit) until the entries are in.
    await waitFor('A cached the honest adapters', async () => {
      if (a.catalog.count('remote') < 5) await gossipOf(a).round()
      return a.catalog.count('remote') === 5
    }, 30_000, 1_000)

    const evil = await node({ gossipMs: 0, bootstrap: [tcpAddr(a)] })
    nodes.push(evil)
    await waitFor('evil connected', () => connectedTo(evil, a))
    const forged = await signedBy(evil, lines[220], m => ({ ...m, description: m.description + ' (tampered)' }))
    const badDim = await signedBy(evil, lines[221], m => ({ ...m, embedding: { ...m.embedding, data: Buffer.from(new Float32Array(128).fill(0.088)).toString('base64') } }))
    const enc = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v))
    await sendRaw(evil, a, enc({ type: 'top', limit: 10, manifests: [forged, badDim] }))
    await waitFor('forged and mis-embedded counted', () => a.drops.get('catalog', 'bad-signature') >= 1 && a.drops.get('catalog', 'bad-embedding') >= 1)
    // A third bad manifest costs the connection.
    await sendRaw(evil, a, enc({ type: 'top', limit: 10, manifests: [forged] })).catch(() => {})
    await waitFor('evil disconnected', () => !connectedTo(a, evil))

    const evil2 = await node({ gossipMs: 0, bootstrap: [tcpAddr(a)] })
    nodes.push(evil2)
    await waitFor('evil2 connected', () => connectedTo(evil2, a))
    await sendRaw(evil2, a, new Uint8Array(2 * 1024 * 1024).fill(0x20))
    await waitFor('oversized counted', () => a.drops.get('catalog', 'oversized') >= 1)

    const evil3 = await node({ gossipMs: 0, bootstrap: [tcpAddr(a)] })
    nodes.push(evil3)
    await waitFor('evil3 connected', () => connectedTo(evil3, a))
    const malformedBefore = a.drops.get('catalog', 'malformed')
    await sendRaw(evil3, a, new Uint8Array([0xff, 0xfe, 0x00, 0x01]))
    await waitFor('malformed counted', () => a.drops.get('catalog', 'malformed') > malformedBefore)
    await waitFor('evil3 disconnected', () => !connectedTo(a, evil3))

    // Over the request rate: excess dropped and counted, not answered.
    const evil4 = await node({ gossipMs: 0, bootstrap: [tcpAddr(a)] })
    nodes.push(evil4)
    await waitFor('evil4 connected', () => connectedTo(evil4, a))
    const ask = { type: 'changes', epoch: null, since: 0, limit: 10, from: { epoch: 'abcdefgh', head: 0, root: 'AAAAAAAAAAAA' } }
    await Promise.all(Array.from({ length: 25 }, () => sendRaw(evil4, a, enc(ask))))
    assert.ok(a.drops.get('catalog', 'rate-limited') >= 10, `rate-limited: ${a.drops.get('catalog', 'rate-limited')}`)

    assert.equal(a.catalog.count('remote'), 5, 'no valid cached entry was lost')
    assert.ok(a.catalog.list('remote').every(h => !h.manifest.description.includes('tampered')))
  } finally {
    await stopAll(nodes)
  }
})

test('announcements that are forged or not from their publisher are rejected', async () => {
  const nodes: MeshNode[] = []
  try {
    const a = await node({ gossipMs: 0 })
    nodes.push(a)
    const evil = await node({ gossipMs: 0, bootstrap: [tcpAddr(a)] })
    nodes.push(evil)
    const other = await node({ gossipMs: 0 })
    nodes.push(other)
    await waitFor('announce mesh', () => evil.libp2p.services.pubsub.getSubscribers(ANNOUNCE_TOPIC).length === 1, 15_000)
    const pubsub = evil.libp2p.services.pubsub
    const stolen = await signedBy(other, lines[230]) as AdapterManifest
    await pubsub.publish(ANNOUNCE_TOPIC, encodeManifest(stolen))
    const forged = await signedBy(evil, lines[231], m => ({ ...m, price: 999 })) as AdapterManifest
    await pubsub.publish(ANNOUNCE_TOPIC, new TextEncoder().encode(JSON.stringify(forged)))
    await pubsub.publish(ANNOUNCE_TOPIC, new TextEncoder().encode('not json'))
    await waitFor('all three counted', () => a.drops.get('announce', 'not-publisher') === 1 && a.drops.get('announce', 'bad-signature') === 1 && a.drops.get('announce', 'malformed') === 1, 10_000)
    assert.equal(a.catalog.count('remote'), 0)
  } finally {
    await stopAll(nodes)
  }
})

test('the remote cache keeps to its cap and drops entries not re-announced in time', async () => {
  const nodes: MeshNode[] = []
  try {
    const a = await node({ gossipMs: 0, remoteCapacity: 5 })
    nodes.push(a)
    const b = await node({ gossipMs: 0, bootstrap: [tcpAddr(a)] })
    nodes.push(b)
    await b.catalog.import(await shard('cap', 240, 12))
    await waitFor('A neighbours B', () => a.neighbours.has(b.peerId.toString()))
    await gossipOf(a).round()
    await waitFor('A cached up to its cap', () => a.catalog.count('remote') === 5, 10_000)
    assert.equal(a.catalog.count('remote'), 5)
    assert.equal(await a.catalog.expireRemote(60_000, Date.now() + 2 * 60_000), 5)
    assert.equal(a.catalog.count('remote'), 0)
  } finally {
    await stopAll(nodes)
  }
})
