// Attacks on the social layer, from a real attacker node on loopback that speaks the protocols by hand
// (it runs no social layer of its own): over-rate, forged, oversized, misattributed posts and ratings with
// bad receipts on the topic, a rating whose receipt nobody paid for, a "tip" that pays someone else, and
// forged items served to a pull round. Each is dropped and counted (or not counted as verified) and the
// victim keeps working.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createEmbedder, type Embedder } from '../src/node/embedding'
import type { MeshNode } from '../src/node/mesh-node'
import { ledgerFeature } from '../src/node/economy'
import { ledgerForSocial } from '../src/node/features'
import { socialFeature, signItem, ITEM_SIG_DOMAIN, SOCIAL_PROTOCOL, SOCIAL_TOPIC, type Post } from '../src/node/social'
import { SocialRequest } from '../src/node/social/schema'
import { shortId } from '../src/node/social/item'
import { canonicalBytes, createSigner, sha256Hex, signHash, signReceipt, tokens, type DownloadReceipt } from '../src/node/ledger'
import { encodeJson, serve } from '../src/node/transport/rpc'
import { ledgerOf } from './helpers/ledger'
import { startTestNode, stopAll, tcpAddr, waitFor } from './helpers/mesh'

let embedder: Embedder
const nodes: MeshNode[] = []
let victim: MeshNode, attacker: MeshNode
let idV: string, idM: string

before(async () => {
  embedder = createEmbedder()
  const vl = ledgerFeature({ minJoinDifficulty: 8, syncIntervalMs: 300, settleDelayMs: 200 })
  victim = await startTestNode({ embedder, features: [vl, socialFeature({ ledger: ledgerForSocial(vl), intervalMs: 0, freePerHour: 3 })] })
  nodes.push(victim)
  attacker = await startTestNode({ embedder, features: [ledgerFeature({ minJoinDifficulty: 8, syncIntervalMs: 300, settleDelayMs: 200 })], bootstrap: [tcpAddr(victim)] })
  nodes.push(attacker)
  idV = victim.peerId.toString()
  idM = attacker.peerId.toString()
  attacker.libp2p.services.pubsub.subscribe(SOCIAL_TOPIC)
  // Published before the gossipsub mesh forms, a message is dropped silently: wait for the mesh.
  await waitFor('the attacker has the victim in its topic mesh', () => (attacker.libp2p.services.pubsub as unknown as { getMeshPeers: (topic: string) => string[] }).getMeshPeers(SOCIAL_TOPIC).includes(idV), 20_000)
})
after(async () => { await stopAll(nodes); await embedder.close() })

const drops = (reason: string): number => victim.drops.get('social', reason)
const body = (text: string, extra: Partial<Post> = {}): Omit<Post, 'id' | 'sig'> => ({ v: 1, kind: 'post', author: idM, time: Date.now(), text, ...extra })
const publish = async (value: unknown): Promise<void> => { await attacker.libp2p.services.pubsub.publish(SOCIAL_TOPIC, value instanceof Uint8Array ? value : encodeJson(value)) }
const held = (): Post[] => victim.social!.feed({ author: idM, limit: 1_000 }) as unknown as Post[]

test('a fresh account floods no further than its hourly allowance: the rest is dropped and counted', async () => {
  // All in one hour of their own time (the cap counts per author and hour of the post's time).
  const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000
  for (let i = 0; i < 6; i++) await publish(await signItem(attacker.privateKey, body(`Spam number ${i}: buy my adapters`, { time: hour + i })))
  await waitFor('six posts judged', () => held().length + drops('over-rate') >= 6, 15_000)
  assert.equal(held().length, 3, 'the free allowance (3 here) is stored')
  assert.equal(drops('over-rate'), 3)
  // The victim's own posting is under its own allowance, unaffected.
  await victim.social!.post('Still fine here')
})

test('forged, oversized, over-long, misattributed posts and ratings with a bad receipt are dropped and counted', async () => {
  const hour = Date.now() - 3_600_000 // another hour's allowance
  const good = await signItem(attacker.privateKey, body('A genuine post', { time: hour }))
  // Text changed after signing: the id no longer matches.
  await publish({ ...good, text: 'A tampered post' })
  // Claims another author (the victim), signed with the attacker's key.
  const claimed = { ...body('Signed by someone else', { time: hour + 1 }), author: idV }
  const claimedId = sha256Hex(canonicalBytes(claimed))
  await publish({ ...claimed, id: claimedId, sig: await signHash(createSigner(attacker.privateKey), ITEM_SIG_DOMAIN, claimedId) })
  await publish(new Uint8Array(9 * 1024).fill(0x20))
  await publish(await signItem(attacker.privateKey, body('x'.repeat(1_001), { time: hour + 2 })))
  // A receipt that is not the author's download, and one whose signature is not its downloader's.
  const receiptBody = { type: 'download' as const, v: 1 as const, contentId: 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', bytes: 1000, host: idV, downloader: idV, price: tokens(2), priced: true, time: Date.now() }
  const victimsReceipt = await signReceipt<DownloadReceipt>(createSigner(victim.privateKey), receiptBody)
  await publish(await signItem(attacker.privateKey, body('Five stars, trust me', { time: hour + 3, rating: { adapter: `${idV}/some-adapter`, score: 5, receipt: victimsReceipt } })))
  const ownReceipt = await signReceipt<DownloadReceipt>(createSigner(attacker.privateKey), { ...receiptBody, downloader: idM })
  await publish(await signItem(attacker.privateKey, body('Five stars again', { time: hour + 4, rating: { adapter: `${idV}/some-adapter`, score: 5, receipt: { ...ownReceipt, price: tokens(3) } } })))
  await waitFor('all counted', () => drops('bad-id') >= 1 && drops('bad-signature') >= 1 && drops('oversized') >= 1 && drops('invalid') >= 1 && drops('bad-receipt') >= 2, 15_000)
  assert.equal(held().some(p => p.time >= hour && p.time <= hour + 4), false, 'none of them is stored')
  // Relaying someone else's (valid) post as one's own topic message.
  await publish(await signItem(victim.privateKey, { v: 1, kind: 'post', author: idV, time: Date.now(), text: 'The victim never published this on its own' }))
  await waitFor('not-author counted', () => drops('not-author') >= 1, 15_000)
})

test('a rating whose receipt nobody paid for is a post, not a vote; a send that names a post but pays someone else is no tip', async () => {
  await Promise.all([ledgerOf(victim).join(), ledgerOf(attacker).join()])
  await waitFor('both joins held', () => [victim, attacker].every(n => ledgerOf(n).ledger.head(idV) != null && ledgerOf(n).ledger.head(idM) != null), 20_000)
  const key = `${idV}/bell-tuner`
  const receipt = await signReceipt<DownloadReceipt>(createSigner(attacker.privateKey), { type: 'download', v: 1, contentId: 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku', bytes: 1000, host: idV, downloader: idM, price: tokens(5), priced: true, time: Date.now() })
  const review = await signItem(attacker.privateKey, body('Best bell tuner ever', { time: Date.now() - 2 * 3_600_000, rating: { adapter: key, score: 5, receipt } }))
  await publish(review)
  await waitFor('the review is held', () => victim.social!.get(review.id) !== undefined, 15_000)
  assert.equal(victim.social!.get(review.id)?.rating?.verified, false)
  assert.deepEqual(victim.social!.metrics(key), { ratings: 0, downloads: 0 }, 'no charge in the attacker\'s chain: no vote, no download')

  // The attacker "tips" its own review by paying the victim (not the review's author): it does not count.
  await ledgerOf(attacker).send(idV, tokens(1), `tip:${review.id}`)
  await waitFor('the victim holds the send', () => ledgerOf(victim).ledger.chain(idM).some(b => b.kind === 'send' && b.memo === `tip:${review.id}`), 20_000)
  assert.deepEqual(victim.social!.get(review.id)?.tips, { total: 0, count: 0 })
})

test('forged items served to a pull round are dropped, counted, and cost the peer its connection', async () => {
  await attacker.libp2p.unhandle(SOCIAL_PROTOCOL).catch(() => {})
  const forged = await signItem(attacker.privateKey, body('served by pull', { time: Date.now() - 3 * 3_600_000 }))
  const bad = { ...forged, text: 'tampered in transit' }
  const epoch = 'attackerepoch'
  await serve(attacker.libp2p, SOCIAL_PROTOCOL, {
    maxBytes: 1024 * 1024,
    timeoutMs: 5_000,
    requestSchema: SocialRequest,
    handle: req => req.type === 'changes'
      ? { epoch, head: 1, ids: [[shortId(forged.id), 1]], more: false }
      : { items: [bad] }
  })
  const before = drops('bad-id')
  const social = victim.social as unknown as { round: () => Promise<void> }
  for (let i = 0; i < 3 && !victim.isBanned(idM); i++) {
    await social.round()
    // A pulled cursor moves on: a fresh epoch makes the victim ask again from the start.
    await attacker.libp2p.unhandle(SOCIAL_PROTOCOL)
    const e2 = `attackerepoch${i}`
    await serve(attacker.libp2p, SOCIAL_PROTOCOL, { maxBytes: 1024 * 1024, timeoutMs: 5_000, requestSchema: SocialRequest, handle: req => req.type === 'changes' ? { epoch: e2, head: 1, ids: [[shortId(forged.id), 1]], more: false } : { items: [bad] } })
  }
  assert.ok(drops('bad-id') >= before + 1, 'counted')
  assert.equal(victim.social!.get(forged.id), undefined, 'not stored')
  await waitFor('the attacker is disconnected and refused', () => victim.isBanned(idM), 10_000)
})
