// Search benchmark: the user path of a text search (AdapterCatalog.search once the query is embedded: BM25 +
// exact vector scan + fusion + filters), ours against Orama 3 hybrid and LanceDB hybrid on the same entries,
// vectors and queries, in the same run. Per size: build time, memory, reopen time and first query, query
// p50/p99, CPU per query, and recall of the same top 10 against the ground truth (our hybrid ranking computed
// with the plain JS exact scan), unfiltered and with a kind filter. Query embedding is reported on its own.
//
// Usage: npm run bench -- search [--json] [--sizes 10k,100k,1m] [--queries 200] [--anchor-queries 50] [--anchors-max 100k]
// Anchors run at sizes up to --anchors-max (default 100k): at 1M, Orama holds every vector as a JS array
// (tens of GB) and LanceDB would need an IVF-PQ index trained for minutes. They answer the first
// --anchor-queries of the queries (Orama's hybrid query takes ~0.1 s at 10k and ~1 s at 100k here, so all
// 200 would not fit the bench's 15-minute budget on 2 cores); recall is averaged over the queries each ran.
import { BenchReport, note, percentile } from '../_report'
import { loadCorpus, type Corpus } from './corpus'
import { lancedb, orama, ours, type BenchQuery, type System } from './systems'

const report = new BenchReport('search')
const root = process.env.CONTINUUM_ROOT ?? process.cwd()

function arg (name: string, fallback: string): string {
  const i = process.argv.indexOf(name)
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback
}

function parseSize (s: string): number {
  const m = /^(\d+(?:\.\d+)?)([km]?)$/iu.exec(s.trim())
  if (m == null) throw new Error(`bad size "${s}": use e.g. 10k, 100k, 1m`)
  return Math.round(Number(m[1]) * (m[2].toLowerCase() === 'k' ? 1e3 : m[2].toLowerCase() === 'm' ? 1e6 : 1))
}

const sizes = arg('--sizes', '10k,100k').split(',').map(parseSize)
const queryCount = Number(arg('--queries', '200'))
const anchorsMax = parseSize(arg('--anchors-max', '100k'))
const anchorQueries = Number(arg('--anchor-queries', '50'))

function label (n: number): string {
  return n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`
}

function gc (): void {
  (globalThis as { gc?: () => void }).gc?.()
}

function rssMb (): number {
  gc()
  return process.memoryUsage().rss / 1048576
}

function recall (got: string[], truth: string[]): number {
  if (truth.length === 0) return got.length === 0 ? 1 : 0
  const t = new Set(truth)
  return got.filter(id => t.has(id)).length / truth.length
}

async function measure (sys: System, size: number, corpus: Corpus, truth: Map<string, string[]> | null, queries: BenchQuery[]): Promise<void> {
  const c = label(size)
  const before = rssMb()
  note(`search ${c}: building ${sys.name}`)
  const buildMs = await sys.build(size, corpus.entry)
  const mem = rssMb() - before
  report.add({ case: c, system: sys.name, metric: 'build (insert all, index ready)', value: buildMs / 1000, unit: 's' })
  report.add({ case: c, system: sys.name, metric: 'memory (RSS growth)', value: Math.round(mem), unit: 'MB' })
  const reopened = await sys.reopen(queries[0])
  if (reopened != null) {
    report.add({ case: c, system: sys.name, metric: 'reopen from disk', value: reopened.openMs, unit: 'ms' })
    report.add({ case: c, system: sys.name, metric: 'reopen + first text query', value: reopened.firstQueryMs, unit: 'ms' })
  }
  for (const filtered of [false, true]) {
    const qs = filtered ? queries.map(q => ({ ...q, kind: 'lora' })) : queries
    const name = filtered ? 'hybrid, kind filter' : 'hybrid'
    for (const q of qs.slice(0, 5)) await sys.search(q) // warm-up
    const times: number[] = []
    const recalls: number[] = []
    let errors = 0
    const cpu0 = process.cpuUsage()
    for (const q of qs) {
      const t = performance.now()
      let ids: string[] = []
      try { ids = await sys.search(q) } catch { errors++ }
      times.push(performance.now() - t)
      const want = truth?.get(`${filtered ? 'f' : 'u'}:${q.text}`)
      if (want != null) recalls.push(recall(ids, want))
    }
    const cpu = process.cpuUsage(cpu0)
    report.add({ case: c, system: sys.name, metric: `${name} queries measured`, value: qs.length, unit: 'queries' })
    report.add({ case: c, system: sys.name, metric: `${name} p50`, value: percentile(times, 50), unit: 'ms' })
    report.add({ case: c, system: sys.name, metric: `${name} p99`, value: percentile(times, 99), unit: 'ms' })
    report.add({ case: c, system: sys.name, metric: `${name} CPU per query (all threads)`, value: (cpu.user + cpu.system) / 1000 / qs.length, unit: 'ms' })
    if (recalls.length > 0) report.add({ case: c, system: sys.name, metric: `${name} recall@10 vs ground truth`, value: recalls.reduce((a, b) => a + b, 0) / recalls.length, unit: 'ratio' })
    if (errors > 0) report.add({ case: c, system: sys.name, metric: `${name} queries that failed`, value: errors, unit: 'queries' })
  }
  await sys.close()
  gc()
}

async function main (): Promise<void> {
  const corpus = await loadCorpus(root)
  const queries: BenchQuery[] = corpus.queries.slice(0, queryCount).map(q => ({ text: q.text, vector: q.vector }))
  if (corpus.embedMs.length > 0) {
    report.add({ case: 'query embed', system: 'all-MiniLM-L6-v2 (worker)', metric: 'embed p50 (excluded from the search figures)', value: percentile(corpus.embedMs, 50), unit: 'ms' })
    report.add({ case: 'query embed', system: 'all-MiniLM-L6-v2 (worker)', metric: 'embed p99', value: percentile(corpus.embedMs, 99), unit: 'ms' })
  }
  for (const size of sizes) {
    // Ground truth first (up to 100k; at 1M the JS scan alone would take most of the time budget).
    let truth: Map<string, string[]> | null = null
    if (size <= 100_000) {
      note(`search ${label(size)}: ground truth`)
      const gt = ours(true)
      await gt.build(size, corpus.entry)
      truth = new Map()
      for (const q of queries) {
        truth.set(`u:${q.text}`, await gt.search(q))
        truth.set(`f:${q.text}`, await gt.search({ ...q, kind: 'lora' }))
      }
      await gt.close()
      gc()
    }
    await measure(ours(), size, corpus, truth, queries)
    if (size <= anchorsMax) {
      const some = queries.slice(0, anchorQueries)
      await measure(await orama(), size, corpus, truth, some)
      await measure(await lancedb(), size, corpus, truth, some)
    }
  }
  report.print()
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
