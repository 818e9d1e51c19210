// A download pays its host: two real nodes on loopback with the content and ledger features. A publishes
// a priced and an unpriced adapter; B installs both through the content layer; the verified install
// pays A, which receives the payments and claims its hosting rewards, and both nodes agree on the balances.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { createEmbedder, type Embedder } from '../src/node/embedding'
import type { MeshNode } from '../src/node/mesh-node'
import { contentFeature, type ContentFeature } from '../src/node/content'
import { ledgerFeature, type LedgerFeature } from '../src/node/economy'
import { tokens } from '../src/node/ledger'
import { contentOf } from './helpers/content'
import { startTestNode, stopAll, tcpAddr, tempDir, waitFor } from './helpers/mesh'
import { ledgerOf } from './helpers/ledger'
import { makePeftFolder } from './helpers/peft'


let embedder: Embedder
const nodes: MeshNode[] = []
let work: string

before(async () => { embedder = createEmbedder(); work = await tempDir('continuum-economy-dl-') })
after(async () => { await stopAll(nodes, [work]); await embedder.close() })

const content = contentOf
const ledger = ledgerOf

test('an install pays the host its price (or 1 token per MB when unpriced) after the bundle verifies; the host is rewarded for hosting', async () => {
  // Content pays through the ledger it is given (as defaultFeatures wires them).
  const features = (): [ContentFeature, LedgerFeature] => {
    const l = ledgerFeature({ minJoinDifficulty: 8, syncIntervalMs: 300, settleDelayMs: 200 })
    return [contentFeature({ findProvidersTimeoutMs: 4_000, payments: l }), l]
  }
  const a = await startTestNode({ embedder, features: features() })
  nodes.push(a)
  const b = await startTestNode({ embedder, features: features(), bootstrap: [tcpAddr(a)] })
  nodes.push(b)
  const idA = a.peerId.toString()
  const idB = b.peerId.toString()
  await Promise.all([ledger(a).join(), ledger(b).join()])
  await waitFor('each node holds both joins', () => [a, b].every(n => ledger(n).ledger.head(idA) != null && ledger(n).ledger.head(idB) != null), 20_000)

  const priced = await content(a).publish(await makePeftFolder(path.join(work, 'pub', 'paid-skill'), 'paid-skill', 20_000), { price: 2 })
  const unpriced = await content(a).publish(await makePeftFolder(path.join(work, 'pub', 'free-skill'), 'free-skill', 2_300_000))
  const perMb = Math.ceil(unpriced.size / 1_000_000)
  assert.ok(perMb >= 3, `the unpriced bundle is ${unpriced.size} bytes`)

  const project = path.join(work, 'project')
  const r1 = await content(b).install(`ipfs://${priced.cid}`, { project, maxPrice: 2 })
  assert.deepEqual(r1.payment, { host: idA, amount: 2, priced: true, balance: 98 })
  const r2 = await content(b).install(`ipfs://${unpriced.cid}`, { project })
  assert.deepEqual(r2.payment, { host: idA, amount: perMb, priced: false, balance: 98 - perMb })
  // Already installed: nothing downloaded, nothing paid.
  const again = await content(b).install(`ipfs://${priced.cid}`, { project })
  assert.equal(again.alreadyInstalled, true)
  assert.equal(again.payment, undefined)

  // A: 100 + 2 + perMb, + 0.1 hosting reward per download, + 50 for its first downloaded adapter.
  const expectA = tokens(100 + 2 + perMb + 0.2 + 50)
  const expectB = tokens(100 - 2 - perMb)
  await waitFor('both nodes agree on the balances', () => [a, b].every(n => ledger(n).ledger.balance(idA) === expectA && ledger(n).ledger.balance(idB) === expectB), 20_000)
  const rewards = ledger(a).history().filter(e => e.kind === 'reward')
  assert.deepEqual(rewards.map(e => e.reason), ['hosting', 'hosting'])
  assert.deepEqual(new Set(rewards.map(e => e.contentId)), new Set([priced.cid, unpriced.cid]))
  assert.ok(rewards.every(e => e.counterparty === idB && e.delta === tokens(0.1)))
  const stats = ledger(a).stats()
  assert.equal(stats.topAdapter?.contentId, unpriced.cid)
  assert.equal(stats.topAdapter?.name, unpriced.manifest.name)
  assert.equal(stats.topAdapter?.downloads, 1)
  const charge = ledger(b).history().find(e => e.kind === 'charge' && e.contentId === priced.cid)
  assert.equal(charge?.counterparty, idA)
  assert.equal(charge?.delta, -tokens(2))
})

/** A PEFT folder of `id` at `version` (the helper writes 1.0.0). */
async function peftAt (dir: string, id: string, version: string, bytes: number): Promise<string> {
  const folder = await makePeftFolder(dir, id, bytes)
  const readme = path.join(folder, 'README.md')
  await writeFile(readme, (await readFile(readme, 'utf8')).replace('version: "1.0.0"', `version: "${version}"`))
  return folder
}

test('publisher substitution: another publisher\'s higher version of the same id is neither installed nor paid unless named; a priced adapter pays its publisher only the accepted price', async () => {
  // Content pays through the ledger it is given (as defaultFeatures wires them).
  const features = (): [ContentFeature, LedgerFeature] => {
    const l = ledgerFeature({ minJoinDifficulty: 8, syncIntervalMs: 300, settleDelayMs: 200 })
    return [contentFeature({ findProvidersTimeoutMs: 3_000, payments: l }), l]
  }
  const legit = await startTestNode({ embedder, features: features() })
  nodes.push(legit)
  const attacker = await startTestNode({ embedder, features: features(), bootstrap: [tcpAddr(legit)] })
  nodes.push(attacker)
  const user = await startTestNode({ embedder, features: features(), bootstrap: [tcpAddr(legit), tcpAddr(attacker)] })
  nodes.push(user)
  const all = [legit, attacker, user]
  const ids = all.map(n => n.peerId.toString())
  const [idL, idM, idU] = ids
  await Promise.all(all.map(async n => ledger(n).join()))
  await waitFor('every node holds every join', () => all.every(n => ids.every(id => ledger(n).ledger.head(id) != null)), 30_000)
  await waitFor('user connected to both', () => [legit, attacker].every(n => user.libp2p.getPeers().some(p => p.equals(n.peerId))), 20_000)

  const good = await content(legit).publish(await peftAt(path.join(work, 'pub', 'legit'), 'viticulture-notes-lora', '0.1.0', 20_000))
  const evil = await content(attacker).publish(await peftAt(path.join(work, 'pub', 'evil'), 'viticulture-notes-lora', '9.9.9', 20_000), { price: 42 })
  const project = path.join(work, 'substitution')
  const balance = (): number => ledger(user).ledger.balance(idU)
  const start = balance()

  // A bare name offered by two publishers, none trusted yet: refused, with the refs to choose from.
  await assert.rejects(content(user).install('viticulture-notes-lora', { project }), (err: Error) => {
    assert.equal(err.name, 'AmbiguousPublisherError')
    assert.ok(!err.message.includes('\n'))
    assert.match(err.message, new RegExp(`${idL}/viticulture-notes-lora@0\\.1\\.0`))
    assert.match(err.message, new RegExp(`${idM}/viticulture-notes-lora@9\\.9\\.9`))
    return true
  })
  assert.equal(balance(), start, 'nothing charged')

  // Named in full: the legitimate one (free, so only the 1-token-per-MB hosting charge to its host).
  const r1 = await content(user).install(`${idL}/viticulture-notes-lora`, { project })
  assert.equal(r1.cid, good.cid)
  assert.equal(r1.version, '0.1.0')
  // Now the lockfile pins the legitimate publisher: a bare name (or id@version) never switches publisher.
  await assert.rejects(content(user).install('viticulture-notes-lora@9.9.9', { project }), (err: Error) => err.name === 'AmbiguousPublisherError' && /pinned in continuum\.lock\.json/.test(err.message))
  const afterFree = balance()

  // The attacker's, named explicitly, but its price was not accepted: nothing installed, nothing charged.
  await assert.rejects(content(user).install(`${idM}/viticulture-notes-lora@9.9.9`, { project }), (err: Error) => {
    assert.equal(err.name, 'PriceNotAcceptedError')
    assert.match(err.message, /costs 42 tokens.*--max-price 42/)
    return true
  })
  await assert.rejects(content(user).install(`ipfs://${evil.cid}`, { project: path.join(work, 'by-cid') }), (err: Error) => err.name === 'PriceNotAcceptedError')
  await assert.rejects(content(user).install(`ipfs://${evil.cid}`, { project: path.join(work, 'by-cid'), maxPrice: 41 }), (err: Error) => err.name === 'PriceNotAcceptedError')
  assert.equal(balance(), afterFree, 'nothing charged for refused installs')
  assert.equal((await content(user).listInstalled(project)).map(e => `${e.name}@${e.version}`).join(), 'viticulture-notes-lora@0.1.0')
  assert.equal(ledger(user).history().filter(e => e.kind === 'charge' && e.contentId === evil.cid).length, 0)

  // Accepted: paid once, exactly the price, to the publisher, even when its blocks came from another provider.
  const seller = await startTestNode({ embedder, features: features(), bootstrap: [tcpAddr(user)] })
  nodes.push(seller)
  await ledger(seller).join()
  await waitFor('the seller knows every account', () => ids.every(id => ledger(seller).ledger.head(id) != null), 30_000)
  const r2 = await content(user).install(`ipfs://${evil.cid}`, { project: path.join(work, 'accepted'), maxPrice: 42 })
  assert.deepEqual(r2.payment !== undefined && 'amount' in r2.payment ? [r2.payment.host, r2.payment.amount, r2.payment.priced] : r2.payment, [idM, 42, true])
  assert.equal(balance(), afterFree - tokens(42))
  const again = await content(user).install(`ipfs://${evil.cid}`, { project: path.join(work, 'accepted'), maxPrice: 42 })
  assert.equal(again.payment, undefined, 'paid once per install')
  // The seller gets the bundle from the user only (the attacker stops serving): it still pays the publisher.
  await attacker.stop()
  const r3 = await content(seller).install(`ipfs://${evil.cid}`, { project: path.join(work, 'seller'), maxPrice: 42 })
  assert.deepEqual(r3.download?.providersUsed, [idU])
  assert.deepEqual(r3.payment !== undefined && 'amount' in r3.payment ? [r3.payment.host, r3.payment.amount] : r3.payment, [idM, 42])
})
