// Bounded flood search: the patience curve (recall@10 against an exhaustive search, as a function of
// timeout and TTL), time to first result and messages per query, for naive flooding (forward to every
// neighbour), random forwarding, the design's keyword-overlap rule and smart forwarding (fan-out 3).
//
// - 100 nodes: real libp2p nodes (memory transport, noise, yamux, identify) each running the
//   product's FloodService (the same code as a full node; a small in-memory catalog stands in for the
//   vector index, which is benchmarked on its own).
// - 1,000 nodes: an in-process harness that drives the same FloodEngine, frames passed as objects
//   with a simulated per-hop latency (uniform 5-25 ms), since 1,000 libp2p nodes do not fit here.
//
// Random degree-8 graph; the 320 demo adapters are each placed on 2 random nodes. Nodes know what
// their direct neighbours hold (what catalog gossip gives them) and learn from responses during 60
// warm-up queries; measured queries are different ones.
//
// Usage: npm run bench -- flood [--json] [--quick] [--only 100|1000] [--svg bench/flood-patience.svg]
// (--trace: print per-hop arrival times of a few searches on the 100-node network and exit)
import '../src/node/polyfills'
import { readFile, writeFile } from 'node:fs/promises'
import { createLibp2p, type Libp2p } from 'libp2p'
import { memory } from '@libp2p/memory'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import { multiaddr } from '@multiformats/multiaddr'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createEmbedder } from '../src/node/embedding'
import { findSampleCatalog } from '../src/node/catalog/sample'
import { catalogKey, type CatalogHit } from '../src/node/catalog/catalog'
import { buildUnsignedManifest, manifestEmbedding, manifestSearchText, parseAdapterFieldsJsonl, signManifest, type AdapterManifest } from '../src/node/manifest'
import { DropCounters } from '../src/node/util/counters'
import { createLogger } from '../src/node/util/logger'
import { FloodEngine, FloodService, FLOOD_PROTOCOL, type FloodCatalog, type ForwardingStrategy, type NetworkResult } from '../src/node/flood'
import { dot } from '../src/node/flood/forwarding'
import { BenchReport, jsonOutput, note, percentile } from './_report'
import { seededRandom as rng } from './_random'

const report = new BenchReport('flood')
const quick = process.argv.includes('--quick')
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined
const svgPath = process.argv.includes('--svg') ? process.argv[process.argv.indexOf('--svg') + 1] : undefined
const trace: Array<{ t: number, type: string, depth: number, hops?: number }> | undefined = process.argv.includes('--trace') ? [] : undefined
const STRATEGIES: ForwardingStrategy[] = ['naive', 'random', 'keyword', 'smart']
const TIMES = [100, 250, 500, 1000, 2000, 5000]
const MIN_SIM = 0.3
const COPIES = 2
const WARMUP = Number(process.env.FLOOD_WARMUP ?? 60)
const DEGREE = 8

/** Random graph where every node has degree ≥ `degree` (stub matching, then top-ups). */
function randomGraph (n: number, degree: number, rnd: () => number): Set<number>[] {
  const adj = Array.from({ length: n }, () => new Set<number>())
  const stubs: number[] = []
  for (let i = 0; i < n; i++) for (let d = 0; d < degree; d++) stubs.push(i)
  for (let i = stubs.length - 1; i > 0; i--) { const j = Math.floor(rnd() * (i + 1)); [stubs[i], stubs[j]] = [stubs[j], stubs[i]] }
  for (let i = 0; i + 1 < stubs.length; i += 2) { const a = stubs[i], b = stubs[i + 1]; if (a !== b) { adj[a].add(b); adj[b].add(a) } }
  for (let i = 0; i < n; i++) {
    while (adj[i].size < degree) { const j = Math.floor(rnd() * n); if (j !== i) { adj[i].add(j); adj[j].add(i) } }
  }
  return adj
}

interface World {
  manifests: AdapterManifest[]
  vectors: Float32Array[]
  queries: Array<{ text: string, vector: Float32Array, truth: string[] }>
  warmup: Array<{ text: string, vector: Float32Array }>
}

async function buildWorld (): Promise<World> {
  const text = await readFile(findSampleCatalog(__dirname)!, 'utf8')
  const fields = parseAdapterFieldsJsonl(text).entries
  const embedder = createEmbedder()
  try {
    const key = await generateKeyPair('Ed25519')
    const publisher = peerIdFromPrivateKey(key)
    const vecs = await embedder.embed(fields.map(f => manifestSearchText(f)))
    const manifests: AdapterManifest[] = []
    for (let i = 0; i < fields.length; i++) manifests.push(await signManifest(buildUnsignedManifest({ ...fields[i], embedding: vecs[i], publisher }), key))
    const vectors = manifests.map(m => manifestEmbedding(m))
    // Queries: what someone building with an adapter might type: its specializations and domain words.
    const r = rng(7)
    const pick = (n: number): string[] => Array.from({ length: n }, () => {
      const f = fields[Math.floor(r() * fields.length)]
      return `${f.specializations.slice(0, 3).join(', ')} for ${f.domain.replace(/[/-]/g, ' ')}`
    })
    const qTexts = pick(quick ? 12 : 30)
    const wTexts = pick(WARMUP)
    const qVecs = await embedder.embed(qTexts)
    const wVecs = await embedder.embed(wTexts)
    const queries = qTexts.map((t, i) => {
      const sims = vectors.map((v, j) => ({ key: catalogKey(manifests[j]), s: dot(qVecs[i], v) })).filter(x => x.s >= MIN_SIM).sort((a, b) => b.s - a.s)
      return { text: t, vector: qVecs[i], truth: sims.slice(0, 10).map(x => x.key) }
    }).filter(q => q.truth.length > 0)
    return { manifests, vectors, queries, warmup: wTexts.map((t, i) => ({ text: t, vector: wVecs[i] })) }
  } finally {
    await embedder.close()
  }
}

/** Which adapters each node holds (each adapter on COPIES random nodes). */
function place (n: number, count: number, rnd: () => number): number[][] {
  const held = Array.from({ length: n }, () => [] as number[])
  for (let a = 0; a < count; a++) {
    const nodes = new Set<number>()
    while (nodes.size < Math.min(COPIES, n)) nodes.add(Math.floor(rnd() * n))
    for (const i of nodes) held[i].push(a)
  }
  return held
}

/** A node's own adapters and what it knows its neighbours hold, with brute-force search. */
class LightCatalog implements FloodCatalog {
  constructor (private readonly world: World, private readonly own: number[], private readonly remote: Array<{ adapter: number, from: string }>) {}
  searchVector (vector: ArrayLike<number>, _text: string | undefined, req: { k?: number, minSimilarity?: number, filters?: { location?: string } }): CatalogHit[] {
    if (req.filters?.location === 'remote') return []
    return this.own.map(a => ({ a, s: dot(vector, this.world.vectors[a]) }))
      .filter(x => x.s >= (req.minSimilarity ?? 0))
      .sort((x, y) => y.s - x.s).slice(0, req.k ?? 10)
      .map(x => hit(this.world.manifests[x.a], x.s, 'local', []))
  }

  list (location?: 'local' | 'remote'): CatalogHit[] {
    if (location === 'local') return this.own.map(a => hit(this.world.manifests[a], 0, 'local', []))
    const byAdapter = new Map<number, string[]>()
    for (const r of this.remote) byAdapter.set(r.adapter, [...(byAdapter.get(r.adapter) ?? []), r.from])
    return [...byAdapter].map(([a, from]) => hit(this.world.manifests[a], 0, 'remote', from))
  }

  async put (): Promise<'unchanged'> { return 'unchanged' }
}

function hit (m: AdapterManifest, s: number, location: 'local' | 'remote', availableFrom: string[]): CatalogHit {
  return { key: catalogKey(m), manifest: m, similarity: s, score: s, location, availableFrom }
}

/** One network of nodes that can run searches with any strategy. */
interface Network {
  n: number
  setStrategy: (s: ForwardingStrategy) => void
  search: (origin: number, vector: Float32Array, text: string, hops: number, timeoutMs: number) => Promise<{ arrivals: Array<{ key: string, t: number }>, messages: number, firstMs?: number }>
  stop: () => Promise<void>
}

/** The harness skips Ed25519 checks (the bench's own manifests, compared by content): 1,000 engines re-verifying the same 320 manifests would measure signature checks, not the protocol. The libp2p run verifies for real. */
function verifyKnown (world: World): (raw: unknown) => Promise<AdapterManifest | undefined> {
  const bySig = new Map(world.manifests.map(m => [m.signature, m]))
  return async raw => {
    // The world's manifests were signed here: identical content is the manifest itself.
    const m = bySig.get((raw as { signature?: string }).signature ?? '')
    if (m !== undefined && JSON.stringify(m) === JSON.stringify(raw)) return m
    return undefined
  }
}

async function runSearch (engine: FloodEngine, engines: FloodEngine[], vector: Float32Array, text: string, hops: number, timeoutMs: number): Promise<{ arrivals: Array<{ key: string, t: number }>, messages: number, firstMs?: number }> {
  const sum = (f: (e: FloodEngine) => number): number => engines.reduce((s, e) => s + f(e), 0)
  const before = sum(e => e.stats.framesSent)
  const started = performance.now()
  const arrivals: Array<{ key: string, t: number }> = []
  const search = engine.search({ vector, text }, { hops, timeoutMs, minResults: 10_000, minSimilarity: MIN_SIM })
  // The bench only: once every frame sent has been handled for 150 ms, nothing more can arrive, so the
  // rest of the patience curve equals its current value; stop instead of waiting out the timeout.
  let quietSince = performance.now()
  const watcher = setInterval(() => {
    if (sum(e => e.stats.framesSent) !== sum(e => e.stats.framesHandled)) quietSince = performance.now()
    else if (performance.now() - quietSince > 150) search.cancel()
  }, 25)
  for await (const b of search) for (const r of b.results) arrivals.push({ key: r.key, t: performance.now() - started })
  clearInterval(watcher)
  const summary = await search.summary
  const messages = sum(e => e.stats.framesSent) - before
  return { arrivals, messages, firstMs: summary.firstResultMs }
}

async function simNetwork (world: World, n: number, seed: number): Promise<Network> {
  const rnd = rng(seed)
  const adj = randomGraph(n, DEGREE, rnd)
  const held = place(n, world.manifests.length, rnd)
  // Base58-valid stand-ins for peer ids (the wire schema checks the alphabet).
  const ids = Array.from({ length: n }, (_, i) => `12D3KooWsim${String(i).padStart(6, '0').replace(/\d/g, d => 'abcdefghjk'[Number(d)])}xyz`)
  const index = new Map(ids.map((id, i) => [id, i]))
  const engines: FloodEngine[] = []
  const verify = verifyKnown(world)
  let strategy: ForwardingStrategy = 'smart'
  for (let i = 0; i < n; i++) {
    const neighbours = [...adj[i]].map(j => ids[j])
    const catalog = new LightCatalog(world, held[i], [])
    const engine: FloodEngine = new FloodEngine({
      self: ids[i],
      neighbours: () => neighbours,
      answer: (q, limit) => catalog.searchVector(q.vector, undefined, { k: limit, minSimilarity: q.filters.minSimilarity, filters: { location: 'local' } }).map(h => ({ manifest: h.manifest, similarity: h.similarity })),
      send: async (peer, frame) => {
        const j = index.get(peer)!
        setTimeout(() => { void engines[j].receive(ids[i], frame) }, 5 + Math.random() * 20)
      },
      onDrop: () => {},
      verify,
      get strategy () { return strategy },
      requestsPerSecond: 1_000,
      framesPerSecond: 10_000,
      maxConcurrentSearches: 64
    } as ConstructorParameters<typeof FloodEngine>[0])
    // What gossip gives a node: its neighbours' adapters.
    engine.profiles.setCatalogProfiles(new Map([...adj[i]].map(j => [ids[j], { vectors: held[j].map(a => world.vectors[a]), tags: held[j].flatMap(a => [...world.manifests[a].specializations, ...world.manifests[a].capabilities]) }])))
    engines.push(engine)
  }
  return {
    n,
    setStrategy: s => { strategy = s; for (const e of engines) e.profiles.resetLearned() },
    search: (origin, vector, text, hops, timeoutMs) => runSearch(engines[origin], engines, vector, text, hops, timeoutMs),
    stop: async () => { for (const e of engines) e.stop() }
  }
}

async function libp2pNetwork (world: World, n: number, seed: number): Promise<Network> {
  const rnd = rng(seed)
  const adj = randomGraph(n, DEGREE, rnd)
  const held = place(n, world.manifests.length, rnd)
  const nodes: Libp2p[] = []
  for (let i = 0; i < n; i++) {
    nodes.push(await createLibp2p({
      addresses: { listen: [`/memory/flood-bench-${seed}-${i}`] },
      transports: [memory()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionManager: { maxConnections: 64, inboundConnectionThreshold: 10_000, maxIncomingPendingConnections: 1000 },
      services: { identify: identify() }
    }))
  }
  const ids = nodes.map(x => x.peerId.toString())
  let strategy: ForwardingStrategy = 'smart'
  const services: FloodService[] = []
  for (let i = 0; i < n; i++) {
    const neighbours = [...adj[i]].map(j => ids[j])
    const remote = [...adj[i]].flatMap(j => held[j].map(a => ({ adapter: a, from: ids[j] })))
    const svc = new FloodService({
      libp2p: nodes[i],
      catalog: new LightCatalog(world, held[i], remote),
      neighbours: () => neighbours,
      drops: new DropCounters(),
      log: createLogger(),
      cacheResults: false,
      profileRefreshMs: 0,
      requestsPerSecond: 1_000,
      framesPerSecond: 10_000,
      maxConcurrentSearches: 64,
      tap: trace === undefined ? undefined : (_from, frame) => { const f = frame as { type: string, path: string[], hops?: number }; trace!.push({ t: performance.now(), type: f.type, depth: f.type === 'request' ? f.path.length + 1 : f.path.length, hops: f.hops }) }
    })
    await svc.start()
    Object.defineProperty(svc.engine.init, 'strategy', { get: () => strategy })
    services.push(svc)
  }
  // Dial each edge once (lower index dials), a few at a time.
  const edges: Array<[number, number]> = []
  for (let i = 0; i < n; i++) for (const j of adj[i]) if (i < j) edges.push([i, j])
  for (let k = 0; k < edges.length; k += 16) {
    await Promise.all(edges.slice(k, k + 16).map(([i, j]) => nodes[i].dial(multiaddr(`/memory/flood-bench-${seed}-${j}`))))
  }
  // Wait until every edge has been identified (the flood protocol is known on both ends).
  for (let tries = 0; tries < 100; tries++) {
    let missing = 0
    for (const [i, j] of edges) {
      try { if (!(await nodes[i].peerStore.get(nodes[j].peerId)).protocols.includes(FLOOD_PROTOCOL)) missing++ } catch { missing++ }
    }
    if (missing === 0) break
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  for (const s of services) s.refreshProfiles()
  const engines = services.map(s => s.engine)
  return {
    n,
    setStrategy: s => { strategy = s; for (const e of engines) e.profiles.resetLearned() },
    search: (origin, vector, text, hops, timeoutMs) => runSearch(engines[origin], engines, vector, text, hops, timeoutMs),
    stop: async () => {
      for (const s of services) await s.stop()
      await Promise.all(nodes.map(x => x.stop()))
    }
  }
}

interface CurvePoint { scale: string, strategy: string, ttl: number, timeMs: number, recall: number }
const curve: CurvePoint[] = []

async function measure (label: string, net: Network, world: World, ttls: number[], timeoutMs: number): Promise<void> {
  const rnd = rng(99)
  const origins = world.queries.map(() => Math.floor(rnd() * net.n))
  for (const strategy of STRATEGIES) {
    net.setStrategy(strategy)
    // Warm-up: results flowing back teach smart forwarding (and keyword) where things are.
    for (const w of world.warmup) await net.search(Math.floor(rnd() * net.n), w.vector, w.text, 4, timeoutMs)
    for (const ttl of ttls) {
      const recallAt = TIMES.map(() => [] as number[])
      const first: number[] = []
      const messages: number[] = []
      for (let q = 0; q < world.queries.length; q++) {
        const { truth, vector, text } = world.queries[q]
        const res = await net.search(origins[q], vector, text, ttl, timeoutMs)
        messages.push(res.messages)
        if (res.firstMs !== undefined) first.push(res.firstMs)
        const truthSet = new Set(truth)
        TIMES.forEach((t, i) => {
          // Recall@10: of the exhaustive top 10, how many are among the results in by time t.
          const found = res.arrivals.filter(a => a.t <= t && truthSet.has(a.key)).length
          recallAt[i].push(found / truth.length)
        })
      }
      const mean = (a: number[]): number => a.length === 0 ? NaN : a.reduce((s, x) => s + x, 0) / a.length
      const c = `${label} ttl=${ttl}`
      for (let i = 0; i < TIMES.length; i++) {
        const r = mean(recallAt[i])
        curve.push({ scale: label, strategy, ttl, timeMs: TIMES[i], recall: r })
        report.add({ case: c, system: strategy, metric: `recall@10 by ${TIMES[i] >= 1000 ? `${TIMES[i] / 1000} s` : `${TIMES[i]} ms`}`, value: round3(r), unit: 'ratio' })
      }
      report.add({ case: c, system: strategy, metric: 'first result p50', value: round1(percentile(first, 50)), unit: 'ms' })
      report.add({ case: c, system: strategy, metric: 'first result p90', value: round1(percentile(first, 90)), unit: 'ms' })
      report.add({ case: c, system: strategy, metric: 'messages/query', value: round1(mean(messages)), unit: 'frames' })
      note(`${c} ${strategy}: recall@2s ${mean(recallAt[4]).toFixed(2)}, first p50 ${percentile(first, 50).toFixed(0)} ms, ${mean(messages).toFixed(0)} msgs`)
    }
  }
}

const round1 = (x: number): number => Math.round(x * 10) / 10
const round3 = (x: number): number => Math.round(x * 1000) / 1000

/** The patience curve as an SVG: recall@10 against timeout, one line per strategy, one panel per TTL. */
function patienceSvg (points: CurvePoint[], scale: string): string {
  const ttls = [...new Set(points.filter(p => p.scale === scale).map(p => p.ttl))]
  const W = 260, H = 200, pad = 36
  const colors: Record<string, string> = { naive: '#d62728', random: '#7f7f7f', keyword: '#ff7f0e', smart: '#1f77b4' }
  const x = (t: number): number => pad + (Math.log10(t) - 2) / (Math.log10(5000) - 2) * (W - pad - 10)
  const y = (r: number): number => H - pad + 10 - r * (H - pad - 10)
  const panels = ttls.map((ttl, k) => {
    const ox = k * W
    const lines = STRATEGIES.map(s => {
      const pts = points.filter(p => p.scale === scale && p.ttl === ttl && p.strategy === s).sort((a, b) => a.timeMs - b.timeMs)
      const d = pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${(ox + x(p.timeMs)).toFixed(1)},${y(Number.isNaN(p.recall) ? 0 : p.recall).toFixed(1)}`).join(' ')
      return `<path d="${d}" fill="none" stroke="${colors[s]}" stroke-width="2"/>` + pts.map(p => `<circle cx="${(ox + x(p.timeMs)).toFixed(1)}" cy="${y(Number.isNaN(p.recall) ? 0 : p.recall).toFixed(1)}" r="2.5" fill="${colors[s]}"/>`).join('')
    }).join('')
    const grid = [0, 0.5, 0.9, 1].map(r => `<line x1="${ox + pad}" x2="${ox + W - 10}" y1="${y(r)}" y2="${y(r)}" stroke="${r === 0.9 ? '#2ca02c' : '#ddd'}" stroke-dasharray="${r === 0.9 ? '4 3' : ''}"/><text x="${ox + pad - 4}" y="${y(r) + 4}" font-size="10" text-anchor="end">${r}</text>`).join('')
    const ticks = TIMES.map(t => `<text x="${ox + x(t)}" y="${H - pad + 24}" font-size="10" text-anchor="middle">${t >= 1000 ? `${t / 1000}s` : `${t}ms`}</text>`).join('')
    return `${grid}${ticks}<text x="${ox + W / 2}" y="14" font-size="12" text-anchor="middle" font-weight="bold">TTL ${ttl}</text>${lines}`
  }).join('')
  const legend = STRATEGIES.map((s, i) => `<rect x="${10 + i * 90}" y="${H + 8}" width="12" height="12" fill="${colors[s]}"/><text x="${26 + i * 90}" y="${H + 18}" font-size="11">${s}</text>`).join('')
  const width = Math.max(W * ttls.length, 380)
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${H + 50}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>${panels}${legend}<text x="${width - 10}" y="${H + 40}" font-size="10" text-anchor="end">recall@10 vs timeout (log scale), ${scale}; dashed: 0.9</text></svg>`
}

async function main (): Promise<void> {
  note('Embedding and signing the demo catalog…')
  const world = await buildWorld()
  note(`${world.manifests.length} adapters, ${world.queries.length} measured queries, ${world.warmup.length} warm-up queries`)
  if (only === undefined || only === '100') {
    note('Starting 100 libp2p nodes (memory transport)…')
    const t = performance.now()
    const net = await libp2pNetwork(world, 100, 1)
    if (trace !== undefined) {
      for (const s of ['naive', 'smart'] as const) {
        net.setStrategy(s)
        for (let q = 0; q < 3; q++) {
          trace.length = 0
          const t0 = performance.now()
          const r = await net.search(q * 7, world.queries[q].vector, world.queries[q].text, 3, 2_000)
          console.log(s, 'first', r.firstMs, 'msgs', r.messages, trace.slice(0, 400).filter((_, i) => i % 8 === 0).map(x => `${x.type[0]}${x.depth}${x.hops !== undefined ? '/' + x.hops : ''}@${(x.t - t0).toFixed(0)}`).join(' '))
        }
      }
      process.exit(0)
    }
    note(`  ready in ${((performance.now() - t) / 1000).toFixed(1)} s`)
    await measure('100 nodes libp2p', net, world, quick ? [3] : [2, 3, 4, 5], quick ? 2_000 : 5_000)
    await net.stop()
  }
  if (only === undefined || only === '1000') {
    note('Building the 1,000-node in-process harness…')
    const net = await simNetwork(world, 1000, 2)
    await measure('1000 nodes sim', net, world, quick ? [4] : [3, 4, 5, 6], quick ? 2_000 : 5_000)
    await net.stop()
  }
  report.print()
  if (svgPath !== undefined) {
    for (const scale of [...new Set(curve.map(p => p.scale))]) {
      const file = svgPath.replace(/\.svg$/, `-${scale.split(' ')[0]}.svg`)
      await writeFile(file, patienceSvg(curve, scale))
      if (!jsonOutput) note(`wrote ${file}`)
    }
  }
  process.exit(0)
}

void main().catch(err => { console.error(err); process.exit(1) })
export type { NetworkResult }
