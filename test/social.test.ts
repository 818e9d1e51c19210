// The social layer on three real nodes on loopback, in a line A — B — C (A and C refuse each other, so
// everything C learns from A comes through B): A posts, C finds the post by a paraphrase; B replies; C tips
// A and the wallets and the post's tip total agree; a rating without a download receipt is refused; after B
// downloads and rates A's adapter, C shows the rating and the download from B's proof, and a publisher's
// claimed metrics are never shown as verified. Then deletion, mute, and restart.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { createEmbedder, type Embedder } from '../src/node/embedding'
import type { MeshNode } from '../src/node/mesh-node'
import type { MeshFeature } from '../src/node/feature'
import { contentFeature } from '../src/node/content'
import { ledgerFeature } from '../src/node/economy'
import { gossip } from '../src/node/gossip'
import { ledgerForSocial } from '../src/node/features'
import { socialFeature } from '../src/node/social'
import { tokens } from '../src/node/ledger'
import type { AdapterResult } from '../src/node/search/view'
import { contentOf } from './helpers/content'
import { ledgerOf } from './helpers/ledger'
import { makePeftFolder } from './helpers/peft'
import { CARILLON, CARILLON_QUERY } from './helpers/adapters'
import { connectedTo, startTestNode, stopAll, tcpAddr, tempDir, waitFor } from './helpers/mesh'

let embedder: Embedder
const nodes: MeshNode[] = []
let work: string
let a: MeshNode, b: MeshNode, c: MeshNode

/** The features of a full node (as defaultFeatures wires them), with short timers. */
function features (): MeshFeature[] {
  const ledger = ledgerFeature({ minJoinDifficulty: 8, syncIntervalMs: 300, settleDelayMs: 200 })
  return [
    gossip({ intervalMs: 500 }),
    contentFeature({ findProvidersTimeoutMs: 4_000, payments: ledger }),
    ledger,
    socialFeature({ ledger: ledgerForSocial(ledger), intervalMs: 500 })
  ]
}

const social = (n: MeshNode): NonNullable<MeshNode['social']> => {
  assert.ok(n.social !== undefined, 'the node runs the social layer')
  return n.social
}

async function searchAll (n: MeshNode, text: string): Promise<AdapterResult[]> {
  const out: AdapterResult[] = []
  for await (const u of n.search({ text, k: 10 })) if (u.type !== 'done') out.push(...u.results)
  return out
}

before(async () => {
  embedder = createEmbedder()
  work = await tempDir('continuum-social-')
  // A and C ban each other: the only path between them is B.
  a = await startTestNode({ embedder, features: features(), banMs: 3_600_000 })
  nodes.push(a)
  b = await startTestNode({ embedder, features: features(), bootstrap: [tcpAddr(a)] })
  nodes.push(b)
  c = await startTestNode({ embedder, features: features(), bootstrap: [tcpAddr(b)], banMs: 3_600_000 })
  nodes.push(c)
  a.penalise(c.peerId, 'test topology: reach C only through B')
  c.penalise(a.peerId, 'test topology: reach A only through B')
  const all = [a, b, c]
  const ids = all.map(n => n.peerId.toString())
  await Promise.all(all.map(async n => await ledgerOf(n).join()))
  await waitFor('every node holds every join', () => all.every(n => ids.every(id => ledgerOf(n).ledger.head(id) != null)), 30_000)
})
after(async () => { await stopAll(nodes, [work]); await embedder.close() })

test('a post reaches a node two hops away, which finds it by a paraphrase; a reply and a tip are seen by all', async () => {
  const post = await social(a).post('Check out my new bartending LoRA! It mixes classic cocktails and suggests the right garnish for each drink.')
  assert.equal(post.own, true)
  await waitFor('C holds A\'s post', () => social(c).get(post.id) !== undefined, 20_000)
  assert.ok(!connectedTo(a, c), 'A and C are not connected: the post came through B')

  const found = await social(c).search('an adapter that helps make mixed drinks at a bar', { limit: 20 })
  assert.equal(found[0]?.id, post.id, `the paraphrase finds the post first (got ${JSON.stringify(found.map(f => f.text))})`)
  assert.equal(found[0].author, a.peerId.toString())
  assert.equal((await social(c).search('tuning the partials of bronze bells')).some(f => f.id === post.id), false, 'an unrelated query does not')

  const reply = await social(b).post('Tried it, the garnish suggestions are great.', { replyTo: post.id })
  await waitFor('A and C see the reply', () => [a, c].every(n => social(n).get(post.id)?.replies === 1 && social(n).get(reply.id)?.replyTo === post.id), 20_000)

  const before = { a: ledgerOf(a).ledger.balance(a.peerId.toString()), c: ledgerOf(c).ledger.balance(c.peerId.toString()) }
  const tip = await social(c).tip(post.id, tokens(5), { message: 'Great work!' })
  assert.equal(tip.amount, tokens(5))
  const idA = a.peerId.toString()
  const idC = c.peerId.toString()
  await waitFor('every node agrees on the wallets and the tip total', () => [a, b, c].every(n =>
    ledgerOf(n).ledger.balance(idA) === before.a + tokens(5) &&
    ledgerOf(n).ledger.balance(idC) === before.c - tokens(5) &&
    social(n).get(post.id)?.tips.total === tokens(5) && social(n).get(post.id)?.tips.count === 1), 30_000)
  // The tip is in the ledger as a send whose memo names the post.
  const send = ledgerOf(c).history().find(e => e.kind === 'send' && e.counterparty === idA)
  assert.equal(send?.memo, `tip:${post.id} Great work!`)
})

test('ratings: refused without a download receipt; after B downloads and rates, C shows the rating and the download from B\'s proof; claimed metrics are never verified', async () => {
  const published = await contentOf(a).publish(await makePeftFolder(path.join(work, 'pub', 'mixology-lora'), 'mixology-lora', 20_000), { price: 2 })
  const key = `${a.peerId.toString()}/mixology-lora`
  // A manifest that claims 4.2 stars and 12 downloads (the publisher's own numbers).
  const [claimed] = await a.catalog.publishFields([CARILLON as Parameters<typeof a.catalog.publishFields>[0][number]])
  await a.catalog.put(claimed, 'local')

  // C never downloaded it: no receipt, no rating.
  await assert.rejects(social(c).rate(published.cid, 5), (err: Error) => err.name === 'NoReceiptError' && !err.message.includes('\n'))
  await assert.rejects(social(c).rate(key, 5), (err: Error) => err.name === 'NoReceiptError')

  const r = await contentOf(b).install(`ipfs://${published.cid}`, { project: path.join(work, 'project-b'), maxPrice: 2 })
  assert.equal(r.payment !== undefined && 'amount' in r.payment ? r.payment.amount : undefined, 2)
  const idB = b.peerId.toString()
  const beforeReward = ledgerOf(b).ledger.balance(idB)
  const rated = await social(b).rate(published.cid, 5, { review: 'Mixes a perfect negroni; recommended.' })
  assert.equal(rated.post.rating?.adapter, key)
  assert.equal(rated.post.rating?.verified, true)
  assert.deepEqual(rated.reward, { amount: tokens(1) }, 'the first rating of this adapter earns the 1-token reward')
  assert.equal(ledgerOf(b).ledger.balance(idB), beforeReward + tokens(1))
  // A second rating of the same adapter is a new vote (it replaces the first) but earns nothing more.
  const again = await social(b).rate(published.cid, 4)
  assert.ok(again.reward !== undefined && 'error' in again.reward, 'no second reward')

  await waitFor('C holds the review, B\'s chain with the charge, and A\'s manifests', async () => {
    const hit = (await searchAll(c, 'mixology')).find(x => x.key === key)
    return hit?.verified?.ratings === 1 && hit.verified.downloads === 1
  }, 30_000)
  const hit = (await searchAll(c, 'mixology')).find(x => x.key === key)!
  assert.deepEqual(hit.verified, { rating: 4, ratings: 1, downloads: 1 }, 'one vote per paying account: B\'s latest')
  const review = social(c).feed({ adapter: key }).find(p => p.rating?.score === 5)
  assert.equal(review?.rating?.verified, true)
  assert.equal((await social(c).search('a good negroni')).some(p => p.id === review.id), true, 'a review is a searchable post')

  await waitFor('C caches the claimed adapter', async () => (await searchAll(c, CARILLON_QUERY)).some(x => x.id === CARILLON.id), 30_000)
  const bells = (await searchAll(c, CARILLON_QUERY)).find(x => x.id === CARILLON.id)!
  assert.equal(bells.rating, 4.2, 'the claim is kept, as the publisher\'s (self-reported)')
  assert.deepEqual(bells.verified, { ratings: 0, downloads: 0 }, 'but nothing of it is verified')
})

test('deleting a post spreads a tombstone; a muted peer\'s posts are hidden; own posts survive a restart', async () => {
  const post = await social(a).post('Oops, wrong channel: ignore this one about sourdough starters.')
  await waitFor('C holds it', () => social(c).get(post.id) !== undefined, 20_000)
  await social(a).remove(post.id)
  await waitFor('C dropped it', () => social(c).get(post.id) === undefined, 20_000)
  assert.equal(social(c).feed().some(p => p.id === post.id), false)
  await assert.rejects(social(b).remove(social(b).feed().find(p => p.author !== b.peerId.toString())!.id), (err: Error) => err.name === 'InvalidPostError')

  const idB = b.peerId.toString()
  assert.ok(social(c).feed().some(p => p.author === idB))
  await social(c).mute(idB)
  assert.equal(social(c).feed().some(p => p.author === idB), false, 'muted: not in the feed')
  assert.equal((await social(c).search('garnish suggestions')).some(p => p.author === idB), false, 'nor in search')
  await social(c).mute(idB, false)
  assert.ok(social(c).feed().some(p => p.author === idB))

  await social(c).follow(idB)
  assert.ok(social(c).feed({ following: true }).every(p => p.author === idB || p.own))

  const own = social(b).feed({ author: idB }).map(p => p.id).sort()
  const dir = b.dataDir
  await b.stop()
  await b.start()
  assert.deepEqual(social(b).feed({ author: idB }).map(p => p.id).sort(), own, 'own posts are durable')
  const idx = nodes.indexOf(b)
  assert.ok(idx >= 0 && b.dataDir === dir)
})
