// Social post propagation: 100 nodes in one process on libp2p's memory transport (127.0.0.1 is not even
// used), a random neighbour graph of degree ~8, running the real social gossip (src/node/social/gossip.ts:
// the gossipsub topic plus the incremental pull rounds). Measured in the same run:
// - topic: time until 95% of the nodes hold a post published on the topic (p50, p95 over the posts), and
//   what gossipsub sent for it: every copy of the message to every peer (duplicates included) and the
//   IHAVE/IWANT ids, counted at gossipsub's sendRpc (field bytes; protobuf framing not included);
// - pull only (the topic's backstop, the catalog's change-log scheme): rounds until 95% hold every post, and
//   the bytes those rounds moved per post (request and answer frames, counted exactly by the protocol's meter);
// - baseline: a naive flood (each node forwards each new post to every neighbour but the sender) on the same
//   graph: messages and bytes per post, counted on the graph.
// Shortcuts: nodes keep items in a light in-memory store (no embedding, no disk), items are checked by the
// real checkItem (schema, id, signature) before they are kept. Bounded: each wait gives up after 30 s.
//
// Usage: npm run bench -- social [--json]
import '../src/node/polyfills'
import { createLibp2p } from 'libp2p'
import { memory } from '@libp2p/memory'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import { gossipsub } from '@libp2p/gossipsub'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { SocialGossip, type SocialGossipStore } from '../src/node/social/gossip'
import { signItem } from '../src/node/social/item'
import type { SocialItem } from '../src/node/social/schema'
import type { MeshLibp2p } from '../src/node/transport/libp2p'
import { encodeJson } from '../src/node/transport/rpc'
import { DropCounters } from '../src/node/util/counters'
import { createLogger } from '../src/node/util/logger'
import { BenchReport, note, percentile } from './_report'
import { seededRandom } from './_random'

const NODES = Number(process.env.BENCH_NODES ?? 100)
const POSTS = Number(process.env.BENCH_POSTS ?? 20)
const DEGREE = 8
const TARGET = 0.95
const WAIT_MS = 30_000
const MAX_ROUNDS = 30
const report = new BenchReport('social')

/** What a simulated node holds: the items, kept as the social layer would once they verified. */
class SimStore {
  readonly held = new Map<string, SocialItem>()
  engine?: SocialGossip

  view (): SocialGossipStore {
    return {
      items: () => this.held.values(),
      item: id => this.held.get(id),
      has: id => this.held.has(id),
      offer: async check => {
        if (this.held.has(check.item.id)) return 'duplicate'
        this.add(check.item)
        return 'stored'
      }
    }
  }

  has (id: string): boolean { return this.held.has(id) }
  add (item: SocialItem): void { this.held.set(item.id, item); this.engine?.record(item) }
}

interface SimNode { key: PrivateKey, peerId: PeerId, libp2p: MeshLibp2p, store: SimStore, neighbours: PeerId[], engine?: SocialGossip }

/** The same random graph for every mode (seeded): each node links to DEGREE/2 random others. */
function graph (n: number): Array<[number, number]> {
  const rand = seededRandom(7)
  const links = new Set<string>()
  for (let i = 0; i < n; i++) {
    let made = 0
    for (let tries = 0; made < DEGREE / 2 && tries < 1000; tries++) {
      const j = Math.floor(rand() * n)
      const k = i < j ? `${i}-${j}` : `${j}-${i}`
      if (j === i || links.has(k)) continue
      links.add(k)
      made++
    }
  }
  return [...links].map(k => k.split('-').map(Number) as [number, number])
}

async function buildNetwork (keys: PrivateKey[], pairs: Array<[number, number]>, runId: string, intervalMs: number): Promise<SimNode[]> {
  const nodes: SimNode[] = []
  for (let i = 0; i < keys.length; i++) {
    const libp2p = await createLibp2p({
      privateKey: keys[i],
      addresses: { listen: [`/memory/social-${runId}-${i}`] },
      transports: [memory()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionManager: { maxConnections: 1000, inboundConnectionThreshold: 100_000, maxIncomingPendingConnections: 1000 },
      services: { identify: identify(), pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, scoreParams: { IPColocationFactorWeight: 0 } }) }
    }) as unknown as MeshLibp2p
    meterGossipsub(libp2p)
    nodes.push({ key: keys[i], peerId: libp2p.peerId, libp2p, store: new SimStore(), neighbours: [] })
  }
  for (let p = 0; p < pairs.length; p += 20) {
    await Promise.all(pairs.slice(p, p + 20).map(async ([i, j]) => {
      await nodes[i].libp2p.dial(multiaddr(`/memory/social-${runId}-${j}/p2p/${nodes[j].peerId.toString()}`))
      nodes[i].neighbours.push(nodes[j].peerId)
      nodes[j].neighbours.push(nodes[i].peerId)
    }))
  }
  const rand = seededRandom(11)
  const quiet = createLogger()
  for (const n of nodes) {
    n.engine = new SocialGossip({
      libp2p: n.libp2p,
      store: n.store.view(),
      neighbours: k => pick(n.neighbours, k, rand),
      drops: new DropCounters(),
      penalise: () => {},
      log: quiet,
      intervalMs
    })
    n.store.engine = n.engine
    await n.engine.start()
  }
  return nodes
}

function pick<T> (list: T[], n: number, rand: () => number): T[] {
  const copy = [...list]
  for (let i = copy.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [copy[i], copy[j]] = [copy[j], copy[i]] }
  return copy.slice(0, n)
}

const delay = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))
/** Bytes gossipsub sends (message fields of every copy, IHAVE/IWANT ids), counted at its sendRpc. */
const wire = { messages: 0, bytes: 0 }
interface RpcLike { messages?: Array<{ from?: Uint8Array, data?: Uint8Array, seqno?: Uint8Array, topic?: string, signature?: Uint8Array, key?: Uint8Array }>, control?: { ihave?: Array<{ messageIDs?: Uint8Array[] }>, iwant?: Array<{ messageIDs?: Uint8Array[] }> } }
function meterGossipsub (libp2p: MeshLibp2p): void {
  const ps = libp2p.services.pubsub as unknown as { sendRpc: (id: string, rpc: RpcLike) => boolean }
  const original = ps.sendRpc.bind(ps)
  ps.sendRpc = (id, rpc) => {
    for (const m of rpc.messages ?? []) {
      wire.messages++
      wire.bytes += (m.from?.byteLength ?? 0) + (m.data?.byteLength ?? 0) + (m.seqno?.byteLength ?? 0) + (m.topic?.length ?? 0) + (m.signature?.byteLength ?? 0) + (m.key?.byteLength ?? 0)
    }
    for (const c of [...(rpc.control?.ihave ?? []), ...(rpc.control?.iwant ?? [])]) for (const mid of c.messageIDs ?? []) wire.bytes += mid.byteLength
    return original(id, rpc)
  }
}

const coverage = (nodes: SimNode[], id: string): number => nodes.filter(n => n.store.has(id)).length / nodes.length

async function makePosts (keys: PrivateKey[]): Promise<Array<{ author: number, item: SocialItem }>> {
  const rand = seededRandom(3)
  const { peerIdFromPrivateKey } = await import('@libp2p/peer-id')
  const out: Array<{ author: number, item: SocialItem }> = []
  for (let i = 0; i < POSTS; i++) {
    const author = Math.floor(rand() * keys.length)
    const text = `Post ${i}: trying a new LoRA for ${['bartending', 'bell tuning', 'tax law', 'sourdough', 'chess openings'][i % 5]}; notes and results inside. `.repeat(2)
    out.push({ author, item: await signItem(keys[author], { v: 1, kind: 'post', author: peerIdFromPrivateKey(keys[author]).toString(), time: Date.now(), text }) })
  }
  return out
}

async function stopAll (nodes: SimNode[]): Promise<void> {
  for (const n of nodes) await n.engine?.stop()
  await Promise.all(nodes.map(async n => { await n.libp2p.stop() }))
}

async function main (): Promise<void> {
  const keys = await Promise.all(Array.from({ length: NODES }, async () => await generateKeyPair('Ed25519')))
  const pairs = graph(NODES)
  const posts = await makePosts(keys)
  const postBytes = posts.map(p => encodeJson(p.item).byteLength)
  const meanBytes = postBytes.reduce((s, b) => s + b, 0) / postBytes.length
  report.add({ case: `${NODES} nodes`, system: 'post', metric: 'signed item size', value: Math.round(meanBytes), unit: 'B' })

  // ---- topic (gossipsub) + pull backstop, rounds off: what the topic alone achieves
  {
    const nodes = await buildNetwork(keys, pairs, 'topic', 0)
    note(`topic: ${nodes.length} nodes, ${pairs.length} links; waiting for the gossipsub meshes`)
    await delay(3_000)
    const times: number[] = []
    let missed = 0
    wire.messages = 0
    wire.bytes = 0
    for (const p of posts) {
      const start = performance.now()
      nodes[p.author].store.add(p.item)
      await nodes[p.author].engine!.publish(p.item)
      let reached = false
      while (performance.now() - start < WAIT_MS) {
        if (coverage(nodes, p.item.id) >= TARGET) { reached = true; break }
        await delay(5)
      }
      if (reached) times.push(performance.now() - start)
      else missed++
    }
    // Let the last post's IHAVE gossip go out (heartbeats) before reading the meter.
    await delay(2_000)
    const sent = { ...wire }
    report.add({ case: `${NODES} nodes`, system: 'topic (gossipsub)', metric: `time to ${TARGET * 100}% p50`, value: Math.round(percentile(times, 50)), unit: 'ms' })
    report.add({ case: `${NODES} nodes`, system: 'topic (gossipsub)', metric: `time to ${TARGET * 100}% p95`, value: Math.round(percentile(times, 95)), unit: 'ms' })
    report.add({ case: `${NODES} nodes`, system: 'topic (gossipsub)', metric: `posts not at ${TARGET * 100}% within 30 s`, value: missed, unit: 'posts' })
    report.add({ case: `${NODES} nodes`, system: 'topic (gossipsub)', metric: 'message copies sent per post', value: Math.round(sent.messages / posts.length), unit: 'msgs' })
    report.add({ case: `${NODES} nodes`, system: 'topic (gossipsub)', metric: 'bytes per post (copies + IHAVE/IWANT ids)', value: Math.round(sent.bytes / posts.length), unit: 'B' })
    await stopAll(nodes)
  }

  // ---- pull rounds only (no topic publish): the backstop's rounds and bytes
  {
    const nodes = await buildNetwork(keys, pairs, 'pull', 0)
    note(`pull: ${nodes.length} nodes`)
    for (const p of posts) nodes[p.author].store.add(p.item)
    let rounds = 0
    const start = performance.now()
    while (rounds < MAX_ROUNDS && !posts.every(p => coverage(nodes, p.item.id) >= TARGET) && performance.now() - start < WAIT_MS * 4) {
      await Promise.all(nodes.map(async n => await n.engine!.round()))
      rounds++
    }
    const bytes = nodes.reduce((s, n) => s + n.engine!.stats.bytesOut, 0)
    report.add({ case: `${NODES} nodes`, system: 'pull rounds (change log)', metric: `rounds to ${TARGET * 100}% (every post)`, value: rounds, unit: 'rounds' })
    report.add({ case: `${NODES} nodes`, system: 'pull rounds (change log)', metric: 'bytes per post (to that point)', value: Math.round(bytes / posts.length), unit: 'B' })
    // A round when nothing changed: what the backstop costs a node at rest.
    const before = nodes.reduce((s, n) => s + n.engine!.stats.bytesOut, 0)
    await Promise.all(nodes.map(async n => await n.engine!.round()))
    const idle = nodes.reduce((s, n) => s + n.engine!.stats.bytesOut, 0) - before
    report.add({ case: `${NODES} nodes`, system: 'pull rounds (change log)', metric: 'idle round, per node', value: Math.round(idle / nodes.length), unit: 'B' })
    await stopAll(nodes)
  }

  // ---- baseline: naive flood on the same graph (each node forwards a new post to every other neighbour)
  {
    const adj: number[][] = Array.from({ length: NODES }, () => [])
    for (const [i, j] of pairs) { adj[i].push(j); adj[j].push(i) }
    let messages = 0
    for (const p of posts) {
      const seen = new Set([p.author])
      const queue: Array<[number, number]> = adj[p.author].map(n => [n, p.author])
      messages += adj[p.author].length
      while (queue.length > 0) {
        const [at, from] = queue.shift()!
        if (seen.has(at)) continue
        seen.add(at)
        for (const n of adj[at]) if (n !== from) { messages++; queue.push([n, at]) }
      }
    }
    report.add({ case: `${NODES} nodes`, system: 'naive flood (baseline)', metric: 'messages per post', value: Math.round(messages / posts.length), unit: 'msgs' })
    report.add({ case: `${NODES} nodes`, system: 'naive flood (baseline)', metric: 'bytes per post', value: Math.round(messages / posts.length * meanBytes), unit: 'B' })
  }
  report.print()
}

main().then(() => process.exit(0), err => { console.error(err); process.exit(1) })
