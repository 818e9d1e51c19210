// Attacks on the ledger's economy (issue #14, trust boundaries): minting through rewards that no payer
// backs, farming hosting rewards with micro-priced downloads and invented content ids, and floods of
// peer data that would grow memory without bound. First on the ledger alone, then through the real
// economy protocol between two nodes on 127.0.0.1.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import {
  HOSTING_REWARD, HOSTING_REWARD_ACCOUNT_CAP, HOSTING_REWARD_PAYER_CAP, MAX_AMOUNT, NEW_USER_GRANT, REWARD_PERIOD_MS, createSigner, openLedger, reputationScore, rewardPeriod, sealBlock,
  signReceipt, tokens,
  type Block, type BlockBody, type ComputeReceipt, type Ledger, type LedgerLimits, type SendBlock
} from '../src/node/ledger'
import { ledgerFeature, type LedgerFeature } from '../src/node/economy'
import type { MeshNode } from '../src/node/mesh-node'
import { startTestNode, stopAll, tcpAddr, waitFor } from './helpers/mesh'
import { ledgerOf } from './helpers/ledger'

const DIFFICULTY = 8

async function account (limits?: Partial<LedgerLimits>): Promise<{ key: PrivateKey, ledger: Ledger }> {
  const key = await generateKeyPair('Ed25519')
  const ledger = await openLedger({ privateKey: key, minJoinDifficulty: DIFFICULTY, limits })
  await ledger.join()
  return { key, ledger }
}

/** Body members of the block after `prev` in its chain. */
function next (prev: Block, amount: number, balance: number): { v: 1, account: string, seq: number, prev: string, time: number, amount: number, balance: number } {
  return { v: 1, account: prev.account, seq: prev.seq + 1, prev: prev.hash, time: Math.max(Date.now(), prev.time), amount, balance }
}

/** A reward block appended by hand to `ledger`'s chain (what a cheating node would write and serve). */
async function forgeReward (key: PrivateKey, ledger: Ledger, amount: number, reward: Extract<Block, { kind: 'reward' }>['reward']): Promise<Block> {
  const head = ledger.chain().at(-1)!
  return await sealBlock(createSigner(key), { ...next(head, amount, head.balance + amount), kind: 'reward', reward } as BlockBody)
}

/** The review's exploit: a compute receipt for MAX_AMOUNT signed by a key that never joined, with no payment. */
async function mintingReceipt (provider: string, extra: Partial<ComputeReceipt> = {}): Promise<ComputeReceipt> {
  const stranger = createSigner(await generateKeyPair('Ed25519'))
  return await signReceipt<ComputeReceipt>(stranger, { type: 'compute', v: 1, requestId: 'mint', provider, requester: stranger.account, cost: MAX_AMOUNT, time: Date.now(), ...extra } as never)
}

describe('rewards need a real payer', () => {
  test('a compute receipt signed by an unjoined key mints nothing: another ledger refuses the reward block', async () => {
    const provider = await account()
    const validator = await account()
    const forged = await forgeReward(provider.key, provider.ledger, MAX_AMOUNT / 2, { reason: 'compute', receipt: await mintingReceipt(provider.ledger.account) })
    const r = await validator.ledger.ingest([...provider.ledger.chain(), forged], { from: provider.ledger.account })
    assert.equal(r.accepted.length, 1, 'the join is accepted')
    assert.deepEqual(r.rejected.map(x => x.reason), ['bad-evidence'])
    assert.equal(validator.ledger.balance(provider.ledger.account), NEW_USER_GRANT)
    // Naming a payment does not help when the payer's chain holds none (a cost within the daily cap).
    const named = await forgeReward(provider.key, provider.ledger, tokens(5), {
      reason: 'compute', receipt: await mintingReceipt(provider.ledger.account, { cost: tokens(10), payment: { seq: 1, hash: 'a'.repeat(64) } })
    })
    const r2 = await validator.ledger.ingest([named], { from: provider.ledger.account })
    assert.deepEqual(r2.rejected.map(x => x.reason), ['bad-evidence'])
    assert.equal(validator.ledger.balance(provider.ledger.account), NEW_USER_GRANT)
    // The provider's own ledger refuses to write it in the first place.
    await assert.rejects(provider.ledger.claimComputeReward(await mintingReceipt(provider.ledger.account)), { name: 'BlockRejectedError', reason: 'bad-evidence' })
  })

  test('a compute reward whose payment is missing, too small, to someone else or already used is refused', async () => {
    const provider = await account()
    const requester = await account()
    const third = await account()
    for (const l of [provider, requester, third]) {
      for (const o of [provider, requester, third]) if (l !== o) await l.ledger.ingest([...o.ledger.chain()])
    }
    const sign = async (requestId: string, cost: number, payment: SendBlock): Promise<ComputeReceipt> =>
      await signReceipt<ComputeReceipt>(createSigner(requester.key), { type: 'compute', v: 1, requestId, provider: provider.ledger.account, requester: requester.ledger.account, cost, payment: { seq: payment.seq, hash: payment.hash }, time: Date.now() })
    const paid = await requester.ledger.send(provider.ledger.account, tokens(1))
    const elsewhere = await requester.ledger.send(third.ledger.account, tokens(4))
    // Missing: the provider does not hold the requester's chain that far (it must fetch it first).
    await assert.rejects(provider.ledger.claimComputeReward(await sign('r0', tokens(1), paid)), { name: 'BlockRejectedError', reason: 'bad-evidence' })
    await provider.ledger.ingest([...requester.ledger.chain()])
    // Too small: 1 token paid, a 3-token request claimed.
    await assert.rejects(provider.ledger.claimComputeReward(await sign('r1', tokens(3), paid)), { name: 'BlockRejectedError', reason: 'bad-evidence' })
    // To someone else: the 4-token send went to the third account.
    await assert.rejects(provider.ledger.claimComputeReward(await sign('r2', tokens(4), elsewhere)), { name: 'BlockRejectedError', reason: 'bad-evidence' })
    // The real one: half of the 1 token paid.
    await provider.ledger.claimComputeReward(await sign('r3', tokens(1), paid))
    // Already used: another receipt (another request id) citing the same payment.
    await assert.rejects(provider.ledger.claimComputeReward(await sign('r4', tokens(1), paid)), { name: 'BlockRejectedError', reason: 'duplicate-evidence' })
    assert.equal(provider.ledger.balance(), NEW_USER_GRANT + tokens(0.5))
    // A second reward citing the used payment, written by hand, is refused by another ledger too.
    const reuse = await forgeReward(provider.key, provider.ledger, tokens(0.5), { reason: 'compute', receipt: await sign('r5', tokens(1), paid) })
    await third.ledger.ingest([...requester.ledger.chain()])
    const r = await third.ledger.ingest([...provider.ledger.blocksAfter(provider.ledger.account, 0), reuse])
    assert.deepEqual(r.rejected.map(x => x.reason), ['duplicate-evidence'])
    assert.equal(third.ledger.balance(provider.ledger.account), NEW_USER_GRANT + tokens(0.5))
  })

  test('a 1-micro-unit priced download earns no hosting reward; a download paying at least the reward does', async () => {
    const host = await account()
    const dl = await account()
    const validator = await account()
    await dl.ledger.ingest([...host.ledger.chain()])
    const tiny = await dl.ledger.payForDownload({ contentId: 'cid-tiny', bytes: 10, host: host.ledger.account, price: 1 })
    const fair = await dl.ledger.payForDownload({ contentId: 'cid-fair', bytes: 10, host: host.ledger.account, price: HOSTING_REWARD })
    await host.ledger.ingest([...dl.ledger.chain()])
    await assert.rejects(host.ledger.claimHostingReward(tiny.receipt), { name: 'BlockRejectedError', reason: 'bad-evidence' })
    await host.ledger.claimHostingReward(fair.receipt)
    const forged = await forgeReward(host.key, host.ledger, HOSTING_REWARD, { reason: 'hosting', receipt: tiny.receipt })
    await validator.ledger.ingest([...dl.ledger.chain()])
    const r = await validator.ledger.ingest([...host.ledger.chain(), forged])
    assert.deepEqual(r.rejected.map(x => x.reason), ['bad-evidence'])
    assert.equal(validator.ledger.balance(host.ledger.account), NEW_USER_GRANT + HOSTING_REWARD)
    // Nor does it count as a delivery for the host's reputation.
    assert.equal(validator.ledger.reputation(host.ledger.account), reputationScore({ deliveries: 1, payments: 0, badData: 0, forked: false }))
  })

  test('invented content ids do not lift the daily caps: per payer and adapter, per payer, per rewarded account', async () => {
    const host = await account()
    const payers: Array<{ key: PrivateKey, ledger: Ledger }> = []
    for (let i = 0; i < 21; i++) payers.push(await account())
    for (const p of payers) await p.ledger.ingest([...host.ledger.chain()])
    const pay = async (p: Ledger, contentId: string): Promise<Parameters<Ledger['claimHostingReward']>[0]> =>
      (await p.payForDownload({ contentId, bytes: 10, host: host.ledger.account, price: HOSTING_REWARD })).receipt
    const first = payers[0].ledger
    // The same adapter twice from one payer on one day: one reward.
    const again = [await pay(first, 'cid-same'), await pay(first, 'cid-same')]
    // Then invented ids from the same payer: its total for this host stops at 1 token a day.
    const invented = []
    for (let i = 0; i < 12; i++) invented.push(await pay(first, `bafy-invented-${i}`))
    await host.ledger.ingest([...first.chain()])
    await host.ledger.claimHostingReward(again[0])
    await assert.rejects(host.ledger.claimHostingReward(again[1]), { name: 'BlockRejectedError', reason: 'reward-cap-exceeded' })
    const results = []
    for (const r of invented) results.push(await host.ledger.claimHostingReward(r).then(() => 'ok', (e: { reason?: string }) => e.reason))
    assert.deepEqual(results, [...Array(HOSTING_REWARD_PAYER_CAP / HOSTING_REWARD - 1).fill('ok'), 'reward-cap-exceeded', 'reward-cap-exceeded', 'reward-cap-exceeded'])
    // Many payers with invented ids: the host's own total stops at its daily cap.
    let claimed = HOSTING_REWARD_PAYER_CAP
    let refused = 0
    for (const p of payers.slice(1)) {
      const receipts = []
      for (let i = 0; i < HOSTING_REWARD_PAYER_CAP / HOSTING_REWARD; i++) receipts.push(await pay(p.ledger, `bafy-${p.ledger.account.slice(-6)}-${i}`))
      await host.ledger.ingest([...p.ledger.chain()])
      for (const r of receipts) {
        await host.ledger.claimHostingReward(r).then(() => { claimed += HOSTING_REWARD }, (e: { reason?: string }) => { assert.equal(e.reason, 'reward-cap-exceeded'); refused++ })
      }
    }
    assert.equal(claimed, HOSTING_REWARD_ACCOUNT_CAP)
    assert.equal(refused, HOSTING_REWARD_PAYER_CAP / HOSTING_REWARD)
    const rewards = host.ledger.chain().filter(b => b.kind === 'reward').reduce((s, b) => s + b.amount, 0)
    assert.equal(rewards, HOSTING_REWARD_ACCOUNT_CAP)
  })

  test('receipts back-dated into past days do not open fresh caps: periods follow the host\'s own block time', async () => {
    // The host joined three weeks ago (so the downloader's back-dated clock accepts its join); it claims today.
    let hostNow = Date.now() - 21 * REWARD_PERIOD_MS
    const host = { ledger: await openLedger({ privateKey: await generateKeyPair('Ed25519'), minJoinDifficulty: DIFFICULTY, now: () => hostNow }) }
    await host.ledger.join()
    hostNow = Date.now()
    // The downloader's clock walks through the last 15 days, one day per download.
    let t = Date.now() - 20 * REWARD_PERIOD_MS
    const dl = await openLedger({ privateKey: await generateKeyPair('Ed25519'), minJoinDifficulty: DIFFICULTY, now: () => t })
    await dl.join()
    await dl.ingest([...host.ledger.chain()])
    const receipts = []
    for (let i = 0; i < 15; i++) {
      t += REWARD_PERIOD_MS
      receipts.push((await dl.payForDownload({ contentId: 'cid-backdated', bytes: 10, host: host.ledger.account, price: HOSTING_REWARD })).receipt)
    }
    assert.equal(new Set(receipts.map(r => rewardPeriod(r.time))).size, 15)
    await host.ledger.ingest([...dl.chain()])
    const results = []
    for (const r of receipts) results.push(await host.ledger.claimHostingReward(r).then(() => 'ok', (e: { reason?: string }) => e.reason))
    assert.deepEqual(results, ['ok', ...Array(14).fill('reward-cap-exceeded')])
  })
})

describe('memory stays bounded under floods of peer data', () => {
  test('a foreign account\'s flood of tiny sends, more joins than the account cap, and payments beyond the receive rate are refused or deferred, and counted', async () => {
    const v = await account({ maxForeignBlocks: 20, maxAccounts: 8, maxReceivesPerPayer: 3 })
    const f = await account()
    const g = await account()
    await f.ledger.ingest([...g.ledger.chain()])
    for (let i = 0; i < 40; i++) await f.ledger.send(g.ledger.account, 1)
    await v.ledger.ingest([...g.ledger.chain()])
    const r = await v.ledger.ingest([...f.ledger.chain()])
    assert.equal(r.accepted.length, 20)
    assert.equal(r.rejected[0].reason, 'quota-exceeded')
    assert.equal(v.ledger.chain(f.ledger.account).length, 20)
    await v.ledger.ingest(f.ledger.blocksAfter(f.ledger.account, 19))
    const mem = v.ledger.memory()
    assert.equal(mem.dropped.foreignBlocks, 2, `each refused batch counted ${JSON.stringify(mem)}`)
    assert.equal(v.ledger.rejections()['quota-exceeded'], 2)
    // Joins beyond the account cap (v, f, g held; 5 more fit).
    const joins = []
    for (let i = 0; i < 8; i++) joins.push((await account()).ledger.chain()[0])
    const rj = await v.ledger.ingest(joins)
    assert.equal(rj.accepted.length, 5)
    assert.equal(v.ledger.memory().accounts, 8)
    assert.equal(v.ledger.memory().dropped.accounts, 3)
    // A payer sends 5 small payments to v: 3 are received this period, the rest wait (and are counted).
    const p = (await account()).ledger
    const vv = await account({ maxReceivesPerPayer: 3 })
    await p.ingest([...vv.ledger.chain()])
    for (let i = 0; i < 5; i++) await p.send(vv.ledger.account, 1)
    await vv.ledger.ingest([...p.chain()])
    assert.equal((await vv.ledger.acceptPayments()).length, 3)
    assert.equal((await vv.ledger.acceptPayments()).length, 0)
    assert.equal(vv.ledger.pendingPayments().length, 2)
    assert.equal(vv.ledger.memory().dropped.deferredReceives, 2)
  })

  test('receives embedding payments of throwaway keys keep nothing; embedded copies of joined payers are capped (LRU)', async () => {
    const v = await account({ maxEmbedded: 5 })
    const attacker = await account()
    await v.ledger.ingest([...attacker.ledger.chain()])
    const head = attacker.ledger.chain().at(-1)!
    const receiveOf = async (payerKey: PrivateKey, payerJoin: Block | null): Promise<Block> => {
      const payer = createSigner(payerKey)
      const base: Block = payerJoin ?? { ...head, account: payer.account, seq: 0, hash: '0'.repeat(64) } as Block
      const send = await sealBlock(payer, { ...next(base, tokens(1), NEW_USER_GRANT - tokens(1)), seq: 1, kind: 'send', to: attacker.ledger.account, memo: '' } as BlockBody)
      return await sealBlock(createSigner(attacker.key), { ...next(head, tokens(1), head.balance + tokens(1)), kind: 'receive', source: send } as BlockBody)
    }
    // 50 throwaway keys that never joined.
    for (let i = 0; i < 50; i++) {
      const r = await v.ledger.ingest([await receiveOf(await generateKeyPair('Ed25519'), null)], { from: attacker.ledger.account })
      assert.equal(r.rejected[0].reason, 'receive-without-send')
    }
    assert.equal(v.ledger.memory().embedded, 0)
    // 12 joined payers whose (unpublished) sends are embedded: at most 5 copies kept.
    for (let i = 0; i < 12; i++) {
      const payer = await account()
      await v.ledger.ingest([payer.ledger.chain()[0]])
      await v.ledger.ingest([await receiveOf(payer.key, payer.ledger.chain()[0])], { from: attacker.ledger.account })
    }
    assert.equal(v.ledger.memory().embedded, 5)
    assert.equal(v.ledger.memory().dropped.embedded, 7)
  })
})

describe('through the economy protocol (two nodes)', () => {
  const nodes: MeshNode[] = []
  let a: MeshNode, b: MeshNode
  let A: LedgerFeature, B: LedgerFeature
  before(async () => {
    a = await startTestNode({ features: [ledgerFeature({ minJoinDifficulty: DIFFICULTY, syncIntervalMs: 300, settleDelayMs: 200 })] })
    nodes.push(a)
    b = await startTestNode({ features: [ledgerFeature({ minJoinDifficulty: DIFFICULTY, syncIntervalMs: 300, settleDelayMs: 200, limits: { maxEmbedded: 4 } })], bootstrap: [tcpAddr(a)] })
    nodes.push(b)
    A = ledgerOf(a)
    B = ledgerOf(b)
    await Promise.all([A.join(), B.join()])
    await waitFor('each node holds both joins', () => [A, B].every(f => f.ledger.head(A.account) != null && f.ledger.head(B.account) != null), 20_000)
  })
  after(async () => { await stopAll(nodes) })

  test('a chain carrying a compute reward from an unjoined key\'s receipt is refused by the other node, counted, and held against the sender', async () => {
    const repBefore = B.ledger.reputation(A.account)
    const plain = await forgeReward(a.privateKey, A.ledger, MAX_AMOUNT / 2, { reason: 'compute', receipt: await mintingReceipt(A.account) })
    const res = await A.pushBlocks(b.peerId, [plain])
    assert.deepEqual([res.accepted, res.rejected.map(r => r.reason)], [0, ['bad-evidence']])
    // With a made-up payment reference: B asks A for the payer's chain, gets nothing, and refuses it.
    const named = await forgeReward(a.privateKey, A.ledger, tokens(5), {
      reason: 'compute', receipt: await mintingReceipt(A.account, { requestId: 'mint-2', cost: tokens(10), payment: { seq: 1, hash: 'b'.repeat(64) } })
    })
    const res2 = await A.pushBlocks(b.peerId, [named])
    assert.deepEqual([res2.accepted, res2.rejected.map(r => r.reason)], [0, ['bad-evidence']])
    assert.ok(b.drops.get('ledger', 'bad-evidence') >= 2, 'counted in mesh status')
    assert.ok(B.ledger.reputation(A.account) < repBefore, 'the sender\'s reputation fell')
    assert.equal(B.ledger.balance(A.account), NEW_USER_GRANT)
    assert.equal(B.ledger.head(A.account)?.hash, A.ledger.head(A.account)?.hash, 'nothing of it was stored')
  })

  test('pushed receives embedding throwaway-key payments leave the other node\'s memory bounded; pushes from an unjoined peer are dropped', async () => {
    const head = A.ledger.chain().at(-1)!
    for (let i = 0; i < 20; i++) {
      const payer = createSigner(await generateKeyPair('Ed25519'))
      const send = await sealBlock(payer, { ...next({ ...head, account: payer.account, seq: 0 } as Block, tokens(1), NEW_USER_GRANT - tokens(1)), kind: 'send', to: A.account, memo: '' } as BlockBody)
      const receive = await sealBlock(createSigner(a.privateKey), { ...next(head, tokens(1), head.balance + tokens(1)), kind: 'receive', source: send } as BlockBody)
      const res = await A.pushBlocks(b.peerId, [receive])
      assert.equal(res.accepted, 0)
    }
    assert.equal(B.ledger.memory().embedded, 0)
    assert.ok(B.ledger.memory().embedded <= 4)
    assert.equal(B.ledger.balance(A.account), head.balance)

    // A peer whose account has not joined pushes blocks: dropped unread, counted.
    const u = await startTestNode({ features: [ledgerFeature({ minJoinDifficulty: DIFFICULTY, syncIntervalMs: 0, autoJoin: false })], bootstrap: [tcpAddr(b)] })
    nodes.push(u)
    const U = ledgerOf(u)
    const stranger = createSigner(await generateKeyPair('Ed25519'))
    const junk = await sealBlock(stranger, { ...next({ ...head, account: stranger.account, seq: 0 } as Block, 1, 0), kind: 'send', to: B.account, memo: '' } as BlockBody)
    const res = await U.pushBlocks(b.peerId, [junk])
    assert.deepEqual(res.rejected.map(r => r.reason), ['unjoined-pusher'])
    assert.ok(b.drops.get('ledger', 'unjoined-pusher') >= 1)
  })
})
