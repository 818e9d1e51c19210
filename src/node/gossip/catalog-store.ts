import type { AdapterCatalog } from '../catalog/catalog'
import type { AdapterManifest } from '../manifest'
import { rankManifests, type RemoteOffer, type SortBy, type SyncStore } from './store'

/** The node's catalog seen through the gossip store interface. */
export function catalogStore (catalog: AdapterCatalog): SyncStore {
  return {
    * snapshot () {
      for (const h of catalog.list()) yield { key: h.key, version: h.manifest.version, local: h.location === 'local' }
    },
    onChange (fn) {
      const listener = (e: CustomEvent<{ key: string, location: 'local' | 'remote', manifest: AdapterManifest }>): void => fn(e.detail.key, e.detail.manifest.version, e.detail.location === 'local', e.detail.manifest)
      catalog.addEventListener('change', listener)
      return () => catalog.removeEventListener('change', listener)
    },
    onRemove (fn) {
      const listener = (e: CustomEvent<{ key: string }>): void => fn(e.detail.key)
      catalog.addEventListener('remove', listener)
      return () => catalog.removeEventListener('remove', listener)
    },
    manifest: key => catalog.get(key)?.manifest,
    hasRelease: (key, version) => catalog.hasRelease(key, version),
    putRemote: (offers: RemoteOffer[]) => catalog.putRemoteMany(offers),
    refresh: async (keys, fromPeer) => { await catalog.refreshRemote(keys, fromPeer) },
    top: (n: number, sortBy: SortBy) => rankManifests(catalog.list().map(h => h.manifest), n, sortBy)
  }
}
