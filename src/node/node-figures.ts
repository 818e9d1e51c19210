// What a running node reports about itself and the mesh around it: its shareable addresses, its peers,
// the topology its neighbours describe, and the figures of its features. The facade (mesh-node.ts)
// owns the lifecycle and answers `status()`, `peers()`, `topology()` and `announceAddresses()` with
// these functions.
import type { Connection, PeerId } from '@libp2p/interface'
import { formatContinuumUri } from './bootstrap/announcements'
import type { BootstrapReport } from './bootstrap/bootstrap'
import type { MeshFeature } from './feature'
import type { NeighbourSet } from './neighbours/neighbour-set'
import type { PeerExchange } from './peer-exchange/peer-exchange'
import type { MeshLibp2p } from './transport/libp2p'
import { errorMessage } from './util/logger'

export interface PeerSummary {
  peerId: string
  addresses: string[]
  direction: 'inbound' | 'outbound'
  neighbour: boolean
  openedAt: number
  latencyMs?: number
}

export interface MeshStatus {
  peerId: string
  addresses: string[]
  announce: string[]
  dataDir: string
  startedAt: number
  uptimeMs: number
  connectedPeers: number
  neighbours: string[]
  maxNeighbours: number
  bootstrap: BootstrapReport | null
  dropped: Record<string, Record<string, number>>
  catalog: { local: number, remote: number }
  features: Record<string, unknown>
}

export interface TopologyNode { peerId: string, neighbours: string[] | null, error?: string }
export interface Topology { self: string, neighbours: TopologyNode[] }

/** The node's shareable addresses: `continuum://` URIs (TCP) and full multiaddrs. */
export function announceAddresses (libp2p: MeshLibp2p): { continuum: string[], multiaddrs: string[] } {
  const id = libp2p.peerId.toString()
  const multiaddrs = libp2p.getMultiaddrs().map(a => a.toString())
  const continuum: string[] = []
  for (const a of libp2p.getMultiaddrs()) {
    const parts = a.getComponents()
    const ip = parts[0]
    const tcp = parts[1]
    if (parts.length === 3 && tcp?.name === 'tcp' && ip?.value !== undefined && tcp.value !== undefined && ['ip4', 'ip6', 'dns', 'dns4', 'dns6'].includes(ip.name)) {
      continuum.push(formatContinuumUri(id, ip.value, Number(tcp.value)))
    }
  }
  return { continuum, multiaddrs }
}

/** Each feature's figures, keyed by its name (output for `mesh status` and the API, never a lookup). */
export function featureFigures (features: readonly MeshFeature[]): Record<string, unknown> {
  return Object.fromEntries(features.filter(f => f.status !== undefined).map(f => [f.name, f.status!()]))
}

/** One summary per connected peer (its first connection; every connection's address). */
export function peerSummaries (libp2p: MeshLibp2p, neighbours: Pick<NeighbourSet, 'has'>): PeerSummary[] {
  const byPeer = new Map<string, Connection>()
  for (const c of libp2p.getConnections()) {
    const id = c.remotePeer.toString()
    if (!byPeer.has(id)) byPeer.set(id, c)
  }
  return [...byPeer.entries()].map(([peerId, c]) => ({
    peerId,
    addresses: libp2p.getConnections(c.remotePeer).map(x => x.remoteAddr.toString()),
    direction: c.direction,
    neighbour: neighbours.has(peerId),
    openedAt: c.timeline.open,
    ...(c.rtt !== undefined ? { latencyMs: Math.round(c.rtt) } : {})
  }))
}

/** This node, its neighbours, and the neighbours each of them reports (through PEX); one that does not answer says why. */
export async function topologyOf (self: PeerId, neighbours: readonly PeerId[], pex: Pick<PeerExchange, 'ask'>, signal: AbortSignal): Promise<Topology> {
  const reported = await Promise.all(neighbours.map(async (peer): Promise<TopologyNode> => {
    try {
      const res = await pex.ask(peer, 1, { signal })
      return { peerId: peer.toString(), neighbours: res.neighbours }
    } catch (err) {
      return { peerId: peer.toString(), neighbours: null, error: errorMessage(err) }
    }
  }))
  return { self: self.toString(), neighbours: reported }
}
