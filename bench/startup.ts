// How fast a node starts, how fast it joins 50 loopback peers, and what each node costs in memory.
// Comparison in the same run: a bare libp2p node (TCP + noise + yamux + identify), i.e. the cost of
// the stack we build on, without our identity store, DHT, gossipsub, PEX and bootstrap.
import '../src/node/polyfills'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import { createMeshNode, type MeshNode } from '../src/node/mesh-node'
import { BenchReport, note, percentile } from './_report'

const PEERS = Number(process.env.BENCH_PEERS ?? 50)
const STARTS = 10
const report = new BenchReport('startup')
const dirs: string[] = []

async function meshNode (bootstrap: string[] = []): Promise<MeshNode> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'continuum-bench-'))
  dirs.push(dir)
  const node = createMeshNode({ dataDir: dir, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, simulation: true, bootstrap, maxNeighbours: 8 })
  await node.start()
  return node
}

async function bareNode (): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { inboundConnectionThreshold: 10_000, maxIncomingPendingConnections: 1000 },
    services: { identify: identify() }
  })
}

function gc (): void { (globalThis as { gc?: () => void }).gc?.() }
const rssMiB = (): number => process.memoryUsage().rss / 1024 / 1024
const heapMiB = (): number => { const m = process.memoryUsage(); return (m.heapUsed + m.external) / 1024 / 1024 }

async function main (): Promise<void> {
  // 1. Start time.
  const ours: number[] = []
  const bare: number[] = []
  for (let i = 0; i < STARTS; i++) {
    let t = performance.now()
    const n = await meshNode()
    ours.push(performance.now() - t)
    await n.stop()
    t = performance.now()
    const b = await bareNode()
    bare.push(performance.now() - t)
    await b.stop()
  }
  report.add({ case: 'start node', system: 'continuum MeshNode', metric: 'p50', value: percentile(ours, 50), unit: 'ms' })
  report.add({ case: 'start node', system: 'bare libp2p', metric: 'p50', value: percentile(bare, 50), unit: 'ms' })
  note(`start: ours p50 ${percentile(ours, 50).toFixed(1)} ms, bare ${percentile(bare, 50).toFixed(1)} ms`)

  // 2. Memory per node and joining 50 peers.
  gc()
  const before = rssMiB()
  const heapBefore = heapMiB()
  const peers: MeshNode[] = []
  for (let i = 0; i < PEERS; i++) peers.push(await meshNode())
  gc()
  const perNode = (rssMiB() - before) / PEERS
  report.add({ case: `${PEERS} idle nodes in one process`, system: 'continuum MeshNode', metric: 'RSS per node', value: perNode, unit: 'MiB' })
  report.add({ case: `${PEERS} idle nodes in one process`, system: 'continuum MeshNode', metric: 'JS heap + buffers per node', value: (heapMiB() - heapBefore) / PEERS, unit: 'MiB' })
  const single = process.memoryUsage().rss / 1024 / 1024
  report.add({ case: 'whole process (all nodes + Node runtime)', system: 'continuum MeshNode', metric: 'RSS', value: single, unit: 'MiB' })
  note(`memory: ${perNode.toFixed(1)} MiB per node`)

  const addrs = peers.map(p => p.libp2p.getMultiaddrs()[0].toString())
  let t = performance.now()
  const joiner = await meshNode(addrs)
  while (joiner.libp2p.getPeers().length < PEERS && performance.now() - t < 60_000) await new Promise(resolve => setTimeout(resolve, 5))
  const joinMs = performance.now() - t
  const report1 = await joiner.bootstrapped
  const bootstrapMs = performance.now() - t
  report.add({ case: `connect to ${PEERS} loopback peers`, system: 'continuum MeshNode (bootstrap)', metric: 'time to all connected', value: joinMs, unit: 'ms' })
  report.add({ case: `connect to ${PEERS} loopback peers`, system: 'continuum MeshNode (bootstrap)', metric: 'bootstrap report done', value: bootstrapMs, unit: 'ms' })
  report.add({ case: `connect to ${PEERS} loopback peers`, system: 'continuum MeshNode (bootstrap)', metric: 'connected', value: joiner.libp2p.getPeers().length, unit: 'peers' })
  note(`join: ${joinMs.toFixed(0)} ms, ${report1.connectedPeers} peers`)

  const bareJoiner = await bareNode()
  const { multiaddr } = await import('@multiformats/multiaddr')
  t = performance.now()
  const queue = [...addrs]
  await Promise.all(Array.from({ length: 8 }, async () => {
    for (let a = queue.shift(); a !== undefined; a = queue.shift()) await bareJoiner.dial(multiaddr(a)).catch(() => {})
  }))
  const bareJoin = performance.now() - t
  report.add({ case: `connect to ${PEERS} loopback peers`, system: 'bare libp2p (8 parallel dials)', metric: 'time to all connected', value: bareJoin, unit: 'ms' })
  report.add({ case: `connect to ${PEERS} loopback peers`, system: 'bare libp2p (8 parallel dials)', metric: 'connected', value: bareJoiner.getPeers().length, unit: 'peers' })

  await bareJoiner.stop()
  await joiner.stop()
  await Promise.all(peers.map(p => p.stop()))
  await Promise.all(dirs.map(d => rm(d, { recursive: true, force: true, maxRetries: 5 })))
  report.print()
}

main().catch(err => { console.error(err); process.exit(1) })
