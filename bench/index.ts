// Vector index benchmark: our index (WASM SIMD exact scan; JS fallback for reference) against vectra 0.15's
// LocalIndex on the same vectors, in the same run. 10k and 100k x 384 always; 1M with --1m (or when
// CONTINUUM_BENCH_1M=1), our index only.
// Figures: query p50/p99 (exact top-10), filtered and hybrid query p50, insert throughput (durable), open
// time (replaying the log / loading index.json) and memory.
//
// Usage: npm run bench -- index [--json] [--1m] [--quick]
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { LocalIndex } from 'vectra'
import { openVectorIndex, type IndexEntry, type VectorIndex } from '../src/node/vector-index'
import { BenchReport, note, percentile } from './_report'
import { seededRandom as rng } from './_random'

const DIMS = 384
const K = 10
const report = new BenchReport('index')
const quick = process.argv.includes('--quick')
const oneMillion = process.argv.includes('--1m') || process.env.CONTINUUM_BENCH_1M === '1'

/**
 * Vectors around 64 random "topics" (so near neighbours exist, as with real embeddings), normalised.
 * Row i is always the same for a given seed, so batches can be regenerated instead of kept.
 */
class Corpus {
  private readonly topics: Float32Array[]
  constructor (seed: number) {
    const r = rng(seed)
    this.topics = Array.from({ length: 64 }, () => Float32Array.from({ length: DIMS }, () => r() * 2 - 1))
  }

  vector (i: number): Float32Array {
    const r = rng(i * 2654435761)
    const t = this.topics[i % 64]
    const v = new Float32Array(DIMS)
    let ss = 0
    for (let d = 0; d < DIMS; d++) { v[d] = t[d] + (r() * 2 - 1) * 1.2; ss += v[d] * v[d] }
    const inv = 1 / Math.sqrt(ss)
    for (let d = 0; d < DIMS; d++) v[d] *= inv
    return v
  }
}

const WORDS = 'wine sql rust async garden music legal finance poetry chess yoga physics tax react kotlin cocktail beer soil vision speech'.split(' ')
function entryFor (corpus: Corpus, i: number): IndexEntry {
  return {
    id: `adapter-${i}`,
    vector: corpus.vector(i),
    text: `adapter-${i} ${WORDS[i % WORDS.length]} ${WORDS[(i * 7) % WORDS.length]} helper for ${WORDS[(i * 13) % WORDS.length]}`,
    attrs: { kind: ['lora', 'persona', 'prompt-tuning'][i % 3], rating: (i % 50) / 10, price: i % 20 },
    location: i % 4 === 0 ? 'remote' : 'local',
    payload: { name: `Adapter ${i}` }
  }
}

function mb (bytes: number): number {
  return Math.round(bytes / 1048576 * 10) / 10
}

function gc (): void {
  (globalThis as { gc?: () => void }).gc?.()
}

function memory (): { rss: number, heap: number, external: number } {
  gc()
  const m = process.memoryUsage()
  return { rss: m.rss, heap: m.heapUsed, external: m.external + m.arrayBuffers }
}

function timeQueries (n: number, run: (q: Float32Array) => unknown, queries: Float32Array[]): number[] {
  const times: number[] = []
  for (let i = 0; i < n; i++) {
    const q = queries[i % queries.length]
    const t = performance.now()
    run(q)
    times.push(performance.now() - t)
  }
  return times
}

async function timeQueriesAsync (n: number, run: (q: Float32Array) => Promise<unknown>, queries: Float32Array[]): Promise<number[]> {
  const times: number[] = []
  for (let i = 0; i < n; i++) {
    const q = queries[i % queries.length]
    const t = performance.now()
    await run(q)
    times.push(performance.now() - t)
  }
  return times
}

interface Ours { p50: number, cpu: number }

async function benchOurs (label: string, n: number, corpus: Corpus, queries: Float32Array[], queryCount: number): Promise<Ours> {
  const dir = mkdtempSync(path.join(tmpdir(), 'continuum-bench-index-'))
  const system = 'continuum (wasm-simd)'
  try {
    const before = memory()
    let idx: VectorIndex = await openVectorIndex({ dir, remoteCapacity: 100_000 })
    // Remote entries are capped (100k max); keep every 4th remote only while under the cap.
    const remoteCap = 100_000
    let remotes = 0
    const batchSize = 5000
    // Only upsertMany is timed (entries are generated between batches, as vectra's items are built before its insert).
    let insertMs = 0
    let insertCpuUs = 0
    for (let start = 0; start < n; start += batchSize) {
      const batch: IndexEntry[] = []
      for (let i = start; i < Math.min(n, start + batchSize); i++) {
        const e = entryFor(corpus, i)
        if (e.location === 'remote' && ++remotes > remoteCap) e.location = 'local'
        batch.push(e)
      }
      const t0 = performance.now()
      const c0 = process.cpuUsage()
      await idx.upsertMany(batch)
      const c = process.cpuUsage(c0)
      insertCpuUs += c.user + c.system
      insertMs += performance.now() - t0
    }
    report.add({ case: label, system, metric: 'insert', value: Math.round(n / (insertMs / 1000)), unit: 'vectors/s' })
    report.add({ case: label, system, metric: 'insert, per CPU second (excludes waiting for the CPU and fsync)', value: Math.round(n / (insertCpuUs / 1e6)), unit: 'vectors/s' })
    note(`${label}: inserted ${n} in ${(insertMs / 1000).toFixed(1)} s`)

    // Warm up, then time exact top-10.
    timeQueries(5, q => idx.search({ vector: q, k: K }), queries)
    const cq = process.cpuUsage()
    const times = timeQueries(queryCount, q => idx.search({ vector: q, k: K }), queries)
    const queryCpu = process.cpuUsage(cq)
    const p50 = percentile(times, 50)
    report.add({ case: label, system, metric: 'query p50', value: p50, unit: 'ms' })
    report.add({ case: label, system, metric: 'query p99', value: percentile(times, 99), unit: 'ms' })
    report.add({ case: label, system, metric: 'query CPU time, mean (less sensitive to other load)', value: (queryCpu.user + queryCpu.system) / 1000 / queryCount, unit: 'ms' })
    const rescored: number[] = []
    for (const q of queries.slice(0, 20)) { idx.search({ vector: q, k: K }); rescored.push(idx.rescored) }
    report.add({ case: label, system, metric: 'rows re-scored in f32 after int8 prefilter (p50)', value: percentile(rescored, 50), unit: 'rows' })
    const filtered = timeQueries(Math.ceil(queryCount / 2), q => idx.search({ vector: q, k: K, filters: { kind: 'persona', minRating: 2, maxPrice: 10 } }), queries)
    report.add({ case: label, system, metric: 'filtered query p50', value: percentile(filtered, 50), unit: 'ms' })
    if (n <= 100_000) {
      const tk = performance.now()
      idx.search({ vector: queries[0], text: 'warm up', k: K }) // builds the keyword index on first use
      report.add({ case: label, system, metric: 'keyword index build (first text query)', value: Math.round(performance.now() - tk), unit: 'ms' })
      const hybrid = timeQueries(Math.ceil(queryCount / 2), q => idx.search({ vector: q, text: 'async rust helper', k: K }), queries)
      report.add({ case: label, system, metric: 'hybrid query p50', value: percentile(hybrid, 50), unit: 'ms' })
    }
    const after = memory()
    report.add({ case: label, system, metric: 'memory: vector matrix (f32 + int8, capacity)', value: mb(idx.vectorBytes), unit: 'MiB' })
    report.add({ case: label, system, metric: 'memory: JS heap growth (metadata, keyword index)', value: mb(after.heap - before.heap), unit: 'MiB' })
    report.add({ case: label, system, metric: 'memory: RSS growth', value: mb(after.rss - before.rss), unit: 'MiB' })
    await idx.close()

    gc()
    const to = performance.now()
    const co = process.cpuUsage()
    idx = await openVectorIndex({ dir, remoteCapacity: 100_000 })
    const openCpu = process.cpuUsage(co)
    report.add({ case: label, system, metric: 'open (replay log)', value: Math.round(performance.now() - to), unit: 'ms' })
    report.add({ case: label, system, metric: 'open, CPU time', value: Math.round((openCpu.user + openCpu.system) / 1000), unit: 'ms' })
    if (idx.size !== n) throw new Error(`reopened index has ${idx.size} entries, expected ${n}`)
    await idx.close()

    {
      // Exact f32 SIMD scan of every row (no int8 prefilter), for reference.
      const full = await openVectorIndex({ dir, remoteCapacity: 100_000, quantised: false })
      timeQueries(3, q => full.search({ vector: q, k: K }), queries)
      const fullTimes = timeQueries(Math.min(queryCount, 100), q => full.search({ vector: q, k: K }), queries)
      report.add({ case: label, system: 'continuum (wasm-simd, f32 full scan)', metric: 'query p50', value: percentile(fullTimes, 50), unit: 'ms' })
      await full.close()
    }
    if (n <= 100_000) {
      // The plain JS scan on the same data, for reference (runtimes without WebAssembly SIMD).
      const js = await openVectorIndex({ dir, remoteCapacity: 100_000, kernel: 'js' })
      timeQueries(3, q => js.search({ vector: q, k: K }), queries)
      const jsTimes = timeQueries(Math.min(queryCount, 50), q => js.search({ vector: q, k: K }), queries)
      report.add({ case: label, system: 'continuum (js fallback)', metric: 'query p50', value: percentile(jsTimes, 50), unit: 'ms' })
      await js.close()
    }
    return { p50, cpu: (queryCpu.user + queryCpu.system) / 1000 / queryCount }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

type VectraItem = { id: string, vector: number[], metadata: Record<string, string | number | boolean> }

function vectraItems (n: number, corpus: Corpus): VectraItem[] {
  const items: VectraItem[] = []
  for (let i = 0; i < n; i++) {
    const e = entryFor(corpus, i)
    items.push({ id: e.id, vector: Array.from(e.vector), metadata: { text: e.text, kind: e.attrs!.kind!, rating: e.attrs!.rating!, price: e.attrs!.price! } })
  }
  return items
}

async function benchVectra (label: string, n: number, corpus: Corpus, queries: Float32Array[], queryCount: number, ours: Ours): Promise<void> {
  const system = 'vectra 0.15 LocalIndex'
  const folder = path.join(mkdtempSync(path.join(tmpdir(), 'continuum-bench-vectra-')), 'index')
  try {
    const before = memory()
    const items = vectraItems(n, corpus)
    let loaded: LocalIndex | null = null
    if (n <= 10_000) {
      const writer = new LocalIndex(folder)
      await writer.createIndex({ version: 1 })
      const t0 = performance.now()
      await writer.batchInsertItems(items)
      const insertMs = performance.now() - t0
      report.add({ case: label, system, metric: 'insert', value: Math.round(n / (insertMs / 1000)), unit: 'vectors/s' })
      const to = performance.now()
      const co = process.cpuUsage()
      loaded = new LocalIndex(folder)
      await loaded.getIndexStats() // loads index.json
      const openCpu = process.cpuUsage(co)
      report.add({ case: label, system, metric: 'open (load index.json)', value: Math.round(performance.now() - to), unit: 'ms' })
      report.add({ case: label, system, metric: 'open, CPU time', value: Math.round((openCpu.user + openCpu.system) / 1000), unit: 'ms' })
    } else {
      // At this size vectra cannot persist: every write serialises the whole index as one JSON string, which
      // exceeds V8's string limit. Show that with one real insert, then query its in-memory items directly.
      const writer = new LocalIndex(folder)
      await writer.createIndex({ version: 1 })
      ;(writer as unknown as { _data: unknown })._data = { version: 1, metadata_config: {}, items: items.map(it => ({ ...it, norm: 1 })) }
      const t0 = performance.now()
      try {
        await writer.insertItem({ id: 'one-more', vector: Array.from(queries[0]), metadata: {} })
        report.add({ case: label, system, metric: 'insert', value: Math.round(1 / ((performance.now() - t0) / 1000)), unit: 'vectors/s' })
      } catch (err) {
        note(`${label}: vectra insert failed after ${Math.round(performance.now() - t0)} ms: ${(err as Error).message.slice(0, 120)}`)
        report.add({ case: label, system, metric: 'insert (fails: index.json cannot be written)', value: 0, unit: 'vectors/s' })
      }
      report.add({ case: label, system, metric: 'open (index.json cannot be written at this size)', value: NaN, unit: 'ms' })
      loaded = writer
      note(`${label}: vectra queried on its in-memory items (its file cannot exist at this size)`)
    }
    await loaded.queryItems(Array.from(queries[0]), '', K)
    const cq = process.cpuUsage()
    const times = await timeQueriesAsync(queryCount, async q => await loaded!.queryItems(Array.from(q), '', K), queries)
    const queryCpu = process.cpuUsage(cq)
    const cpu = (queryCpu.user + queryCpu.system) / 1000 / queryCount
    const p50 = percentile(times, 50)
    report.add({ case: label, system, metric: 'query p50', value: p50, unit: 'ms' })
    report.add({ case: label, system, metric: 'query p99', value: percentile(times, 99), unit: 'ms' })
    report.add({ case: label, system, metric: 'query CPU time, mean (less sensitive to other load)', value: cpu, unit: 'ms' })
    report.add({ case: label, system: 'ratio', metric: 'vectra / continuum query p50', value: Math.round(p50 / ours.p50 * 10) / 10, unit: 'x' })
    report.add({ case: label, system: 'ratio', metric: 'vectra / continuum query CPU time', value: Math.round(cpu / ours.cpu * 10) / 10, unit: 'x' })
    const filtered = await timeQueriesAsync(Math.ceil(queryCount / 2), async q => await loaded!.queryItems(Array.from(q), '', K, { kind: { $eq: 'persona' }, rating: { $gte: 2 }, price: { $lte: 10 } }), queries)
    report.add({ case: label, system, metric: 'filtered query p50', value: percentile(filtered, 50), unit: 'ms' })
    const after = memory()
    report.add({ case: label, system, metric: 'memory: JS heap growth (items + index)', value: mb(after.heap - before.heap), unit: 'MiB' })
    loaded = null
  } finally {
    rmSync(path.dirname(folder), { recursive: true, force: true })
    gc()
  }
}

async function main (): Promise<void> {
  const corpus = new Corpus(42)
  const queries = Array.from({ length: 64 }, (_, i) => corpus.vector(10_000_000 + i))
  const sizes: Array<[string, number, number, number]> = quick
    ? [['10k', 10_000, 100, 20], ['100k', 100_000, 30, 5]]
    : [['10k', 10_000, 500, 100], ['100k', 100_000, 100, 20]]
  for (const [label, n, ourQueries, vectraQueries] of sizes) {
    note(`== ${label} x ${DIMS}`)
    const ours = await benchOurs(label, n, corpus, queries, ourQueries)
    await benchVectra(label, n, corpus, queries, vectraQueries, ours)
  }
  if (oneMillion) {
    note(`== 1M x ${DIMS} (ours only; vectra cannot hold it)`)
    await benchOurs('1M', 1_000_000, corpus, queries, 20)
  }
  report.print()
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
