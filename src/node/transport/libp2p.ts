// Builds the libp2p node every Continuum capability runs on: TCP + WebSockets, noise, yamux,
// identify, ping, a private Kademlia DHT and gossipsub, with a persistent identity and peer store.
import '../polyfills'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify, type Identify } from '@libp2p/identify'
import { ping, type Ping } from '@libp2p/ping'
import { kadDHT, passthroughMapper, removePrivateAddressesMapper, type KadDHT } from '@libp2p/kad-dht'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { mdns } from '@libp2p/mdns'
import type { Datastore } from 'interface-datastore'
import type { PrivateKey } from '@libp2p/interface'
import { DEFAULT_MAX_CONNECTIONS, DHT_PROTOCOL, MDNS_SERVICE_TAG } from './constants'

// A type alias (not an interface) so it satisfies libp2p's ServiceMap index signature.
export type MeshServices = {
  identify: Identify
  ping: Ping
  dht: KadDHT
  pubsub: GossipSub
}

export type MeshLibp2p = Libp2p<MeshServices>

export interface MeshLibp2pInit {
  privateKey: PrivateKey
  datastore: Datastore
  listen: string[]
  mdns: boolean
  /** Keep private (LAN/loopback) addresses in DHT records. On for local networks and tests. */
  privateAddresses: boolean
  /** Relax per-host limits that throttle many nodes on one IP (simulations only). */
  simulation?: boolean
  maxConnections?: number
  /** Peers refused on inbound and outbound connections (e.g. banned for misbehaving). */
  isBanned?: (peerId: string) => boolean
}

export async function createMeshLibp2p (init: MeshLibp2pInit): Promise<MeshLibp2p> {
  const peerDiscovery: Array<ReturnType<typeof mdns>> = []
  if (init.mdns) peerDiscovery.push(mdns({ serviceTag: MDNS_SERVICE_TAG, interval: 10_000 }))
  return createLibp2p({
    privateKey: init.privateKey,
    datastore: init.datastore,
    addresses: { listen: init.listen },
    transports: [tcp(), webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery,
    connectionGater: {
      denyDialPeer: peer => init.isBanned?.(peer.toString()) ?? false,
      denyInboundEncryptedConnection: peer => init.isBanned?.(peer.toString()) ?? false
    },
    connectionManager: {
      maxConnections: init.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
      ...(init.simulation === true ? { inboundConnectionThreshold: 10_000, maxIncomingPendingConnections: 1000 } : {})
    },
    services: {
      identify: identify(),
      ping: ping({ maxOutboundStreams: 8 }),
      dht: kadDHT({
        protocol: DHT_PROTOCOL,
        clientMode: false,
        peerInfoMapper: init.privateAddresses ? passthroughMapper : removePrivateAddressesMapper
      }),
      pubsub: gossipsub({
        allowPublishToZeroTopicPeers: true,
        ...(init.simulation === true ? { scoreParams: { IPColocationFactorWeight: 0 } } : {})
      })
    }
  }) as Promise<MeshLibp2p>
}
