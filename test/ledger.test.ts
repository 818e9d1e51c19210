// Token ledger: joins with PoW, payments between accounts, download charges and capped hosting rewards,
// double-spend proofs, rejection of bad blocks (each with its reason), wallet errors, persistence with
// re-verification on load, and kill -9 in the middle of a stream of acknowledged writes.
//
// The kill -9 child is this same bundle re-run with CONTINUUM_LEDGER_CHILD set, so it runs the real,
// bundled ledger and storage modules (the approach of test/storage.test.ts).
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, describe, test } from 'node:test'
import { generateKeyPair, generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import {
  EARLY_ADOPTER_GRANT, FIRST_ADAPTER_GRANT, HOSTING_REWARD, HOSTING_REWARD_CAP, LEDGER_LOG_FILE, NEW_USER_GRANT, RATING_REWARD,
  REWARD_PERIOD_MS, applyBlock, blockBody, rewardPeriod, computeBlockHash, createChainState, createSigner, decodeBlock, diffHeads, encodeBlock, formatTokens,
  openLedger, parseTokens, sealBlock, signReceipt, solveJoinPow, tokens, validateBlock, verifyDoubleSpendProof, verifyJoinPow,
  type Block, type BlockBody, type DownloadReceipt, type JoinBlock, type Ledger, type SendBlock
} from '../src/node/ledger'
import { openAppendLog } from '../src/node/storage'

/** Low difficulty keeps tests fast; the real default is measured in bench/ledger.ts. */
const DIFFICULTY = 8

async function newLedger (dir?: string, privateKey?: PrivateKey, now?: () => number): Promise<Ledger> {
  return await openLedger({ privateKey: privateKey ?? await generateKeyPair('Ed25519'), minJoinDifficulty: DIFFICULTY, dir, now })
}

async function joined (dir?: string): Promise<Ledger> {
  const l = await newLedger(dir)
  await l.join()
  return l
}

/**
 * Makes every ledger hold every other's full chain, as gossip + range fetches would: rounds of head
 * exchange, where a block whose dependency (another chain) is not held yet waits for the next round.
 */
async function syncAll (...ledgers: Ledger[]): Promise<void> {
  for (let round = 0; round < 4; round++) {
    let waiting = 0
    for (const to of ledgers) {
      for (const from of ledgers) {
        if (to === from) continue
        for (const d of diffHeads(to.heads(), from.heads()).want) {
          const r = await to.ingest(from.blocksAfter(d.account, d.afterSeq), { from: from.account })
          for (const x of r.rejected) assert.ok(x.needs != null, `sync ${from.account} → ${to.account}: ${x.reason} ${x.detail ?? ''}`)
          waiting += r.rejected.length
        }
      }
    }
    if (waiting === 0) return
  }
  assert.fail('sync did not converge')
}

/** Body of the next block of `l`'s own chain, for forging blocks by hand. */
function nextCommon (chain: readonly Block[], time: number, amount: number, balance: number): { v: 1, account: string, seq: number, prev: string, time: number, amount: number, balance: number } {
  const head = chain[chain.length - 1]
  return { v: 1, account: head.account, seq: head.seq + 1, prev: head.hash, time, amount, balance }
}

const CHILD_ENV = 'CONTINUUM_LEDGER_CHILD'

async function childMain (): Promise<void> {
  // argv: dir, own seed hex, path of a file with the payee's join block (JSON)
  const [dir, seedHex, payeeFile] = process.argv.slice(2)
  const key = await generateKeyPairFromSeed('Ed25519', Buffer.from(seedHex, 'hex'))
  const ledger = await openLedger({ privateKey: key, minJoinDifficulty: DIFFICULTY, dir })
  const payeeJoin = JSON.parse(readFileSync(payeeFile, 'utf8')) as JoinBlock
  if (ledger.head(payeeJoin.account) == null) await ledger.ingest([payeeJoin])
  await ledger.join()
  process.stdout.write(`ready ${ledger.chain().length}\n`)
  // Several sends in flight at once so the log's group commit batches them; "ack" only after each resolved.
  const one = async (): Promise<void> => {
    for (;;) {
      const b = await ledger.send(payeeJoin.account, 1, 'crash test')
      process.stdout.write(`ack ${b.seq} ${b.hash}\n`)
    }
  }
  await Promise.all([one(), one(), one(), one()])
}

function spawnChild (args: string[]): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, [CHILD_ENV]: '1' }
  delete env.NODE_TEST_CONTEXT
  return spawn(process.execPath, [__filename, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] })
}

if (process.env[CHILD_ENV] != null) {
  childMain().catch(err => { console.error(err); process.exit(2) })
} else {
  const dirs: string[] = []
  const fresh = (): string => { const d = mkdtempSync(path.join(tmpdir(), 'continuum-ledger-')); dirs.push(d); return d }
  after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

  describe('amounts', () => {
    test('integer micro-tokens parse and print exactly', () => {
      assert.equal(parseTokens('0.1'), 100_000)
      assert.equal(parseTokens('12.000001'), 12_000_001)
      assert.equal(formatTokens(tokens(0.1) * 3), '0.3') // 0.1 * 3 in floats is 0.30000000000000004
      assert.equal(formatTokens(-2_500_000), '-2.5')
      assert.throws(() => parseTokens('1.0000001'), { name: 'InvalidAmountError' })
      assert.throws(() => parseTokens('-1'), { name: 'InvalidAmountError' })
    })
  })

  describe('join proof-of-work', () => {
    test('a solved PoW verifies; one bit short, another account or another time does not', async () => {
      const key = await generateKeyPair('Ed25519')
      const account = createSigner(key).account
      const pow = await solveJoinPow(account, 16, { time: 1_700_000_000_000 })
      assert.equal(verifyJoinPow(account, pow, 16), true)
      assert.equal(verifyJoinPow(account, pow, 17), false, 'declared difficulty below the network minimum')
      const other = createSigner(await generateKeyPair('Ed25519')).account
      // A solution is bound to its account and time (chance of an accidental pass: 2^-16 each).
      assert.equal(verifyJoinPow(other, pow, 16), false)
      assert.equal(verifyJoinPow(account, { ...pow, time: pow.time + 1 }, 16), false)
    })

    test('solving is abortable', async () => {
      const ac = new AbortController()
      const p = solveJoinPow(createSigner(await generateKeyPair('Ed25519')).account, 40, { signal: ac.signal })
      setTimeout(() => ac.abort(), 20)
      await assert.rejects(p, { name: 'AbortError' })
    })

    test('join grants 100 tokens and is verified by others', async () => {
      const a = await joined()
      assert.equal(a.balance(), NEW_USER_GRANT)
      assert.equal(formatTokens(a.balance()), '100')
      const join = a.chain()[0] as JoinBlock
      assert.equal(join.kind, 'join')
      assert.ok(verifyJoinPow(a.account, join.pow, DIFFICULTY))
      const c = await newLedger()
      const r = await c.ingest(a.chain())
      assert.equal(r.accepted.length, 1)
      assert.equal(c.balance(a.account), NEW_USER_GRANT)
      // Joining twice returns the same block.
      assert.equal((await a.join()).hash, join.hash)
    })
  })

  describe('payments', () => {
    test('send 10 from A to B gives 90 / 110, and a third ledger that ingests both chains agrees', async () => {
      const a = await joined()
      const b = await joined()
      await syncAll(a, b)
      const send = await a.send(b.account, tokens(10), 'for the adapter')
      assert.equal(a.balance(), tokens(90))
      await syncAll(a, b)
      assert.deepEqual(b.pendingPayments().map(p => p.hash), [send.hash])
      const received = await b.acceptPayments()
      assert.equal(received.length, 1)
      assert.equal(b.balance(), tokens(110))
      assert.deepEqual(b.pendingPayments(), [])

      const c = await newLedger()
      await syncAll(a, b, c)
      assert.equal(c.balance(a.account), tokens(90))
      assert.equal(c.balance(b.account), tokens(110))
      assert.deepEqual(c.heads().sort((x, y) => x.account.localeCompare(y.account)), [...a.heads()].sort((x, y) => x.account.localeCompare(y.account)))
      assert.deepEqual(c.rejections(), {})

      const hist = a.history()
      assert.equal(hist[0].kind, 'send')
      assert.equal(hist[0].delta, -tokens(10))
      assert.equal(hist[0].counterparty, b.account)
      assert.equal(hist[0].memo, 'for the adapter')
      assert.equal(b.history()[0].counterparty, a.account)
      const s = a.stats()
      assert.deepEqual([s.balance, s.earned, s.spent, s.blocks], [tokens(90), tokens(100), tokens(10), 2])
    })

    test('wallet errors are one line, typed, and write nothing', async () => {
      const dir = fresh()
      const a = await joined(dir)
      const b = await joined()
      await a.ingest(b.chain())
      const stranger = createSigner(await generateKeyPair('Ed25519')).account
      const before = a.chain().length
      const errors = await Promise.all([
        a.send(stranger, tokens(1)).then(() => new Error("did not fail"), e => e as Error),
        a.send(b.account, tokens(100.000001)).then(() => new Error("did not fail"), e => e as Error),
        a.send(b.account, 0).then(() => new Error("did not fail"), e => e as Error),
        a.send('not-a-peer-id', tokens(1)).then(() => new Error("did not fail"), e => e as Error)
      ])
      assert.deepEqual(errors.map(e => e.name), ['UnknownPeerError', 'InsufficientBalanceError', 'InvalidAmountError', 'UnknownPeerError'])
      await assert.rejects(a.payForDownload({ contentId: 'x'.repeat(300), bytes: 1, host: b.account }), { name: 'BlockRejectedError', reason: 'malformed' })
      await assert.rejects(a.send(b.account, 1, 'm'.repeat(257)), { name: 'InvalidAmountError' })
      // Racing joins: one block.
      const racer = await newLedger()
      const [j1, j2] = await Promise.all([racer.join(), racer.join()])
      assert.equal(j1.hash, j2.hash)
      assert.equal(racer.chain().length, 1)
      for (const e of errors) assert.ok(!e.message.includes('\n'), e.message)
      assert.match(errors[1].message, /100\.000001 tokens needed, 100 available/)
      assert.equal(a.chain().length, before)
      await a.close()
      const reopened = await newLedger(dir, undefined)
      // Another key on the same dir still sees a's chain: only the join was written.
      assert.equal(reopened.chain(a.account).length, 1)
      await reopened.close()
    })

    test('the same send cannot be received twice, and only sends held in the payer\'s chain can be received', async () => {
      const aKey = await generateKeyPair('Ed25519')
      const a = await newLedger(undefined, aKey)
      await a.join()
      const b = await joined()
      await syncAll(a, b)
      const send = await a.send(b.account, tokens(5))
      // Not yet fetched from a: b cannot vouch for it.
      await assert.rejects(b.receive(send), { name: 'BlockRejectedError', reason: 'receive-without-send' })
      await syncAll(a, b)
      await b.receive(send)
      await assert.rejects(b.receive(send), { name: 'BlockRejectedError', reason: 'double-receive' })
      assert.equal(b.balance(), tokens(105))
      // A send that a never put in its chain (signed, but not the block a holds at that position).
      const unsent = await sealBlock(createSigner(aKey), { ...blockBody(send), memo: 'other' } as BlockBody) as SendBlock
      await assert.rejects(b.receive(unsent), { name: 'BlockRejectedError', reason: 'receive-without-send' })
      assert.equal(b.balance(), tokens(105))
    })
  })

  describe('downloads and rewards', () => {
    test('a download receipt charges the downloader, pays the host, and hosting rewards stop at the cap', async () => {
      // Both clocks sit early in a past reward period, so all receipts share one period whatever the real time.
      let t = Math.floor(Date.now() / REWARD_PERIOD_MS - 2) * REWARD_PERIOD_MS + 1000
      const clock = (): number => t++
      const hostKey = await generateKeyPair('Ed25519')
      const host = await newLedger(undefined, hostKey, clock)
      await host.join()
      const dl = await newLedger(undefined, undefined, clock)
      await dl.join()
      await syncAll(host, dl)
      // Unpriced 2.5 MB adapter: 1 token per started MB = 3 tokens.
      const { receipt, block } = await dl.payForDownload({ contentId: 'cid-viticulture', bytes: 2_500_000, host: host.account })
      assert.equal(receipt.price, tokens(3))
      assert.equal(block.amount, tokens(3))
      assert.equal(dl.balance(), tokens(97))
      await syncAll(host, dl)
      await host.acceptPayments()
      assert.equal(host.balance(), tokens(103))
      await host.claimHostingReward(receipt)
      assert.equal(host.balance(), tokens(103) + HOSTING_REWARD)
      await assert.rejects(host.claimHostingReward(receipt), { name: 'BlockRejectedError', reason: 'duplicate-evidence' })

      // 100 more downloaders pay 0.1 token each in the same period: 99 more rewards reach the 10-token cap
      // of the adapter (one downloader alone could earn the host at most 1 token a day, and one reward per adapter).
      const downloaders: Ledger[] = []
      for (let i = 0; i < 100; i++) {
        const d = await newLedger(undefined, undefined, clock)
        await d.join()
        downloaders.push(d)
      }
      for (const d of downloaders) await d.ingest([host.chain()[0]])
      const receipts: DownloadReceipt[] = []
      for (const d of downloaders) receipts.push((await d.payForDownload({ contentId: 'cid-viticulture', bytes: 10, host: host.account, price: HOSTING_REWARD })).receipt)
      // A reward needs the charge in the downloader's chain as the host holds it.
      await assert.rejects(host.claimHostingReward(receipts[0]), { name: 'BlockRejectedError', reason: 'bad-evidence' })
      for (const d of downloaders) await host.ingest(d.chain())
      for (const r of receipts.slice(0, 99)) await host.claimHostingReward(r)
      const chainLength = host.chain().length
      await assert.rejects(host.claimHostingReward(receipts[99]), { name: 'BlockRejectedError', reason: 'reward-cap-exceeded' })
      assert.equal(host.chain().length, chainLength, 'nothing written for a capped reward')
      const rewards = host.chain().filter(b => b.kind === 'reward').reduce((s, b) => s + b.amount, 0)
      assert.equal(rewards, HOSTING_REWARD_CAP)
      // Another adapter has its own cap.
      const other = await dl.payForDownload({ contentId: 'cid-fermentation', bytes: 10, host: host.account, price: HOSTING_REWARD })
      await syncAll(host, dl)
      await host.claimHostingReward(other.receipt)

      // A third node re-validates everything, caps included.
      const c = await newLedger()
      await syncAll(host, dl, c)
      assert.equal(c.balance(host.account), host.balance())
      assert.equal(c.balance(dl.account), dl.balance())

      // A reward beyond the cap, forged by the host itself, is refused by the third node.
      const hostChain = host.chain()
      const forged = await sealBlock(createSigner(hostKey), {
        ...nextCommon(hostChain, hostChain[hostChain.length - 1].time, HOSTING_REWARD, host.balance() + HOSTING_REWARD), kind: 'reward', reward: { reason: 'hosting', receipt: receipts[99] }
      })
      const r = await c.ingest([forged], { from: host.account })
      assert.deepEqual(r.rejected.map(x => x.reason), ['reward-cap-exceeded'])

      // The next reward period (by the host's own block time, which cannot go back) starts a fresh cap.
      const before = rewardPeriod(host.chain().at(-1)!.time)
      t += REWARD_PERIOD_MS
      const nextDay = await dl.payForDownload({ contentId: 'cid-viticulture', bytes: 10, host: host.account, price: HOSTING_REWARD })
      await syncAll(host, dl)
      const late = await host.claimHostingReward(nextDay.receipt)
      assert.equal(rewardPeriod(late.time), before + 1)

      await syncAll(host, dl)
      await host.acceptPayments()
      const s = host.stats()
      assert.equal(s.topAdapter?.contentId, 'cid-viticulture')
      assert.equal(s.topAdapter?.earned, tokens(3) + 101 * HOSTING_REWARD + HOSTING_REWARD_CAP + HOSTING_REWARD)
      assert.ok(host.reputation() > 0.9, 'deliveries raise the host\'s reputation')
      assert.ok(dl.reputation(dl.account) >= 0.8, 'payments raise the downloader\'s reputation')
      await syncAll(host, dl, c)
      assert.equal(c.balance(host.account), host.balance())
    })

    test('a compute reward follows the requester\'s payment that its receipt names', async () => {
      const provider = await joined()
      const requester = await joined()
      await syncAll(provider, requester)
      // Signed on a clock 5 s ahead of the provider's: still claimable right away.
      const { receipt: compute, block: paid } = await requester.payForCompute({ requestId: 'req-1', provider: provider.account, cost: tokens(3), time: Date.now() + 5000 })
      assert.deepEqual(compute.payment, { seq: paid.seq, hash: paid.hash })
      assert.equal(requester.balance(), NEW_USER_GRANT - tokens(3))
      // The provider must hold the requester's chain up to the payment first.
      await assert.rejects(provider.claimComputeReward(compute), { name: 'BlockRejectedError', reason: 'bad-evidence' })
      await syncAll(provider, requester)
      await provider.acceptPayments()
      await provider.claimComputeReward(compute)
      assert.equal(provider.balance(), NEW_USER_GRANT + tokens(3) + tokens(1.5))
      await assert.rejects(provider.claimComputeReward(compute), { name: 'BlockRejectedError', reason: 'duplicate-evidence' })
      // The requester cannot cash its own receipt.
      await assert.rejects(requester.claimComputeReward(compute), { name: 'BlockRejectedError', reason: 'bad-evidence' })
      const c = await newLedger()
      await syncAll(provider, requester, c)
      assert.equal(c.balance(provider.account), provider.balance())
      assert.deepEqual(provider.history().slice(0, 1).map(h => [h.reason, h.counterparty]), [['compute', requester.account]])
    })

    test('first-adapter, early-adopter and rating grants need their evidence', async () => {
      const host = await joined()
      const dl = await joined()
      await syncAll(host, dl)
      const { receipt } = await dl.payForDownload({ contentId: 'cid-a', bytes: 10, host: host.account, price: tokens(2) })
      await syncAll(host, dl)
      await host.claimFirstAdapterGrant(receipt)
      await assert.rejects(host.claimFirstAdapterGrant(receipt), { name: 'BlockRejectedError', reason: 'duplicate-grant' })
      await host.claimEarlyAdopterGrant()
      assert.equal(host.balance(), NEW_USER_GRANT + FIRST_ADAPTER_GRANT + EARLY_ADOPTER_GRANT)
      await dl.claimRatingReward(receipt, 5)
      await assert.rejects(dl.claimRatingReward(receipt, 4), { name: 'BlockRejectedError', reason: 'duplicate-evidence' })
      assert.equal(dl.balance(), NEW_USER_GRANT - tokens(2) + RATING_REWARD)
      // The downloader cannot claim the host's first-adapter grant with its own receipt.
      await assert.rejects(dl.claimFirstAdapterGrant(receipt), { name: 'BlockRejectedError', reason: 'bad-evidence' })
      // A rating for a download the account never paid for is refused.
      await assert.rejects(host.claimRatingReward(receipt, 5), { name: 'BlockRejectedError', reason: 'bad-evidence' })
      const c = await newLedger()
      await syncAll(host, dl, c)
      assert.equal(c.balance(host.account), host.balance())
    })

    test('early-adopter grants are judged by this node\'s join order: the 1,001st known join is not early', async () => {
      // 1,000 joins with earlier PoW times than the claimant's (difficulty 0 keeps this fast).
      const lowJudge = await openLedger({ privateKey: await generateKeyPair('Ed25519'), minJoinDifficulty: 0 })
      const base = 1_700_000_000_000
      const joins: Block[] = []
      for (let i = 0; i < 1000; i++) {
        const key = await generateKeyPairFromSeed('Ed25519', Buffer.alloc(32, 0).fill(i % 256, 0, 1).fill(Math.floor(i / 256), 1, 2))
        const s = createSigner(key)
        const pow = await solveJoinPow(s.account, 0, { time: base + i })
        joins.push(await sealBlock(s, { v: 1, kind: 'join', account: s.account, seq: 0, prev: '0'.repeat(64), time: pow.time, amount: NEW_USER_GRANT, balance: NEW_USER_GRANT, pow: { time: pow.time, nonce: pow.nonce, difficulty: 0 } }))
      }
      assert.equal((await lowJudge.ingest(joins)).accepted.length, 1000)
      const late = await openLedger({ privateKey: await generateKeyPair('Ed25519'), minJoinDifficulty: 0 })
      await late.join()
      await late.ingest(joins)
      await assert.rejects(late.claimEarlyAdopterGrant(), { name: 'BlockRejectedError', reason: 'not-early' })
      const early = await openLedger({ privateKey: await generateKeyPair('Ed25519'), minJoinDifficulty: 0 })
      await early.join({ pow: { ...(await solveJoinPow(early.account, 0, { time: base - 1 })), difficulty: 0 } })
      await early.ingest(joins)
      const grant = await early.claimEarlyAdopterGrant()
      assert.equal((await lowJudge.ingest([...early.chain()])).accepted.length, 2)
      assert.equal(lowJudge.balance(early.account), NEW_USER_GRANT + EARLY_ADOPTER_GRANT)
      // A validator that cannot rank the claimant's join cannot judge the grant.
      const state = createChainState(early.account)
      assert.deepEqual(validateBlock(state, early.chain()[0], { minJoinDifficulty: 0, now: Date.now() }), { ok: true })
      applyBlock(state, early.chain()[0])
      const verdict = validateBlock(state, grant, { minJoinDifficulty: 0, now: Date.now() })
      assert.equal(verdict.ok ? 'ok' : verdict.reason, 'bad-evidence')
    })
  })

  describe('double spend', () => {
    test('two sends from the same head are detected by a third ledger, which proves it and refuses the account\'s payments', async () => {
      const aKey = await generateKeyPair('Ed25519')
      const a = await newLedger(undefined, aKey)
      await a.join()
      const b = await joined()
      const c = await joined()
      await syncAll(a, b, c)
      const toB = await a.send(b.account, tokens(80))
      // The same 80 tokens again, to c, from the same head: a second block with the same previous hash.
      const join = a.chain()[0]
      const toC = await sealBlock(createSigner(aKey), {
        v: 1, kind: 'send', account: a.account, seq: 1, prev: join.hash, time: toB.time, amount: tokens(80), balance: tokens(20), to: c.account, memo: ''
      }) as SendBlock
      // b sees only the send to itself; c sees only the send to itself: each alone looks valid.
      await b.ingest([toB])
      await c.ingest([toC])
      assert.equal(c.pendingPayments().length, 1)

      const third = await newLedger()
      await third.ingest([join, toB])
      let emitted = 0
      third.on('double-spend', () => { emitted++ })
      const r = await third.ingest([toC], { from: c.account })
      assert.deepEqual(r.rejected.map(x => x.reason), ['fork'])
      assert.equal(r.proofs.length, 1)
      assert.equal(emitted, 1)
      assert.equal(third.reputation(a.account), 0)
      assert.ok(third.reputation(c.account) === 0.5, 'relaying a fork is not held against the relayer')

      // The proof verifies standalone, after a trip through JSON, and not when tampered with.
      const wire = JSON.parse(JSON.stringify(r.proofs[0])) as unknown
      const v = verifyDoubleSpendProof(wire)
      assert.equal(v.ok, true)
      assert.equal(v.ok && v.account, a.account)
      const tampered = JSON.parse(JSON.stringify(r.proofs[0])) as { b: { amount: number } }
      tampered.b.amount += 1
      assert.equal(verifyDoubleSpendProof(tampered).ok, false)
      assert.equal(verifyDoubleSpendProof({ type: 'double-spend', a: toB, b: toB }).ok, false)

      // Third refuses any further block of a.
      const more = await sealBlock(createSigner(aKey), { v: 1, kind: 'send', account: a.account, seq: 2, prev: toB.hash, time: toB.time, amount: 1, balance: tokens(20) - 1, to: b.account, memo: '' })
      assert.deepEqual((await third.ingest([more])).rejected.map(x => x.reason), ['forked-account'])

      // b and c verify the broadcast proof, drop a's reputation to 0 and refuse its payments.
      for (const l of [b, c]) {
        const res = await l.ingestProof(wire, { from: third.account })
        assert.deepEqual(res, { ok: true, account: a.account, isNew: true })
        assert.equal(l.reputation(a.account), 0)
        assert.deepEqual(l.pendingPayments(), [])
        assert.deepEqual(await l.acceptPayments(), [])
      }
      await assert.rejects(b.receive(toB), { name: 'ForkedAccountError' })
      // Later blocks of a are refused by b too.
      const later = await a.send(b.account, 1)
      assert.deepEqual((await b.ingest([later])).rejected.map(x => x.reason), ['forked-account'])
      // A bad proof is rejected and counted against its sender.
      const bad = await b.ingestProof(tampered, { from: c.account })
      assert.equal(bad.ok, false)
      assert.equal(b.rejections()['bad-proof'], 1)
      assert.ok(b.reputation(c.account) < 0.5)
    })

    test('a receive of a conflicting copy of a payment is refused and reveals the fork, in either order; the proof survives a reopen', async () => {
      const aKey = await generateKeyPair('Ed25519')
      const a = await newLedger(undefined, aKey)
      await a.join()
      const b = await joined()
      const c = await joined()
      await syncAll(a, b, c)
      const toB = await a.send(b.account, tokens(60))
      const toC = await sealBlock(createSigner(aKey), { ...blockBody(toB), to: c.account } as BlockBody) as SendBlock
      await c.ingest([toC])
      const recvC = await c.receive(toC)

      const dir = fresh()
      const third = await newLedger(dir)
      await third.ingest([...a.chain(), ...b.chain()])
      const r = await third.ingest([...c.chain()])
      assert.equal(r.proofs.length, 1, 'c\'s receive embeds a second block 1 of a')
      assert.deepEqual(r.rejected.map(x => [x.hash, x.reason]), [[recvC.hash, 'receive-without-send']])
      assert.equal(third.isForked(a.account), true)
      const heads = third.heads()
      const digest = third.headsDigest()
      await third.close()
      const reopened = await newLedger(dir)
      assert.deepEqual(reopened.lastLoad.rejected, [])
      assert.equal(reopened.isForked(a.account), true)
      assert.equal(reopened.reputation(a.account), 0)
      assert.deepEqual(reopened.heads(), heads)
      assert.equal(reopened.headsDigest(), digest)
      await reopened.close()

      // The other order: c's receive first, then a's own block 1 arrives and conflicts with the embedded copy.
      const dir2 = fresh()
      const fourth = await newLedger(dir2)
      const waiting = await fourth.ingest([a.chain()[0], ...c.chain()], { from: c.account })
      assert.deepEqual(waiting.needs, [{ account: a.account, afterSeq: 0 }], 'c\'s receive waits for a\'s block 1')
      assert.equal(fourth.reputation(c.account), 0.5, 'waiting for a dependency is not held against the sender')
      assert.equal(fourth.isForked(a.account), false)
      const r2 = await fourth.ingest([toB])
      assert.equal(r2.accepted.length, 1)
      assert.equal(r2.proofs.length, 1)
      await fourth.close()
      const reopened2 = await newLedger(dir2)
      assert.deepEqual(reopened2.lastLoad.rejected, [], 'the block is stored before the proof it revealed')
      assert.equal(reopened2.isForked(a.account), true)
      assert.equal(reopened2.chain(a.account).length, 2)
      await reopened2.close()
    })
  })

  describe('bad input', () => {
    test('tampered, badly signed, replayed, reordered, receive-without-send, overdraft, weak PoW: each rejected with its reason and counted', async () => {
      const aKey = await generateKeyPair('Ed25519')
      const a = await newLedger(undefined, aKey)
      await a.join()
      const bKey = await generateKeyPair('Ed25519')
      const b = await newLedger(undefined, bKey)
      await b.join()
      const other = await joined()
      await syncAll(a, b, other)
      const s1 = await a.send(b.account, tokens(10))
      const s2 = await a.send(other.account, tokens(10))
      const [join] = a.chain()
      const aSigner = createSigner(aKey)
      const bSigner = createSigner(bKey)
      const v = await newLedger()
      const mallory = createSigner(await generateKeyPair('Ed25519')).account
      const expectReject = async (blocks: unknown[], reason: string): Promise<void> => {
        const r = await v.ingest(blocks, { from: mallory })
        assert.equal(r.rejected.length, 1, `expected one rejection for ${reason}, got ${JSON.stringify(r.rejected)}`)
        assert.equal(r.rejected[0].reason, reason)
      }

      // weak PoW: declared difficulty below the network's, and a nonce that does not meet its own claim.
      const weakKey = await generateKeyPair('Ed25519')
      const weak = createSigner(weakKey)
      const pow = await solveJoinPow(weak.account, 2)
      const weakJoin = await sealBlock(weak, { v: 1, kind: 'join', account: weak.account, seq: 0, prev: '0'.repeat(64), time: pow.time, amount: NEW_USER_GRANT, balance: NEW_USER_GRANT, pow: { time: pow.time, nonce: pow.nonce, difficulty: 2 } })
      await expectReject([weakJoin], 'pow-too-weak')
      let bogusNonce = 0
      while (verifyJoinPow(weak.account, { time: pow.time, nonce: bogusNonce.toString(16), difficulty: DIFFICULTY }, DIFFICULTY)) bogusNonce++
      const liar = await sealBlock(weak, { ...blockBody(weakJoin), pow: { time: pow.time, nonce: bogusNonce.toString(16), difficulty: DIFFICULTY } } as BlockBody)
      await expectReject([liar], 'pow-too-weak')

      await v.ingest([join, s1])
      // tampered: amount changed, hash left → bad-hash; hash recomputed → the signature no longer matches.
      await expectReject([{ ...s2, amount: tokens(1), balance: tokens(89) }], 'bad-hash')
      const retagged = { ...s2, amount: tokens(1), balance: tokens(89) }
      retagged.hash = computeBlockHash(blockBody(retagged as Block))
      await expectReject([retagged], 'bad-signature')
      // bad signature: another block's signature.
      await expectReject([{ ...s2, sig: s1.sig }], 'bad-signature')
      // signed by someone else (b signs a block in a's name).
      const impostor = await sealBlock({ account: a.account, sign: bSigner.sign }, blockBody(s2))
      await expectReject([impostor], 'bad-signature')
      // replayed: a block already held.
      await expectReject([s1], 'replay')
      // reordered: block 3 before block 2.
      const s3 = await a.send(b.account, tokens(1))
      await expectReject([s3], 'out-of-order')
      // wrong previous hash at the right position.
      const wrongPrev = await sealBlock(aSigner, { ...blockBody(s2), prev: join.hash } as BlockBody)
      await expectReject([wrongPrev], 'wrong-previous')

      // Fresh validator for the rest.
      const w = await newLedger()
      await w.ingest([join, s1, s2, ...b.chain(), ...other.chain()])
      const expectW = async (blocks: unknown[], reason: string): Promise<void> => {
        const r = await w.ingest(blocks, { from: mallory })
        assert.deepEqual(r.rejected.map(x => x.reason), [reason])
      }
      // overdraft: a tries to send 81 of its 80 tokens.
      const overdraft = await sealBlock(aSigner, { ...nextCommon([join, s1, s2], s2.time, tokens(81), 0), kind: 'send', to: b.account, memo: '' })
      await expectW([overdraft], 'overdraft')
      // a wrong resulting balance.
      const badBalance = await sealBlock(aSigner, { ...nextCommon([join, s1, s2], s2.time, tokens(1), tokens(80)), kind: 'send', to: b.account, memo: '' })
      await expectW([badBalance], 'bad-balance')
      // receive without send: b "receives" a's payment to `other`, and a payment that was never signed by a.
      const bChain = b.chain()
      const stolen = await sealBlock(bSigner, { ...nextCommon(bChain, s2.time, s2.amount, b.balance() + s2.amount), kind: 'receive', source: s2 })
      await expectW([stolen], 'receive-without-send')
      const fakeSend = { ...s1, amount: tokens(50), balance: tokens(40) }
      fakeSend.hash = computeBlockHash(blockBody(fakeSend as Block))
      const fakeRecv = await sealBlock(bSigner, { ...nextCommon(bChain, s1.time, tokens(50), b.balance() + tokens(50)), kind: 'receive', source: fakeSend })
      await expectW([fakeRecv], 'receive-without-send')
      // double receive: the same send twice in b's chain.
      const r1 = await sealBlock(bSigner, { ...nextCommon(bChain, s1.time, s1.amount, b.balance() + s1.amount), kind: 'receive', source: s1 })
      assert.deepEqual((await w.ingest([r1])).rejected, [])
      const r2 = await sealBlock(bSigner, { ...nextCommon([...bChain, r1], s1.time, s1.amount, r1.balance + s1.amount), kind: 'receive', source: s1 })
      await expectW([r2], 'double-receive')
      // malformed: an unknown member.
      await expectW([{ ...r2, extra: 1 }], 'malformed')
      // a hosting reward whose receipt was signed by the host itself, not the downloader.
      const selfReceipt = await signReceipt<DownloadReceipt>(bSigner, { type: 'download', v: 1, contentId: 'x', bytes: 1, host: a.account, downloader: b.account, price: tokens(1), priced: true, time: r1.time })
      const fakeReward = await sealBlock(bSigner, { ...nextCommon([...bChain, r1], r1.time, HOSTING_REWARD, r1.balance + HOSTING_REWARD), kind: 'reward', reward: { reason: 'hosting', receipt: { ...selfReceipt, host: b.account, downloader: other.account } } })
      await expectW([fakeReward], 'bad-evidence')

      assert.deepEqual(v.rejections(), { 'pow-too-weak': 2, 'bad-hash': 1, 'bad-signature': 3, replay: 1, 'out-of-order': 1, 'wrong-previous': 1 })
      assert.deepEqual(w.rejections(), { overdraft: 1, 'bad-balance': 1, 'receive-without-send': 2, 'double-receive': 1, malformed: 1, 'bad-evidence': 1 })
      assert.ok(v.reputation(mallory) < 0.05, `sender of bad blocks loses reputation (${v.reputation(mallory)})`)
      assert.ok(w.reputation(mallory) < 0.05)
    })

    test('a receive counts only a payment the payer\'s chain holds: an unpublished signed send mints nothing', async () => {
      const aKey = await generateKeyPair('Ed25519')
      const a = await newLedger(undefined, aKey)
      await a.join()
      const bKey = await generateKeyPair('Ed25519')
      const b = await newLedger(undefined, bKey)
      await b.join()
      await syncAll(a, b)
      // a signs a send of 1,000 tokens it does not have and never publishes; b embeds it in a receive.
      const [aJoin] = a.chain()
      const phantom = await sealBlock(createSigner(aKey), { ...nextCommon([aJoin], aJoin.time, tokens(1000), 0), kind: 'send', to: b.account, memo: '' }) as SendBlock
      const [bJoin] = b.chain()
      const minted = await sealBlock(createSigner(bKey), { ...nextCommon([bJoin], Math.max(phantom.time, bJoin.time), tokens(1000), NEW_USER_GRANT + tokens(1000)), kind: 'receive', source: phantom })
      const v = await newLedger()
      await v.ingest([aJoin, bJoin])
      const r = await v.ingest([minted], { from: b.account })
      assert.deepEqual(r.rejected.map(x => [x.reason, x.needs]), [['receive-without-send', { account: a.account, afterSeq: 0 }]])
      assert.equal(v.balance(b.account), NEW_USER_GRANT)
      // a's real block 1 turns out to be something else: the receive stays refused and a's fork is proven.
      const real = await a.send(b.account, tokens(1))
      const r2 = await v.ingest([real])
      assert.equal(r2.accepted.length, 1)
      assert.equal(r2.proofs.length, 1)
      assert.deepEqual((await v.ingest([minted])).rejected.map(x => x.reason), ['receive-without-send'])
      // A legitimate receive that arrives before its send is accepted once the send is fetched.
      const c = await newLedger()
      await c.ingest([aJoin, bJoin])
      await syncAll(a, b)
      const recv = await b.receive(real)
      const early = await c.ingest([recv], { from: b.account })
      assert.deepEqual(early.needs, [{ account: a.account, afterSeq: 0 }])
      await c.ingest(a.blocksAfter(early.needs[0].account, early.needs[0].afterSeq))
      assert.equal((await c.ingest([recv])).accepted.length, 1)
      assert.equal(c.balance(b.account), NEW_USER_GRANT + tokens(1))
      assert.equal(c.reputation(b.account), 0.5, 'not held against b')
    })

    test('validateBlock is pure and works on a bare chain state', async () => {
      const a = await joined()
      const state = createChainState(a.account)
      const [join] = a.chain()
      const ctx = { minJoinDifficulty: DIFFICULTY, now: Date.now() }
      assert.deepEqual(validateBlock(state, join, ctx), { ok: true })
      assert.equal(state.hashes.length, 0, 'validation does not change the state')
      const strict = validateBlock(state, join, { ...ctx, minJoinDifficulty: 30 })
      assert.equal(strict.ok ? 'ok' : strict.reason, 'pow-too-weak')
      const future = validateBlock(state, join, { ...ctx, now: join.time - 3600_000 })
      assert.equal(future.ok ? 'ok' : future.reason, 'time-in-future')
      // The wire form round-trips and is schema-checked.
      const decoded = decodeBlock(encodeBlock(join))
      assert.ok(decoded.ok && decoded.value.hash === join.hash)
      assert.equal(decodeBlock(Buffer.from('{"kind":"join"}')).ok, false)
    })
  })

  describe('persistence', () => {
    test('reopening re-verifies every stored block and restores balances, proofs and reputation inputs', async () => {
      const dirA = fresh()
      const aKey = await generateKeyPair('Ed25519')
      const a = await newLedger(dirA, aKey)
      await a.join()
      const b = await joined()
      await syncAll(a, b)
      await a.send(b.account, tokens(7), 'x')
      await syncAll(a, b)
      await a.ingest([{ ...b.chain()[0], sig: a.chain()[0].sig }], { from: b.account })
      const heads = a.heads()
      const repB = a.reputation(b.account)
      assert.ok(repB < 0.5)
      await a.close()
      await assert.rejects(a.send(b.account, 1), { name: 'LedgerClosedError' })

      const again = await newLedger(dirA, aKey)
      assert.deepEqual(again.heads(), heads)
      assert.equal(again.balance(), tokens(93))
      assert.equal(again.lastLoad.blocks, 3)
      assert.deepEqual(again.lastLoad.rejected, [])
      assert.equal(again.reputation(b.account), repB)
      await again.close()

      // A block that is in the log with a valid checksum but a bad signature is caught on load.
      const { log } = await openAppendLog(path.join(dirA, LEDGER_LOG_FILE))
      const forged = { ...b.chain()[0], balance: tokens(1000), amount: tokens(1000) }
      forged.hash = computeBlockHash(blockBody(forged as Block))
      await log.append(Buffer.from(JSON.stringify({ t: 'block', block: forged })))
      await log.close()
      const third = await newLedger(dirA, aKey)
      assert.deepEqual(third.lastLoad.rejected.map(r => r.reason), ['bad-signature'])
      assert.equal(third.balance(b.account), b.balance())
      await third.close()
    })

    test('kill -9 in the middle of a stream of ledger writes loses nothing acknowledged', async () => {
      const dir = fresh()
      const seed = Buffer.alloc(32, 7)
      const payee = await joined()
      const payeeFile = path.join(fresh(), 'payee.json')
      writeFileSync(payeeFile, JSON.stringify(payee.chain()[0]))
      const acked = new Map<number, string>()
      for (let round = 0; round < 4; round++) {
        const child = spawnChild([dir, seed.toString('hex'), payeeFile])
        let buf = ''
        let acksThisRound = 0
        const enough = new Promise<void>((resolve, reject) => {
          child.stdout!.on('data', (chunk: Buffer) => {
            buf += chunk.toString('utf8')
            const lines = buf.split('\n')
            buf = lines.pop()!
            for (const line of lines) {
              const m = /^ack (\d+) ([0-9a-f]{64})$/.exec(line)
              if (m != null) { acked.set(Number(m[1]), m[2]); acksThisRound++ }
            }
            if (acksThisRound >= 25 + round * 10) resolve()
          })
          child.once('exit', (code, sig) => reject(new Error(`child exited early (${code ?? sig})`)))
        })
        await enough
        const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
        child.kill('SIGKILL')
        await exited

        const key = await generateKeyPairFromSeed('Ed25519', seed)
        const l = await newLedger(dir, key)
        assert.deepEqual(l.lastLoad.rejected, [], `round ${round}: every stored block re-verifies`)
        const chain = l.chain()
        for (const [seq, hash] of acked) assert.equal(chain[seq]?.hash, hash, `round ${round}: acknowledged block ${seq} survived`)
        assert.equal(l.balance(), NEW_USER_GRANT - (chain.length - 1), 'balance derived from the surviving chain')
        // An independent validator accepts the recovered chain as a whole.
        const check = await newLedger()
        await check.ingest([payee.chain()[0]])
        assert.deepEqual((await check.ingest([...chain])).rejected, [])
        await l.close()
      }
      assert.ok(acked.size >= 25 + 35 + 45 + 55)
    })
  })

  describe('sync helpers', () => {
    test('diffHeads says what to fetch, what to offer, and where copies conflict', () => {
      const h = (account: string, seq: number, hash = String(seq)): { account: string, seq: number, hash: string } => ({ account, seq, hash })
      const d = diffHeads([h('a', 3), h('b', 1), h('c', 2, 'x')], [h('a', 5), h('b', 1), h('c', 2, 'y'), h('d', 0)])
      assert.deepEqual(d.want, [{ account: 'a', afterSeq: 3 }, { account: 'd', afterSeq: -1 }])
      assert.deepEqual(d.offer, [])
      assert.deepEqual(d.conflicts, [{ account: 'c', seq: 2 }])
      assert.deepEqual(diffHeads([h('a', 2)], []).offer, [{ account: 'a', afterSeq: -1 }])
    })

    test('a chain that diverged earlier is proven forked by ingesting the remote copy from its start', async () => {
      const aKey = await generateKeyPair('Ed25519')
      const a = await newLedger(undefined, aKey)
      await a.join()
      const b = await joined()
      const c = await joined()
      await syncAll(a, b, c)
      // Branch x (held by v): two sends to b. Branch y (held by w): three sends to c, from the same join.
      const [join] = a.chain()
      const x1 = await a.send(b.account, 1)
      const x2 = await a.send(b.account, 1)
      const signer = createSigner(aKey)
      const y1 = await sealBlock(signer, { ...nextCommon([join], x1.time, 2, NEW_USER_GRANT - 2), kind: 'send', to: c.account, memo: '' })
      const y2 = await sealBlock(signer, { ...nextCommon([join, y1], x1.time, 2, NEW_USER_GRANT - 4), kind: 'send', to: c.account, memo: '' })
      const y3 = await sealBlock(signer, { ...nextCommon([join, y1, y2], x1.time, 2, NEW_USER_GRANT - 6), kind: 'send', to: c.account, memo: '' })
      const v = await newLedger()
      await v.ingest([join, x1, x2])
      const w = await newLedger()
      await w.ingest([join, y1, y2, y3])
      const diff = diffHeads(v.heads(), w.heads())
      assert.deepEqual(diff.want, [{ account: a.account, afterSeq: 2 }])
      const tail = await v.ingest(w.blocksAfter(a.account, 2), { from: w.account })
      assert.deepEqual(tail.rejected.map(x => x.reason), ['wrong-previous'])
      const full = await v.ingest(w.blocksAfter(a.account, -1))
      assert.deepEqual(full.rejected.map(x => x.reason), ['replay', 'fork', 'forked-account', 'out-of-order'])
      assert.equal(full.proofs.length, 1)
      assert.equal(verifyDoubleSpendProof(full.proofs[0]).ok, true)
      assert.equal(v.reputation(a.account), 0)
    })

    test('a range that starts with blocks already held still delivers the new ones after them', async () => {
      const a = await joined()
      const b = await joined()
      await syncAll(a, b)
      const v = await newLedger()
      await v.ingest([...a.chain()])
      await a.send(b.account, 1)
      const r = await v.ingest(a.blocksAfter(a.account, -1))
      assert.deepEqual(r.rejected.map(x => x.reason), ['replay'])
      assert.equal(r.accepted.length, 1)
    })

    test('blocksAfter serves ranges that a fresh ledger ingests in pages', async () => {
      const a = await joined()
      const b = await joined()
      await syncAll(a, b)
      for (let i = 0; i < 12; i++) await a.send(b.account, 1)
      const c = await newLedger()
      let after = -1
      for (;;) {
        const page = a.blocksAfter(a.account, after, 5)
        if (page.length === 0) break
        const r = await c.ingest(page.map(p => JSON.parse(JSON.stringify(p)) as unknown))
        assert.deepEqual(r.rejected, [])
        after = page[page.length - 1].seq
      }
      assert.deepEqual(c.head(a.account), a.head(a.account))
    })
  })
}
