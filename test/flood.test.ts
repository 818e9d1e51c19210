// Bounded flood search with real nodes on 127.0.0.1: TTL reach, dedup on a ring, early stop,
// continuing a search, origin privacy beyond the first hop, rate limits and bad input.
//
// Topology: nodes are connected explicitly (no bootstrap list), and each node's flood feature gets
// `forwardTo` = its line/ring neighbours, because peer exchange and the DHT may connect nodes beyond
// the line; flood frames only ever travel between the pinned neighbours.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { lpStream } from '@libp2p/utils'
import { createEmbedder, type Embedder } from '../src/node/embedding'
import { findSampleCatalog } from '../src/node/catalog/sample'
import { encodeEmbedding, parseAdapterFieldsJsonl, manifestSearchText, type AdapterFields } from '../src/node/manifest'
import { encodeJson } from '../src/node/transport/rpc'
import type { MeshNode } from '../src/node/mesh-node'
import { flood, FLOOD_PROTOCOL, type FloodFeature, type FloodBatch, type FloodSearch, type FloodSummary } from '../src/node/flood'
import { startTestNode, stopAll, tcpAddr, waitFor } from './helpers/mesh'

let embedder: Embedder
let fields: Map<string, AdapterFields>
const nodes: MeshNode[] = []

before(async () => {
  embedder = createEmbedder()
  const text = await readFile(findSampleCatalog(__dirname)!, 'utf8')
  fields = new Map(parseAdapterFieldsJsonl(text).entries.map(f => [f.id, f]))
})

after(async () => {
  await stopAll(nodes)
  await embedder.close()
})

interface Net { nodes: MeshNode[], ids: string[], frames: Array<Array<{ from: string, json: string }>> }

/** Starts `n` nodes wired as a line (or a ring) for flood frames, and connects them in that shape. */
async function startTopology (n: number, shape: 'line' | 'ring', floodInit: Parameters<typeof flood>[0] = {}): Promise<Net> {
  const ids: string[] = []
  const frames: Net['frames'] = []
  const net: MeshNode[] = []
  for (let i = 0; i < n; i++) {
    frames.push([])
    const adj = (): string[] => {
      const out: string[] = []
      const prev = i - 1 >= 0 ? i - 1 : shape === 'ring' ? n - 1 : -1
      const next = i + 1 < n ? i + 1 : shape === 'ring' ? 0 : -1
      for (const j of [prev, next]) if (j >= 0 && ids[j] !== undefined && j !== i && !out.includes(ids[j])) out.push(ids[j])
      return out
    }
    const node = await startTestNode({ embedder, maxNeighbours: 2, features: [flood({ ...floodInit, forwardTo: adj, tap: (from, frame) => frames[i].push({ from, json: JSON.stringify(frame) }) })] })
    net.push(node)
    nodes.push(node)
    ids.push(node.peerId.toString())
  }
  const edges: Array<[number, number]> = []
  for (let i = 1; i < n; i++) edges.push([i, i - 1])
  if (shape === 'ring') edges.push([0, n - 1])
  for (const [a, b] of edges) await net[a].connect(tcpAddr(net[b]))
  // Wait for identify so streams of our protocol can be opened on every edge.
  await waitFor('edges identified', async () => {
    for (const [a, b] of edges) {
      try {
        if (!(await net[a].libp2p.peerStore.get(net[b].peerId)).protocols.includes(FLOOD_PROTOCOL)) return false
        if (!(await net[b].libp2p.peerStore.get(net[a].peerId)).protocols.includes(FLOOD_PROTOCOL)) return false
      } catch { return false }
    }
    return true
  })
  return { nodes: net, ids, frames }
}

async function give (node: MeshNode, ...adapterIds: string[]): Promise<void> {
  const manifests = await node.catalog.publishFields(adapterIds.map(id => {
    const f = fields.get(id)
    assert.ok(f !== undefined, `sample adapter ${id}`)
    return f
  }))
  for (const m of manifests) await node.catalog.put(m, 'local')
}

const featureOf = (n: MeshNode): FloodFeature => n.flood!

async function vectorOf (text: string): Promise<Float32Array> {
  return (await embedder.embed([text]))[0]
}

/**
 * Collects a search's batches. With `stopWhen`, the search is cancelled once it holds (after every
 * frame in flight on `net` has landed), so tests do not wait out generous timeouts on a slow machine.
 */
async function collect (search: FloodSearch, stopWhen?: (ids: string[]) => boolean, net?: MeshNode[]): Promise<{ batches: FloodBatch[], summary: FloodSummary }> {
  const batches: FloodBatch[] = []
  let stopping = false
  for await (const b of search) {
    batches.push(b)
    if (!stopping && stopWhen?.(batches.flatMap(x => x.results.map(r => r.manifest.id))) === true) {
      stopping = true
      if (net !== undefined) await quiet(net)
      search.cancel()
    }
  }
  return { batches, summary: await search.summary }
}

/** Waits until every search frame sent between these nodes has been handled. */
async function quiet (net: MeshNode[]): Promise<void> {
  await waitFor('no search frame in flight', () => net.reduce((s, n) => { const x = featureOf(n).status(); return s + x.framesSent - x.framesHandled }, 0) === 0)
}

const has = (id: string) => (ids: string[]): boolean => ids.includes(id)

const VINEYARD = 'vineyard management assistant: grape cultivation, wine production and fermentation'

let line: Net
before(async () => {
  line = await startTopology(5, 'line')
  // Only the far end holds the adapter.
  await give(line.nodes[4], 'viticulture-expert-v3')
})

test('line of 5: an adapter 4 hops away is found with TTL 4 (hops reported), not with TTL 2', async () => {
  const origin = featureOf(line.nodes[0])
  const vector = await vectorOf(VINEYARD)
  const near = await collect(origin.search({ vector, text: VINEYARD }, { hops: 2, timeoutMs: 2_000 }))
  assert.equal(near.summary.total, 0)
  assert.equal(near.batches.length, 0)
  // The request really stopped after 2 hops: nodes 3 and 4 never processed it.
  assert.equal(featureOf(line.nodes[3]).status().requestsProcessed, 0)

  const far = await collect(origin.search({ vector, text: VINEYARD }, { hops: 4, timeoutMs: 30_000 }), has('viticulture-expert-v3'), line.nodes)
  const all = far.batches.flatMap(b => b.results)
  const hit = all.find(r => r.manifest.id === 'viticulture-expert-v3')
  assert.ok(hit !== undefined, `found: ${all.map(r => r.manifest.id).join(', ')}`)
  assert.equal(hit.hops, 4)
  assert.equal(hit.sourcePeer, line.ids[4])
  assert.equal(far.batches[0].hops, 4)
  assert.equal(far.summary.peersAnswered, 1)
  assert.ok(hit.similarity > 0.4 && hit.similarity <= 1)
  // Found results are cached as remote entries, available from the peer that answered.
  await waitFor('result cached', () => line.nodes[0].catalog.list('remote').some(h => h.manifest.id === 'viticulture-expert-v3'))
  const cached = line.nodes[0].catalog.list('remote').find(h => h.manifest.id === 'viticulture-expert-v3')!
  assert.deepEqual(cached.availableFrom, [line.ids[4]])
})

test('the origin\'s PeerId never reaches a node more than one hop away', async () => {
  for (const f of line.frames) f.length = 0
  const origin = featureOf(line.nodes[0])
  const { summary } = await collect(origin.search({ vector: await vectorOf('grape harvest timing for wine'), text: 'grape harvest timing for wine' }, { hops: 4, timeoutMs: 30_000 }), has('viticulture-expert-v3'), line.nodes)
  assert.equal(summary.peersAnswered, 1)
  const originId = line.ids[0]
  // Sanity: the first hop heard from the origin, and the far end saw the request.
  assert.ok(line.frames[1].some(f => f.from === originId))
  assert.ok(line.frames[4].some(f => f.json.includes('"type":"request"')))
  for (let i = 2; i < 5; i++) {
    for (const f of line.frames[i]) {
      assert.notEqual(f.from, originId, `node ${i} got a frame straight from the origin`)
      assert.ok(!f.json.includes(originId), `node ${i} saw the origin's id in ${f.json.slice(0, 200)}`)
    }
  }
})

test('early stop: enough results with the best above 0.9 end the search before the timeout', async () => {
  const text = manifestSearchText(fields.get('viticulture-expert-v3')!)
  const { summary, batches } = await collect(featureOf(line.nodes[0]).search({ vector: await vectorOf(text), text }, { hops: 4, timeoutMs: 30_000, minResults: 1 }))
  assert.equal(summary.reason, 'early-stop')
  assert.ok(batches[0].results[0].similarity > 0.9)
})

test('continue searching: a short first search misses the far result, the continuation finds it without repeating what was known', async () => {
  await give(line.nodes[1], 'fermentation-chemistry-v2')
  const origin = featureOf(line.nodes[0])
  const vector = await vectorOf(VINEYARD)
  const first = origin.search({ vector, text: VINEYARD }, { hops: 2, timeoutMs: 30_000 })
  const r1 = await collect(first, has('fermentation-chemistry-v2'), line.nodes)
  const ids1 = r1.batches.flatMap(b => b.results.map(r => r.manifest.id))
  assert.deepEqual(ids1, ['fermentation-chemistry-v2'])

  const second = origin.continue(first.id, { hops: 4, timeoutMs: 30_000 })
  const r2 = await collect(second, has('viticulture-expert-v3'), line.nodes)
  const ids2 = r2.batches.flatMap(b => b.results.map(r => r.manifest.id))
  assert.deepEqual(ids2, ['viticulture-expert-v3'])
  assert.equal(r2.summary.total, 2, 'the summary counts both rounds')
  assert.equal(r2.summary.peersAnswered, 2)
  // Node 1 was asked to skip what the origin knew: it did not answer again.
  assert.deepEqual(second.results().map(r => r.manifest.id).sort(), ['fermentation-chemistry-v2', 'viticulture-expert-v3'])
})

test('a search ends as soon as every peer within its hops has answered, not at the timeout, and loses no result', async () => {
  const origin = featureOf(line.nodes[0])
  const vector = await vectorOf(VINEYARD)
  // No stopWhen: the search must end by itself, long before its 30 s patience.
  const far = await collect(origin.search({ vector, text: VINEYARD }, { hops: 4, timeoutMs: 30_000, minResults: 50 }))
  assert.equal(far.summary.reason, 'complete')
  assert.ok(far.batches.flatMap(b => b.results).some(r => r.manifest.id === 'viticulture-expert-v3'), 'the far answer arrived before the search ended')
  const near = await collect(origin.search({ vector, text: VINEYARD }, { hops: 1, timeoutMs: 30_000 }))
  assert.equal(near.summary.reason, 'complete', 'a neighbour with nothing to offer also ends the search')
})

test('a peer that never answers keeps the search open until the timeout (no false "complete")', async () => {
  // The neighbour drops every request (rate limit 0) and so never says it is done.
  let silentId = ''
  const origin = await startTestNode({ embedder, maxNeighbours: 2, features: [flood({ forwardTo: () => [silentId] })] })
  const silent = await startTestNode({ embedder, maxNeighbours: 2, features: [flood({ requestsPerSecond: 0, forwardTo: () => [] })] })
  nodes.push(origin, silent)
  silentId = silent.peerId.toString()
  await origin.connect(tcpAddr(silent))
  await waitFor('identified', async () => { try { return (await origin.libp2p.peerStore.get(silent.peerId)).protocols.includes(FLOOD_PROTOCOL) } catch { return false } })
  const { summary } = await collect(featureOf(origin).search({ vector: await vectorOf(VINEYARD), text: VINEYARD }, { hops: 2, timeoutMs: 1_500 }))
  assert.equal(summary.reason, 'timeout')
  await stopAll([origin, silent])
})

test('a ring does not process a request twice', async () => {
  const ring = await startTopology(6, 'ring')
  await give(ring.nodes[3], 'viticulture-expert-v3')
  const { summary } = await collect(featureOf(ring.nodes[0]).search({ vector: await vectorOf(VINEYARD), text: VINEYARD }, { hops: 10, timeoutMs: 8_000 }))
  assert.equal(summary.total, 1)
  // Let every copy of the request land (the machine may be slow), then count.
  const stats = (): Array<{ framesSent: number, framesHandled: number }> => ring.nodes.map(n => featureOf(n).status())
  await waitFor('no search frame in flight', () => stats().reduce((s, x) => s + x.framesSent - x.framesHandled, 0) === 0)
  for (let i = 1; i < 6; i++) assert.equal(featureOf(ring.nodes[i]).status().requestsProcessed, 1, `node ${i}`)
  // The request went both ways round and met itself: duplicates were seen and dropped.
  const dups = ring.nodes.reduce((s, n) => s + featureOf(n).status().duplicates, 0)
  assert.ok(dups >= 1, `duplicates: ${dups}`)
  await stopAll(ring.nodes)
})

// ---- bad input -------------------------------------------------------------------------------

function unitVector (seed: number): Float32Array {
  const v = new Float32Array(384)
  let s = 0
  for (let i = 0; i < 384; i++) { v[i] = Math.sin(seed * 31 + i); s += v[i] * v[i] }
  for (let i = 0; i < 384; i++) v[i] /= Math.sqrt(s)
  return v
}

function requestFrame (over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'request',
    v: 1,
    id: [...crypto.getRandomValues(new Uint8Array(16))].map(b => b.toString(16).padStart(2, '0')).join(''),
    embedding: encodeEmbedding(unitVector(Math.random())),
    keywords: ['test'],
    filters: {},
    ttl: 1,
    path: [],
    ts: Date.now(),
    ...over
  }
}

async function sendRaw (from: MeshNode, to: MeshNode, frame: unknown): Promise<void> {
  const stream = await from.libp2p.dialProtocol(to.peerId, FLOOD_PROTOCOL)
  const lp = lpStream(stream)
  await lp.write(frame instanceof Uint8Array ? frame : encodeJson(frame))
  await stream.close().catch(() => {})
}

test('rate limit: a peer\'s requests beyond 10 per second are dropped and counted; other peers are still served', async () => {
  const target = line.nodes[2]
  const attacker = await startTestNode({ embedder })
  nodes.push(attacker)
  await attacker.connect(tcpAddr(target))
  const before = featureOf(target).status().requestsProcessed
  const droppedBefore = target.drops.get('flood', 'rate-limited')
  const N = 60
  const started = Date.now()
  await Promise.all(Array.from({ length: N }, () => sendRaw(attacker, target, requestFrame())))
  await waitFor('all frames handled', () => featureOf(target).status().requestsProcessed - before + target.drops.get('flood', 'rate-limited') - droppedBefore >= N)
  // A 10-per-second limit in one-second windows accepts at most 10 per window the burst touched
  // (a loaded machine stretches the burst over more windows).
  const allowed = 10 * (Math.ceil((Date.now() - started) / 1000) + 1)
  const accepted = featureOf(target).status().requestsProcessed - before
  assert.ok(accepted >= 1 && accepted <= allowed, `accepted ${accepted} of ${N} (at most ${allowed})`)
  assert.ok(target.drops.get('flood', 'rate-limited') - droppedBefore >= N - allowed)
  // The node still answers the line's own traffic.
  const { batches } = await collect(featureOf(line.nodes[0]).search({ vector: await vectorOf(VINEYARD), text: VINEYARD }, { hops: 4, timeoutMs: 30_000 }), has('viticulture-expert-v3'))
  assert.ok(batches.flatMap(b => b.results).some(r => r.manifest.id === 'viticulture-expert-v3'))
  await attacker.stop()
})

test('bad input: TTL above the clamp, stale and unknown responses are dropped and counted; forged paths and garbage cost the connection', async () => {
  const target = line.nodes[3]
  const attacker = await startTestNode({ embedder })
  nodes.push(attacker)
  await attacker.connect(tcpAddr(target))
  const count = (reason: string): number => target.drops.get('flood', reason)
  const base = { ttl: count('ttl'), stale: count('stale'), unknown: count('unknown-request'), forged: count('forged-path'), malformed: count('malformed'), invalid: count('invalid') }
  const processed = featureOf(target).status().requestsProcessed

  await sendRaw(attacker, target, requestFrame({ ttl: 11 }))
  await sendRaw(attacker, target, requestFrame({ ttl: 3, path: Array.from({ length: 8 }, (_, i) => i === 7 ? attacker.peerId.toString() : line.ids[i % 5]) }))
  await sendRaw(attacker, target, requestFrame({ ts: Date.now() - 60 * 60_000 }))
  await sendRaw(attacker, target, { type: 'response', v: 1, id: 'ab'.repeat(16), responder: attacker.peerId.toString(), hops: 1, path: [], results: [{ manifest: {}, similarity: 0.5 }] })
  await waitFor('ttl, stale and unknown counted', () => count('ttl') - base.ttl === 2 && count('stale') - base.stale === 1 && count('unknown-request') - base.unknown === 1)
  assert.equal(featureOf(target).status().requestsProcessed, processed, 'none of them was processed')
  assert.ok(!target.isBanned(attacker.peerId.toString()), 'over-limit TTLs and stale requests do not cost the connection')

  // A path whose last relay is not the sender: forged.
  await sendRaw(attacker, target, requestFrame({ ttl: 2, path: [line.ids[0]] }))
  await waitFor('forged path counted', () => count('forged-path') - base.forged === 1)
  assert.ok(target.isBanned(attacker.peerId.toString()))
  await attacker.stop()

  // Garbage and schema violations from a second peer.
  const attacker2 = await startTestNode({ embedder })
  nodes.push(attacker2)
  await attacker2.connect(tcpAddr(target))
  await sendRaw(attacker2, target, new TextEncoder().encode('{not json'))
  await waitFor('malformed counted', () => count('malformed') - base.malformed === 1)
  assert.ok(target.isBanned(attacker2.peerId.toString()))
  await attacker2.stop()
  const attacker3 = await startTestNode({ embedder })
  nodes.push(attacker3)
  await attacker3.connect(tcpAddr(target))
  await sendRaw(attacker3, target, requestFrame({ embedding: 'A'.repeat(2048) }))
  await waitFor('invalid counted', () => count('invalid') - base.invalid === 1)
  await attacker3.stop()
  assert.equal(featureOf(target).status().requestsProcessed, processed)

  // The node is still fine for everyone else.
  const { batches } = await collect(featureOf(line.nodes[0]).search({ vector: await vectorOf(VINEYARD), text: VINEYARD }, { hops: 4, timeoutMs: 30_000 }), has('viticulture-expert-v3'))
  assert.ok(batches.flatMap(b => b.results).some(r => r.manifest.id === 'viticulture-expert-v3'))
})
