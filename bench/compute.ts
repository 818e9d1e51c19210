// Compute market benchmark, all in one process on 127.0.0.1 (real libp2p nodes, market feature, no ledger:
// free listings, so the figures are the mesh path itself, without payment).
// 1. Request overhead: the same embedding / generation through the mesh (requester → provider over
//    /continuum/compute/1.0.0 → backend) against calling the backend directly, same run, same inputs.
//    Generation uses a small OpenAI-compatible server in this process (the process edge a provider runs).
// 2. Selection and failover: 10 providers of which the 3 cheapest are gone (stopped): time to a served
//    request against the same with all 10 up.
//
// Usage: npm run bench -- compute [--json] [--quick]
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createEmbedder } from '../src/node/embedding'
import { createMeshNode, type MeshNode } from '../src/node/mesh-node'
import { marketFeature, MarketFeature } from '../src/node/market'
import { createBackend } from '../src/node/market/backends'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { BenchReport, note, percentile } from './_report'

const report = new BenchReport('compute')
const quick = process.argv.includes('--quick')
const ROUNDS = quick ? 10 : 40
const dirs: string[] = []

async function node (embedder: ReturnType<typeof createEmbedder>, bootstrap: string[] = [], maxTries = 3): Promise<MeshNode> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'continuum-bench-compute-'))
  dirs.push(dataDir)
  const n = createMeshNode({ dataDir, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, simulation: true, embedder, bootstrap, features: [marketFeature({ reannounceMs: 500, maxTries, ratePerSecond: 10_000, exchangeTimeoutMs: 20_000, requestTimeoutMs: 20_000 })] })
  await n.start()
  return n
}
const tcp = (n: MeshNode): string => n.libp2p.getMultiaddrs().map(String).find(a => a.includes('/tcp/'))!
const market = (n: MeshNode): MarketFeature => n.market as MarketFeature

async function until (check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

function fakeServer (): Promise<{ url: string, close: () => void }> {
  const server = http.createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      for (const w of ['one', ' two', ' three', ' four', ' five', ' six', ' seven', ' eight']) res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: w } }] })}\n\n`)
      res.end('data: [DONE]\n\n')
    })
  })
  return new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, close: () => { server.closeAllConnections(); server.close() } })))
}

async function time (fn: () => Promise<unknown>, rounds = ROUNDS): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < rounds; i++) {
    const t = performance.now()
    await fn()
    out.push(performance.now() - t)
  }
  return out
}

function figures (kase: string, system: string, ms: number[]): void {
  report.add({ case: kase, system, metric: 'p50', value: percentile(ms, 50), unit: 'ms' })
  report.add({ case: kase, system, metric: 'p90', value: percentile(ms, 90), unit: 'ms' })
}

async function main (): Promise<void> {
  const embedder = createEmbedder()
  await embedder.embed(['warm up'])
  const nodes: MeshNode[] = []
  const srv = await fakeServer()
  try {
    // 1. Overhead.
    note('overhead: provider and requester')
    const p = await node(embedder)
    const r = await node(embedder, [tcp(p)])
    nodes.push(p, r)
    await market(p).startProvider({ backend: 'embeddings', pricePerRequest: 0 })
    await market(p).startProvider({ backend: 'openai', url: srv.url, model: 'tiny', pricePerRequest: 0 })
    await until(() => market(r).list({ type: 'inference' }).length === 2)
    const texts = ['beer brewing at home', 'fine-tune a model on SQL', 'viticulture notes', 'a poem about the sea']
    await market(r).embed(texts, { maxPrice: 0 })
    figures('embed 4 texts', 'direct (embedder)', await time(async () => await embedder.embed(texts)))
    figures('embed 4 texts', 'mesh (continuum)', await time(async () => await market(r).embed(texts, { maxPrice: 0 })))
    const direct = createBackend({ backend: 'openai', url: srv.url, model: 'tiny' }, {})
    figures('generate 8 tokens', 'direct (HTTP to server)', await time(async () => await direct.generate!({ prompt: 'count', maxTokens: 16 }, async () => {}, {})))
    figures('generate 8 tokens', 'mesh (continuum)', await time(async () => await market(r).generate({ prompt: 'count', maxPrice: 0, maxTokens: 16 })))

    // 2. Selection and failover: 10 free providers; the first 3 in the asker's order stop.
    note('failover: 10 providers')
    const providers: MeshNode[] = []
    for (let i = 0; i < 10; i++) providers.push(await node(embedder, [tcp(p)]))
    nodes.push(...providers)
    const asker = await node(embedder, providers.map(tcp), 4)
    nodes.push(asker)
    // Free listings (no ledger here): the asker orders equal prices by reputation, then by provider id.
    for (const [i, n] of providers.entries()) await market(n).startProvider({ backend: 'embeddings', pricePerRequest: 0, maxConcurrent: i + 1 })
    await until(() => market(asker).list({ type: 'inference' }).filter(l => l.provider !== p.peerId.toString()).length === 10)
    const A = market(asker)
    const one = ['hello world']
    // Warm-up: the first request to a provider dials it (and identifies); not part of the figure.
    for (let i = 0; i < 3; i++) await A.embed(one, { maxPrice: 0 })
    A.tracker.reset()
    figures('10 providers, all up', 'mesh (continuum)', await time(async () => { A.tracker.reset(); await A.embed(one, { maxPrice: 0 }) }, quick ? 5 : 15))
    // The first three in the asker's order (price, then reputation, then id) go away.
    const order = A.list({ type: 'inference' }).map(l => l.provider)
    const gone = providers.filter(n => order.slice(0, 3).includes(n.peerId.toString()))
    for (const n of gone) await n.stop()
    let failedTries = 0
    figures('10 providers, 3 cheapest gone', 'mesh (continuum)', await time(async () => {
      A.tracker.reset()
      const res = await A.embed(one, { maxPrice: 0 })
      failedTries += res.failed.length
    }, quick ? 5 : 15))
    report.add({ case: '10 providers, 3 cheapest gone', system: 'mesh (continuum)', metric: 'failed tries per request', value: failedTries / (quick ? 5 : 15), unit: 'tries' })
  } finally {
    srv.close()
    await Promise.all(nodes.map(async n => await n.stop().catch(() => {})))
    await embedder.close()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  }
  report.print()
}

void main().then(() => process.exit(0), err => { console.error(err); process.exit(1) })
