// `continuum genome publish|install|remove|export` and `continuum dht find-topic|stats`: adapter
// bundles as content over the DHT, through the running node's local API.
import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import path from 'node:path'
import type { DhtStatsSnapshot, InstalledAdapter, InstallResult, TopicLookup } from '..'
import { clientFor, printJson } from './program'

function parsePrice (v: string): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0 || n > 1e9) throw new InvalidArgumentError('expected a whole number of tokens, 0-1000000000')
  return n
}

export function formatBytes (n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`
  return `${(n / 1024 ** 3).toFixed(2)} GiB`
}

interface StreamRecord { type: string, error?: { message: string }, [k: string]: unknown }

/** Reads an NDJSON stream; progress goes to stderr on a terminal; returns the 'done' record. */
export async function runStream (cmd: Command, pathname: string, body: unknown, showProgress: (r: StreamRecord) => string | undefined, quiet: boolean): Promise<StreamRecord> {
  const client = await clientFor(cmd)
  const tty = process.stderr.isTTY === true && !quiet
  let done: StreamRecord | undefined
  try {
    for await (const rec of client.stream<StreamRecord>('POST', pathname, body)) {
      if (rec.type === 'error') throw new Error(rec.error?.message ?? 'the node reported an error')
      if (rec.type === 'progress' && tty) {
        const line = showProgress(rec)
        if (line !== undefined) process.stderr.write(`\r\x1b[K${line}`)
      }
      if (rec.type === 'done') done = rec
    }
  } finally {
    if (tty) process.stderr.write('\r\x1b[K')
  }
  if (done === undefined) throw new Error('The node ended the operation without a result: see its log')
  return done
}

function installProgressLine (r: StreamRecord): string | undefined {
  if (r.stage === 'resolving') return 'Resolving…'
  if (r.stage === 'verifying') return 'Verifying and unpacking…'
  if (r.stage !== 'downloading') return undefined
  const total = Number(r.totalBytes)
  const rate = typeof r.rateBytesPerSec === 'number' ? ` at ${formatBytes(r.rateBytesPerSec)}/s` : ''
  return `Downloading ${formatBytes(Number(r.bytes))}${total > 0 ? ` / ${formatBytes(total)}` : ''} from ${String(r.providers)} provider${r.providers === 1 ? '' : 's'}${rate}`
}

export async function printInstalled (cmd: Command, project: string, json: boolean): Promise<void> {
  const dir = path.resolve(project)
  const rows = await (await clientFor(cmd)).call<InstalledAdapter[]>('GET', `/api/genome/installed?project=${encodeURIComponent(dir)}`)
  if (json) { printJson(rows); return }
  if (rows.length === 0) { console.log(`No adapters installed in ${dir}. Install one with: continuum genome install <cid|id|name> --project ${JSON.stringify(dir)}`); return }
  for (const r of rows) console.log(`${r.present ? ' ' : '!'} ${r.name}@${r.version}  ipfs://${r.cid}  ${formatBytes(r.size)}  from ${r.publisher.slice(-8)}${r.present ? '' : '  (missing: run continuum genome install --project DIR)'}`)
  console.log(`${rows.length} adapter${rows.length === 1 ? '' : 's'} pinned in ${path.join(dir, 'continuum.lock.json')}`)
}

export function registerContentCommands (program: Command): void {
  const genome = program.commands.find(c => c.name() === 'genome') ?? program.command('genome').description('find, import, publish and install adapters')

  genome.command('publish')
    .description('publish a PEFT adapter folder: sign its manifest, store and provide the bundle on the DHT, print its CID')
    .argument('<folder>', 'folder with adapter_config.json and adapter_model.safetensors (and README.md)')
    .option('--price <n>', 'price in tokens', parsePrice)
    .option('--json', 'print JSON')
    .action(async (folder: string, opts: { price?: number, json?: boolean }, cmd: Command) => {
      const r = await runStream(cmd, '/api/genome/publish', { path: path.resolve(folder), ...(opts.price !== undefined ? { price: opts.price } : {}) },
        rec => rec.stage === 'storing' ? `Storing blocks… ${formatBytes(Number(rec.bytes ?? 0))}` : rec.stage === 'providing' ? 'Announcing on the DHT…' : `${String(rec.stage)}…`, opts.json === true)
      if (opts.json === true) { printJson(r); return }
      console.log(`Published ${String(r.id)}@${String(r.version)} (${formatBytes(Number(r.size))})`)
      console.log(`ipfs://${String(r.cid)}`)
      console.log(`CIDv0: ${String(r.cidV0)}  sha-256: ${String(r.sha256)}`)
      if (r.provided === 0) console.log('note: no DHT peer was reachable; the bundle will be announced when peers connect')
    })

  genome.command('install')
    .description('download, verify and install an adapter into a project (no argument: everything its lockfile pins)')
    .argument('[ref]', 'ipfs://<cid>, a CID, publisher/id@version, id@version or an adapter id')
    .option('--project <dir>', 'project folder', '.')
    .option('--max-price <n>', 'the most tokens you accept to pay the publisher of a priced adapter (default 0: priced adapters are refused)', parsePrice)
    .option('--publisher <peerId>', 'install only this publisher\'s adapter')
    .option('--no-seed', 'do not keep hosting what was installed')
    .option('--json', 'print JSON')
    .action(async (ref: string | undefined, opts: { project: string, seed: boolean, json?: boolean, maxPrice?: number, publisher?: string }, cmd: Command) => {
      const project = path.resolve(opts.project)
      const body = {
        ...(ref !== undefined ? { ref } : {}), project, ...(opts.seed ? {} : { seed: false }),
        ...(opts.maxPrice !== undefined ? { maxPrice: opts.maxPrice } : {}), ...(opts.publisher !== undefined && ref !== undefined ? { publisher: opts.publisher } : {})
      }
      const r = await runStream(cmd, '/api/genome/install', body, installProgressLine, opts.json === true)
      const results = r.results as InstallResult[]
      if (opts.json === true) { printJson(results); return }
      if (results.length === 0) { console.log(`Nothing to install: ${path.join(project, 'continuum.lock.json')} pins no adapters`); return }
      for (const x of results) {
        const rel = path.relative(process.cwd(), x.dir) || '.'
        if (x.alreadyInstalled) console.log(`${x.name}@${x.version} is already installed (ipfs://${x.cid}) in ${rel}`)
        else console.log(`Installed ${x.name}@${x.version} (ipfs://${x.cid}) into ${rel}${x.download !== undefined ? ` from ${x.download.providersUsed.length} provider${x.download.providersUsed.length === 1 ? '' : 's'}` : ''}`)
        if (x.payment !== undefined) console.log('error' in x.payment ? `  not paid: ${x.payment.error}` : `  paid ${x.payment.amount} token${x.payment.amount === 1 ? '' : 's'} to ${x.payment.host.slice(-8)}${x.payment.priced ? ' (the publisher, the accepted price)' : ' (unpriced: 1 token per MB, to the host)'}; balance ${x.payment.balance} tokens`)
        for (const f of x.download?.failed ?? []) console.log(`  dropped provider ${f.peer.slice(-8)}: ${f.reason === 'verification' ? 'sent data that failed verification' : f.detail}`)
      }
      console.log(`Lockfile: ${path.relative(process.cwd(), path.join(project, 'continuum.lock.json'))}`)
    })

  genome.command('remove')
    .description('remove an installed adapter from a project and its lockfile')
    .argument('<name>', 'adapter id (as in the lockfile)')
    .option('--project <dir>', 'project folder', '.')
    .action(async (name: string, opts: { project: string }, cmd: Command) => {
      const r = await (await clientFor(cmd)).call<{ name: string, version: string }>('POST', '/api/genome/remove', { name, project: path.resolve(opts.project) })
      console.log(`Removed ${r.name}@${r.version}`)
    })

  genome.command('export')
    .description('write a stored bundle to a file (e.g. to check its CID with ipfs_cid)')
    .argument('<cid>', 'ipfs://<cid> or a CID')
    .argument('<file>', 'output file (the bundle is a tar)')
    .action(async (cid: string, file: string, _opts: unknown, cmd: Command) => {
      const r = await (await clientFor(cmd)).call<{ cid: string, size: number }>('POST', '/api/genome/export', { cid, path: path.resolve(file) })
      console.log(`Wrote ipfs://${r.cid} (${formatBytes(r.size)}) to ${file}`)
    })

  const dht = program.command('dht').description('the content DHT: topics and statistics')
  dht.command('find-topic')
    .description('providers of adapters with a specialization tag (one DHT lookup)')
    .argument('<tag>', 'specialization tag, e.g. "wine pairing"')
    .option('--json', 'print JSON')
    .action(async (tag: string, opts: { json?: boolean }, cmd: Command) => {
      const r = await (await clientFor(cmd)).call<TopicLookup>('GET', `/api/dht/find-topic?tag=${encodeURIComponent(tag)}`)
      if (opts.json === true) { printJson(r); return }
      if (r.providers.length === 0) { console.log(`No providers of "${r.tag}" found (${r.queried} peers asked, ${r.elapsedMs} ms)`); return }
      for (const p of r.providers) {
        console.log(`${p.peerId}`)
        for (const a of p.adapters) console.log(`  ${a.id}@${a.version}  ${a.name}  ipfs://${a.cid}`)
      }
      console.log(`${r.providers.length} provider${r.providers.length === 1 ? '' : 's'} of "${r.tag}" in ${r.elapsedMs} ms (${r.hops} hop${r.hops === 1 ? '' : 's'}, ${r.queried} peers asked)`)
    })
  dht.command('stats')
    .description('routing table, provided records and lookup times')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const s = await (await clientFor(cmd)).call<DhtStatsSnapshot>('GET', '/api/dht/stats')
      if (opts.json === true) { printJson(s); return }
      console.log(`Routing table:    ${s.routingTable.size} peers in ${s.routingTable.buckets} buckets (${s.routingTable.nonEmptyBuckets} non-empty, largest ${s.routingTable.largestBucket})`)
      console.log(`Records provided: ${s.recordsProvided}${s.lastReprovideAt !== null ? ` (last re-provide ${s.lastReprovideAt})` : ''}`)
      console.log(`Provides:         ${s.provides.count} (${s.provides.failed} failed), mean ${s.provides.meanMs} ms, p90 ${s.provides.p90Ms} ms, ${s.provides.meanHops} hops`)
      console.log(`Lookups:          ${s.lookups.count} (${s.lookups.failed} failed), mean ${s.lookups.meanMs} ms, p90 ${s.lookups.p90Ms} ms, ${s.lookups.meanHops} hops`)
    })
}
