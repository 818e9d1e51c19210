// Plain files as content (for the storage market): chunk a file into the blockstore as a UnixFS DAG
// (the same CID `ipfs add` gives), list a stored DAG's blocks, fetch a DAG from given providers (and
// Bitswap peers) with the verified multi-provider download, and write a stored DAG out to a file.
import { createReadStream } from 'node:fs'
import { lstat } from 'node:fs/promises'
import type { PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { CID } from 'multiformats/cid'
import { combineSignals } from '../util/abort'
import { MAX_BUNDLE_BYTES } from './constants'
import type { ContentContext } from './context'
import { buildFileDag, decodeFileNode, formatCid, parseCid } from './dag'
import { downloadDag, type DownloadProgress, type DownloadResult } from './downloader'
import { ContentNotFoundError, InvalidContentRefError } from './errors'
import { ipfsSources } from './install'
import { exportBundle } from './seeding'

export interface StoredFile { cid: string, size: number, sha256: string, blocks: number }

/** Chunks a regular file into the blockstore. Refuses symlinks and anything but a regular file. */
export async function storeFile (ctx: ContentContext, file: string, options: { signal?: AbortSignal, onProgress?: (bytes: number) => void } = {}): Promise<StoredFile> {
  const st = await lstat(file).catch(() => undefined)
  if (st === undefined) throw new InvalidContentRefError(`${file} does not exist`)
  if (st.isSymbolicLink()) throw new InvalidContentRefError(`${file} is a symlink: give the file itself`)
  if (!st.isFile()) throw new InvalidContentRefError(`${file} is not a regular file (folders: pack them first, e.g. tar -cf dir.tar dir)`)
  if (st.size > MAX_BUNDLE_BYTES) throw new InvalidContentRefError(`${file} is ${st.size} bytes, over the ${MAX_BUNDLE_BYTES}-byte limit`)
  let bytes = 0
  const signal = combineSignals([options.signal, ctx.node.shutdownSignal])
  const dag = await buildFileDag(createReadStream(file, { highWaterMark: 1024 * 1024 }), async (cid, block) => {
    await ctx.blocks.put(cid, block)
    bytes += block.length
    options.onProgress?.(bytes)
  }, { signal })
  return { cid: formatCid(dag.cid), size: dag.size, sha256: dag.sha256, blocks: dag.blocks }
}

/** Every block CID of a stored file DAG (root first), or ContentNotFoundError when one is missing. */
export async function dagCids (ctx: ContentContext, ref: string, options: { signal?: AbortSignal } = {}): Promise<string[]> {
  const out: string[] = []
  const walk = async (cid: CID): Promise<void> => {
    options.signal?.throwIfAborted()
    const bytes = await ctx.blocks.get(cid)
    if (bytes === undefined) throw new ContentNotFoundError(`block ${cid.toString()} is not stored`)
    out.push(cid.toString())
    for (const child of decodeFileNode(cid, bytes).links) await walk(child)
  }
  await walk(parseCid(ref))
  return out
}

/** Downloads a DAG from `providers` (peer ids); with none, or as well when asked, from Bitswap peers. */
export async function fetchDag (ctx: ContentContext, ref: string, providers: string[], options: { maxBytes?: number, signal?: AbortSignal, onProgress?: (p: DownloadProgress) => void, bitswap?: boolean } = {}): Promise<DownloadResult> {
  const root = parseCid(ref)
  const self = ctx.node.peerId.toString()
  const peers: PeerId[] = [...new Set(providers)].filter(p => p !== self).map(p => peerIdFromString(p))
  const sources = peers.length === 0 || options.bitswap === true ? ipfsSources(ctx) : []
  if (peers.length === 0 && sources.length === 0) throw new ContentNotFoundError(`ipfs://${formatCid(root)}: no providers found`)
  return downloadDag({
    libp2p: ctx.node.libp2p,
    blocks: ctx.blocks,
    root,
    maxBytes: options.maxBytes,
    providers: peers,
    sources,
    log: ctx.log,
    signal: combineSignals([options.signal, ctx.node.shutdownSignal]),
    onBadProvider: () => { ctx.node.drops.add('blocks', 'bad-block') },
    onProgress: options.onProgress
  })
}

/** Writes a stored DAG's bytes to `file` (temp file + rename). */
export async function writeDagFile (ctx: ContentContext, ref: string, file: string, options: { signal?: AbortSignal } = {}): Promise<{ cid: string, size: number }> {
  return exportBundle(ctx.blocks, ref, file, options)
}
