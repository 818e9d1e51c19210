// Publishing a PEFT folder: signed manifest → deterministic tar → UnixFS blocks in the store → hosted
// and in the catalog → DHT provider records (bounded wait; the retry loop does the rest).
import { lstat, realpath } from 'node:fs/promises'
import path from 'node:path'
import { readPeftFolder } from '../manifest'
import { combineSignals } from '../util/abort'
import type { PublishOptions, PublishResult } from './api'
import { bundleEntries, BUNDLE_FILES } from './bundle'
import type { ContentContext } from './context'
import { buildFileDag, formatCid } from './dag'
import { UnsafePathError } from './errors'
import type { BundleProvider } from './provide'
import { writeTar } from './tar'

export async function publish (ctx: ContentContext, provider: BundleProvider, folder: string, opts: PublishOptions = {}): Promise<PublishResult> {
  const node = ctx.node
  const signal = combineSignals([opts.signal, node.shutdownSignal])
  opts.onProgress?.({ stage: 'reading' })
  await refuseOutsideLinks(path.resolve(folder))
  const info = await readPeftFolder(path.resolve(folder), { signal, ...(opts.price !== undefined ? { overrides: { price: opts.price } } : {}) })
  opts.onProgress?.({ stage: 'signing' })
  const [manifest] = await node.catalog.publishFields([info.fields], { signal })
  opts.onProgress?.({ stage: 'storing', bytes: 0 })
  let stored = 0
  const dag = await buildFileDag(writeTar(bundleEntries(manifest, info.dir, info.files)), async (cid, bytes) => {
    await ctx.blocks.put(cid, bytes)
    stored += bytes.length
    opts.onProgress?.({ stage: 'storing', bytes: stored })
  }, { signal })
  const cid = formatCid(dag.cid)
  // A local put is also what makes catalog gossip (when running) announce the new manifest.
  await node.catalog.put(manifest, 'local', undefined, { signal })
  await ctx.hosted.add({ cid, size: dag.size, sha256: dag.sha256, manifest, addedAt: new Date().toISOString(), origin: 'published' })
  opts.onProgress?.({ stage: 'providing' })
  // The bundle is published once it is stored and hosted; announcing it on the DHT can take long
  // (or wait for a first DHT peer), so publish waits a bounded time and the retry loop does the rest.
  const provided = await provider.provideNew({ cid, manifest }, signal)
  opts.onProgress?.({ stage: 'done' })
  ctx.log.info(`Published ${manifest.id}@${manifest.version} as ipfs://${cid} (${dag.size} bytes, ${provided} DHT keys provided)`)
  return { cid, cidV0: dag.cidV0.toString(), manifest, size: dag.size, sha256: dag.sha256, provided }
}

/**
 * A PEFT folder from a cloned repository may hold a symlink (README.md → ~/.ssh/id_rsa, say) that
 * publishing would send to the whole network: bundle files must be inside the folder itself.
 */
async function refuseOutsideLinks (folder: string): Promise<void> {
  const real = await realpath(folder).catch(() => undefined)
  if (real === undefined) return // readPeftFolder says what is wrong with a missing folder
  for (const name of BUNDLE_FILES) {
    const p = path.join(folder, name)
    const st = await lstat(p).catch(() => undefined)
    if (st === undefined || !st.isSymbolicLink()) continue
    const target = await realpath(p).catch(() => undefined)
    if (target === undefined || path.dirname(target) !== real) throw new UnsafePathError(`Refusing to publish ${p}: it is a symlink to a file outside ${folder}; copy the file into the folder if you mean to publish it`)
  }
}
