// A download pays its host: two real nodes on loopback with the content and ledger features. A publishes
// a priced and an unpriced adapter; B installs both through the content layer; the verified install
// pays A, which receives the payments and claims its hosting rewards, and both nodes agree on the balances.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { createEmbedder, type Embedder } from '../src/node/embedding'
import type { MeshNode } from '../src/node/mesh-node'
import { contentFeature, type ContentFeature } from '../src/node/content'
import { ledgerFeature, type LedgerFeature } from '../src/node/economy'
import { tokens } from '../src/node/ledger'
import { startTestNode, stopAll, tcpAddr, tempDir, waitFor } from './helpers/mesh'
import { makePeftFolder } from './helpers/peft'


let embedder: Embedder
const nodes: MeshNode[] = []
let work: string

before(async () => { embedder = createEmbedder(); work = await tempDir('continuum-economy-dl-') })
after(async () => { await stopAll(nodes, [work]); await embedder.close() })

const content = (n: MeshNode): ContentFeature => n.feature<ContentFeature>('content')!
const ledger = (n: MeshNode): LedgerFeature => n.feature<LedgerFeature>('ledger')!

test('an install pays the host its price (or 1 token per MB when unpriced) after the bundle verifies; the host is rewarded for hosting', async () => {
  const features = (): [ContentFeature, LedgerFeature] => [contentFeature({ findProvidersTimeoutMs: 4_000 }), ledgerFeature({ minJoinDifficulty: 8, syncIntervalMs: 300, settleDelayMs: 200 })]
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
  const r1 = await content(b).install(`ipfs://${priced.cid}`, { project })
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
