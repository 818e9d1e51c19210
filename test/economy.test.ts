// The ledger on the network: three real nodes on 127.0.0.1 with the 'ledger' feature (low join difficulty).
import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { MeshNode } from '../src/node/mesh-node'
import { ledgerFeature, ledgerService, type LedgerComponents, type LedgerFeature } from '../src/node/economy'
import {
  blockBody, computeBlockHash, createSigner, openLedger, sealBlock, signReceipt, solveJoinPow, tokens, verifyJoinPow, GENESIS_PREV, NEW_USER_GRANT,
  type Block, type BlockBody, type RelayReceipt
} from '../src/node/ledger'
import { connectedTo, startTestNode, stopAll, tcpAddr, tempDir, waitFor } from './helpers/mesh'
import { ledgerOf } from './helpers/ledger'
import { Router, registerNodeRoutes } from '../src/node'

const DIFFICULTY = 8

/** The common members of the block that would follow `prev` in `account`'s chain. */
function next (prev: Block, amount: number, balance: number): Omit<BlockBody, 'kind'> & { v: 1 } {
  return { v: 1, account: prev.account, seq: prev.seq + 1, prev: prev.hash, time: Math.max(Date.now(), prev.time), amount, balance } as never
}

describe('ledger on the network (three nodes)', () => {
  const nodes: MeshNode[] = []
  let a: MeshNode, b: MeshNode, c: MeshNode
  let A: LedgerFeature, B: LedgerFeature, C: LedgerFeature
  let ids: { a: string, b: string, c: string }

  before(async () => {
    const feature = (): LedgerFeature => ledgerFeature({ minJoinDifficulty: DIFFICULTY, syncIntervalMs: 300, settleDelayMs: 200 })
    a = await startTestNode({ features: [feature()] })
    nodes.push(a)
    b = await startTestNode({ features: [feature()], bootstrap: [tcpAddr(a)] })
    nodes.push(b)
    c = await startTestNode({ features: [feature()], bootstrap: [tcpAddr(b)] })
    nodes.push(c)
    A = ledgerOf(a); B = ledgerOf(b); C = ledgerOf(c)
    ids = { a: a.peerId.toString(), b: b.peerId.toString(), c: c.peerId.toString() }
    await waitFor('B connected to A and C', () => connectedTo(b, a) && connectedTo(b, c))
  })
  after(async () => { await stopAll(nodes) })

  test('joins with proof-of-work get 100 each; A sends 10 to B and all three nodes agree on 90/110', async () => {
    await Promise.all([A.join(), B.join(), C.join()])
    for (const f of [A, B, C]) {
      const join = f.ledger.chain()[0]
      assert.equal(join.kind, 'join')
      assert.ok(join.kind === 'join' && join.pow.difficulty >= DIFFICULTY && verifyJoinPow(join.account, join.pow, DIFFICULTY))
      assert.equal(f.ledger.balance(), NEW_USER_GRANT)
    }
    // Every node learns every join through heads exchange and range fetches.
    await waitFor('all joins everywhere', () => [A, B, C].every(f => [ids.a, ids.b, ids.c].every(id => f.ledger.balance(id) === tokens(100))))

    const sent = await A.send(ids.b, tokens(10), 'thanks')
    assert.equal(sent.balance, tokens(90))
    await waitFor('90/110 on all three nodes', () => [A, B, C].every(f => f.ledger.balance(ids.a) === tokens(90) && f.ledger.balance(ids.b) === tokens(110)), 20_000)
    assert.equal(B.stats().earned, tokens(110))
    assert.equal(A.stats().spent, tokens(10))
    const received = B.history({ limit: 1 })[0]
    assert.equal(received.kind, 'receive')
    assert.equal(received.counterparty, ids.a)
    assert.equal(received.memo, 'thanks')
    assert.equal(a.status().features.ledger !== undefined, true)
  })

  test('the wallet is the node\'s typed member: the wallet routes answer from it in-process in tokens, and a node without the ledger has neither', async () => {
    assert.deepEqual(a.wallet?.balance(), { account: ids.a, balance: tokens(90), joined: true, joining: false })
    assert.equal(a.wallet?.stats().spent, tokens(10))
    const router = new Router()
    registerNodeRoutes(router, a)
    const stats = await router.call('GET', '/api/wallet/stats') as { account: string, balance: number, spent: number }
    assert.deepEqual([stats.account, stats.balance, stats.spent], [ids.a, 90, 10])
    const history = await router.call('GET', '/api/wallet/history?limit=1') as { account: string, entries: Array<{ kind: string, delta: number, counterparty?: string }> }
    assert.deepEqual([history.account, history.entries.map(e => [e.kind, e.delta, e.counterparty])], [ids.a, [['send', -10, ids.b]]])
    // A wallet mistake is the caller's: one line, as a bad request, and nothing is written.
    await assert.rejects(router.call('POST', '/api/wallet/send', { to: ids.b, amount: 1000 }), (err: Error) => err.name === 'BadRequestError' && /insufficient balance/.test(err.message))
    assert.equal(A.ledger.balance(), tokens(90))

    const plain = await startTestNode({ features: [] })
    nodes.push(plain)
    assert.equal(plain.wallet, undefined)
    const noWallet = new Router()
    registerNodeRoutes(noWallet, plain)
    await assert.rejects(noWallet.call('GET', '/api/wallet/balance'), { name: 'NotFoundError' })
  })

  test('wallet send to an unknown peer or beyond the balance: a one-line error and nothing written', async () => {
    const stranger = createSigner(await generateKeyPair('Ed25519')).account
    const before = A.ledger.chain().length
    await assert.rejects(A.send(stranger, tokens(1)), (err: Error) => err.name === 'UnknownPeerError' && !err.message.includes('\n'))
    await assert.rejects(A.send(ids.b, tokens(1000)), (err: Error) => err.name === 'InsufficientBalanceError' && /insufficient balance/.test(err.message))
    await assert.rejects(A.send('not-a-peer', tokens(1)), { name: 'UnknownPeerError' })
    assert.equal(A.ledger.chain().length, before)
    assert.equal(A.ledger.balance(), tokens(90))
    // verify: a chain fetched from its owner and checked block by block; an account nobody can hand over.
    const v = await C.verify(ids.a)
    assert.deepEqual([v.valid, v.forked, v.source, v.balance, v.blocks, v.rejected], [true, false, ids.a, tokens(90), A.ledger.chain().length, []])
    await assert.rejects(C.verify(stranger), (err: Error) => err.name === 'ChainUnavailableError' && err.message.startsWith(`could not fetch the chain of ${stranger}`))
  })

  test('a download pays the host after the bundle verified, and the host claims its hosting reward', async () => {
    // B downloads 2.5 MB of an unpriced adapter from A (3 tokens), then a 5-token adapter.
    const unpriced = await B.payForDownload({ contentId: 'sha256-aaaa', bytes: 2_500_000, host: ids.a })
    assert.equal(unpriced.block.amount, tokens(3))
    assert.equal(unpriced.receipt.priced, false)
    assert.equal(unpriced.receipt.downloader, ids.b)
    const priced = await B.payForDownload({ contentId: 'sha256-bbbb', bytes: 10_000, host: ids.a, price: 5 })
    assert.equal(priced.block.amount, tokens(5))
    // A: 90 + 3 + 5 received + 2 × 0.1 hosting reward + 50 first-adapter grant. B: 110 - 8.
    const expectA = tokens(90 + 3 + 5 + 0.2 + 50)
    await waitFor('host paid and rewarded, on all three nodes', () => [A, B, C].every(f => f.ledger.balance(ids.a) === expectA && f.ledger.balance(ids.b) === tokens(102)), 20_000)
    const kinds = A.ledger.chain().map(x => x.kind === 'reward' ? `reward:${x.reward.reason}` : x.kind === 'grant' ? `grant:${x.grant.reason}` : x.kind)
    assert.equal(kinds.filter(k => k === 'reward:hosting').length, 2)
    assert.equal(kinds.filter(k => k === 'grant:first-adapter').length, 1)
    const stats = A.stats()
    assert.equal(stats.topAdapter?.contentId, 'sha256-bbbb')
    assert.equal(stats.topAdapter?.earned, tokens(5.1))
    assert.equal(stats.topAdapter?.downloads, 1)
  })

  test('a relay receipt earns nothing: the relayer cannot claim it, and a relay reward pushed by its chain\'s owner is refused', async () => {
    const before = C.ledger.balance()
    // The flood hides the search origin, so no payer can stand behind a relay receipt: relay rewards are not accepted.
    const receipt = await signReceipt<RelayReceipt>(createSigner(b.privateKey), { type: 'relay', v: 1, queryId: 'query-1', relayer: ids.c, origin: ids.b, hops: 3, time: Date.now() })
    const res = await B.handRelayReceipt(c.peerId, receipt)
    assert.equal(res.claimed, false)
    assert.match(res.reason ?? '', /relay rewards are not accepted/)
    // C writes the reward block itself and pushes it to A: refused, C's balance unchanged everywhere.
    const head = C.ledger.chain().at(-1)!
    const forged = await sealBlock(createSigner(c.privateKey), { ...next(head, tokens(0.03), head.balance + tokens(0.03)), kind: 'reward', reward: { reason: 'relay', receipt } } as BlockBody)
    const pushed = await C.pushBlocks(a.peerId, [forged])
    assert.deepEqual([pushed.accepted, pushed.rejected.map(r => r.reason)], [0, ['bad-evidence']])
    assert.equal(C.ledger.balance(), before)
    assert.equal(A.ledger.balance(ids.c), before)
  })

  test('tampered, re-signed, replayed, reordered, overdrawn, weak-PoW blocks and a receive without its send are rejected with the reason, counted, and lower the sender\'s reputation', async () => {
    const head = A.ledger.chain().at(-1)!
    const held = A.ledger.chain()[1]
    const signer = createSigner(a.privateKey)
    const repBefore = B.ledger.reputation(ids.a)

    const tampered = { ...head, amount: head.amount + 1 } as Block
    const resigned = { ...held, balance: held.balance - 1 } as Block
    resigned.hash = computeBlockHash(blockBody(resigned))
    const overdraft = await sealBlock(signer, { ...next(head, head.balance + 1, 0), kind: 'send', to: ids.c, memo: '' } as BlockBody)
    const gapPrev = await sealBlock(signer, { ...next(head, 1, head.balance - 1), kind: 'send', to: ids.c, memo: '' } as BlockBody)
    const reordered = await sealBlock(signer, { ...next(gapPrev, 1, gapPrev.balance - 1), kind: 'send', to: ids.c, memo: '' } as BlockBody)
    const newcomerKey = await generateKeyPair('Ed25519')
    const newcomer = createSigner(newcomerKey)
    const weak = await solveJoinPow(newcomer.account, 1)
    const weakJoin = await sealBlock(newcomer, { v: 1, kind: 'join', account: newcomer.account, seq: 0, prev: GENESIS_PREV, time: weak.time, amount: NEW_USER_GRANT, balance: NEW_USER_GRANT, pow: { time: weak.time, nonce: weak.nonce, difficulty: 1 } })

    // A receive of a payment that its payer's chain does not hold: signed by a throwaway account E that
    // A controls, never published.
    const e = createSigner(await generateKeyPair('Ed25519'))
    const ePow = await solveJoinPow(e.account, DIFFICULTY)
    const eJoin = await sealBlock(e, { v: 1, kind: 'join', account: e.account, seq: 0, prev: GENESIS_PREV, time: ePow.time, amount: NEW_USER_GRANT, balance: NEW_USER_GRANT, pow: { time: ePow.time, nonce: ePow.nonce, difficulty: ePow.difficulty } })
    const eSend = await sealBlock(e, { ...next(eJoin, tokens(50), NEW_USER_GRANT - tokens(50)), kind: 'send', to: ids.a, memo: '' } as BlockBody)
    const unfounded = await sealBlock(signer, { ...next(head, tokens(50), head.balance + tokens(50)), kind: 'receive', source: eSend } as BlockBody)

    const cases: Array<[string, Block]> = [
      ['bad-hash', tampered], ['bad-signature', resigned], ['replay', held], ['out-of-order', reordered], ['overdraft', overdraft], ['pow-too-weak', weakJoin],
      ['receive-without-send', unfounded]
    ]
    for (const [reason, block] of cases) {
      const res = await A.pushBlocks(b.peerId, [block])
      assert.equal(res.accepted, 0, reason)
      assert.deepEqual(res.rejected.map(r => r.reason), [reason])
      assert.ok((B.ledger.rejections()[reason] ?? 0) >= 1, `${reason} counted by the ledger`)
      assert.ok(b.drops.get('ledger', reason) >= 1, `${reason} counted in mesh status`)
    }
    assert.ok(B.ledger.reputation(ids.a) < repBefore, `reputation of the sender fell (${repBefore} → ${B.ledger.reputation(ids.a)})`)
    assert.equal(B.ledger.head(ids.a)?.hash, head.hash, 'nothing of it was stored')
    assert.equal(B.ledger.head(newcomer.account), null)
    const status = b.status().features.ledger as { rejected: Record<string, number> }
    assert.ok(status.rejected['bad-signature'] >= 1)
  })

  test('a chain whose copies diverged before their heads (one branch longer) is proven forked through range sync', async () => {
    const d = createSigner(await generateKeyPair('Ed25519'))
    const pow = await solveJoinPow(d.account, DIFFICULTY)
    const join = await sealBlock(d, { v: 1, kind: 'join', account: d.account, seq: 0, prev: GENESIS_PREV, time: pow.time, amount: NEW_USER_GRANT, balance: NEW_USER_GRANT, pow: { time: pow.time, nonce: pow.nonce, difficulty: pow.difficulty } })
    const x1 = await sealBlock(d, { ...next(join, tokens(1), NEW_USER_GRANT - tokens(1)), kind: 'send', to: ids.b, memo: '' } as BlockBody)
    const y1 = await sealBlock(d, { ...next(join, tokens(2), NEW_USER_GRANT - tokens(2)), kind: 'send', to: ids.c, memo: '' } as BlockBody)
    const y2 = await sealBlock(d, { ...next(y1, tokens(2), NEW_USER_GRANT - tokens(4)), kind: 'send', to: ids.c, memo: '' } as BlockBody)
    // D's blocks reach the network through A: the short branch to B, the longer one to C.
    assert.equal((await A.pushBlocks(b.peerId, [join, x1])).accepted, 2)
    // C may already hold D's short branch through sync from B by now (then the push is refused as a fork): either way the proof must form.
    await A.pushBlocks(c.peerId, [join, y1, y2])
    await waitFor('every node holds the proof against D', () => [A, B, C].every(f => f.ledger.isForked(d.account)), 20_000)
    assert.equal(B.ledger.reputation(d.account), 0)
    assert.equal(B.ledger.reputation(ids.a) > 0, true, 'the peer that relayed an honest-looking branch is not blamed for the fork')
  })

  test('a double spend (two sends from the same head) is caught by a third node, proven to all, and the forger\'s payments are refused', async () => {
    await waitFor('everyone holds A\'s head', () => [B, C].every(f => f.ledger.head(ids.a)?.hash === A.ledger.head(ids.a)?.hash), 20_000)
    const head = A.ledger.chain().at(-1)!
    const signer = createSigner(a.privateKey)
    // Two branches from the same head, built outside A's own ledger: one paid to B, one to C.
    const toB = await sealBlock(signer, { ...next(head, tokens(20), head.balance - tokens(20)), kind: 'send', to: ids.b, memo: 'branch 1' } as BlockBody)
    const toC = await sealBlock(signer, { ...next(head, tokens(30), head.balance - tokens(30)), kind: 'send', to: ids.c, memo: 'branch 2' } as BlockBody)
    const cBalance = C.ledger.balance()
    const [rb, rc] = await Promise.all([A.pushBlocks(b.peerId, [toB]), A.pushBlocks(c.peerId, [toC])])
    assert.equal(rb.accepted + rc.accepted >= 1, true, 'each victim takes its branch at first')

    // Heads exchange shows B and C a conflict at that position; the third node proves it and broadcasts the proof.
    await waitFor('every node holds the proof', () => [A, B, C].every(f => f.ledger.isForked(ids.a)), 20_000)
    for (const f of [B, C]) assert.equal(f.ledger.reputation(ids.a), 0)
    const proof = C.ledger.proofs().find(p => p.a.account === ids.a)!
    assert.deepEqual(new Set([proof.a.hash, proof.b.hash]), new Set([toB.hash, toC.hash]))

    // Refused from now on: the forger's own wallet, and any further payment it hands out.
    await assert.rejects(A.send(ids.c, tokens(1)), { name: 'ForkedAccountError' })
    const later = await sealBlock(signer, { ...next(toC, tokens(1), toC.balance - tokens(1)), kind: 'send', to: ids.c, memo: '' } as BlockBody)
    const refused = await A.pushBlocks(c.peerId, [later])
    assert.deepEqual(refused.rejected.map(r => r.reason), ['forked-account'])
    await new Promise(resolve => setTimeout(resolve, 500))
    assert.ok(C.ledger.balance() <= cBalance + tokens(30), 'C was not paid by the later block')
    assert.equal(C.ledger.pendingPayments().filter(p => p.account === ids.a).length, 0)
    assert.equal((c.status().features.ledger as { forked: string[] }).forked.includes(ids.a), true)
  })
})

describe('catch-up', () => {
  const nodes: MeshNode[] = []
  after(async () => { await stopAll(nodes) })

  test('a new node fetches every chain a peer holds (more accounts than one request carries), in the exchange that follows the connection', async () => {
    // No sync timer: the exchange on connect and its follow-ups must get everything.
    const feature = (): LedgerFeature => ledgerFeature({ minJoinDifficulty: DIFFICULTY, syncIntervalMs: 0, settleDelayMs: 200 })
    const a = await startTestNode({ features: [feature()] })
    nodes.push(a)
    const A = ledgerOf(a)
    await A.join()
    // 100 accounts, each paying the next twice; every payment received: 600 blocks, receives depending on other chains.
    const ledgers = []
    for (let i = 0; i < 100; i++) {
      const l = await openLedger({ privateKey: await generateKeyPair('Ed25519'), minJoinDifficulty: DIFFICULTY })
      await l.join()
      ledgers.push(l)
    }
    for (let i = 0; i < 100; i++) await ledgers[i].ingest([...ledgers[(i + 1) % 100].chain()])
    const sends = []
    for (let i = 0; i < 100; i++) {
      await ledgers[i].send(ledgers[(i + 1) % 100].account, tokens(1))
      await ledgers[i].send(ledgers[(i + 1) % 100].account, tokens(1))
      sends.push([...ledgers[i].chain()])
    }
    for (let i = 0; i < 100; i++) {
      await ledgers[(i + 1) % 100].ingest(sends[i])
      assert.equal((await ledgers[(i + 1) % 100].acceptPayments()).length, 2)
    }
    await A.ledger.ingest(sends.flat())
    const rest = await A.ledger.ingest(ledgers.flatMap(l => [...l.chain()]))
    assert.equal(rest.accepted.length, 200)
    assert.equal(A.ledger.accounts().length, 101)

    const b = await startTestNode({ features: [feature()], bootstrap: [tcpAddr(a)] })
    nodes.push(b)
    const B = ledgerOf(b)
    await waitFor('B joined, and A and B hold the same chains', () => B.ledger.joined && B.headsDigest() === A.headsDigest(), 30_000)
    assert.equal(B.ledger.accounts().length, 102)
    for (const l of ledgers.slice(0, 5)) assert.equal(B.ledger.balance(l.account), tokens(100))
    assert.equal(b.drops.total('ledger'), 0, 'nothing held against A on the way (blocks that arrived before the chain they depend on were retried)')
  })

  test('a node whose ledger directory was lost fetches its own chain back from its peers instead of joining again (which would be a double spend)', async () => {
    const feature = (): LedgerFeature => ledgerFeature({ minJoinDifficulty: DIFFICULTY, syncIntervalMs: 300, settleDelayMs: 200 })
    const p = await startTestNode({ features: [feature()] })
    nodes.push(p)
    const dir = await tempDir()
    let q = await startTestNode({ dataDir: dir, features: [feature()], bootstrap: [tcpAddr(p)] })
    const P = ledgerOf(p)
    let Q = ledgerOf(q)
    // Both join on their own (auto-join after asking their first peers).
    await waitFor('both joined and known to each other', () => P.ledger.joined && Q.ledger.joined && P.ledger.head(Q.account) != null && Q.ledger.head(P.account) != null, 20_000)
    await P.send(Q.account, tokens(5))
    await waitFor('Q received', () => Q.ledger.balance() === tokens(105) && P.ledger.balance(Q.account) === tokens(105), 20_000)
    const chain = Q.ledger.chain().map(x => x.hash)
    await q.stop()
    await rm(path.join(dir, 'ledger'), { recursive: true })

    q = await startTestNode({ dataDir: dir, features: [feature()], bootstrap: [tcpAddr(p)] })
    nodes.push(q)
    Q = ledgerOf(q)
    await waitFor('Q holds its chain again', () => Q.ledger.chain().length >= chain.length, 20_000)
    assert.deepEqual(Q.ledger.chain().map(x => x.hash).slice(0, chain.length), chain)
    assert.equal(Q.ledger.balance(), tokens(105))
    await new Promise(resolve => setTimeout(resolve, 1000))
    assert.equal(P.ledger.isForked(Q.account), false)
    assert.equal(Q.ledger.isForked(Q.account), false)
  })
})

describe('as a service over its components (the js-libp2p shape)', () => {
  const nodes: MeshNode[] = []
  after(async () => { await stopAll(nodes) })

  test('ledgerService(init)(components) keeps a wallet over a node\'s components, and refuses components whose libp2p lacks a service it depends on', async () => {
    const n = await startTestNode({ features: [] })
    nodes.push(n)
    const service = ledgerService({ minJoinDifficulty: DIFFICULTY, syncIntervalMs: 0, autoJoin: false })(n)
    await service.start()
    try {
      await service.join()
      assert.deepEqual(service.balance(), { account: n.peerId.toString(), balance: NEW_USER_GRANT, joined: true, joining: false })
      assert.deepEqual(service.history().map(e => e.kind), ['join'])
    } finally {
      await service.stop()
    }
    // The same node's libp2p, seen without its gossipsub: nothing is opened, the error names what is missing.
    const { pubsub: _pubsub, ...services } = n.libp2p.services
    const withoutPubsub = Object.create(n.libp2p, { services: { value: services } }) as MeshNode['libp2p']
    const components: LedgerComponents = { ...componentsOf(n), libp2p: withoutPubsub }
    await assert.rejects(ledgerService({ minJoinDifficulty: DIFFICULTY })(components).start(), (err: Error & { missing?: string[] }) => err.name === 'MissingServiceError' && err.missing?.join() === '@libp2p/pubsub')
  })
})

/** A node's capabilities as the ledger names them (a started MeshNode has them all). */
function componentsOf (n: MeshNode): LedgerComponents {
  return {
    libp2p: n.libp2p, privateKey: n.privateKey, dataDir: n.dataDir, log: n.log, drops: n.drops, state: n.state, shutdownSignal: n.shutdownSignal,
    bootstrapped: n.bootstrapped, neighbours: n.neighbours, penalise: (peer, reason) => n.penalise(peer, reason)
  }
}
