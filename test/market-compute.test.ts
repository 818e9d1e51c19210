// Compute on the mesh, end to end with real nodes on 127.0.0.1, each running the ledger and the market:
// A provides embeddings at 1.5, B at 2.0, C asks with --max-price 2 and is served by A, which gains the
// price plus the 50% compute reward, balances agreeing on every node; a garbage provider is skipped and
// not paid; --max-price 1 names the cheapest price; generation through the openai backend streams and
// applies the adapter; with A gone, B serves.
import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { lpStream } from '@libp2p/utils'
import { createEmbedder, type Embedder } from '../src/node/embedding'
import { ledgerFeature, type LedgerFeature } from '../src/node/economy'
import { marketFeature, MarketFeature, COMPUTE_PROTOCOL } from '../src/node/market'
import { tokens } from '../src/node/ledger'
import type { MeshNode } from '../src/node/mesh-node'
import { Router, registerNodeRoutes } from '../src/node'
import { startTestNode, stopAll, tcpAddr, waitFor } from './helpers/mesh'
import { ledgerOf } from './helpers/ledger'
import { startInferenceServer, type FakeInferenceServer } from './helpers/openai-server'

const DIFFICULTY = 8
let embedder: Embedder
const nodes: MeshNode[] = []
let a: MeshNode, b: MeshNode, c: MeshNode, x: MeshNode
let ids: Record<'a' | 'b' | 'c' | 'x', string>
let server: FakeInferenceServer

const marketOf = (n: MeshNode): MarketFeature => {
  const m = n.market
  assert.ok(m instanceof MarketFeature, 'the node runs the market')
  return m
}

async function start (bootstrap: MeshNode[], banMs?: number): Promise<MeshNode> {
  const ledger = ledgerFeature({ minJoinDifficulty: DIFFICULTY, syncIntervalMs: 300, settleDelayMs: 200 })
  const n = await startTestNode({ embedder, banMs, features: [ledger, marketFeature({ payments: ledger, reannounceMs: 300, receiptWaitMs: 10_000, requestTimeoutMs: 20_000 })], bootstrap: bootstrap.map(tcpAddr) })
  nodes.push(n)
  return n
}

before(async () => {
  embedder = createEmbedder()
  a = await start([])
  b = await start([a], 1)
  x = await start([a, b])
  c = await start([a, b, x])
  ids = { a: a.peerId.toString(), b: b.peerId.toString(), c: c.peerId.toString(), x: x.peerId.toString() }
  const ledgers = [a, b, c, x].map(ledgerOf)
  await Promise.all(ledgers.map(async l => await l.join()))
  await waitFor('every join on every node', () => ledgers.every(l => Object.values(ids).every(id => l.ledger.balance(id) === tokens(100))), 30_000)
})
after(async () => { await stopAll(nodes); await server?.close(); await embedder.close() })

const balanceEverywhere = (live: LedgerFeature[], id: string, units: number): boolean => live.every(l => l.ledger.balance(id) === units)

describe('compute market', () => {
  test('A at 1.5 and B at 2.0 offer embeddings; C with --max-price 2 is served by A, pays 1.5, A gains 1.5 + 0.75 reward on every node', async () => {
    await marketOf(a).startProvider({ backend: 'embeddings', pricePerRequest: tokens(1.5) })
    await marketOf(b).startProvider({ backend: 'embeddings', pricePerRequest: tokens(2) })
    const C = marketOf(c)
    await waitFor('C lists both offers', () => C.list({ type: 'inference' }).length === 2)
    assert.deepEqual(C.list({ type: 'inference' }).map(l => [l.provider, l.price]), [[ids.a, tokens(1.5)], [ids.b, tokens(2)]])

    const res = await C.embed(['beer brewing at home', 'how to brew beer'], { maxPrice: tokens(2) })
    assert.equal(res.provider, ids.a)
    assert.equal(res.cost, tokens(1.5))
    assert.equal(res.vectors.length, 2)
    assert.equal(res.vectors[0].length, 384)
    const cos = res.vectors[0].reduce((s, v, i) => s + v * res.vectors[1][i], 0)
    assert.ok(cos > 0.6, `paraphrases are close (cosine ${cos})`)

    const ledgers = [a, b, c, x].map(ledgerOf)
    await waitFor('C at 98.5 and A at 102.25 on every node', () => balanceEverywhere(ledgers, ids.c, tokens(98.5)) && balanceEverywhere(ledgers, ids.a, tokens(102.25)), 30_000)
    const aChain = ledgerOf(a).ledger.chain()
    assert.ok(aChain.some(bl => bl.kind === 'reward' && bl.reward.reason === 'compute' && bl.amount === tokens(0.75)))
    assert.equal(marketOf(a).providers()[0].paid, 1)
    assert.equal(C.measure(ids.a).answered, 1)
  })

  test('--max-price 1: a one-line error naming the cheapest price on offer, nothing paid', async () => {
    const router = new Router()
    registerNodeRoutes(router, c)
    await assert.rejects(router.call('POST', '/api/ai/embed', { texts: ['hello'], maxPrice: 1 }),
      (err: Error) => err.name === 'BadRequestError' && /cheapest asks 1\.5 tokens/.test(err.message) && !err.message.includes('\n'))
    assert.equal(ledgerOf(c).ledger.balance(), tokens(98.5))
  })

  test('a provider that answers garbage is skipped, not paid, and marked down; the next one serves', async () => {
    await marketOf(x).startProvider({ backend: 'embeddings', pricePerRequest: tokens(1) })
    const C = marketOf(c)
    await waitFor('C lists X first', () => C.list({ type: 'inference' })[0]?.provider === ids.x)
    // X answers with vectors that are not embeddings of the texts (wrong size), and asks to be paid.
    await x.libp2p.unhandle(COMPUTE_PROTOCOL)
    await x.libp2p.handle(COMPUTE_PROTOCOL, async stream => {
      const lp = lpStream(stream)
      await lp.read()
      await lp.write(new TextEncoder().encode(JSON.stringify({ type: 'vectors', vectors: [[1, 0]] })))
      await lp.write(new TextEncoder().encode(JSON.stringify({ type: 'done', cost: tokens(1) })))
      await lp.read().catch(() => {})
    })
    const res = await C.embed(['hello world'], { maxPrice: tokens(2) })
    assert.equal(res.provider, ids.a)
    assert.deepEqual(res.failed.map(f => f.provider), [ids.x])
    assert.match(res.failed[0].error, /bad answer/)
    assert.equal(C.measure(ids.x).cheated, 1)
    assert.ok(C.measure(ids.x).reputation < 0.5)
    assert.ok(!C.list({ type: 'inference' }).some(l => l.provider === ids.x), 'X is now below the availability floor on C')
    await waitFor('C paid A a second time', () => ledgerOf(c).ledger.balance() === tokens(97))
    await new Promise(resolve => setTimeout(resolve, 500))
    assert.equal(ledgerOf(x).ledger.balance(), tokens(100), 'X got nothing')
    assert.ok(!ledgerOf(c).ledger.chain().some(bl => bl.kind === 'send' && bl.to === ids.x))
  })

  test('malformed, oversized and over-rate compute requests are dropped and counted; the provider keeps serving', async () => {
    const drops = (): number => b.drops.total('compute')
    const before = drops()
    const dial = async (): Promise<Awaited<ReturnType<typeof x.libp2p.dialProtocol>>> => {
      // B hangs up on X after a bad frame (its ban is 1 ms here): dial again while that connection closes.
      for (let i = 0; ; i++) {
        try {
          return await x.libp2p.dialProtocol(b.peerId, COMPUTE_PROTOCOL)
        } catch (err) {
          if (i >= 20) throw err
          await new Promise(resolve => setTimeout(resolve, 100))
        }
      }
    }
    const raw = async (bytes: Uint8Array): Promise<void> => {
      const s = await dial()
      const lp = lpStream(s, { maxDataLength: 4 * 1024 * 1024 })
      await lp.write(bytes).catch(() => {})
      await lp.read().catch(() => {})
    }
    await raw(new TextEncoder().encode('{"type":"embed", not json'))
    await waitFor('malformed counted', () => b.drops.get('compute', 'malformed') >= 1)
    await raw(new TextEncoder().encode(JSON.stringify({ type: 'generate', requestId: 'abcdefgh', service: 'embeddings', prompt: 'x'.repeat(1_100_000), maxTokens: 5, price: 0 })))
    await waitFor('oversized counted', () => b.drops.get('compute', 'oversized') >= 1)
    await raw(new TextEncoder().encode(JSON.stringify({ type: 'embed', requestId: 'abcdefgh', service: 'embeddings', texts: [], price: 0 })))
    await waitFor('invalid counted', () => b.drops.get('compute', 'invalid') >= 1)
    await Promise.all(Array.from({ length: 25 }, async () => await raw(new TextEncoder().encode(JSON.stringify({ type: 'listings', limit: 1 }))).catch(() => {})))
    await waitFor('over-rate counted', () => b.drops.get('compute', 'rate-limited') >= 1)
    assert.ok(drops() >= before + 4)
    assert.equal(b.state, 'started')
  })

  test('generation through the openai backend streams tokens end to end and applies the named adapter', async () => {
    server = await startInferenceServer(['SELECT', '*', 'FROM', 'users'], { holdAfterFirst: true })
    await marketOf(b).startProvider({ backend: 'openai', url: server.url, model: 'tiny-llm', adapters: ['sql-lora', 'poetry-lora'], pricePerRequest: tokens(1) })
    const C = marketOf(c)
    await waitFor('C lists B\'s generation', () => C.list({ type: 'inference', model: 'sql-lora' }).length === 1)
    const seen: string[] = []
    const res = await C.generate({
      prompt: 'all users as SQL',
      adapter: 'sql-lora',
      maxPrice: tokens(1),
      // The server holds the rest of its answer until the first piece reached C: the tokens stream.
      onToken: t => { seen.push(t); if (seen.length === 1) server.release() }
    })
    assert.equal(res.provider, ids.b)
    assert.equal(res.cost, tokens(1))
    assert.deepEqual(seen, ['[sql-lora]', ' SELECT', ' *', ' FROM', ' users'])
    assert.equal(res.text, '[sql-lora] SELECT * FROM users')
    assert.equal(server.requests.at(-1)?.model, 'sql-lora', 'the adapter was asked for as the model (vLLM --lora-modules, Ollama ADAPTER)')
    assert.equal(server.requests.at(-1)?.stream, true)
    // An adapter nobody serves: no listing, a one-line error.
    await assert.rejects(C.generate({ prompt: 'hi', adapter: 'unknown-lora', maxPrice: tokens(5) }), (err: Error) => err.name === 'PriceTooLowError' && /No provider offers text generation with adapter unknown-lora/.test(err.message))
  })

  test('with A stopped, the next embedding request is served by B', async () => {
    await a.stop()
    const C = marketOf(c)
    const res = await C.embed(['hello again'], { maxPrice: tokens(2) })
    assert.equal(res.provider, ids.b)
    assert.equal(res.cost, tokens(2))
    assert.deepEqual(res.failed.map(f => f.provider), [ids.a])
    await waitFor('B paid and rewarded on B and C', () => [b, c].map(ledgerOf).every(l => l.ledger.balance(ids.b) === tokens(100 + 1 + 0.5 + 2 + 1)), 30_000)
  })
})
