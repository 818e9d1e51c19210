// IPFS interop: Bitswap 1.2.0 (`/ipfs/bitswap/1.2.0`) beside our own block protocol, so a stock Helia or
// Kubo node that connects to us can fetch anything this node holds, and we can fetch from them. The
// protocol is Helia's own implementation (@helia/bitswap), run on our libp2p node over our verified
// blockstore; we only give it the few components it needs. Routing is deliberately empty: we never
// ask the public IPFS DHT or HTTP routers, Bitswap only talks to peers we are already connected to
// (the private DHT and our resolver find providers; see README "IPFS interop" for the public-DHT opt-in).
import { withBitswap, type BitswapOptions } from '@helia/bitswap'
import type { Libp2p } from 'libp2p'
import type { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { combineSignals } from '../util/abort'
import type { FsBlockstore } from './blockstore'
import { BITSWAP_MAX_MESSAGE_BYTES, BITSWAP_MAX_WANTLIST, BITSWAP_WANT_TIMEOUT_MS } from './constants'
import { verifyBlock } from './dag'

/** The part of Helia's block broker we call. */
interface Broker {
  retrieve?: (cid: CID, options?: { signal?: AbortSignal }) => Promise<Uint8Array>
  announce?: (cid: CID) => Promise<void>
  stop?: () => Promise<void>
}

export interface BitswapExchangeInit {
  libp2p: Libp2p
  blocks: FsBlockstore
  /** How long one block is wanted before giving up, in ms. @default 10000 */
  wantTimeoutMs?: number
}

/** What the rest of the node uses of Bitswap. */
export interface BitswapExchange {
  start(): Promise<void>
  stop(): Promise<void>
  /** The verified block from any connected Bitswap peer, or undefined when none sends it in time. */
  want(cid: CID, options?: { signal?: AbortSignal }): Promise<Uint8Array | undefined>
  /** Tells peers that want `cid` that we have it now. */
  notify(cid: CID): Promise<void>
  /** Figures for `status()`. */
  stats(): { received: number, wantsFailed: number }
}

class NotFoundError extends Error {
  static override name = 'NotFoundError'
  override name = 'NotFoundError'
}

/** The blockstore Bitswap serves from: our verified store, read-only (Bitswap never writes to it). */
function servingBlockstore (blocks: FsBlockstore): unknown {
  return {
    has: async (cid: CID) => blocks.has(cid),
    get: async function * (cid: CID) {
      const bytes = await blocks.get(cid)
      if (bytes === undefined) throw new NotFoundError(`block ${cid.toString()} not found`)
      yield bytes
    },
    put: async (cid: CID) => cid,
    delete: async () => {},
    putMany: async function * () {},
    getMany: async function * () {},
    deleteMany: async function * () {},
    getAll: async function * () {}
  }
}

/** No public routing: providers are the peers we are connected to. */
const noRouting = {
  provide: async () => {},
  cancelReprovide: async () => {},
  findProviders: async function * () {},
  put: async () => {},
  get: async () => { throw new NotFoundError('no routing') },
  findPeer: async () => { throw new NotFoundError('no routing') },
  getClosestPeers: async function * () {}
}

export function bitswapExchange (init: BitswapExchangeInit): BitswapExchange {
  let broker: Broker | undefined
  let received = 0
  let wantsFailed = 0
  const options: BitswapOptions = { maxWantlistSize: BITSWAP_MAX_WANTLIST, maxIncomingMessageSize: BITSWAP_MAX_MESSAGE_BYTES, maxInboundStreams: 32 }
  return {
    async start () {
      // withBitswap is Helia's public entry: it registers a mixin that builds the block broker on
      // start. We play the Helia host with our components only.
      let mixin: { start?: (host: unknown) => Promise<void> } | undefined
      const host = {
        status: 'starting',
        libp2p: init.libp2p,
        blockstore: servingBlockstore(init.blocks),
        routing: noRouting,
        logger: init.libp2p.logger,
        getHasher: async (code: number) => {
          if (code === sha256.code) return sha256
          throw new NotFoundError(`unsupported hash 0x${code.toString(16)}`)
        },
        addMixin: (m: typeof mixin) => { mixin = m },
        hasBlockBroker: () => broker !== undefined,
        addBlockBroker: (b: typeof broker) => { broker = b }
      }
      withBitswap(host as never, options)
      await mixin?.start?.(host)
    },
    async stop () {
      await broker?.stop?.()
      broker = undefined
    },
    async want (cid, opts = {}) {
      if (broker?.retrieve === undefined) return undefined
      const signal = combineSignals([opts.signal], init.wantTimeoutMs ?? BITSWAP_WANT_TIMEOUT_MS)
      try {
        const bytes = await broker.retrieve(cid, { signal })
        // Bitswap hashes what it receives; we check again with our own verifier before anyone stores it.
        verifyBlock(cid, bytes)
        received++
        return bytes
      } catch {
        if (opts.signal?.aborted === true) throw opts.signal.reason
        wantsFailed++
        return undefined
      }
    },
    async notify (cid) {
      await broker?.announce?.(cid)
    },
    stats: () => ({ received, wantsFailed })
  }
}
