// Every route a running node answers: the facade's (mesh, catalog, search) and those its capabilities add.
// The HTTP server and the in-process Router get the same table from here.
import type { MeshNode } from '../../mesh-node'
import type { RouteRegistry } from '../router'
import { registerContentRoutes } from './content'
import { registerGenomeRoutes } from './genome'
import { registerMeshRoutes } from './mesh'
import { registerWalletRoutes } from './wallet'
import { registerSocialRoutes } from './social'
import { registerMarketRoutes } from './market'
import { registerStorageRoutes } from './storage'

export function registerNodeRoutes (api: RouteRegistry, node: MeshNode): void {
  registerMeshRoutes(api, node)
  registerGenomeRoutes(api, node)
  // Adapter files, when this node runs content.
  const content = node.content
  if (content !== undefined) registerContentRoutes(api, content)
  // Only a node that runs the ledger has wallet routes: the others answer 404, which the CLI and the panel explain.
  const wallet = node.wallet
  if (wallet !== undefined) registerWalletRoutes(api, wallet)
  // Posts, tips and ratings, when this node runs the social layer.
  const social = node.social
  if (social !== undefined) registerSocialRoutes(api, social)
  const market = node.market
  if (market !== undefined) registerMarketRoutes(api, market)
  const storage = node.storage
  if (storage !== undefined) registerStorageRoutes(api, storage)
  for (const f of node.features) f.registerRoutes?.(api)
}
