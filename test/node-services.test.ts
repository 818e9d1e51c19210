// Capabilities as typed services (the js-libp2p shape `name(init)(components)`), the order a node starts
// its features in, and the typed getters that replaced the string lookup. Real nodes on 127.0.0.1.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { createEmbedder, type Embedder } from '../src/node/embedding'
import { gossip, gossipService, type GossipComponents } from '../src/node/gossip'
import { flood, floodService } from '../src/node/flood'
import { contentFeature, contentService, type ContentComponents } from '../src/node/content'
import { ledgerFeature } from '../src/node/economy'
import { createMeshNode, type MeshNode } from '../src/node/mesh-node'
import type { MeshFeature } from '../src/node/feature'
import type { MeshLibp2p } from '../src/node/transport/libp2p'
import { LOOPBACK_LISTEN, startTestNode, stopAll, tcpAddr, tempDir, waitFor } from './helpers/mesh'
import { CARILLON, CARILLON_QUERY } from './helpers/adapters'
import { makePeftFolder } from './helpers/peft'

let embedder: Embedder
const nodes: MeshNode[] = []

before(() => { embedder = createEmbedder() })
after(async () => {
  await stopAll(nodes)
  await embedder.close()
})

async function node (init: Parameters<typeof startTestNode>[0] = {}): Promise<MeshNode> {
  const n = await startTestNode({ embedder, ...init })
  nodes.push(n)
  return n
}

/** The same node's libp2p, seen without one of its services. */
function without (libp2p: MeshLibp2p, service: 'pubsub' | 'dht'): MeshLibp2p {
  const { [service]: _gone, ...services } = libp2p.services
  return Object.create(libp2p, { services: { value: services } }) as MeshLibp2p
}

test('a feature starts after the feature it needs, wherever the list puts it, and stops before it', async () => {
  const ledger = ledgerFeature({ minJoinDifficulty: 8, syncIntervalMs: 0, autoJoin: false })
  const content = contentFeature({ payments: ledger })
  const n = await node({ features: [content, ledger, flood()] })
  assert.deepEqual(n.features.map(f => f.name), ['ledger', 'content', 'flood'], 'content is paid through the ledger, so the ledger starts first')
  assert.equal(n.content, content)
  assert.equal(n.wallet, ledger)
  assert.deepEqual(Object.keys(n.status().features), ['content', 'ledger', 'flood'], 'status figures stay keyed by name, in the order the list gives')
})

test('a node whose feature needs one it does not run refuses to start with a one-line error, and starts once the list is complete', async () => {
  const dataDir = await tempDir()
  const ledger = ledgerFeature({ minJoinDifficulty: 8, syncIntervalMs: 0, autoJoin: false })
  const broken = createMeshNode({ dataDir, embedder, listen: LOOPBACK_LISTEN, mdns: false, features: [contentFeature({ payments: ledger })] })
  await assert.rejects(broken.start(), (err: Error) => err.name === 'FeatureOrderError' && /content needs ledger.*add it to the node's features/.test(err.message) && !err.message.includes('\n'))
  assert.equal(broken.state, 'stopped')
  // Nothing was left held: the same data dir starts with the complete list.
  const fixed = createMeshNode({ dataDir, embedder, listen: LOOPBACK_LISTEN, mdns: false, features: [contentFeature({ payments: ledger }), ledger] })
  nodes.push(fixed)
  await fixed.start()
  assert.deepEqual(fixed.features.map(f => f.name), ['ledger', 'content'])
})

test('features that need each other in a circle are refused, naming the circle', async () => {
  const a = { name: 'a', after: [] as MeshFeature[], start: async () => {}, stop: async () => {} }
  const b: MeshFeature = { name: 'b', after: [a], start: async () => {}, stop: async () => {} }
  a.after.push(b)
  const n = createMeshNode({ dataDir: await tempDir(), embedder, listen: LOOPBACK_LISTEN, mdns: false, features: [a, b] })
  await assert.rejects(n.start(), (err: Error) => err.name === 'FeatureOrderError' && /a → b → a/.test(err.message))
  assert.equal(n.state, 'stopped')
})

test('node.gossip is the typed gossip feature (no string lookup); absent when the node runs no gossip', async () => {
  const g = gossip({ intervalMs: 0 })
  const n = await node({ features: [g] })
  assert.equal(n.gossip, g)
  await n.gossip.round()
  assert.equal(typeof n.gossip.status().rounds, 'number')
  const plain = await node({ features: [flood()] })
  assert.equal(plain.gossip, undefined)
})

test('gossipService(init)(components) syncs a catalog over a node\'s components; components without gossipsub are refused, naming it', async () => {
  const dir = await tempDir()
  await writeFile(path.join(dir, 'one.jsonl'), JSON.stringify(CARILLON) + '\n')
  const holder = await node({ features: [gossip({ intervalMs: 0 })] })
  await holder.catalog.import(path.join(dir, 'one.jsonl'))
  const n = await node({ features: [] })
  const service = gossipService({ intervalMs: 0 })(n)
  await service.start()
  try {
    await n.connect(tcpAddr(holder))
    await waitFor('the holder to be a neighbour', () => n.neighbours.has(holder.peerId.toString()), 30_000)
    await waitFor('the adapter to arrive by gossip', async () => { await service.round(); return n.catalog.count('remote') === 1 }, 30_000, 300)
    assert.equal(n.catalog.list('remote')[0].manifest.id, CARILLON.id)
  } finally {
    await service.stop()
  }
  const components: GossipComponents = {
    libp2p: without(n.libp2p, 'pubsub'), catalog: n.catalog, neighbours: n.neighbours, drops: n.drops, log: n.log,
    penalise: (p, r) => n.penalise(p, r), addEventListener: n.addEventListener.bind(n), removeEventListener: n.removeEventListener.bind(n)
  }
  await assert.rejects(gossipService()(components).start(), (err: Error & { missing?: string[] }) => err.name === 'MissingServiceError' && err.missing?.join() === '@libp2p/pubsub')
})

test('floodService(init)(components) finds an adapter only a far node holds', async () => {
  const dir = await tempDir()
  await writeFile(path.join(dir, 'far.jsonl'), JSON.stringify(CARILLON) + '\n')
  const far = await node({ features: [flood()] })
  await far.catalog.import(path.join(dir, 'far.jsonl'))
  const n = await node({ features: [] })
  const service = floodService()(n)
  await service.start()
  try {
    await n.connect(tcpAddr(far))
    await waitFor('the far node to be a neighbour', () => n.neighbours.has(far.peerId.toString()), 30_000)
    const [vector] = await embedder.embed([CARILLON_QUERY])
    const found: string[] = []
    for await (const batch of service.search({ vector, text: CARILLON_QUERY }, { timeoutMs: 10_000 })) found.push(...batch.results.map(r => r.manifest.id))
    assert.ok(found.includes(CARILLON.id), `found ${found.join(', ')}`)
  } finally {
    await service.stop()
  }
})

test('contentService(init)(components) publishes over a node\'s components; components without the DHT are refused, naming it', async () => {
  const n = await node({ features: [] })
  const components: ContentComponents = {
    libp2p: without(n.libp2p, 'dht'), peerId: n.peerId, dataDir: n.dataDir, log: n.log, drops: n.drops, catalog: n.catalog,
    neighbours: n.neighbours, state: n.state, shutdownSignal: n.shutdownSignal, bootstrapped: n.bootstrapped
  }
  await assert.rejects(contentService()(components).start(), (err: Error & { missing?: string[] }) => err.name === 'MissingServiceError' && err.missing?.join() === '@libp2p/kad-dht')
  const service = contentService()(n)
  await service.start()
  try {
    const folder = await makePeftFolder(path.join(await tempDir(), 'vine-canopy'), 'vine-canopy', 20_000)
    const published = await service.publish(folder)
    assert.equal(n.catalog.list('local').find(h => h.manifest.id === 'vine-canopy')?.manifest.name, published.manifest.name, 'the published adapter is in the node\'s own catalog')
    assert.equal((service.status() as { publishes: number }).publishes, 1)
  } finally {
    await service.stop()
  }
})
