// Every route a running node answers: the facade's (mesh, catalog, search) and those its capabilities add.
// The HTTP server and the in-process Router get the same table from here.
import type { MeshNode } from '../../mesh-node'
import type { RouteRegistry } from '../router'
import { registerContentRoutes } from './content'
import { registerGenomeRoutes } from './genome'
import { registerMeshRoutes } from './mesh'

export function registerNodeRoutes (api: RouteRegistry, node: MeshNode): void {
  registerMeshRoutes(api, node)
  registerGenomeRoutes(api, node)
  // Adapter files, when this node runs content.
  const content = node.content
  if (content !== undefined) registerContentRoutes(api, content)
  for (const f of node.features) f.registerRoutes?.(api)
}
