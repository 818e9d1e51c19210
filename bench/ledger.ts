// Token ledger: how fast blocks verify, how many bytes a chain costs to sync, and what the join PoW costs.
// Comparisons in the same run:
// - verification: the bare Ed25519 verify of node:crypto (the floor under any signed-block scheme) and
//   @libp2p/crypto's PublicKey.verify (which re-imports the key on every call; the ledger caches it);
// - sync bytes: the same ranges gzip-compressed (what a compressing transport would carry);
// - PoW: the expected time 2^difficulty / measured hash rate, and the cost of one verification.
// Flags: --blocks N (payments in the synthetic chains, default 1000), --solves N (PoW runs, default 10).
import { mkdtemp, rm } from 'node:fs/promises'
import { createPublicKey, verify as cryptoVerify } from 'node:crypto'
import os from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import {
  DEFAULT_JOIN_DIFFICULTY, HOSTING_REWARD, HOSTING_REWARD_PAYER_CAP, REWARD_PERIOD_MS, applyBlock, clearSignatureCache, createChainState, encodeBlock, openLedger,
  solveJoinPow, validateBlock, verifyJoinPow,
  type Block, type DownloadReceipt, type Ledger
} from '../src/node/ledger'
import { BenchReport, note, percentile } from './_report'

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : def
}
const PAYMENTS = arg('blocks', 1000)
const SOLVES = arg('solves', 10)
/** Difficulty for building the synthetic chains (verification cost of a join does not depend on it). */
const BUILD_DIFFICULTY = 8

const report = new BenchReport('ledger')

async function buildChains (): Promise<{ a: Ledger, b: Ledger, blocks: Block[] }> {
  // One clock for both, starting far enough back that hosting rewards can be spread over past days: a
  // payer can earn a host at most HOSTING_REWARD_PAYER_CAP a day, counted by the host's block time.
  let t = Date.now() - 2 * Math.ceil(PAYMENTS / 20 + 2) * REWARD_PERIOD_MS
  const now = (): number => t++
  const a = await openLedger({ privateKey: await generateKeyPair('Ed25519'), minJoinDifficulty: BUILD_DIFFICULTY, now })
  const b = await openLedger({ privateKey: await generateKeyPair('Ed25519'), minJoinDifficulty: BUILD_DIFFICULTY, now, limits: { maxReceivesPerPayer: Infinity } })
  await a.join()
  await b.join()
  await a.ingest([...b.chain()])
  await b.ingest([...a.chain()])
  // A realistic mix: a pays b (sends and download charges), b receives each payment (embedding it)
  // and claims a hosting reward for each download (embedding the receipt).
  const receipts: DownloadReceipt[] = []
  for (let i = 0; i < PAYMENTS; i++) {
    if (i % 2 === 0) await a.send(b.account, 1, `payment ${i}`)
    else receipts.push((await a.payForDownload({ contentId: `bafy-adapter-${i % 40}`, bytes: 4_200_000, host: b.account, price: HOSTING_REWARD })).receipt)
  }
  await b.ingest(a.blocksAfter(a.account, 0, Infinity))
  await b.acceptPayments()
  const perDay = HOSTING_REWARD_PAYER_CAP / HOSTING_REWARD
  for (let i = 0; i < receipts.length; i++) {
    if (i % perDay === 0) t += REWARD_PERIOD_MS
    await b.claimHostingReward(receipts[i])
  }
  return { a, b, blocks: [...a.chain(), ...b.chain()] }
}

async function benchVerify (blocks: Block[]): Promise<void> {
  const byAccount = new Map<string, Block[]>()
  for (const blk of blocks) byAccount.set(blk.account, [...(byAccount.get(blk.account) ?? []), blk])
  const ctx = { minJoinDifficulty: BUILD_DIFFICULTY, now: Date.now() }

  // Pure validation + fold (what any peer runs per block).
  let best = Infinity
  for (let round = 0; round < 3; round++) {
    // Cold: no signature remembered from building the chains or from the previous round.
    clearSignatureCache()
    const t0 = performance.now()
    for (const chain of byAccount.values()) {
      const state = createChainState(chain[0].account)
      for (const blk of chain) {
        const v = validateBlock(state, blk, ctx)
        if (!v.ok) throw new Error(`bench chain invalid: ${v.reason}`)
        applyBlock(state, blk)
      }
    }
    best = Math.min(best, performance.now() - t0)
  }
  report.add({ case: `${blocks.length} mixed blocks`, system: 'validateBlock', metric: 'blocks verified', value: Math.round(blocks.length / (best / 1000)), unit: 'blocks/s' })

  // Same, forgetting every signature check before each block (what the memo saves).
  const tNoMemo = performance.now()
  for (const chain of byAccount.values()) {
    const state = createChainState(chain[0].account)
    for (const blk of chain) {
      clearSignatureCache()
      const v = validateBlock(state, blk, ctx)
      if (!v.ok) throw new Error(`bench chain invalid: ${v.reason}`)
      applyBlock(state, blk)
    }
  }
  report.add({ case: `${blocks.length} mixed blocks`, system: 'validateBlock, no signature memo', metric: 'blocks verified', value: Math.round(blocks.length / ((performance.now() - tNoMemo) / 1000)), unit: 'blocks/s' })

  // Through a Ledger, in memory and on disk (ingest = validate + index + one fsynced append per batch).
  for (const where of ['memory', 'disk'] as const) {
    const dir = where === 'disk' ? await mkdtemp(path.join(os.tmpdir(), 'continuum-bench-ledger-')) : undefined
    const l = await openLedger({ privateKey: await generateKeyPair('Ed25519'), minJoinDifficulty: BUILD_DIFFICULTY, dir })
    clearSignatureCache()
    const t0 = performance.now()
    for (const chain of byAccount.values()) {
      for (let i = 0; i < chain.length; i += 500) {
        const r = await l.ingest(chain.slice(i, i + 500))
        if (r.rejected.length > 0) throw new Error(`bench ingest rejected ${r.rejected[0].reason}`)
      }
    }
    const ms = performance.now() - t0
    report.add({ case: `${blocks.length} mixed blocks`, system: `Ledger.ingest (${where}, 500/batch)`, metric: 'blocks verified', value: Math.round(blocks.length / (ms / 1000)), unit: 'blocks/s' })
    if (dir != null) {
      await l.close()
      clearSignatureCache()
      const t1 = performance.now()
      const reopened = await openLedger({ privateKey: await generateKeyPair('Ed25519'), minJoinDifficulty: BUILD_DIFFICULTY, dir })
      const reopenMs = performance.now() - t1
      report.add({ case: `${blocks.length} mixed blocks`, system: 'openLedger (re-verify all)', metric: 'load time', value: reopenMs, unit: 'ms' })
      await reopened.close()
      await rm(dir, { recursive: true, force: true })
    }
  }

  // Comparison: the signature check alone, with a cached key (node:crypto) and via @libp2p/crypto.
  const sample = blocks.slice(0, Math.min(blocks.length, 2000))
  const peerId = peerIdFromString(sample[0].account)
  const pub = peerId.publicKey!
  const keyObject = createPublicKey({ format: 'jwk', key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(pub.raw).toString('base64url') } })
  const own = sample.filter(blk => blk.account === sample[0].account)
  const msg = (blk: Block): Buffer => Buffer.concat([Buffer.from('continuum-ledger/block/v1\n'), Buffer.from(blk.hash, 'hex')])
  const sigs = own.map(blk => ({ m: msg(blk), s: Buffer.from(blk.sig, 'base64url') }))
  let t0 = performance.now()
  for (const x of sigs) if (!cryptoVerify(null, x.m, keyObject, x.s)) throw new Error('verify failed')
  report.add({ case: 'one signature', system: 'node:crypto Ed25519 verify (cached key)', metric: 'verifications', value: Math.round(sigs.length / ((performance.now() - t0) / 1000)), unit: 'verify/s' })
  t0 = performance.now()
  for (const x of sigs) if (await pub.verify(x.m, x.s) !== true) throw new Error('verify failed')
  report.add({ case: 'one signature', system: '@libp2p/crypto PublicKey.verify', metric: 'verifications', value: Math.round(sigs.length / ((performance.now() - t0) / 1000)), unit: 'verify/s' })
}

function benchSyncBytes (blocks: Block[]): void {
  const byKind = new Map<string, number[]>()
  let total = 0
  for (const blk of blocks) {
    const n = encodeBlock(blk).length
    total += n
    byKind.set(blk.kind, [...(byKind.get(blk.kind) ?? []), n])
  }
  report.add({ case: `${blocks.length} mixed blocks`, system: 'canonical JSON', metric: 'sync bytes per block', value: Math.round(total / blocks.length), unit: 'B/block' })
  // A range as a sync reply would carry it: one JSON array.
  const range = Buffer.from(JSON.stringify(blocks))
  report.add({ case: `${blocks.length} mixed blocks`, system: 'canonical JSON, gzip range', metric: 'sync bytes per block', value: Math.round(gzipSync(range).length / blocks.length), unit: 'B/block' })
  for (const [kind, sizes] of [...byKind].sort()) {
    report.add({ case: `${kind} block`, system: 'canonical JSON', metric: 'sync bytes per block', value: Math.round(sizes.reduce((s, x) => s + x, 0) / sizes.length), unit: 'B/block' })
  }
}

async function benchPow (): Promise<void> {
  const d = DEFAULT_JOIN_DIFFICULTY
  const times: number[] = []
  let attempts = 0
  for (let i = 0; i < SOLVES; i++) {
    const account = (await openLedger({ privateKey: await generateKeyPair('Ed25519'), minJoinDifficulty: d })).account
    const t0 = performance.now()
    const pow = await solveJoinPow(account, d)
    times.push(performance.now() - t0)
    attempts += pow.attempts
    if (!verifyJoinPow(account, pow, d)) throw new Error('PoW does not verify')
    note(`solve ${i + 1}/${SOLVES}: ${times[times.length - 1].toFixed(0)} ms, ${pow.attempts} attempts`)
  }
  const caseName = `difficulty ${d} bits, ${SOLVES} solves`
  const totalMs = times.reduce((s, x) => s + x, 0)
  report.add({ case: caseName, system: 'solveJoinPow', metric: 'p50', value: percentile(times, 50), unit: 'ms' })
  report.add({ case: caseName, system: 'solveJoinPow', metric: 'p90', value: percentile(times, 90), unit: 'ms' })
  report.add({ case: caseName, system: 'solveJoinPow', metric: 'max', value: Math.max(...times), unit: 'ms' })
  report.add({ case: caseName, system: 'solveJoinPow', metric: 'mean', value: totalMs / SOLVES, unit: 'ms' })
  const rate = attempts / (totalMs / 1000)
  report.add({ case: caseName, system: 'solveJoinPow', metric: 'hash rate', value: Math.round(rate), unit: 'hash/s' })
  report.add({ case: caseName, system: 'expected 2^d / hash rate', metric: 'mean', value: (2 ** d) / rate * 1000, unit: 'ms' })

  // Verification: one hash.
  const account = (await openLedger({ privateKey: await generateKeyPair('Ed25519'), minJoinDifficulty: 8 })).account
  const pow = await solveJoinPow(account, 8)
  const N = 100_000
  const t0 = performance.now()
  for (let i = 0; i < N; i++) if (!verifyJoinPow(account, pow, 8)) throw new Error('PoW does not verify')
  report.add({ case: 'one join PoW', system: 'verifyJoinPow', metric: 'verify time', value: (performance.now() - t0) * 1000 / N, unit: 'µs' })
}

async function main (): Promise<void> {
  note(`building two chains with ${PAYMENTS} payments…`)
  const { blocks } = await buildChains()
  note(`verifying ${blocks.length} blocks…`)
  await benchVerify(blocks)
  benchSyncBytes(blocks)
  note(`solving ${SOLVES} join PoWs at difficulty ${DEFAULT_JOIN_DIFFICULTY}…`)
  await benchPow()
  report.print()
}

main().catch(err => { console.error(err); process.exit(1) })
