// `continuum genome …`: import, search and list adapters through the running node.
import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import path from 'node:path'
import readline from 'node:readline'
import { clientFor, printJson } from './program'
import { UsageError } from './errors'
import type { AdapterResult, ApiClient, SearchUpdate } from '..'
import { printInstalled } from './content'

/** `genome import` exit code when some lines or folders were skipped but others imported. */
export const IMPORT_PARTIAL_EXIT_CODE = 2

interface CatalogLoading { done: number, total: number }
/** `POST /api/genome/search`: the local results of the node's search pipeline. */
interface SearchResponse { query: string, language?: string, searchedAs?: string, truncated: boolean, elapsedMs: number, results: AdapterResult[], loading?: CatalogLoading }

/** `catalog loading: 120 of 320 imported`, so an early search is not mistaken for "nothing matches". */
export function loadingNote (loading: CatalogLoading | undefined): string | undefined {
  return loading === undefined ? undefined : `catalog loading: ${loading.done} of ${loading.total} imported; search again in a moment for the rest`
}

function parseK (v: string): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new InvalidArgumentError('expected a whole number 1-100')
  return n
}

function parseSimilarity (v: string): number {
  const n = Number(v)
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('expected a number between 0 and 1')
  return n
}

export function formatResults (res: SearchResponse): string {
  const loading = loadingNote(res.loading)
  if (res.results.length === 0) return loading !== undefined ? `No adapters match "${res.query}" yet: ${loading}.` : `No adapters match "${res.query}" in the local catalog.`
  const lines = res.results.map((r, i) => {
    const where = r.location === 'local' ? 'local' : `remote, ${r.availableFrom.length} peer${r.availableFrom.length === 1 ? '' : 's'}`
    const extras = [`${where}`, r.price > 0 ? `${r.price} token${r.price === 1 ? '' : 's'}` : 'free', ...(r.rating !== undefined ? [`★ ${r.rating.toFixed(1)}`] : [])]
    return `${String(i + 1).padStart(2)}. ${r.name} ${r.version} (${r.similarity.toFixed(2)} similarity)  [${extras.join(', ')}]\n    ├─ Specializations: ${r.specializations.slice(0, 5).join(', ')}\n    └─ ${truncate(r.description, 110)}`
  })
  const notes = [`${res.results.length} result${res.results.length === 1 ? '' : 's'} in ${res.elapsedMs.toFixed(0)} ms`]
  if (res.language !== undefined && res.language !== 'en' && res.searchedAs !== undefined) notes.push(`note: searched in English words (query language: ${res.language}): "${res.searchedAs}"`)
  if (res.truncated) notes.push('note: the query was longer than the model window (256 word pieces); only its start was used')
  if (loading !== undefined) notes.push(`note: ${loading}`)
  return [...lines, '', ...notes].join('\n')
}

function truncate (s: string, n: number): string { return s.length > n ? s.slice(0, n - 1) + '…' : s }

interface SearchOptions { k: number, minSimilarity?: number, json?: boolean, network?: boolean, timeout: number, hops: number, minResults?: number }
/** NDJSON records of `POST /api/search` and `/api/flood/continue`: the pipeline's updates, or an error. */
type SearchRecord = SearchUpdate | { type: 'error', error?: { message: string } }

/** `10s`, `2.5s`, `2500ms` or a bare number of seconds → ms, 1-30 s. */
export function parseDuration (v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(v.trim())
  const ms = m === null ? NaN : m[2] === 'ms' ? Number(m[1]) : Number(m[1]) * 1000
  if (!Number.isFinite(ms) || ms < 1000 || ms > 30_000) throw new InvalidArgumentError('expected a duration from 1s to 30s, e.g. 10s or 2500ms')
  return Math.round(ms)
}

function parseHops (v: string): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1 || n > 10) throw new InvalidArgumentError('expected a whole number 1-10')
  return n
}

function parseMinResults (v: string): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new InvalidArgumentError('expected a whole number 1-100')
  return n
}

function seconds (ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1).replace(/\.0$/, '')}s` : `${Math.round(ms / 1000)}s`
}

/** One network batch: `[1.2s] ✓ Found 3 results: …` and a line per result. */
export function formatBatch (rec: Pick<Extract<SearchUpdate, { type: 'batch' }>, 'results' | 'elapsedMs'>, shownBefore: number): string {
  const rows = rec.results
  const head = `[${seconds(rec.elapsedMs ?? 0)}] ✓ Found ${rows.length} result${rows.length === 1 ? '' : 's'}: ${rows.slice(0, 3).map(r => `${r.name} (${r.similarity.toFixed(2)})`).join(', ')}${rows.length > 3 ? ', …' : ''}`
  const lines = rows.map((r, i) => `${String(shownBefore + i + 1).padStart(2)}. ${r.name} ${r.version} (${r.similarity.toFixed(2)} similarity)  [${r.hops ?? 0} hop${r.hops === 1 ? '' : 's'} away, from …${(r.sourcePeer ?? '').slice(-8)}, ${r.price > 0 ? `${r.price} token${r.price === 1 ? '' : 's'}` : 'free'}]\n    └─ ${truncate(r.description, 110)}`)
  return [head, ...lines].join('\n')
}

/** Local results, then network batches as they arrive, a summary, and on a terminal an offer to search further. */
async function networkSearch (client: ApiClient, text: string, opts: SearchOptions): Promise<void> {
  const json = opts.json === true
  let shown = 0
  const show = async (records: AsyncIterable<SearchRecord>): Promise<Extract<SearchUpdate, { type: 'done' }> | undefined> => {
    let done: Extract<SearchUpdate, { type: 'done' }> | undefined
    for await (const rec of records) {
      if (rec.type === 'error') throw new Error(rec.error?.message ?? 'the node ended the search with an error')
      if (json) process.stdout.write(JSON.stringify(rec) + '\n')
      if (rec.type === 'done') { done = rec; continue }
      if (json) continue
      if (rec.type === 'local') {
        const local = { query: rec.query ?? text, language: rec.language, searchedAs: rec.searchedAs, truncated: rec.truncated ?? false, elapsedMs: rec.elapsedMs ?? 0, results: rec.results ?? [], loading: rec.loading }
        console.log(local.results.length === 0 ? formatResults(local) : `Local catalog:\n${formatResults(local)}`)
        shown += local.results.length
        console.log(`Searching the mesh (${opts.hops} hop${opts.hops === 1 ? '' : 's'}, up to ${seconds(opts.timeout)})…`)
      } else if (rec.type === 'batch') {
        console.log(formatBatch(rec, shown))
        shown += rec.results?.length ?? 0
      }
    }
    if (done === undefined) throw new Error('The node ended the search without a summary: see its log')
    if (!json) {
      if (done.network === false) console.log('Network search is not running on this node (flood feature off): local results only.')
      else console.log(`Search complete: ${done.total ?? 0} result${done.total === 1 ? '' : 's'} from ${done.peersAnswered ?? 0} peer${done.peersAnswered === 1 ? '' : 's'} in ${seconds(done.elapsedMs ?? 0)}${done.reason === 'early-stop' ? ' (stopped early: enough good results)' : ''}`)
    }
    return done
  }
  let done = await show(client.stream<SearchRecord>('POST', '/api/search', {
    query: text, k: opts.k, minSimilarity: opts.minSimilarity, network: true, timeoutMs: opts.timeout, hops: opts.hops, minResults: opts.minResults
  }))
  let hops = opts.hops
  // Patience buys accuracy: offer to search further (more hops), never repeating what was shown.
  while (!json && process.stdin.isTTY === true && process.stdout.isTTY === true && done?.network === true && done.searchId !== undefined && hops < 10) {
    if (!await confirm('Continue searching? [y/N] ')) break
    hops = Math.min(10, hops + 2)
    console.log(`Searching further (${hops} hops, up to ${seconds(opts.timeout)})…`)
    done = await show(client.stream<SearchRecord>('POST', '/api/flood/continue', { searchId: done.searchId, hops, timeoutMs: opts.timeout, minResults: opts.minResults, minSimilarity: opts.minSimilarity }))
  }
}

async function confirm (question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout })
  try {
    const answer = await new Promise<string>(resolve => rl.question(question, resolve))
    return /^y(es)?$/i.test(answer.trim())
  } finally {
    rl.close()
  }
}

export function registerGenomeCommands (program: Command): void {
  const genome = program.command('genome').description('find, import and list adapters')

  genome.command('search')
    .description('semantic search: describe what you are building ("-" reads one query per line from stdin)')
    .argument('<text>', 'what you are building, or - for stdin')
    .option('--k <n>', 'results to show', parseK, 10)
    .option('--min-similarity <x>', 'hide results below this cosine similarity (0-1)', parseSimilarity)
    .option('--network', 'also search the mesh (bounded flood): results stream in as peers answer')
    .option('--timeout <duration>', 'with --network: how long to wait, 1s-30s (e.g. 10s, 2500ms)', parseDuration, 10_000)
    .option('--hops <n>', 'with --network: how far the query travels, 1-10', parseHops, 3)
    .option('--min-results <n>', 'with --network: stop early once this many results are in and the best is above 0.9', parseMinResults)
    .option('--json', 'print JSON (with --network: one line per batch and one for the summary)')
    .action(async (text: string, opts: SearchOptions, cmd: Command) => {
      const client = await clientFor(cmd)
      const ask = (query: string): Promise<SearchResponse> => client.call<SearchResponse>('POST', '/api/genome/search', { query, k: opts.k, minSimilarity: opts.minSimilarity })
      if (text === '-') {
        // One JSON line per query, for scripts and evaluation.
        const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
        for await (const line of rl) {
          if (line.trim() === '') continue
          const res = await ask(line)
          process.stdout.write(JSON.stringify({ query: line, results: res.results }) + '\n')
        }
        return
      }
      if (text.trim() === '') throw new UsageError('The query is empty: describe what you are building, e.g. continuum genome search "vineyard management assistant"')
      if (opts.network === true) { await networkSearch(client, text, opts); return }
      const res = await ask(text)
      if (opts.json === true) printJson(res)
      else console.log(formatResults(res))
    })

  genome.command('import')
    .description('import adapters: a JSONL file of manifests (missing embeddings are computed) or a folder of PEFT adapters')
    .argument('<source>', 'file.jsonl or folder')
    .option('--json', 'print the report as JSON')
    .action(async (source: string, opts: { json?: boolean }, cmd: Command) => {
      const client = await clientFor(cmd)
      let report: { imported: number, updated: number, unchanged: number, skipped: Array<{ line?: number, source: string, problems: string[] }> } | undefined
      const tty = process.stderr.isTTY === true && opts.json !== true
      for await (const rec of client.stream<Record<string, unknown>>('POST', '/api/genome/import', { path: path.resolve(source) })) {
        if (rec.type === 'progress' && tty) process.stderr.write(`\rEmbedding and signing… ${String(rec.done)}/${String(rec.total)}`)
        if (rec.type === 'error') throw new Error((rec.error as { message: string }).message)
        if (rec.type === 'done') report = rec as unknown as typeof report
      }
      if (tty) process.stderr.write('\n')
      if (report === undefined) throw new Error('The node ended the import without a report: see its log')
      if (opts.json === true) printJson(report)
      else {
        console.log(`Imported ${report.imported}, updated ${report.updated}, unchanged ${report.unchanged}, skipped ${report.skipped.length}`)
        for (const s of report.skipped) console.log(`  ${s.source}${s.line !== undefined ? `:${s.line}` : ''}: ${s.problems.join('; ')}`)
      }
      // Scripts notice a partial import: nothing usable → 1, some lines skipped → 2.
      const accepted = report.imported + report.updated + report.unchanged
      if (accepted === 0) {
        if (report.skipped.length === 0 && opts.json !== true) console.error(`error: ${source} holds no adapters: expected JSONL lines or PEFT adapter folders`)
        process.exitCode = 1
      } else if (report.skipped.length > 0) {
        process.exitCode = IMPORT_PARTIAL_EXIT_CODE
      }
    })

  genome.command('list')
    .description('adapters in the catalog')
    .option('--local', 'only own and installed adapters')
    .option('--remote', 'only adapters cached from peers')
    .option('--installed', 'adapters installed in a project (its lockfile); see --project')
    .option('--project <dir>', 'project folder for --installed', '.')
    .option('--json', 'print JSON')
    .action(async (opts: { local?: boolean, remote?: boolean, installed?: boolean, project: string, json?: boolean }, cmd: Command) => {
      if (opts.installed === true) return printInstalled(cmd, opts.project, opts.json === true)
      const q = opts.local === true ? '?location=local' : opts.remote === true ? '?location=remote' : ''
      const rows = await (await clientFor(cmd)).call<AdapterResult[]>('GET', `/api/genome/list${q}`)
      if (opts.json === true) { printJson(rows); return }
      if (rows.length === 0) { console.log('The catalog is empty. Import adapters with: continuum genome import <file.jsonl|folder>'); return }
      for (const r of rows) console.log(`${r.location === 'local' ? 'L' : 'R'} ${r.id}@${r.version}  ${r.name}${r.location === 'remote' ? `  (from ${r.availableFrom.length} peer${r.availableFrom.length === 1 ? '' : 's'})` : ''}`)
      console.log(`${rows.length} adapters (L = local, R = cached from peers)`)
    })
}
