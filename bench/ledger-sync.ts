// The ledger on the network (src/node/economy), real nodes on 127.0.0.1:
// - catch-up: a new node fetches every chain a node holds (N accounts, each paying the next); compared in the
//   same run with ingesting the same blocks into a ledger on disk without any network (the floor);
// - payment latency in a line of three nodes X - Y - Z: X pays Z; until Z holds the payment, and until all
//   three agree on both balances (Z's receive included), with the default 2 s settle delay and with none;
// - heads exchange bytes: the digest exchange when two nodes agree, against the full heads list.
// Flags: --accounts N (default 300), --payments N per account (default 3), --rounds N (default 8).
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { openLedger, type Block, type Ledger } from '../src/node/ledger'
import { ledgerFeature, LedgerFeature } from '../src/node/economy'
import { createMeshNode, type MeshNode } from '../src/node/mesh-node'
import { BenchReport, note, percentile } from './_report'

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : def
}
const ACCOUNTS = arg('accounts', 300)
const PAYMENTS = arg('payments', 3)
const ROUNDS = arg('rounds', 8)
const DIFFICULTY = 8
const report = new BenchReport('ledger-sync')
const dirs: string[] = []
const nodes: MeshNode[] = []

async function tmp (): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'ledger-sync-bench-'))
  dirs.push(d)
  return d
}

async function startNode (init: { bootstrap?: string[], settleDelayMs?: number, syncIntervalMs?: number } = {}): Promise<MeshNode> {
  const node = createMeshNode({
    onLog: process.env.BENCH_VERBOSE === '1' ? r => { if (r.component.includes('ledger')) console.error(`${r.time} ${r.level} ${r.message}`) } : undefined,
    dataDir: await tmp(), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, simulation: true, bootstrap: init.bootstrap ?? [],
    features: [ledgerFeature({ minJoinDifficulty: DIFFICULTY, syncIntervalMs: init.syncIntervalMs ?? 10_000, settleDelayMs: init.settleDelayMs })]
  })
  await node.start()
  nodes.push(node)
  return node
}

const ledgerOf = (n: MeshNode): LedgerFeature => {
  if (!(n.wallet instanceof LedgerFeature)) throw new Error('the node runs no ledger')
  return n.wallet
}
const tcp = (n: MeshNode): string => n.libp2p.getMultiaddrs().map(String).find(a => a.includes('/tcp/') && !a.includes('/ws'))!

async function until (check: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

/** N accounts, each paying the next PAYMENTS times; every payment received. Returns the chains in two passes (sends first). */
async function buildHistory (): Promise<{ first: Block[], second: Block[] }> {
  const ledgers: Ledger[] = []
  for (let i = 0; i < ACCOUNTS; i++) {
    const l = await openLedger({ privateKey: await generateKeyPair('Ed25519'), minJoinDifficulty: DIFFICULTY })
    await l.join()
    ledgers.push(l)
  }
  for (let i = 0; i < ACCOUNTS; i++) await ledgers[i].ingest([...ledgers[(i + 1) % ACCOUNTS].chain()])
  for (let i = 0; i < ACCOUNTS; i++) for (let p = 0; p < PAYMENTS; p++) await ledgers[i].send(ledgers[(i + 1) % ACCOUNTS].account, 1_000_000)
  const sendsOnly = ledgers.map(l => [...l.chain()])
  for (let i = 0; i < ACCOUNTS; i++) {
    const payee = ledgers[(i + 1) % ACCOUNTS]
    await payee.ingest(sendsOnly[i])
    await payee.acceptPayments()
  }
  return { first: sendsOnly.flat(), second: ledgers.flatMap((l, i) => l.blocksAfter(l.account, sendsOnly[i].length - 1)) }
}

async function main (): Promise<void> {
try {
  note(`Building ${ACCOUNTS} accounts × ${PAYMENTS} payments…`)
  const history = await buildHistory()
  const total = history.first.length + history.second.length
  const label = `${ACCOUNTS} accounts, ${total.toLocaleString('en-US')} blocks`

  // Floor: the same blocks into a fresh ledger on disk, no network.
  const floorDir = await tmp()
  const floor = await openLedger({ privateKey: await generateKeyPair('Ed25519'), dir: floorDir, minJoinDifficulty: DIFFICULTY })
  let t = performance.now()
  for (let i = 0; i < history.first.length; i += 500) await floor.ingest(history.first.slice(i, i + 500))
  for (let i = 0; i < history.second.length; i += 500) await floor.ingest(history.second.slice(i, i + 500))
  const floorMs = performance.now() - t
  await floor.close()
  report.add({ case: label, system: 'Ledger.ingest on disk (no network)', metric: 'blocks stored', value: Math.round(total / (floorMs / 1000)), unit: 'blocks/s' })

  // Catch-up over the network.
  const a = await startNode()
  await ledgerOf(a).ledger.ingest(history.first)
  await ledgerOf(a).ledger.ingest(history.second)
  if (ledgerOf(a).ledger.accounts().length !== ACCOUNTS + 1 && ledgerOf(a).ledger.accounts().length !== ACCOUNTS) throw new Error('history not held')
  await ledgerOf(a).join()
  const c = await startNode()
  await ledgerOf(c).join()
  t = performance.now()
  await c.connect(tcp(a))
  await until(() => ledgerOf(c).headsDigest() === ledgerOf(a).headsDigest())
  const catchUpMs = performance.now() - t
  report.add({ case: label, system: 'catch-up of a new node over loopback (dial to equal digests)', metric: 'time', value: Math.round(catchUpMs), unit: 'ms' })
  report.add({ case: label, system: 'catch-up of a new node over loopback (dial to equal digests)', metric: 'blocks stored', value: Math.round(total / (catchUpMs / 1000)), unit: 'blocks/s' })
  report.add({ case: label, system: 'catch-up of a new node over loopback', metric: 'blocks fetched / blocks held', value: Number(((ledgerOf(c).status().sync as { blocksFetched: number }).blocksFetched / ledgerOf(a).ledger.accounts().reduce((s, x) => s + ledgerOf(a).ledger.chain(x).length, 0)).toFixed(3)), unit: 'ratio' })

  // Heads exchange bytes.
  const digest = ledgerOf(a).headsDigest()
  const heads = ledgerOf(a).liveHeads()
  report.add({ case: `${heads.length} chains held`, system: 'digest exchange (nodes agree)', metric: 'bytes request + answer', value: JSON.stringify({ type: 'heads', digest }).length + JSON.stringify({ digest }).length, unit: 'B' })
  report.add({ case: `${heads.length} chains held`, system: 'full heads list', metric: 'bytes request + answer', value: JSON.stringify({ type: 'heads', digest }).length + JSON.stringify({ digest, heads }).length, unit: 'B' })
  for (const n of nodes.splice(0)) await n.stop()

  // Payment latency, X - Y - Z.
  for (const settle of [2000, 0]) {
    const x = await startNode({ settleDelayMs: settle })
    const y = await startNode({ settleDelayMs: settle, bootstrap: [tcp(x)] })
    const z = await startNode({ settleDelayMs: settle, bootstrap: [tcp(y)] })
    const [X, Y, Z] = [x, y, z].map(ledgerOf)
    await Promise.all([X.join(), Y.join(), Z.join()])
    await until(() => [X, Y, Z].every(f => [X, Y, Z].every(g => f.ledger.head(g.account) != null)))
    const held: number[] = []
    const agreed: number[] = []
    for (let r = 0; r < ROUNDS; r++) {
      const t0 = performance.now()
      const sent = await X.send(Z.account, 1_000_000)
      const zBefore = Z.ledger.balance()
      await until(() => Z.ledger.head(X.account)?.hash === sent.hash)
      held.push(performance.now() - t0)
      await until(() => Z.ledger.balance() > zBefore && [X, Y, Z].every(f => f.ledger.balance(X.account) === X.ledger.balance() && f.ledger.balance(Z.account) === Z.ledger.balance()))
      agreed.push(performance.now() - t0)
    }
    const sys = `settle delay ${settle} ms`
    report.add({ case: `X pays Z (line X-Y-Z), ${ROUNDS} payments`, system: sys, metric: 'payee holds the payment, p50', value: Math.round(percentile(held, 50)), unit: 'ms' })
    report.add({ case: `X pays Z (line X-Y-Z), ${ROUNDS} payments`, system: sys, metric: 'all three agree (receive included), p50', value: Math.round(percentile(agreed, 50)), unit: 'ms' })
    report.add({ case: `X pays Z (line X-Y-Z), ${ROUNDS} payments`, system: sys, metric: 'all three agree (receive included), max', value: Math.round(Math.max(...agreed)), unit: 'ms' })
    for (const n of nodes.splice(0)) await n.stop()
  }
  report.print()
} finally {
  for (const n of nodes) await n.stop().catch(() => {})
  for (const d of dirs) await rm(d, { recursive: true, force: true })
}
}

main().then(() => process.exit(0), err => { console.error(err); process.exit(1) })
