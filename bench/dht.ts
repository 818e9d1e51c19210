// DHT provide and find-providers: latency and hop counts.
//
// - 50, 100, 200 nodes: real libp2p nodes (TCP on 127.0.0.1, noise, yamux, identify, ping) running
//   @libp2p/kad-dht 16 with the product's settings (/continuum/kad/1.0.0, server mode, pass-through
//   address mapper), all in this process. Each node dials 3 random earlier nodes, then runs one kad-dht
//   routing-table refresh (what kad-dht does periodically) so the tables fill. A random node provides a random CID, a
//   different random node looks for providers. Timed with the product's DhtStats (same hop counting
//   as `continuum dht stats`). Loopback has ~0 ms RTT, so these times are CPU and protocol cost.
// - 1,000 and 10,000 nodes (plus 50-200 as a cross-check): an in-process harness that runs kad-dht
//   16's lookup logic on a virtual clock: routing tables as kad-dht builds them (a prefix trie of depth
//   6 with 20 peers per bucket, so at most 1,280 contacts), lookups from the 20 closest contacts split
//   into 10 disjoint paths with 10 queries in flight per path, only peers closer than the one that
//   named them are followed, a path converges on its 20 closest; provide = that lookup then
//   ADD_PROVIDER to the 20 closest found. Latency: WAN-like RTTs (5 regions, 10-250 ms), a fresh
//   connection costs 3 RTTs (TCP + noise + multistream) and, conservatively, every peer's first
//   query in a lookup pays it (ADD_PROVIDER reuses the lookup's connection); "10% dead" keeps 10% of nodes in routing tables but unresponsive (1 s timeout).
//
// Usage: npm run bench -- dht [--json] [--only real|sim] [--lookups N] [--sizes 50,100,200]
import '../src/node/polyfills'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { kadDHT, passthroughMapper, type KadDHT } from '@libp2p/kad-dht'
import { createHash } from 'node:crypto'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { DhtStats } from '../src/node/dht/stats'
import { DHT_PROTOCOL } from '../src/node/transport/constants'
import { BenchReport, note, percentile } from './_report'
import { seededRandom as rng } from './_random'

const report = new BenchReport('dht')
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined
const LOOKUPS = process.argv.includes('--lookups') ? Number(process.argv[process.argv.indexOf('--lookups') + 1]) : 0

const mean = (xs: number[]): number => xs.length === 0 ? NaN : xs.reduce((s, x) => s + x, 0) / xs.length
const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d

function randomKey (rnd: () => number): CID {
  const bytes = new Uint8Array(32).map(() => Math.floor(rnd() * 256))
  return CID.createV1(0x55, Digest.create(0x12, createHash('sha256').update(bytes).digest()))
}

// ── real kad-dht nodes ───────────────────────────────────────────────────────

type DhtNode = Libp2p<{ identify: ReturnType<ReturnType<typeof identify>>, ping: ReturnType<ReturnType<typeof ping>>, dht: KadDHT }>

async function realNode (): Promise<DhtNode> {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { inboundConnectionThreshold: 100_000, maxIncomingPendingConnections: 1000, maxConnections: 400 },
    services: {
      identify: identify(),
      ping: ping({ maxOutboundStreams: 8 }),
      dht: kadDHT({ protocol: DHT_PROTOCOL, clientMode: false, peerInfoMapper: passthroughMapper })
    }
  }) as unknown as Promise<DhtNode>
}

async function realNetwork (n: number, lookups: number): Promise<void> {
  const rnd = rng(n)
  note(`real kad-dht: starting ${n} nodes…`)
  const started = performance.now()
  const nodes: DhtNode[] = []
  for (let i = 0; i < n; i += 10) nodes.push(...await Promise.all(Array.from({ length: Math.min(10, n - i) }, () => realNode())))
  note(`  ${n} nodes up after ${((performance.now() - started) / 1000).toFixed(1)} s; dialling`)
  // Each node dials 3 random earlier nodes; 16 nodes dial at a time (noise handshakes are CPU-bound here).
  const dials: Array<() => Promise<void>> = []
  for (let i = 1; i < n; i++) {
    const targets = new Set<number>()
    while (targets.size < Math.min(3, i)) targets.add(Math.floor(rnd() * i))
    dials.push(async () => { await Promise.all([...targets].map(t => nodes[i].dial(nodes[t].getMultiaddrs()[0], { signal: AbortSignal.timeout(20_000) }).catch(() => {}))) })
  }
  for (let i = 0; i < dials.length; i += 16) await Promise.all(dials.slice(i, i + 16).map(d => d()))
  note(`  dialled after ${((performance.now() - started) / 1000).toFixed(1)} s; refreshing routing tables`)
  // kad-dht adds a peer to its table only once connected to it; its periodic refresh (random lookups
  // per bucket) is what fills the tables of a new network. Run one refresh round on every node now.
  for (let i = 0; i < n; i += 10) {
    await Promise.all(nodes.slice(i, i + 10).map(x => (x.services.dht as unknown as { refreshRoutingTable: (o?: { signal?: AbortSignal }) => Promise<void> })
      .refreshRoutingTable({ signal: AbortSignal.timeout(30_000) }).catch(() => {})))
  }
  // Let identify and kad-dht's self-queries fill the routing tables.
  const target = Math.min(20, n - 1)
  const deadline = Date.now() + 60_000
  for (;;) {
    const sizes = nodes.map(x => (x.services.dht as unknown as { routingTable: { size: number } }).routingTable.size)
    if (sizes.every(s => s >= target) || Date.now() > deadline) break
    await new Promise(resolve => setTimeout(resolve, 500))
  }
  await new Promise(resolve => setTimeout(resolve, 3000))
  const sizes = nodes.map(x => (x.services.dht as unknown as { routingTable: { size: number } }).routingTable.size)
  note(`  ready in ${((performance.now() - started) / 1000).toFixed(1)} s; routing table size mean ${round(mean(sizes))}, min ${Math.min(...sizes)}`)
  const stats = nodes.map(x => new DhtStats(() => x.services.dht, () => x.peerId))
  const provideMs: number[] = []
  const provideHops: number[] = []
  const findMs: number[] = []
  const findHops: number[] = []
  let found = 0
  for (let q = 0; q < lookups; q++) {
    const p = Math.floor(rnd() * n)
    let f = Math.floor(rnd() * n)
    if (f === p) f = (f + 1) % n
    const key = randomKey(rnd)
    try {
      const r = await stats[p].provide(key, { signal: AbortSignal.timeout(60_000) })
      provideMs.push(r.elapsedMs)
      provideHops.push(r.hops)
    } catch (err) {
      note(`  provide failed: ${(err as Error).message}`)
    }
    const r = await stats[f].findProviders(key, { limit: 1, signal: AbortSignal.timeout(30_000) })
    if (r.providers.some(x => x.id.equals(nodes[p].peerId))) {
      found++
      findMs.push(r.elapsedMs)
      findHops.push(r.hops)
    }
  }
  const c = `${n} nodes`
  const sys = 'kad-dht 16, loopback TCP'
  report.add({ case: c, system: sys, metric: 'routing table size (mean)', value: round(mean(sizes)), unit: 'peers' })
  report.add({ case: c, system: sys, metric: 'provide mean', value: round(mean(provideMs)), unit: 'ms' })
  report.add({ case: c, system: sys, metric: 'provide p90', value: round(percentile(provideMs, 90)), unit: 'ms' })
  report.add({ case: c, system: sys, metric: 'provide hops (mean)', value: round(mean(provideHops), 2), unit: 'hops' })
  report.add({ case: c, system: sys, metric: 'find-providers mean', value: round(mean(findMs)), unit: 'ms' })
  report.add({ case: c, system: sys, metric: 'find-providers p90', value: round(percentile(findMs, 90)), unit: 'ms' })
  report.add({ case: c, system: sys, metric: 'find-providers hops (mean)', value: round(mean(findHops), 2), unit: 'hops' })
  report.add({ case: c, system: sys, metric: 'lookups that found the provider', value: round(100 * found / lookups), unit: '%' })
  note(`  provide mean ${round(mean(provideMs))} ms, find mean ${round(mean(findMs))} ms, found ${found}/${lookups}`)
  await Promise.all(nodes.map(x => x.stop()))
}

// ── simulated harness: kad-dht 16's lookup logic on a virtual clock ──────────

const K = 20
const ALPHA = 10
const PATHS = 10
const PREFIX_BITS = 6
const TIMEOUT_MS = 1000
const REGION_MS = [
  [5, 40, 75, 90, 110],
  [40, 5, 60, 80, 100],
  [75, 60, 5, 40, 120],
  [90, 80, 40, 5, 70],
  [110, 100, 120, 70, 5]
]

class SimNetwork {
  readonly hi: Uint32Array
  readonly lo: Uint32Array
  readonly region: Uint8Array
  readonly access: Float32Array
  readonly dead: Uint8Array
  readonly table: Int32Array[] = []
  readonly tableSet: Array<Set<number>> = []
  readonly providers = new Map<string, Set<number>>()

  constructor (readonly n: number, deadFraction: number, readonly rnd: () => number) {
    this.hi = new Uint32Array(n)
    this.lo = new Uint32Array(n)
    this.region = new Uint8Array(n)
    this.access = new Float32Array(n)
    this.dead = new Uint8Array(n)
    for (let i = 0; i < n; i++) {
      this.hi[i] = Math.floor(rnd() * 2 ** 32)
      this.lo[i] = Math.floor(rnd() * 2 ** 32)
      this.region[i] = Math.floor(rnd() * 5)
      this.access[i] = 1 + rnd() * 14
      if (i > 0 && rnd() < deadFraction) this.dead[i] = 1
    }
    // kad-dht 16's table: a trie on the first 6 bits of the kad id, 20 peers per bucket.
    const groups: number[][] = Array.from({ length: 2 ** PREFIX_BITS }, () => [])
    for (let i = 0; i < n; i++) groups[this.hi[i] >>> (32 - PREFIX_BITS)].push(i)
    for (let i = 0; i < n; i++) {
      const contacts: number[] = []
      for (const g of groups) {
        if (g.length <= K + 1) { for (const x of g) if (x !== i) contacts.push(x); continue }
        const picked = new Set<number>()
        while (picked.size < K) { const x = g[Math.floor(rnd() * g.length)]; if (x !== i) picked.add(x) }
        contacts.push(...picked)
      }
      this.table.push(Int32Array.from(contacts))
      this.tableSet.push(new Set(contacts))
    }
  }

  /** One-way latency between two nodes. */
  oneWay (a: number, b: number): number {
    return this.access[a] + this.access[b] + REGION_MS[this.region[a]][this.region[b]]
  }

  /** XOR distance of node x to target as a sortable pair folded into a float (top 53 bits). */
  dist (x: number, thi: number, tlo: number): number {
    return ((this.hi[x] ^ thi) >>> 0) * 2 ** 21 + (((this.lo[x] ^ tlo) >>> 0) >>> 11)
  }

  closestInTable (x: number, thi: number, tlo: number, k: number): number[] {
    const t = this.table[x]
    const scored: Array<[number, number]> = []
    for (let i = 0; i < t.length; i++) scored.push([this.dist(t[i], thi, tlo), t[i]])
    scored.sort((a, b) => a[0] - b[0])
    return scored.slice(0, k).map(s => s[1])
  }
}

interface LookupResult { ms: number, hops: number, messages: number, closest: number[], found: boolean }

/** kad-dht 16's query: d disjoint paths from our k closest, alpha per path, closer-only, per-path k-closest convergence. */
function simLookup (net: SimNetwork, origin: number, thi: number, tlo: number, providerKey?: string): LookupResult {
  const start = net.closestInTable(origin, thi, tlo, K)
  for (let i = start.length - 1; i > 0; i--) { const j = Math.floor(net.rnd() * (i + 1)); [start[i], start[j]] = [start[j], start[i]] }
  const seen = new Set<number>([origin, ...start])
  // Conservative: every first contact in a lookup pays for a new connection.
  const connected = new Set<number>()
  const hop = new Map<number, number>()
  for (const s of start) hop.set(s, 1)
  interface Path { queue: number[], running: number, closest: number[] }
  const paths: Path[] = Array.from({ length: Math.min(PATHS, start.length) }, () => ({ queue: [], running: 0, closest: [] }))
  start.forEach((s, i) => paths[i % paths.length].queue.push(s))
  // Event queue on a virtual clock: [time, path, peer].
  const events: Array<[number, number, number]> = []
  const push = (e: [number, number, number]): void => {
    let lo = 0; let hi = events.length
    while (lo < hi) { const m = (lo + hi) >> 1; if (events[m][0] <= e[0]) lo = m + 1; else hi = m }
    events.splice(lo, 0, e)
  }
  const d = (x: number): number => net.dist(x, thi, tlo)
  const canAdd = (p: Path, x: number): boolean => p.closest.length < K || d(x) < d(p.closest[p.closest.length - 1])
  const addClosest = (p: Path, x: number): void => {
    if (p.closest.includes(x)) return
    p.closest.push(x)
    p.closest.sort((a, b) => d(a) - d(b))
    if (p.closest.length > K) p.closest.length = K
  }
  let messages = 0
  const dispatch = (pi: number, now: number): void => {
    const p = paths[pi]
    p.queue.sort((a, b) => d(a) - d(b))
    while (p.running < ALPHA && p.queue.length > 0) {
      const x = p.queue.shift()!
      if (!canAdd(p, x)) continue
      p.running++
      messages++
      const rtt = 2 * net.oneWay(origin, x)
      const cost = net.dead[x] === 1 ? TIMEOUT_MS : (connected.has(x) ? rtt : 3 * rtt) + 1
      connected.add(x)
      push([now + cost, pi, x])
    }
  }
  for (let i = 0; i < paths.length; i++) dispatch(i, 0)
  let now = 0
  while (events.length > 0) {
    const [t, pi, x] = events.shift()!
    now = t
    const p = paths[pi]
    p.running--
    if (net.dead[x] === 0) {
      if (providerKey !== undefined && net.providers.get(providerKey)?.has(x) === true) {
        return { ms: now, hops: hop.get(x) ?? 1, messages, closest: [], found: true }
      }
      addClosest(p, x)
      for (const c of net.closestInTable(x, thi, tlo, K)) {
        if (seen.has(c) || c === origin) continue
        if (d(c) >= d(x)) continue
        if (!canAdd(p, c)) continue
        seen.add(c)
        hop.set(c, (hop.get(x) ?? 1) + 1)
        p.queue.push(c)
      }
    }
    dispatch(pi, now)
  }
  const all = [...new Set(paths.flatMap(p => p.closest))].sort((a, b) => d(a) - d(b)).slice(0, K)
  const maxHop = Math.max(0, ...[...seen].map(s => hop.get(s) ?? 0))
  return { ms: now, hops: maxHop, messages, closest: all, found: false }
}

function simNetwork (n: number, deadFraction: number, lookups: number): void {
  const rnd = rng(1000 + n + Math.round(deadFraction * 100))
  const t0 = performance.now()
  const net = new SimNetwork(n, deadFraction, rnd)
  note(`sim: ${n} nodes${deadFraction > 0 ? `, ${deadFraction * 100}% dead` : ''} (tables built in ${((performance.now() - t0) / 1000).toFixed(1)} s)`)
  const alive = (): number => { for (;;) { const x = Math.floor(rnd() * n); if (net.dead[x] === 0) return x } }
  const provideMs: number[] = []
  const provideHops: number[] = []
  const findMs: number[] = []
  const findHops: number[] = []
  const messages: number[] = []
  let found = 0
  for (let q = 0; q < lookups; q++) {
    const thi = Math.floor(rnd() * 2 ** 32)
    const tlo = Math.floor(rnd() * 2 ** 32)
    const key = `${thi}:${tlo}`
    const p = alive()
    const r = simLookup(net, p, thi, tlo)
    // ADD_PROVIDER to the k closest found, in parallel: the slowest answer ends the provide.
    let extra = 0
    const holders = new Set<number>([p])
    for (const x of r.closest) {
      if (net.dead[x] === 1) { extra = Math.max(extra, TIMEOUT_MS); continue }
      extra = Math.max(extra, 2 * net.oneWay(p, x))
      holders.add(x)
    }
    net.providers.set(key, holders)
    provideMs.push(r.ms + extra)
    provideHops.push(r.hops)
    let f = alive()
    while (f === p) f = alive()
    const fr = simLookup(net, f, thi, tlo, key)
    messages.push(fr.messages)
    if (fr.found) { found++; findMs.push(fr.ms); findHops.push(fr.hops) }
  }
  const c = `${n.toLocaleString('en')} nodes${deadFraction > 0 ? `, ${deadFraction * 100}% dead` : ''}`
  const sys = 'sim: kad-dht 16 logic, WAN latency'
  report.add({ case: c, system: sys, metric: 'provide mean', value: round(mean(provideMs)), unit: 'ms' })
  report.add({ case: c, system: sys, metric: 'provide p90', value: round(percentile(provideMs, 90)), unit: 'ms' })
  report.add({ case: c, system: sys, metric: 'provide hops (mean)', value: round(mean(provideHops), 2), unit: 'hops' })
  report.add({ case: c, system: sys, metric: 'find-providers mean', value: round(mean(findMs)), unit: 'ms' })
  report.add({ case: c, system: sys, metric: 'find-providers p90', value: round(percentile(findMs, 90)), unit: 'ms' })
  report.add({ case: c, system: sys, metric: 'find-providers hops (mean)', value: round(mean(findHops), 2), unit: 'hops' })
  report.add({ case: c, system: sys, metric: 'find-providers messages (mean)', value: round(mean(messages)), unit: 'msgs' })
  report.add({ case: c, system: sys, metric: 'lookups that found the provider', value: round(100 * found / lookups), unit: '%' })
  note(`  provide mean ${round(mean(provideMs))} ms; find mean ${round(mean(findMs))} ms p90 ${round(percentile(findMs, 90))} ms, hops ${round(mean(findHops), 2)}, found ${found}/${lookups}`)
}

async function main (): Promise<void> {
  if (only === undefined || only === 'sim') {
    for (const n of [50, 100, 200, 1000, 10_000]) simNetwork(n, 0, LOOKUPS > 0 ? LOOKUPS : 200)
    for (const n of [1000, 10_000]) simNetwork(n, 0.1, LOOKUPS > 0 ? LOOKUPS : 200)
  }
  if (only === undefined || only === 'real') {
    const sizes = process.argv.includes('--sizes') ? process.argv[process.argv.indexOf('--sizes') + 1].split(',').map(Number) : [50, 100, 200]
    for (const n of sizes) await realNetwork(n, LOOKUPS > 0 ? LOOKUPS : 20)
  }
  report.print()
}

main().catch(err => { console.error(err); process.exit(1) })
