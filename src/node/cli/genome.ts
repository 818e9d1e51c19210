// `continuum genome …`: import, search and list adapters through the running node.
import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import path from 'node:path'
import readline from 'node:readline'
import { clientFor, printJson } from './program'
import { UsageError } from './errors'

interface ResultRow {
  name: string
  id: string
  version: string
  similarity: number
  score: number
  location: 'local' | 'remote'
  specializations: string[]
  description: string
  price: number
  rating?: number
  availableFrom: string[]
}
interface SearchResponse { query: string, truncated: boolean, elapsedMs: number, results: ResultRow[] }

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
  if (res.results.length === 0) return `No adapters match "${res.query}" in the local catalog.`
  const lines = res.results.map((r, i) => {
    const where = r.location === 'local' ? 'local' : `remote, ${r.availableFrom.length} peer${r.availableFrom.length === 1 ? '' : 's'}`
    const extras = [`${where}`, r.price > 0 ? `${r.price} tokens` : 'free', ...(r.rating !== undefined ? [`★ ${r.rating.toFixed(1)}`] : [])]
    return `${String(i + 1).padStart(2)}. ${r.name} ${r.version} (${r.similarity.toFixed(2)} similarity)  [${extras.join(', ')}]\n    ├─ Specializations: ${r.specializations.slice(0, 5).join(', ')}\n    └─ ${truncate(r.description, 110)}`
  })
  const notes = [`${res.results.length} result${res.results.length === 1 ? '' : 's'} in ${res.elapsedMs.toFixed(0)} ms`]
  if (res.truncated) notes.push('note: the query was longer than the model window (256 word pieces); only its start was used')
  return [...lines, '', ...notes].join('\n')
}

function truncate (s: string, n: number): string { return s.length > n ? s.slice(0, n - 1) + '…' : s }

export function registerGenomeCommands (program: Command): void {
  const genome = program.command('genome').description('find, import and list adapters')

  genome.command('search')
    .description('semantic search: describe what you are building ("-" reads one query per line from stdin)')
    .argument('<text>', 'what you are building, or - for stdin')
    .option('--k <n>', 'results to show', parseK, 10)
    .option('--min-similarity <x>', 'hide results below this cosine similarity (0-1)', parseSimilarity)
    .option('--json', 'print JSON')
    .action(async (text: string, opts: { k: number, minSimilarity?: number, json?: boolean }, cmd: Command) => {
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
      if (opts.json === true) { printJson(report); return }
      console.log(`Imported ${report.imported}, updated ${report.updated}, unchanged ${report.unchanged}, skipped ${report.skipped.length}`)
      for (const s of report.skipped) console.log(`  ${s.source}${s.line !== undefined ? `:${s.line}` : ''}: ${s.problems.join('; ')}`)
    })

  genome.command('list')
    .description('adapters in the catalog')
    .option('--local', 'only own and installed adapters')
    .option('--remote', 'only adapters cached from peers')
    .option('--json', 'print JSON')
    .action(async (opts: { local?: boolean, remote?: boolean, json?: boolean }, cmd: Command) => {
      const q = opts.local === true ? '?location=local' : opts.remote === true ? '?location=remote' : ''
      const rows = await (await clientFor(cmd)).call<ResultRow[]>('GET', `/api/genome/list${q}`)
      if (opts.json === true) { printJson(rows); return }
      if (rows.length === 0) { console.log('The catalog is empty. Import adapters with: continuum genome import <file.jsonl|folder>'); return }
      for (const r of rows) console.log(`${r.location === 'local' ? 'L' : 'R'} ${r.id}@${r.version}  ${r.name}${r.location === 'remote' ? `  (from ${r.availableFrom.length} peer${r.availableFrom.length === 1 ? '' : 's'})` : ''}`)
      console.log(`${rows.length} adapters (L = local, R = cached from peers)`)
    })
}
