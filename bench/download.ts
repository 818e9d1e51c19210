// Multi-provider download of a 50 MB bundle over loopback: 1 vs 3 providers, with the product's block
// exchange (/continuum/blocks/1.0.0 over TCP + noise + yamux) and downloader (parallel batches,
// every block verified against its CID and written to a fresh on-disk blockstore).
//
// Cases:
// - "loopback": providers serve as fast as they can. All four nodes run in this one process on a
//   2-core machine, so this measures CPU (noise encryption, hashing) more than any network.
// - "uplink N MB/s": each provider caps its upload (ContentInit.maxUploadBytesPerSec), as a home
//   connection would; this is where several providers pay off.
// Plus verification throughput: hashing blocks against their CIDs, and re-reading a stored DAG.
//
// Usage: npm run bench -- download [--json] [--mb 50] [--runs 3] [--cap 2]
import '../src/node/polyfills'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import type { CID } from 'multiformats/cid'
import { FsBlockstore } from '../src/node/content/blockstore'
import { buildFileDag, decodeFileNode, verifyBlock } from '../src/node/content/dag'
import { downloadDag, readDag } from '../src/node/content/downloader'
import { BlockServer } from '../src/node/content/exchange'
import { BenchReport, note } from './_report'

const report = new BenchReport('download')
const arg = (name: string, def: number): number => process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : def
const MB = arg('--mb', 50)
const RUNS = arg('--runs', 3)
const CAP = arg('--cap', 2)
const BATCH = arg('--batch', 0)
const LOOPS = arg('--loops', 0)

async function node (): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() },
    connectionManager: { inboundConnectionThreshold: 10_000 }
  })
}

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

async function main (): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'continuum-bench-download-'))
  const size = MB * 1024 * 1024
  note(`Building a ${MB} MB bundle DAG into 3 provider blockstores…`)
  const data = randomBytes(size)
  const stores = await Promise.all([0, 1, 2].map(async i => { const s = new FsBlockstore(path.join(work, `p${i}`)); await s.open(); return s }))
  const allBlocks: Array<{ cid: CID, bytes: Uint8Array }> = []
  const dag = await buildFileDag([data], async (cid, bytes) => {
    allBlocks.push({ cid, bytes })
    await Promise.all(stores.map(s => s.put(cid, bytes)))
  })
  note(`  ${dag.blocks} blocks, root ${dag.cid.toString()}`)

  // Verification throughput (single core).
  let t0 = performance.now()
  for (const b of allBlocks) verifyBlock(b.cid, b.bytes)
  let secs = (performance.now() - t0) / 1000
  report.add({ case: `${MB} MB bundle`, system: 'verify blocks (sha2-256 vs CID)', metric: 'throughput', value: Math.round(size / secs / 1e6), unit: 'MB/s' })
  t0 = performance.now()
  for (const b of allBlocks) decodeFileNode(b.cid, b.bytes)
  secs = (performance.now() - t0) / 1000
  report.add({ case: `${MB} MB bundle`, system: 'decode UnixFS nodes', metric: 'throughput', value: Math.round(size / secs / 1e6), unit: 'MB/s' })
  t0 = performance.now()
  let n = 0
  for await (const piece of readDag(stores[0], dag.cid)) n += piece.length
  secs = (performance.now() - t0) / 1000
  if (n !== size) throw new Error('readDag returned the wrong size')
  report.add({ case: `${MB} MB bundle`, system: 'read + re-verify stored DAG from disk', metric: 'throughput', value: Math.round(size / secs / 1e6), unit: 'MB/s' })

  for (const cap of [0, CAP]) {
    const providers = await Promise.all([0, 1, 2].map(() => node()))
    const servers = providers.map((p, i) => new BlockServer({ libp2p: p, blocks: stores[i], maxUploadBytesPerSec: cap * 1e6 }))
    await Promise.all(servers.map(s => s.start()))
    const label = cap === 0 ? 'loopback, uncapped' : `uplink ${cap} MB/s per provider`
    const timings: Record<number, number[]> = { 1: [], 3: [] }
    for (let run = 0; run < RUNS; run++) {
      for (const count of [1, 3]) {
        const downloader = await node()
        for (const p of providers.slice(0, count)) await downloader.dial(p.getMultiaddrs()[0])
        const dir = path.join(work, `d-${cap}-${count}-${run}`)
        const blocks = new FsBlockstore(dir)
        await blocks.open()
        const start = performance.now()
        const r = await downloadDag({ libp2p: downloader, blocks, root: dag.cid, providers: providers.slice(0, count).map(p => p.peerId), ...(BATCH > 0 ? { blocksPerRequest: BATCH } : {}), ...(LOOPS > 0 ? { requestsPerProvider: LOOPS } : {}) })
        const ms = performance.now() - start
        if (r.size !== size || r.failed.length > 0) throw new Error(`bad download: ${JSON.stringify(r)}`)
        timings[count].push(ms)
        note(`  ${label}: ${count} provider(s), run ${run + 1}: ${(ms / 1000).toFixed(2)} s (${(size / ms / 1e3).toFixed(1)} MB/s), used ${r.providersUsed.length}`)
        await downloader.stop()
        await rm(dir, { recursive: true, force: true })
      }
    }
    for (const count of [1, 3]) {
      const ms = median(timings[count])
      report.add({ case: `${MB} MB, ${label}`, system: `${count} provider${count === 1 ? '' : 's'}`, metric: 'time (median)', value: Math.round(ms), unit: 'ms' })
      report.add({ case: `${MB} MB, ${label}`, system: `${count} provider${count === 1 ? '' : 's'}`, metric: 'rate', value: Math.round(size / ms / 1e3 * 10) / 10, unit: 'MB/s' })
    }
    report.add({ case: `${MB} MB, ${label}`, system: '3 vs 1 providers', metric: 'speed-up', value: Math.round(median(timings[1]) / median(timings[3]) * 100) / 100, unit: 'x' })
    await Promise.all(servers.map(s => s.stop()))
    await Promise.all(providers.map(p => p.stop()))
  }
  await rm(work, { recursive: true, force: true })
  report.print()
}

main().catch(err => { console.error(err); process.exit(1) })
