// A capability that runs on a started node (gossip, flood search, content, ledger, …). Features are
// started after the node's own protocols and before bootstrap, so every protocol is registered
// before peers identify us; they are stopped in reverse order before the node stops.
//
// Start order comes from what each feature declares it needs (`after`: the feature objects themselves,
// typed references, never names), so a list can be written in any order: content given the ledger as
// its payments starts after the ledger wherever the ledger stands in the list.
import type { RouteRegistry } from './api/router'
import type { MeshNode } from './mesh-node'
import { FeatureOrderError } from './errors'

export interface MeshFeature {
  /** Unique name; also the key of this feature's figures in `status().features` (output only, never a lookup). */
  readonly name: string
  /** Features that must be started before this one (and stopped after it); each must be in the node's list. */
  readonly after?: readonly MeshFeature[]
  /** Started on a started node; a feature takes the members it uses (its typed components) from it. */
  start(node: MeshNode): Promise<void>
  stop(): Promise<void>
  /** JSON-serialisable figures shown in `mesh status` and the local API. */
  status?(): unknown
  /** Adds this feature's routes to the local API. */
  registerRoutes?(api: RouteRegistry): void
}

/**
 * The start order: every feature after the ones it names in `after`, otherwise in list order. Throws
 * FeatureOrderError when a feature needs one the list lacks, or features need each other in a circle.
 */
export function startOrder (features: readonly MeshFeature[]): MeshFeature[] {
  const listed = new Set(features)
  const ordered: MeshFeature[] = []
  const state = new Map<MeshFeature, 'visiting' | 'done'>()
  const visit = (f: MeshFeature, path: MeshFeature[]): void => {
    if (state.get(f) === 'done') return
    if (state.get(f) === 'visiting') throw new FeatureOrderError(`Features need each other in a circle: ${[...path, f].map(x => x.name).join(' → ')}`)
    state.set(f, 'visiting')
    for (const dep of f.after ?? []) {
      if (!listed.has(dep)) throw new FeatureOrderError(`Feature ${f.name} needs ${dep.name}, which the node does not run: add it to the node's features`)
      visit(dep, [...path, f])
    }
    state.set(f, 'done')
    ordered.push(f)
  }
  for (const f of features) visit(f, [])
  return ordered
}
