// A peer that gives up on an exchange (a cancelled `ai generate`, a client timeout) is behaving
// normally: the node must not count its aborted stream as a bad frame nor ban it. Two real nodes on
// 127.0.0.1 running every default feature; B opens a stream on each request/response protocol of A,
// sends part of a frame or nothing and aborts, then must still be connected, uncounted in A's dropped messages, and able to use A.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { createEmbedder, type Embedder } from '../src/node/embedding'
import { defaultFeatures } from '../src/node/features'
import type { MeshNode } from '../src/node/mesh-node'
import { PEX_PROTOCOL } from '../src/node/peer-exchange/constants'
import { SOCIAL_PROTOCOL } from '../src/node/social/constants'
import { BLOCKS_PROTOCOL, RESOLVE_PROTOCOL } from '../src/node/content/constants'
import { LEDGER_PROTOCOL } from '../src/node/economy/constants'
import { CATALOG_PROTOCOL } from '../src/node/gossip/constants'
import { FLOOD_PROTOCOL } from '../src/node/flood/constants'
import { STORAGE_PROTOCOL } from '../src/node/storage-market/constants'
import { COMPUTE_PROTOCOL } from '../src/node/market/constants'
import { connectedTo, startTestNode, stopAll, tcpAddr, waitFor } from './helpers/mesh'

const PROTOCOLS = [FLOOD_PROTOCOL, LEDGER_PROTOCOL, BLOCKS_PROTOCOL, RESOLVE_PROTOCOL, CATALOG_PROTOCOL, SOCIAL_PROTOCOL, COMPUTE_PROTOCOL, STORAGE_PROTOCOL, PEX_PROTOCOL]

let embedder: Embedder
let a: MeshNode
let b: MeshNode | undefined

before(async () => {
  embedder = createEmbedder()
  a = await startTestNode({ embedder, features: defaultFeatures() })
})
after(async () => { await stopAll([b, a]); await embedder.close() })

/** A fresh peer B for each protocol, so a ban by one handler does not hide what the next one does. */
async function freshPeer (): Promise<void> {
  await b?.stop()
  const peer = await startTestNode({ embedder, features: defaultFeatures(), bootstrap: [tcpAddr(a)] })
  b = peer
  await waitFor('B connected to A', () => connectedTo(peer, a) && connectedTo(a, peer))
}

function currentPeer (): MeshNode { assert.ok(b !== undefined, 'a peer B is running'); return b }

/** Gives A's handler a moment to see the abort (a ban would follow at once). */
async function settle (): Promise<void> { await new Promise(resolve => setTimeout(resolve, 300)) }

async function assertStillWelcome (b: MeshNode, protocol: string, how: string, dropsBefore: number): Promise<void> {
  await settle()
  assert.equal(a.drops.total(), dropsBefore, `A counted B's ${how} on ${protocol} as a bad message: ${JSON.stringify(a.drops.toJSON())}`)
  assert.equal(a.isBanned(b.peerId.toString()), false, `A banned B after B ${how} on ${protocol}`)
  assert.ok(connectedTo(a, b), `A hung up on B after B ${how} on ${protocol}`)
  // B can use A right after: a new stream on the same protocol opens on the same connection.
  const again = await b.libp2p.dialProtocol(a.peerId, protocol, { signal: AbortSignal.timeout(5_000) })
  again.abort(new Error('done'))
}

for (const protocol of PROTOCOLS) {
  test(`${protocol}: a fresh peer connects`, freshPeer)

  test(`a peer that aborts ${protocol} after half a frame is neither counted nor banned`, async () => {
    const peer = currentPeer()
    const drops = a.drops.total()
    const stream = await peer.libp2p.dialProtocol(a.peerId, protocol, { signal: AbortSignal.timeout(5_000) })
    // A length prefix announcing 200 bytes, then only the first 20: the request was cut off.
    stream.send(Uint8Array.of(0xc8, 0x01)) // varint 200
    stream.send(new TextEncoder().encode('{"type":"query","id"'))
    await settle()
    stream.abort(new Error('cancelled by the user'))
    await assertStillWelcome(peer, protocol, 'aborted mid-frame', drops)
  })

  test(`a peer that closes ${protocol} before sending anything is neither counted nor banned`, async () => {
    const peer = currentPeer()
    const drops = a.drops.total()
    const stream = await peer.libp2p.dialProtocol(a.peerId, protocol, { signal: AbortSignal.timeout(5_000) })
    await stream.close()
    await assertStillWelcome(peer, protocol, 'closed without a request', drops)
  })
}

test('a bad frame is still penalised: B is banned after sending garbage', async () => {
  await freshPeer()
  const peer = currentPeer()
  const stream = await peer.libp2p.dialProtocol(a.peerId, LEDGER_PROTOCOL, { signal: AbortSignal.timeout(5_000) })
  const junk = new TextEncoder().encode('not json at all')
  stream.send(Uint8Array.of(junk.byteLength)) // varint, < 128
  stream.send(junk)
  await waitFor('A bans B', () => a.isBanned(peer.peerId.toString()))
})
