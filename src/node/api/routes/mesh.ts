// Mesh routes of the local API, and the bridge from node events to the SSE stream.
import { z } from 'zod'
import type { MeshNode } from '../../mesh-node'
import type { ApiServer } from '../server'
import type { RouteRegistry } from '../router'

const ConnectBody = z.object({ address: z.string().min(1).max(1000) })

export function registerMeshRoutes (api: RouteRegistry, node: MeshNode): void {
  api.route('GET', '/api/status', () => node.status())
  api.route('GET', '/api/peers', () => node.peers())
  api.route('GET', '/api/topology', req => node.topology({ signal: req.signal }))
  api.route('GET', '/api/announce', () => node.announceAddresses())
  api.route('POST', '/api/connect', async req => {
    const { address } = await req.body(ConnectBody)
    return node.connect(address, { signal: req.signal })
  })
}

/** Sends the node's live events to every `GET /api/events` client. */
export function bridgeNodeEvents (api: Pick<ApiServer, 'broadcast'>, node: MeshNode): void {
  node.addEventListener('peer:connect', e => api.broadcast('peer:connect', e.detail))
  node.addEventListener('peer:disconnect', e => api.broadcast('peer:disconnect', e.detail))
  node.addEventListener('neighbours:change', e => api.broadcast('neighbours:change', e.detail))
  node.addEventListener('bootstrap', e => api.broadcast('bootstrap', e.detail))
  node.addEventListener('log', e => api.broadcast('log', e.detail))
}
