// The part of the node's content feature (adapter files over the mesh) the extension uses. It is looked
// up by name on the running node; a build without it says so instead of pretending to install.
import type { MeshNode } from '../node/mesh-node'
import type { MeshFeature } from '../node/feature'
import { installRef } from '../node/content/ref'

// One install reference format for the extension, the web UI and the CLI (src/node/content/ref.ts).
export { installRef }

export interface InstallProgress { bytes: number, totalBytes?: number, providers: number, stage?: string }

export interface InstalledAdapter {
  name: string
  id?: string
  version?: string
  cid?: string
  path?: string
}

export interface ContentFeature extends MeshFeature {
  publish(folder: string, options?: { price?: number, signal?: AbortSignal, onProgress?: (p: { stage?: string, bytes?: number }) => void }): Promise<unknown>
  /** `maxPrice`: the tokens the user accepted to pay the publisher (a priced adapter above it is refused, uncharged). */
  install(ref: string, options: { project: string, signal?: AbortSignal, onProgress?: (p: InstallProgress) => void, seed?: boolean, maxPrice?: number }): Promise<unknown>
  installFromLockfile(project: string, options?: { signal?: AbortSignal, onProgress?: (p: InstallProgress) => void, seed?: boolean, maxPrice?: number }): Promise<unknown>
  listInstalled(project: string): Promise<unknown[]> | unknown[]
}

/** The feature lacks from this build: installing and publishing cannot work. */
export class ContentUnavailableError extends Error {
  static override name = 'ContentUnavailableError'
  override name = 'ContentUnavailableError'
  constructor (action: string) {
    super(`${action} is not available in this build of Continuum: its node runs without the content feature (adapter files over the mesh). Searching and browsing adapters work.`)
  }
}

export function contentFeature (node: MeshNode | undefined): ContentFeature | undefined {
  const f = node?.feature<ContentFeature>('content')
  return f !== undefined && typeof f.install === 'function' ? f : undefined
}

export function requireContent (node: MeshNode, action: string): ContentFeature {
  const f = contentFeature(node)
  if (f === undefined) throw new ContentUnavailableError(action)
  return f
}

/** Reads the entries a content feature lists as installed, whatever their exact shape. */
export function toInstalled (v: unknown): InstalledAdapter | undefined {
  if (typeof v !== 'object' || v === null) return undefined
  const r = v as Record<string, unknown>
  const manifest = typeof r.manifest === 'object' && r.manifest !== null ? r.manifest as Record<string, unknown> : undefined
  const s = (x: unknown): string | undefined => typeof x === 'string' ? x : undefined
  // Lockfile entries carry the adapter id as `name` and its display name as `title`.
  const name = s(r.title) ?? s(manifest?.name) ?? s(r.name) ?? s(r.id) ?? s(manifest?.id)
  if (name === undefined) return undefined
  return { name, id: s(r.id) ?? s(manifest?.id) ?? s(r.name), version: s(r.version) ?? s(manifest?.version), cid: s(r.cid) ?? s(r.contentHash) ?? s(manifest?.contentHash), path: s(r.path) ?? s(r.dir) }
}

/** CIDv0 (`Qm…`) or base32 CIDv1 (`b…`); anything else (a `sha256-…` content hash) is not a CID. */
const CID_PATTERN = /^(?:Qm[1-9A-HJ-NP-Za-km-z]{44}|b[a-z2-7]{58,120})$/

export function isCid (s: string): boolean {
  return CID_PATTERN.test(s)
}

/** The price a refused install names (a PriceNotAcceptedError from the content feature), if that is what `err` is. */
export function refusedPrice (err: unknown): number | undefined {
  const e = err as { name?: unknown, price?: unknown }
  return e?.name === 'PriceNotAcceptedError' && typeof e.price === 'number' && e.price > 0 ? e.price : undefined
}
