// Paid storage replicas over loopback with real mesh nodes (content + ledger + market + storage): put a
// file with 3 replicas vs a single-host copy in the same run (chunking, contracts, each host fetching the
// file with the verified download, first proof and payment), get it back on a fresh node from the hosts,
// and what audits cost (one challenge = one random block, every 10 minutes by default).
// All nodes share this process on a loaded 2-core machine: CPU (noise, hashing) dominates.
//
// Usage: npm run bench -- storage [--json] [--mb 20]
import '../src/node/polyfills'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { contentFeature } from '../src/node/content'
import { ledgerFeature } from '../src/node/economy'
import { marketFeature } from '../src/node/market'
import { createMeshNode, type MeshNode } from '../src/node/mesh-node'
import { storageFeature } from '../src/node/storage-market'
import { AUDIT_INTERVAL_MS } from '../src/node/storage-market/constants'
import { BenchReport, note } from './_report'

process.env.CONTINUUM_JOIN_DIFFICULTY ??= '8'
const report = new BenchReport('storage')
const arg = (name: string, def: number): number => process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : def
const MB = arg('--mb', 20)
const dirs: string[] = []

async function start (bootstrap: MeshNode[]): Promise<MeshNode> {
  const ledger = ledgerFeature({ minJoinDifficulty: 8, syncIntervalMs: 300, settleDelayMs: 200 })
  const content = contentFeature({ findProvidersTimeoutMs: 3_000, payments: ledger })
  const market = marketFeature({ reannounceMs: 300, payments: ledger })
  const dir = await mkdtemp(path.join(os.tmpdir(), 'continuum-bench-storage-'))
  dirs.push(dir)
  const n = createMeshNode({
    dataDir: dir, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, simulation: true,
    bootstrap: bootstrap.map(b => b.libp2p.getMultiaddrs()[0].toString()),
    features: [content, ledger, market, storageFeature({ content, listings: market, payments: ledger })]
  })
  await n.start()
  return n
}

const until = async (check: () => boolean, ms = 60_000): Promise<void> => {
  const end = Date.now() + ms
  while (!check()) { if (Date.now() > end) throw new Error('timed out'); await new Promise(r => setTimeout(r, 100)) }
}

async function main (): Promise<void> {
  const owner = await start([])
  const hosts = [await start([owner]), await start([owner]), await start([owner]), await start([owner])]
  const getter = await start([owner, hosts[0]])
  const all = [owner, ...hosts, getter]
  try {
    await Promise.all(all.map(async n => n.wallet!.join()))
    for (const h of hosts) await h.storage!.offer({ capacityMb: 10_000, pricePerMbDay: 1_000 })
    await until(() => owner.market!.list({ type: 'storage', minAvailability: 0 }).length >= hosts.length)
    const work = await mkdtemp(path.join(os.tmpdir(), 'continuum-bench-storage-files-'))
    dirs.push(work)
    const bytes = MB * 1_000_000
    for (const [replicas, hostSet] of [[1, [hosts[3]]], [3, hosts.slice(0, 3)]] as const) {
      const file = path.join(work, `file-${replicas}.bin`)
      await writeFile(file, randomBytes(bytes))
      const t0 = performance.now()
      const v = await owner.storage!.put(file, { replicas, days: 1, maxPrice: 1_000, hosts: hostSet.map(h => h.peerId.toString()) })
      const secs = (performance.now() - t0) / 1000
      report.add({ case: `put ${MB} MB`, system: replicas === 1 ? 'single host copy' : '3 replicas', metric: 'throughput', value: +(MB / secs).toFixed(2), unit: 'MB/s' })
      if (replicas === 3) {
        const out = path.join(work, 'got.bin')
        const t1 = performance.now()
        const r = await getter.storage!.get(v.cid, { out })
        const gs = (performance.now() - t1) / 1000
        report.add({ case: `get ${MB} MB`, system: `from ${r.providers.length} hosts`, metric: 'throughput', value: +(MB / gs).toFixed(2), unit: 'MB/s' })
        const t2 = performance.now()
        await owner.storage!.auditNow()
        report.add({ case: 'audit round (3 hosts, 1 file)', system: 'continuum', metric: 'time', value: +(performance.now() - t2).toFixed(1), unit: 'ms' })
        // One challenge moves one block (≤ 256 KiB of data) whatever the file's size: per GB·day that is
        // challenges/day × block bytes ÷ GB, per replica.
        const perDay = 86_400_000 / AUDIT_INTERVAL_MS
        report.add({ case: 'audit traffic per replica', system: `${MB} MB file`, metric: 'bytes per GB·day', value: Math.round(perDay * 262_144 / (MB / 1000)), unit: 'B' })
        report.add({ case: 'audit traffic per replica', system: '1 GB file', metric: 'bytes per GB·day', value: Math.round(perDay * 262_144), unit: 'B' })
      }
    }
    note(`load: ${os.loadavg().map(x => x.toFixed(2)).join(' ')}`)
    report.print()
  } finally {
    await Promise.all(all.map(async n => n.stop().catch(() => {})))
    await Promise.all(dirs.map(async d => rm(d, { recursive: true, force: true, maxRetries: 5 }).catch(() => {})))
  }
}

main().catch(err => { console.error(err); process.exit(1) })
