// What gossip needs from a catalog. The node's AdapterCatalog provides it (catalog-store.ts); the
// gossip simulation provides a lighter in-memory one, so the bench runs this same protocol code.
import type { AdapterManifest } from '../manifest'

export interface RemoteOffer { manifest: AdapterManifest, fromPeer?: string }
export type SortBy = 'popularity' | 'quality' | 'recency'

export interface SyncStore {
  /** Every release held: key (`<publisher>/<id>`), version, and whether it is own/installed. */
  snapshot(): Iterable<{ key: string, version: string, local: boolean }>
  /** Subscribes to new releases entering the store; returns the unsubscribe function. */
  onChange(fn: (key: string, version: string, local: boolean, manifest: AdapterManifest) => void): () => void
  onRemove(fn: (key: string) => void): () => void
  manifest(key: string): AdapterManifest | undefined
  hasRelease(key: string, version: string): boolean
  /** Caches verified manifests learned from peers; resolves to how many were new or newer. */
  putRemote(offers: RemoteOffer[]): Promise<number>
  /** Marks cached entries as seen again through `fromPeer`. */
  refresh(keys: string[], fromPeer?: string): Promise<void>
  /** The design's "top N" by popularity, quality or recency. */
  top(n: number, sortBy: SortBy): AdapterManifest[]
}

export function rankManifests (all: Iterable<AdapterManifest>, n: number, sortBy: SortBy): AdapterManifest[] {
  const score = (m: AdapterManifest): number => sortBy === 'popularity'
    ? m.metrics.downloads
    : sortBy === 'quality' ? (m.metrics.rating ?? 0) / 5 + (m.metrics.accuracy ?? 0) : Date.parse(m.createdAt)
  return [...all].sort((a, b) => score(b) - score(a)).slice(0, n)
}
