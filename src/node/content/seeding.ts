// What this node stores and hosts: whether a whole DAG is here, seeding an install (hosted index,
// catalog, DHT keys), and exporting a stored bundle's bytes to a file.
import { createWriteStream } from 'node:fs'
import { rename, rm } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { CID } from 'multiformats/cid'
import type { AdapterManifest } from '../manifest'
import { fsyncDir, tempPathFor } from '../storage/atomic-file'
import { combineSignals } from '../util/abort'
import { errorMessage } from '../util/logger'
import type { FsBlockstore } from './blockstore'
import type { ContentContext } from './context'
import { formatCid, parseCid } from './dag'
import { readDag } from './downloader'
import { ContentNotFoundError } from './errors'
import type { BundleProvider } from './provide'

/** True when every block of the DAG is in the local store and intact. */
export async function hasAll (blocks: FsBlockstore, root: CID, signal: AbortSignal): Promise<boolean> {
  try {
    for await (const _ of readDag(blocks, root, signal)) { /* reading verifies */ }
    return true
  } catch (err) {
    if ((err as Error).name === 'ContentNotFoundError') return false
    throw err
  }
}

/** Hosts an installed bundle: hosted index, the catalog (as local), and its DHT keys. Never throws. */
export async function seed (ctx: ContentContext, provider: BundleProvider, b: { cid: string, size: number, sha256: string, manifest: AdapterManifest }): Promise<void> {
  try {
    await ctx.hosted.add({ ...b, addedAt: new Date().toISOString(), origin: 'installed' })
    await ctx.node.catalog.put(b.manifest, 'local').catch(() => {})
    await provider.provideBundle(b)
  } catch (err) {
    ctx.log.warn(`seeding ${b.manifest.id}: ${errorMessage(err)}`)
  }
}

/** Writes a stored bundle's bytes to a file (to check its CID with other IPFS tools). */
export async function exportBundle (blocks: FsBlockstore, ref: string, file: string, options: { signal?: AbortSignal } = {}): Promise<{ cid: string, size: number }> {
  const root = parseCid(ref)
  if (!(await hasAll(blocks, root, combineSignals([options.signal])))) throw new ContentNotFoundError(`ipfs://${formatCid(root)} is not stored on this node: install it first`)
  let size = 0
  const src = readDag(blocks, root, options.signal)
  const counted = (async function * () { for await (const p of src) { size += p.length; yield p } })()
  const tmp = tempPathFor(path.resolve(file))
  try {
    await pipeline(Readable.from(counted), createWriteStream(tmp, { flags: 'wx' }))
    await rename(tmp, path.resolve(file))
    await fsyncDir(path.dirname(path.resolve(file)))
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
  return { cid: formatCid(root), size }
}
