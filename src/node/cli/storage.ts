// `continuum storage offer|put|get|status|list`: paid storage replicas through the running node's local
// API. Prices are tokens (the API converts them to ledger units).
import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import path from 'node:path'
import { parseCapacity } from '..'
import { clientFor, printJson } from './program'
import { formatBytes, runStream } from './content'
import { shortId } from './format'

function parseNumber (what: string, min: number, max: number, whole = false): (v: string) => number {
  return v => {
    const n = Number(v)
    if (!Number.isFinite(n) || n < min || n > max || (whole && !Number.isInteger(n))) throw new InvalidArgumentError(`expected ${whole ? 'a whole number' : 'a number'} ${min}-${max} (${what})`)
    return n
  }
}

interface HostRow { host: string, status: string, proofs: number, lastProof?: string, nextAudit?: string, paid: number, total: number, nextPayment?: number, reason?: string }
interface FileRow { cid: string, name: string, size: number, replicas: number, healthy: number, health: string, end: string, cost: number, paid: number, hosts: HostRow[] }

function printFile (f: FileRow): void {
  console.log(`${f.name}  ipfs://${f.cid}  ${formatBytes(f.size)}  ${f.healthy}/${f.replicas} replicas (${f.health})  cost ${f.cost} tokens, paid ${f.paid}  until ${f.end}`)
  for (const h of f.hosts) {
    console.log(`  ${h.status.padEnd(7)} ${shortId(h.host)}  proofs ${h.proofs}${h.lastProof !== undefined ? `, last ${h.lastProof}` : ''}  paid ${h.paid}/${h.total}${h.nextPayment !== undefined ? `, next payment ${h.nextPayment} at the next proof (${h.nextAudit ?? ''})` : ''}${h.reason !== undefined ? `  (${h.reason})` : ''}`)
  }
}

export function registerStorageCommands (program: Command): void {
  const s = program.command('storage').description('keep files alive on paid peers (replicas with audits and repair), and get them back by CID')
  s.command('offer')
    .description('offer storage on the market (a `storage` listing priced per MB-day)')
    .requiredOption('--capacity <size>', 'space offered, e.g. 10GB or 500MB', v => { try { return parseCapacity(v) } catch (err) { throw new InvalidArgumentError((err as Error).message) } })
    .requiredOption('--price-per-mb-day <tokens>', 'price in tokens per MB per day', parseNumber('tokens', 0, 1e9))
    .option('--region <hint>', 'where this node runs, e.g. eu-west (for people)')
    .option('--json', 'print JSON')
    .action(async (o: { capacity: number, pricePerMbDay: number, region?: string, json?: boolean }, cmd: Command) => {
      const r = await (await clientFor(cmd)).call<{ capacityMb: number, pricePerMbDay: number }>('POST', '/api/storage/offer', { capacityMb: o.capacity, pricePerMbDay: o.pricePerMbDay, ...(o.region !== undefined ? { region: o.region } : {}) })
      if (o.json === true) printJson(r)
      else console.log(`Offering ${r.capacityMb} MB at ${r.pricePerMbDay} tokens per MB-day (listed on the market as storage)`)
    })
  s.command('put')
    .description('store a file on N paid hosts: contracts, transfer, payment on proof; prints the CID, hosts and cost')
    .argument('<file>', 'the file (pack a folder first: tar -cf dir.tar dir)')
    .option('--replicas <n>', 'copies on distinct hosts', parseNumber('replicas', 1, 16, true), 3)
    .option('--days <d>', 'how long to keep it', parseNumber('days', 0.0001, 366), 30)
    .option('--max-price <tokens>', 'the most tokens you accept to pay for all replicas and the whole term', parseNumber('tokens', 0, 1e9), 0)
    .option('--host <peer...>', 'only these hosts (peer ids)')
    .option('--json', 'print JSON')
    .action(async (file: string, o: { replicas: number, days: number, maxPrice: number, host?: string[], json?: boolean }, cmd: Command) => {
      const r = await runStream(cmd, '/api/storage/put', { path: path.resolve(file), replicas: o.replicas, days: o.days, maxPrice: o.maxPrice, ...(o.host !== undefined ? { hosts: o.host } : {}) },
        rec => rec.stage === 'chunking' ? `Chunking ${formatBytes(Number(rec.bytes))} / ${formatBytes(Number(rec.totalBytes))}` : rec.stage === 'contracting' ? `Placing ${String(rec.replicas)} replicas (hosts fetch and prove)…` : undefined, o.json === true)
      if (o.json === true) { printJson(r); return }
      console.log(`ipfs://${String(r.cid)}`)
      printFile(r as unknown as FileRow)
    })
  s.command('get')
    .description('fetch a file by CID from its hosts (DHT, listings) or IPFS peers, every block verified')
    .argument('<cid>', 'ipfs://<cid> or the CID')
    .option('--out <path>', 'where to write it (default: ./<cid>)')
    .option('--json', 'print JSON')
    .action(async (cid: string, o: { out?: string, json?: boolean }, cmd: Command) => {
      const r = await runStream(cmd, '/api/storage/get', { cid, ...(o.out !== undefined ? { out: path.resolve(o.out) } : { out: path.resolve(cid.replace(/^ipfs:\/\//, '')) }) },
        rec => `Downloading ${formatBytes(Number(rec.bytes))}${Number(rec.totalBytes) > 0 ? ` / ${formatBytes(Number(rec.totalBytes))}` : ''} from ${String(rec.providers)} provider(s)`, o.json === true)
      if (o.json === true) printJson(r)
      else console.log(`Wrote ${String(r.path)} (${formatBytes(Number(r.size))}) from ${(r.providers as string[]).map(shortId).join(', ')}`)
    })
  s.command('status')
    .description('hosts, last proof, next payment and health of a stored file')
    .argument('<cid>')
    .option('--json', 'print JSON')
    .action(async (cid: string, o: { json?: boolean }, cmd: Command) => {
      const r = await (await clientFor(cmd)).call<FileRow>('GET', `/api/storage/status?cid=${encodeURIComponent(cid.replace(/^ipfs:\/\//, ''))}`)
      if (o.json === true) printJson(r)
      else printFile(r)
    })
  s.command('list')
    .description('files stored through this node, and what this node hosts')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const r = await (await clientFor(cmd)).call<{ files: FileRow[], hosting: Array<{ cid: string, owner: string, size: number, end: string, total: number }> }>('GET', '/api/storage/list')
      if (o.json === true) { printJson(r); return }
      if (r.files.length === 0) console.log('No files stored. Store one with: continuum storage put FILE --replicas 3 --max-price N')
      for (const f of r.files) printFile(f)
      if (r.hosting.length > 0) console.log(`Hosting ${r.hosting.length} file(s): ${r.hosting.map(h => `ipfs://${h.cid} for ${shortId(h.owner)}`).join(', ')}`)
    })
}
