// Service listings on the mesh: real nodes on 127.0.0.1 with the market feature. A listing published on
// one node reaches the others (sync on connect, then gossip), is ordered by price then reputation, has
// its availability measured by the asking node, expires, is withdrawn, and forged or oversized listings
// are refused and counted.
import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createEmbedder, type Embedder } from '../src/node/embedding'
import { marketFeature, MarketFeature, MARKET_TOPIC, checkListing, signListing, type ServiceListing } from '../src/node/market'
import type { MeshNode } from '../src/node/mesh-node'
import { Router, registerNodeRoutes } from '../src/node'
import { tokens } from '../src/node/ledger'
import { connectedTo, startTestNode, stopAll, tcpAddr, waitFor } from './helpers/mesh'

let embedder: Embedder
const nodes: MeshNode[] = []
let a: MeshNode, b: MeshNode, x: MeshNode
let clock = 0

const marketOf = (n: MeshNode): MarketFeature => {
  const m = n.market
  assert.ok(m instanceof MarketFeature, 'the node runs the market')
  return m
}

before(async () => {
  embedder = createEmbedder()
  a = await startTestNode({ embedder, features: [marketFeature({ reannounceMs: 300 })] })
  nodes.push(a)
  // B's clock can be moved forward to see listings expire.
  b = await startTestNode({ embedder, features: [marketFeature({ reannounceMs: 300, now: () => Date.now() + clock })], bootstrap: [tcpAddr(a)] })
  nodes.push(b)
  // X: a peer that sends forged listings.
  x = await startTestNode({ embedder, features: [marketFeature({ reannounceMs: 0 })], bootstrap: [tcpAddr(b)] })
  nodes.push(x)
  await waitFor('B connected to A and X', () => connectedTo(b, a) && connectedTo(b, x))
})
after(async () => { await stopAll(nodes); await embedder.close() })

describe('service listings', () => {
  let embeddings: ServiceListing

  test('A lists embeddings and storage; B holds them signed by A, cheapest first, with availability measured by B', async () => {
    const A = marketOf(a)
    embeddings = await A.publish({ serviceType: 'inference', service: 'embeddings', model: 'all-MiniLM-L6-v2', price: tokens(1.5), capacity: 4 })
    await A.publish({ serviceType: 'storage', service: 'storage', price: tokens(0.01), capacity: 1024, region: 'eu-west' })
    await A.publish({ serviceType: 'adapter', service: 'openai:llama3', model: 'llama3', adapters: ['sql-lora'], price: tokens(2) })
    const B = marketOf(b)
    await waitFor('B holds A\'s three listings', () => B.list().length === 3)
    const list = B.list()
    assert.deepEqual(list.map(l => [l.service, l.price]), [['storage', tokens(0.01)], ['embeddings', tokens(1.5)], ['openai:llama3', tokens(2)]])
    assert.equal(list[0].unit, 'mb-day')
    assert.equal(list[1].unit, 'request')
    assert.ok(list.every(l => l.provider === a.peerId.toString() && !l.own))
    // A newcomer is measured at 0.5 (nothing seen yet), never at what it claims.
    assert.ok(list.every(l => l.availability === 0.5))
    assert.deepEqual(B.list({ type: 'storage' }).map(l => l.service), ['storage'])
    assert.deepEqual(B.list({ model: 'sql-lora' }).map(l => l.service), ['openai:llama3'])
    // The same through the local API, prices in tokens.
    const router = new Router()
    registerNodeRoutes(router, b)
    const res = await router.call('GET', '/api/market/listings?type=inference') as { listings: Array<{ service: string, price: number, availability: number }> }
    assert.deepEqual(res.listings.map(l => [l.service, l.price, l.availability]), [['embeddings', 1.5, 0.5]])
    await assert.rejects(router.call('GET', '/api/market/listings?type=gpu'), (err: Error) => err.name === 'BadRequestError')
  })

  test('a provider that fails requests drops below the availability floor on the node that saw it; another node still lists it', async () => {
    const B = marketOf(b)
    const A = a.peerId.toString()
    B.tracker.failed(A)
    B.tracker.failed(A)
    assert.equal(B.list({ type: 'inference' }).length, 0, 'availability 1/4 is below 0.5')
    assert.equal(B.list({ type: 'inference', minAvailability: 0 })[0].availability, 0.25)
    await waitFor('X (which saw no failure) lists A at 0.5', () => marketOf(x).list({ type: 'inference' })[0]?.availability === 0.5)
    B.tracker.answered(A); B.tracker.answered(A)
    assert.equal(B.list({ type: 'inference' }).length, 1, 'back at 3/6')
  })

  test('a new version replaces the old; a withdrawal removes the listing everywhere', async () => {
    const A = marketOf(a)
    const B = marketOf(b)
    await A.publish({ serviceType: 'inference', service: 'embeddings', model: 'all-MiniLM-L6-v2', price: tokens(1.2), capacity: 4 })
    await waitFor('B holds the new price', () => B.list({ type: 'inference', minAvailability: 0 })[0]?.price === tokens(1.2))
    await A.withdraw('openai:llama3')
    await waitFor('B dropped the withdrawn listing', () => B.list({ type: 'adapter', minAvailability: 0 }).length === 0)
    assert.equal(A.own().length, 2)
  })

  test('forged, altered, self-rated and oversized listings are refused and counted; the honest one stays', async () => {
    const B = marketOf(b)
    const before = b.drops.total('market')
    const cheap: ServiceListing = { ...embeddings, price: tokens(0.1), seq: embeddings.seq + 10 ** 9 }
    // Altered after signing (A's signature over another price).
    assert.equal(checkListing(cheap, Date.now()).ok, false)
    // Claiming its own availability is not part of a listing.
    assert.equal(checkListing({ ...embeddings, availability: 1 }, Date.now()).ok, false)
    // X signs a listing in A's name with its own key: refused before signing.
    await assert.rejects(signListing(x.privateKey, { ...embeddings, sig: undefined } as never), /signed by its provider/)
    const pubsub = x.libp2p.services.pubsub
    await waitFor('X sees B on the market topic', () => pubsub.getSubscribers(MARKET_TOPIC).some(p => p.equals(b.peerId)))
    const send = async (value: unknown): Promise<void> => { await pubsub.publish(MARKET_TOPIC, new TextEncoder().encode(JSON.stringify(value))).catch(() => {}) }
    await send({ type: 'listing', listing: cheap })
    await send({ type: 'listing', listing: { ...embeddings, model: 'x'.repeat(9000) } })
    await send('not a listing')
    await waitFor('B counted three bad listings', () => b.drops.total('market') >= before + 3)
    assert.ok(b.drops.get('market', 'bad-signature') >= 1)
    assert.ok(b.drops.get('market', 'oversized') >= 1)
    assert.equal(B.list({ type: 'inference', minAvailability: 0 })[0].price, tokens(1.2), 'the forged cheaper version did not replace the signed one')
    assert.throws(() => B.ingest(cheap), (err: Error) => err.name === 'ListingRejectedError')
    assert.equal(b.state, 'started')
  })

  test('a provider cannot fill the store: at most 16 listings each', async () => {
    const X = marketOf(x)
    for (let i = 0; i < 20; i++) await X.publish({ serviceType: 'inference', service: `spam-${i}`, price: 1 })
    const B = marketOf(b)
    await waitFor('B holds X\'s listings up to the cap', () => B.list({ minAvailability: 0 }).filter(l => l.provider === x.peerId.toString()).length === 16)
    assert.ok(b.drops.get('market', 'provider-cap') >= 1)
  })

  test('listings expire: a node whose clock passed their lifetime no longer lists them', async () => {
    const B = marketOf(b)
    assert.ok(B.list({ minAvailability: 0 }).length > 0)
    clock = 11 * 60_000
    assert.equal(B.list({ minAvailability: 0 }).length, 0)
    clock = 0
  })
})
