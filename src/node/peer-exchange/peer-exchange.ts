// Peer exchange (PEX): ask a connected peer for peers it can vouch for being dialable, and answer
// the same question. Each answer also carries the responder's neighbour list, which lets
// `mesh topology` draw a second ring without any extra protocol.
import { z } from 'zod'
import { multiaddr } from '@multiformats/multiaddr'
import type { PeerId } from '@libp2p/interface'
import type { MeshLibp2p } from '../transport/libp2p'
import { request, serve, type BadMessageReason } from '../transport/rpc'
import type { DropCounters } from '../util/counters'
import { PeerRateLimit } from '../util/peer-rate'
import type { Logger } from '../util/logger'
import type { AbortOptions } from '../util/abort'
import { PEX_MAX_BYTES, PEX_MAX_PEERS, PEX_PROTOCOL, PEX_RATE_PER_SECOND, PEX_TIMEOUT_MS } from './constants'

const PeerIdText = z.string().min(10).max(128).regex(/^[1-9A-HJ-NP-Za-km-z]+$|^[a-z2-7]+$/)

const GetPeersRequest = z.object({
  type: z.literal('get-peers'),
  limit: z.number().int().min(1).max(PEX_MAX_PEERS)
})

const GetPeersResponse = z.object({
  peers: z.array(z.object({ id: PeerIdText, addrs: z.array(z.string().max(300)).max(10) })).max(PEX_MAX_PEERS),
  neighbours: z.array(PeerIdText).max(64)
})
export type GetPeersResult = z.infer<typeof GetPeersResponse>

export interface PeerExchangeInit {
  libp2p: MeshLibp2p
  /** This node's neighbour ids, included in answers. */
  neighbours: () => string[]
  drops: DropCounters
  log: Logger
  /** Disconnects (and temporarily bans) a peer that broke the protocol. */
  penalise: (peer: PeerId, reason: string) => void
}

export class PeerExchange {
  private readonly rate = new PeerRateLimit(PEX_RATE_PER_SECOND)
  constructor (private readonly init: PeerExchangeInit) {}

  async start (): Promise<void> {
    const { libp2p, drops, log } = this.init
    await serve(libp2p, PEX_PROTOCOL, {
      maxBytes: PEX_MAX_BYTES,
      timeoutMs: PEX_TIMEOUT_MS,
      requestSchema: GetPeersRequest,
      admit: ({ peer }) => this.rate.admit(peer),
      handle: (req, { peer }) => this.answer(req.limit, peer),
      onBadMessage: (reason: BadMessageReason, { peer }, detail) => {
        drops.add('pex', reason)
        log.debug(`Dropped ${reason} peer-exchange message from ${peer.toString().slice(-8)}: ${detail}`)
        // Over-rate requests are only dropped; broken frames cost the connection.
        if (reason !== 'rate-limited') this.init.penalise(peer, `${reason} peer-exchange message`)
      }
    })
  }

  async stop (): Promise<void> {
    await this.init.libp2p.unhandle(PEX_PROTOCOL).catch(() => {})
  }

  /** Connected peers that advertise a dialable listen address, excluding the asker. */
  async dialablePeers (limit: number, exclude?: PeerId): Promise<GetPeersResult['peers']> {
    const { libp2p } = this.init
    const out: GetPeersResult['peers'] = []
    for (const peer of libp2p.getPeers()) {
      if (out.length >= limit) break
      if (exclude !== undefined && peer.equals(exclude)) continue
      let addrs: string[] = []
      try {
        const info = await libp2p.peerStore.get(peer)
        addrs = info.addresses
          .map(a => a.multiaddr)
          .filter(a => isDialable(a.toString()))
          .slice(0, 5)
          .map(a => a.toString().includes('/p2p/') ? a.toString() : `${a.toString()}/p2p/${peer.toString()}`)
      } catch { /* not in the peer store yet */ }
      if (addrs.length > 0) out.push({ id: peer.toString(), addrs })
    }
    return out
  }

  private async answer (limit: number, asker: PeerId): Promise<GetPeersResult> {
    return { peers: await this.dialablePeers(limit, asker), neighbours: this.init.neighbours().slice(0, 64) }
  }

  /** Asks `peer` for up to `limit` peers. Invalid entries in the answer are dropped. */
  async ask (peer: PeerId, limit = PEX_MAX_PEERS, options: AbortOptions = {}): Promise<GetPeersResult> {
    const res = await request(this.init.libp2p, peer, PEX_PROTOCOL, { type: 'get-peers', limit }, {
      responseSchema: GetPeersResponse, maxBytes: PEX_MAX_BYTES, timeoutMs: PEX_TIMEOUT_MS, signal: options.signal
    })
    res.peers = res.peers.filter(p => p.addrs.every(a => { try { multiaddr(a); return true } catch { return false } }))
    return res
  }
}

/** Addresses other peers could dial: not wildcard, not relayed. Loopback is kept (local meshes and tests). */
function isDialable (addr: string): boolean {
  return !addr.includes('/0.0.0.0/') && !addr.includes('/::/') && !addr.includes('/p2p-circuit')
}
