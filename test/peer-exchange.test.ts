import { test } from 'node:test'
import assert from 'node:assert/strict'
import { lpStream } from '@libp2p/utils'
import type { MeshNode } from '../src/node/mesh-node'
import { PEX_PROTOCOL } from '../src/node/peer-exchange/constants'
import { readFile } from 'node:fs/promises'
import { startTestNode, stopAll, tcpAddr, tempDir, waitFor, connectedTo } from './helpers/mesh'

async function sendRaw (from: MeshNode, to: MeshNode, bytes: Uint8Array, maxDataLength = 16 * 1024 * 1024): Promise<void> {
  const stream = await from.libp2p.dialProtocol(to.peerId, PEX_PROTOCOL)
  const lp = lpStream(stream, { maxDataLength })
  await lp.write(bytes).catch(() => {})
  await lp.read({ signal: AbortSignal.timeout(3_000) }).catch(() => {})
}

test('a peer sending garbage or oversized PEX messages is disconnected and counted; the node keeps serving', async () => {
  const nodes: MeshNode[] = []
  try {
    const a = await startTestNode()
    nodes.push(a)
    const evil = await startTestNode({ bootstrap: [tcpAddr(a)] })
    nodes.push(evil)
    await evil.bootstrapped
    await waitFor('evil connected', () => connectedTo(evil, a))

    await sendRaw(evil, a, new TextEncoder().encode('{not json'))
    await waitFor('malformed counted', () => a.drops.get('pex', 'malformed') === 1)
    await waitFor('evil disconnected', () => !connectedTo(a, evil))

    // A disconnected offender is refused for a while: its redial fails.
    await waitFor('evil sees the disconnect', () => !connectedTo(evil, a))
    await assert.rejects(evil.connect(tcpAddr(a)))

    const evil2 = await startTestNode({ bootstrap: [tcpAddr(a)] })
    nodes.push(evil2)
    await waitFor('evil2 connected', () => connectedTo(evil2, a))
    await sendRaw(evil2, a, new TextEncoder().encode(JSON.stringify({ type: 'get-peers', limit: 10_000 })))
    await waitFor('invalid counted', () => a.drops.get('pex', 'invalid') === 1)

    const evil3 = await startTestNode({ bootstrap: [tcpAddr(a)] })
    nodes.push(evil3)
    await waitFor('evil3 connected', () => connectedTo(evil3, a))
    await sendRaw(evil3, a, new Uint8Array(200 * 1024).fill(0x7b))
    await waitFor('oversized counted', () => a.drops.get('pex', 'oversized') === 1)
    assert.equal(a.status().dropped.pex?.oversized, 1)

    // The node is still healthy: an honest peer bootstraps from it and gets a PEX answer.
    const honest = await startTestNode({ bootstrap: [tcpAddr(a)] })
    nodes.push(honest)
    const report = await honest.bootstrapped
    assert.equal(report.strategies.find(s => s.strategy === 'pex')?.problems.length, 0)
    assert.ok(connectedTo(honest, a))
  } finally {
    await stopAll(nodes)
  }
})

test('PEX answers are rate limited per peer (10 per second)', async () => {
  const nodes: MeshNode[] = []
  try {
    const a = await startTestNode()
    nodes.push(a)
    const b = await startTestNode({ bootstrap: [tcpAddr(a)] })
    nodes.push(b)
    await b.bootstrapped
    const pexOf = (n: MeshNode): { ask: (p: MeshNode['peerId'], l?: number) => Promise<unknown> } => (n as unknown as { pex: { ask: (p: MeshNode['peerId'], l?: number) => Promise<unknown> } }).pex
    const started = Date.now()
    const results = await Promise.allSettled(Array.from({ length: 40 }, () => pexOf(b).ask(a.peerId, 5)))
    const seconds = (Date.now() - started) / 1000
    const ok = results.filter(r => r.status === 'fulfilled').length
    // A 10-per-second limiter in fixed one-second windows answers at most 10 per window touched.
    const allowed = 10 * (Math.ceil(seconds) + 1)
    assert.ok(ok <= allowed, `at most ${allowed} answered in ${seconds.toFixed(1)} s, got ${ok}`)
    assert.ok(ok >= 1, 'the limiter still lets requests through')
    const limited = a.drops.get('pex', 'rate-limited')
    assert.ok(limited >= 40 - allowed && limited <= 40 - ok, `rate-limited ${limited}, answered ${ok}`)
  } finally {
    await stopAll(nodes)
  }
})

test('the network re-forms through cached peers + PEX when the bootstrap node is gone', async () => {
  const nodes: Array<MeshNode | undefined> = []
  try {
    // boot is the only configured bootstrap node; B and C join through it and learn of each other.
    const boot = await startTestNode()
    nodes.push(boot)
    const bootAddr = tcpAddr(boot)
    const b = await startTestNode({ bootstrap: [bootAddr] })
    nodes.push(b)
    await b.bootstrapped
    const dirC = await tempDir()
    let c: MeshNode | undefined = await startTestNode({ dataDir: dirC, bootstrap: [bootAddr] })
    await c.bootstrapped
    await waitFor('C knows B through PEX', () => connectedTo(c!, b))
    await waitFor('peer cache written', async () => readFile(`${dirC}/peers.json`, 'utf8').then(t => t.includes(b.peerId.toString()), () => false))
    await c.stop()
    await boot.stop()
    // C restarts with the same bootstrap config, but the bootstrap node is dead: cached B carries it.
    c = await startTestNode({ dataDir: dirC, bootstrap: [bootAddr] })
    nodes.push(c)
    const report = await c.bootstrapped
    assert.equal(report.strategies.find(s => s.strategy === 'configured')?.summary, 'Found 0/1 bootstrap nodes online')
    assert.ok(connectedTo(c, b), 'reconnected to B from the peer cache')
  } finally {
    await stopAll(nodes)
  }
})
