// Gossip simulation: 100 nodes in one process on libp2p's memory transport, a random neighbour graph of
// degree ~8, each node publishing 100 unique adapters with real MiniLM embeddings. Runs the real gossip
// engine (src/node/gossip) round by round — a round stands for the design's 30 s — and compares the
// design's scheme (each round, send our top 100 and receive theirs) with incremental sync (change-log
// digest, then fetch only what is missing), in the same run.
//
// Simulation shortcuts (documented in bench/README.md): nodes keep manifests in a light in-memory
// store instead of the on-disk vector index, share one signature-verification memo (each manifest's
// signature is checked once per process, not once per node), and run no DHT.
import '../src/node/polyfills'
import { createHash } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { createLibp2p } from 'libp2p'
import { memory } from '@libp2p/memory'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import { gossipsub } from '@libp2p/gossipsub'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { createEmbedder } from '../src/node/embedding'
import { findSampleCatalog } from '../src/node/catalog/sample'
import { buildUnsignedManifest, manifestSearchText, signManifest, validateAdapterFields, type AdapterFields, type AdapterManifest } from '../src/node/manifest'
import { CatalogGossip, type GossipMode } from '../src/node/gossip/catalog-gossip'
import { rankManifests, type RemoteOffer, type SortBy, type SyncStore } from '../src/node/gossip/store'
import { VerifyMemo } from '../src/node/gossip/verify-memo'
import type { MeshLibp2p } from '../src/node/transport/libp2p'
import { DropCounters } from '../src/node/util/counters'
import { createLogger } from '../src/node/util/logger'
import { BenchReport, note, percentile } from './_report'
import { seededRandom } from './_random'

const NODES = Number(process.env.BENCH_NODES ?? 100)
const PER_NODE = Number(process.env.BENCH_PER_NODE ?? 100)
const DEGREE = 8
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20)
/** The design's scheme moves ~60 KB/s per peer through one process: its rounds are the slow part of this bench. */
const FULL_ROUNDS = Number(process.env.BENCH_FULL_ROUNDS ?? ROUNDS)
const ROUND_SECONDS = 30
const QUERIES = 200
const root = process.env.CONTINUUM_ROOT ?? process.cwd()
const report = new BenchReport('gossip')

// ---- data: NODES × PER_NODE adapters with real embeddings ----------------------------------------

const AUDIENCES = ['small teams', 'students', 'enterprises', 'hobbyists', 'researchers', 'startups', 'nonprofits', 'schools',
  'clinics', 'farms', 'agencies', 'freelancers', 'public sector', 'open-source maintainers', 'retailers', 'manufacturers',
  'mobile users', 'call centres', 'newsrooms', 'museums', 'labs', 'law firms', 'banks', 'game studios', 'restaurants',
  'hotels', 'logistics firms', 'utilities', 'universities', 'hospitals', 'city councils', 'insurers', 'architects', 'NGOs']

async function loadAdapters (): Promise<Array<{ fields: AdapterFields, vector: Float32Array }>> {
  const base = (await readFile(findSampleCatalog(root)!, 'utf8')).trim().split('\n').map(l => {
    const c = validateAdapterFields(JSON.parse(l))
    if (!c.ok) throw new Error(c.problems.join('; '))
    return c.fields
  })
  const total = NODES * PER_NODE
  // Texts (and their cached embeddings) are made for the full 100 × 100 network; smaller runs take a prefix.
  const made = Math.max(total, 10_000)
  const fields: AdapterFields[] = []
  for (let i = 0; i < made; i++) {
    const b = base[i % base.length]
    const variant = Math.floor(i / base.length)
    const audience = AUDIENCES[variant % AUDIENCES.length]
    fields.push({ ...b, id: `${b.id}-v${variant}`.slice(0, 64), name: `${b.name} for ${audience}`, description: `${b.description} Tuned for ${audience}.` })
  }
  const texts = fields.map(f => manifestSearchText(f))
  const digest = createHash('sha256').update(texts.join('\n')).digest('hex').slice(0, 16)
  const cacheFile = path.join(root, '.cache', `bench-gossip-${digest}.f32`)
  let flat: Float32Array
  try {
    const buf = await readFile(cacheFile)
    flat = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4)
    note(`embeddings: loaded ${made} from ${cacheFile}`)
  } catch {
    note(`embeddings: computing ${made} with the real embedder (cached afterwards)…`)
    const embedder = createEmbedder()
    const started = Date.now()
    const vectors = await embedder.embed(texts, { onProgress: (d, t) => { if (d % 2000 < 32) note(`  ${d}/${t}`) } })
    await embedder.close()
    note(`  ${((Date.now() - started) / 1000).toFixed(0)} s`)
    flat = new Float32Array(made * 384)
    vectors.forEach((v, i) => flat.set(v, i * 384))
    await mkdir(path.dirname(cacheFile), { recursive: true })
    await writeFile(cacheFile, Buffer.from(flat.buffer))
  }
  return fields.slice(0, total).map((f, i) => ({ fields: f, vector: flat.subarray(i * 384, (i + 1) * 384) }))
}

// ---- a light store: the SyncStore interface over a Map --------------------------------------------

/** One object per distinct manifest across all simulated nodes (memory, not behaviour). */
const interned = new Map<string, AdapterManifest>()

class MemoryStore implements SyncStore {
  readonly entries = new Map<string, { manifest: AdapterManifest, local: boolean }>()
  private readonly listeners: Array<(key: string, version: string, local: boolean, m: AdapterManifest) => void> = []
  snapshot (): Array<{ key: string, version: string, local: boolean }> {
    return [...this.entries].map(([key, e]) => ({ key, version: e.manifest.version, local: e.local }))
  }

  onChange (fn: (key: string, version: string, local: boolean, m: AdapterManifest) => void): () => void { this.listeners.push(fn); return () => {} }
  onRemove (): () => void { return () => {} }
  manifest (key: string): AdapterManifest | undefined { return this.entries.get(key)?.manifest }
  hasRelease (key: string, version: string): boolean { return this.entries.get(key)?.manifest.version === version }
  addLocal (m: AdapterManifest): void { this.entries.set(`${m.publisher}/${m.id}`, { manifest: m, local: true }) }
  async putRemote (offers: RemoteOffer[]): Promise<number> {
    let n = 0
    for (const { manifest } of offers) {
      const key = `${manifest.publisher}/${manifest.id}`
      if (this.entries.has(key)) continue
      const m = interned.get(manifest.signature) ?? manifest
      this.entries.set(key, { manifest: m, local: false })
      for (const l of this.listeners) l(key, m.version, false, m)
      n++
    }
    return n
  }

  async refresh (): Promise<void> {}
  top (n: number, sortBy: SortBy): AdapterManifest[] { return rankManifests([...this.entries.values()].map(e => e.manifest), n, sortBy) }
}

// ---- the simulated network ---------------------------------------------------------------------

interface SimNode { key: PrivateKey, peerId: PeerId, libp2p: MeshLibp2p, store: MemoryStore, neighbours: PeerId[], engine?: CatalogGossip }

async function buildNetwork (keys: PrivateKey[], runId: string): Promise<SimNode[]> {
  const nodes: SimNode[] = []
  for (let i = 0; i < keys.length; i++) {
    const libp2p = await createLibp2p({
      privateKey: keys[i],
      addresses: { listen: [`/memory/${runId}-${i}`] },
      transports: [memory()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionManager: { maxConnections: 1000, inboundConnectionThreshold: 100_000, maxIncomingPendingConnections: 1000 },
      services: { identify: identify(), pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, scoreParams: { IPColocationFactorWeight: 0 } }) }
    }) as unknown as MeshLibp2p
    nodes.push({ key: keys[i], peerId: libp2p.peerId, libp2p, store: new MemoryStore(), neighbours: [] })
  }
  // Random graph of average degree ~8: each node links to 4 random others.
  const rand = seededRandom(7)
  const links = new Set<string>()
  for (let i = 0; i < nodes.length; i++) {
    let made = 0
    for (let tries = 0; made < DEGREE / 2 && tries < 1000; tries++) {
      const j = Math.floor(rand() * nodes.length)
      const k = i < j ? `${i}-${j}` : `${j}-${i}`
      if (j === i || links.has(k)) continue
      links.add(k)
      made++
    }
  }
  const pairs = [...links].map(k => k.split('-').map(Number) as [number, number])
  for (let p = 0; p < pairs.length; p += 20) {
    await Promise.all(pairs.slice(p, p + 20).map(async ([i, j]) => {
      await nodes[i].libp2p.dial(multiaddr(`/memory/${runId}-${j}/p2p/${nodes[j].peerId.toString()}`))
      nodes[i].neighbours.push(nodes[j].peerId)
      nodes[j].neighbours.push(nodes[i].peerId)
    }))
  }
  return nodes
}

function pick<T> (list: T[], n: number, rand: () => number): T[] {
  const copy = [...list]
  for (let i = copy.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [copy[i], copy[j]] = [copy[j], copy[i]] }
  return copy.slice(0, n)
}

// ---- run ----------------------------------------------------------------------------------------

interface RoundFigures { round: number, coverageMean: number, coverageP10: number, hitRate: number, bytesPerPeerPerSec: number }

async function runMode (mode: GossipMode, keys: PrivateKey[], manifests: AdapterManifest[][], targets: string[], rounds: number): Promise<RoundFigures[]> {
  const nodes = await buildNetwork(keys, mode)
  note(`${mode}: ${nodes.length} nodes connected`)
  const memo = new VerifyMemo(200_000)
  const rand = seededRandom(11)
  const quiet = createLogger()
  nodes.forEach((n, i) => { for (const m of manifests[i]) n.store.addLocal(m) })
  for (const n of nodes) {
    n.engine = new CatalogGossip({
      libp2p: n.libp2p,
      store: n.store,
      neighbours: k => pick(n.neighbours, k, rand),
      isNeighbour: id => n.neighbours.some(p => p.toString() === id),
      drops: new DropCounters(),
      penalise: () => {},
      log: quiet,
      intervalMs: 0,
      mode,
      announce: false,
      verifyMemo: memo
    })
    await n.engine.start()
  }
  const total = NODES * PER_NODE
  const figures: RoundFigures[] = []
  let lastBytes = 0
  for (let r = 1; r <= rounds; r++) {
    const t = Date.now()
    await Promise.all(nodes.map(n => n.engine!.round()))
    await new Promise(resolve => setTimeout(resolve, 200)) // let pull-backs finish
    const coverage = nodes.map(n => n.store.entries.size / total)
    let hits = 0
    for (const n of nodes) for (const key of targets) if (n.store.entries.has(key)) hits++
    const bytes = nodes.reduce((s, n) => { const st = n.engine!.status(); return s + st.bytesIn + st.bytesOut }, 0)
    const exchanges = nodes.reduce((s, n) => s + n.engine!.status().exchanges.ok, 0)
    if (process.env.GDEBUG) note(`  exchanges so far ${exchanges}, bytes so far ${bytes}`)
    // Each byte is counted once as sent and once as received: halve for bytes on the wire.
    const perPeerPerSec = (bytes - lastBytes) / 2 / NODES / ROUND_SECONDS
    lastBytes = bytes
    const f = { round: r, coverageMean: avg(coverage), coverageP10: percentile(coverage, 10), hitRate: hits / (nodes.length * targets.length), bytesPerPeerPerSec: perPeerPerSec }
    figures.push(f)
    note(`${mode} round ${r}: coverage ${(f.coverageMean * 100).toFixed(1)}% (p10 ${(f.coverageP10 * 100).toFixed(1)}%), hit rate ${(f.hitRate * 100).toFixed(1)}%, ${(f.bytesPerPeerPerSec / 1024).toFixed(2)} KB/s per peer [${Date.now() - t} ms]`)
  }
  for (const n of nodes) { await n.engine!.stop(); await n.libp2p.stop() }
  return figures
}

function avg (xs: number[]): number { return xs.reduce((a, b) => a + b, 0) / xs.length }

function svgPlot (series: Array<{ name: string, color: string, points: Array<[number, number]> }>, title: string): string {
  const W = 640; const H = 360; const L = 56; const B = 40; const T = 30; const R = 20
  const x = (r: number): number => L + (r - 1) / (ROUNDS - 1) * (W - L - R)
  const y = (v: number): number => T + (1 - v) * (H - T - B)
  const lines = series.map(s => `<polyline fill="none" stroke="${s.color}" stroke-width="2.5" points="${s.points.map(([r, v]) => `${x(r).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`)
  const grid = [0, 0.25, 0.5, 0.75, 1].map(v => `<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${L - 8}" y="${y(v) + 4}" text-anchor="end" font-size="12">${v * 100}%</text>`)
  const ticks = [1, 5, 10, 15, 20].filter(r => r <= ROUNDS).map(r => `<text x="${x(r)}" y="${H - B + 18}" text-anchor="middle" font-size="12">${r}</text>`)
  // The legend sits mid-height, where neither a saturating nor a plateauing curve runs.
  const legend = series.map((s, i) => `<rect x="${W - R - 300}" y="${T + 128 + i * 18}" width="14" height="4" fill="${s.color}"/><text x="${W - R - 280}" y="${T + 134 + i * 18}" font-size="12">${s.name}</text>`)
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>` +
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="14">${title}</text>${grid.join('')}${ticks.join('')}` +
    `<text x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle" font-size="12">gossip round (30 s each)</text>${lines.join('')}${legend.join('')}</svg>`
}

async function main (): Promise<void> {
  const adapters = await loadAdapters()
  const keys = await Promise.all(Array.from({ length: NODES }, () => generateKeyPair('Ed25519')))
  note('signing manifests…')
  const manifests: AdapterManifest[][] = []
  for (let i = 0; i < NODES; i++) {
    const publisher = peerIdFromPrivateKey(keys[i])
    const mine: AdapterManifest[] = []
    for (const a of adapters.slice(i * PER_NODE, (i + 1) * PER_NODE)) {
      // Spread popularity so the design's "top 100 by popularity" has something to rank by.
      const fields = { ...a.fields, metrics: { ...a.fields.metrics, downloads: Math.floor(Math.random() * 1000) } }
      const m = await signManifest(buildUnsignedManifest({ ...fields, embedding: a.vector, publisher, createdAt: '2026-11-01T00:00:00.000Z' }), keys[i])
      interned.set(m.signature, m)
      mine.push(m)
    }
    manifests.push(mine)
  }
  // The fixed query set: for QUERIES random adapters, a user's rephrasing of what it is for; a query
  // is a cache hit on a node when the adapter that best answers it (over the whole network) is cached there.
  note('embedding the query set…')
  const all = manifests.flat()
  const rand = seededRandom(3)
  const chosen = pick(all, QUERIES, rand)
  const embedder = createEmbedder()
  const qv = await embedder.embed(chosen.map(m => `I need help with ${m.specializations.slice(0, 2).join(' and ')} (${m.domain.replace(/[/-]/g, ' ')})`))
  await embedder.close()
  const vecs = adapters.map(a => a.vector)
  const targets = qv.map(q => {
    let best = -Infinity; let bi = 0
    for (let i = 0; i < vecs.length; i++) { let d = 0; const v = vecs[i]; for (let k = 0; k < 384; k++) d += q[k] * v[k]; if (d > best) { best = d; bi = i } }
    const m = all[bi]
    return `${m.publisher}/${m.id}`
  })
  note('building the network…')
  const results: Record<string, RoundFigures[]> = {}
  results.incremental = await runMode('incremental', keys, manifests, targets, ROUNDS)
  results.full = await runMode('full', keys, manifests, targets, FULL_ROUNDS)
  for (const mode of ['full', 'incremental'] as const) {
    const system = mode === 'full' ? 'design: top-100 full resend' : 'continuum: incremental sync'
    for (const f of results[mode]) {
      if (![1, 2, 3, 5, 10, 20].includes(f.round) && f.round !== results[mode].length) continue
      const c = `${NODES} nodes, round ${f.round} (${(f.round * ROUND_SECONDS / 60).toFixed(1)} min)`
      report.add({ case: c, system, metric: 'coverage mean', value: round3(f.coverageMean * 100), unit: '%' })
      report.add({ case: c, system, metric: 'coverage p10', value: round3(f.coverageP10 * 100), unit: '%' })
      report.add({ case: c, system, metric: 'cache hit rate', value: round3(f.hitRate * 100), unit: '%' })
      report.add({ case: c, system, metric: 'bandwidth per peer', value: round3(f.bytesPerPeerPerSec / 1024), unit: 'KB/s' })
    }
  }
  const svg = svgPlot([
    { name: 'incremental sync: mean coverage', color: '#1f77b4', points: results.incremental.map(f => [f.round, f.coverageMean]) },
    { name: 'incremental sync: 10th percentile', color: '#9ecae1', points: results.incremental.map(f => [f.round, f.coverageP10]) },
    { name: 'design (top-100 resend): mean coverage', color: '#d62728', points: results.full.map(f => [f.round, f.coverageMean]) },
    { name: 'design (top-100 resend): 10th percentile', color: '#ff9896', points: results.full.map(f => [f.round, f.coverageP10]) }
  ], `Catalog coverage, ${NODES} nodes × ${PER_NODE} adapters, degree ~${DEGREE}`)
  await writeFile(path.join(root, 'bench', 'gossip-coverage.svg'), svg)
  note('plot: bench/gossip-coverage.svg')
  report.print()
}

function round3 (v: number): number { return Math.round(v * 1000) / 1000 }

main().then(() => process.exit(0), err => { console.error(err); process.exit(1) })
