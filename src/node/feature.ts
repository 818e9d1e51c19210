// A capability that runs on a started node (gossip, flood search, content, ledger, …). Features are
// started after the node's own protocols and before bootstrap, so every protocol is registered
// before peers identify us; they are stopped in reverse order before the node stops.
import type { MeshNode } from './mesh-node'
import type { RouteRegistry } from './api/router'

export interface MeshFeature {
  /** Unique name; also the key of this feature's figures in `status().features`. */
  readonly name: string
  start(node: MeshNode): Promise<void>
  stop(): Promise<void>
  /** JSON-serialisable figures shown in `mesh status` and the local API. */
  status?(): unknown
  /** Adds this feature's routes to the local API. */
  registerRoutes?(api: RouteRegistry): void
}
