// The node's content capability (adapter files over the mesh) as the extension uses it: the node's own
// typed `ContentApi`. A build without it says so instead of pretending to install.
import type { ContentApi, InstalledAdapter, MeshNode } from '../node'

export { installRef, isCid } from '../node'
export type { InstallProgress } from '../node'

/** An installed adapter as the trees and commands show it. */
export interface InstalledView {
  /** Display name (the manifest's name when the lockfile recorded it, else the id). */
  name: string
  id: string
  version: string
  cid: string
  path: string
}

/** The capability lacks from this build: installing and publishing cannot work. */
export class ContentUnavailableError extends Error {
  static override name = 'ContentUnavailableError'
  override name = 'ContentUnavailableError'
  constructor (action: string) {
    super(`${action} is not available in this build of Continuum: its node runs without the content feature (adapter files over the mesh). Searching and browsing adapters work.`)
  }
}

export function requireContent (node: MeshNode, action: string): ContentApi {
  const content = node.content
  if (content === undefined) throw new ContentUnavailableError(action)
  return content
}

/** Lockfile entries carry the adapter id as `name` and its display name as `title`. */
export function installedView (e: InstalledAdapter): InstalledView {
  return { name: e.title ?? e.name, id: e.name, version: e.version, cid: e.cid, path: e.dir }
}

/** The price a refused install names (a PriceNotAcceptedError from the content feature), if that is what `err` is. */
export function refusedPrice (err: unknown): number | undefined {
  const e = err as { name?: unknown, price?: unknown }
  return e?.name === 'PriceNotAcceptedError' && typeof e.price === 'number' && e.price > 0 ? e.price : undefined
}
