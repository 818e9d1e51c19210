/** Private DHT protocol so Continuum's Kademlia never mixes with the public IPFS DHT. */
export const DHT_PROTOCOL = '/continuum/kad/1.0.0'
/** mDNS service name on the local network. */
export const MDNS_SERVICE_TAG = '_continuum._udp.local'
/** Default listen ports: TCP and WebSockets on all interfaces. */
export const DEFAULT_TCP_PORT = 4101
export const DEFAULT_WS_PORT = 4102
export const DEFAULT_LISTEN = [`/ip4/0.0.0.0/tcp/${DEFAULT_TCP_PORT}`, `/ip4/0.0.0.0/tcp/${DEFAULT_WS_PORT}/ws`]
export const DEFAULT_MAX_CONNECTIONS = 200
