// Multi-provider download of one UnixFS DAG, BitTorrent-style: every provider runs a few request
// loops that pull batches of wanted blocks from one shared queue, so fast providers serve more.
// Every block is checked against its CID before it is stored; a provider that sends a bad block is
// dropped for this content and its blocks go back to the queue for the others. Verified blocks are
// written to the blockstore as they arrive, so a new download of the same CID resumes from them.
import type { PeerId } from '@libp2p/interface'
import type { Libp2p } from 'libp2p'
import type { CID } from 'multiformats/cid'
import { delay } from '../util/abort'
import { errorMessage, type Logger } from '../util/logger'
import type { FsBlockstore } from './blockstore'
import { BLOCKS_PER_REQUEST, MAX_BUNDLE_BYTES, MAX_DAG_DEPTH, MAX_LINKS_PER_NODE, MIN_AVERAGE_LEAF_BYTES, REQUESTS_PER_PROVIDER } from './constants'
import { decodeFileNode, verifyBlock, type FileNode } from './dag'
import { AllProvidersFailedError, BlockVerificationError, ContentNotFoundError, InvalidBundleError } from './errors'
import { requestBlocks } from './exchange'

export interface DownloadProgress {
  /** File bytes held (verified), including what was already on disk. */
  bytes: number
  /** File size (0 until the root block is known). */
  totalBytes: number
  /** Providers currently serving. */
  providers: number
  /** Network download rate so far. */
  rateBytesPerSec?: number
  /** Bytes that were already on disk when this download started (resume). */
  resumedBytes: number
  /** Blocks fetched over the network so far. */
  blocksFetched: number
}

export interface ProviderFailure { peer: string, reason: 'verification' | 'error', detail: string }

export interface DownloadResult {
  size: number
  blocks: number
  blocksFetched: number
  resumedBytes: number
  /** Providers that sent at least one good block. */
  providersUsed: string[]
  failed: ProviderFailure[]
  elapsedMs: number
}

/**
 * Somewhere else blocks can come from (e.g. Bitswap peers): answers a batch like the block protocol
 * does, undefined where it has nothing. Its blocks are verified like a provider's.
 */
export interface BlockSource {
  /** Shown in `providersUsed` and failures. */
  readonly id: string
  request(cids: CID[], options: { signal?: AbortSignal }): Promise<Array<Uint8Array | undefined>>
}

export interface DownloadInit {
  libp2p: Libp2p
  blocks: FsBlockstore
  root: CID
  /**
   * The most bytes the file may have (from the lockfile's size or the signed manifest's): a root that
   * declares more is refused before anything else is fetched. @default MAX_BUNDLE_BYTES
   */
  maxBytes?: number
  providers: PeerId[]
  /** Other sources beside the providers (Bitswap peers). @default none */
  sources?: BlockSource[]
  log?: Logger
  signal?: AbortSignal
  onProgress?: (p: DownloadProgress) => void
  /** @default 8 */
  blocksPerRequest?: number
  /** @default 2 */
  requestsPerProvider?: number
  /** Called when a provider is dropped for bad data (the caller may blacklist it for this content). */
  onBadProvider?: (peer: PeerId, detail: string) => void
}

/** Errors from one provider before it is dropped (failed dials, timeouts, resets), with a growing pause between. */
const MAX_PROVIDER_ERRORS = 3
const ERROR_BACKOFF_MS = 500

export async function downloadDag (init: DownloadInit): Promise<DownloadResult> {
  const started = Date.now()
  const perRequest = init.blocksPerRequest ?? BLOCKS_PER_REQUEST
  const loopsPerProvider = init.requestsPerProvider ?? REQUESTS_PER_PROVIDER
  const queue: CID[] = []
  const lacks = new Map<string, Set<string>>()
  const inflight = new Set<string>()
  const done = new Set<string>()
  let totalBytes = 0
  let bytes = 0
  let resumedBytes = 0
  let networkBytes = 0
  let blocksFetched = 0
  let fatal: Error | undefined
  const failed: ProviderFailure[] = []
  const used = new Set<string>()
  const sources = [...init.providers.map(peer => ({ id: peer.toString(), peer, request: async (cids: CID[], o: { signal?: AbortSignal }) => requestBlocks(init.libp2p, peer, cids, o) })), ...(init.sources ?? []).map(s => ({ id: s.id, peer: undefined, request: s.request.bind(s) }))]
  const live = new Set<string>(sources.map(s => s.id))
  let waiters: Array<() => void> = []
  const wake = (): void => { const w = waiters; waiters = []; for (const f of w) f() }
  // Called once per verified block (each is ≥ 256 KiB of data, so a few hundred calls per 50 MB):
  // the API route throttles what it sends on.
  const report = (): void => {
    if (init.onProgress === undefined) return
    const now = Date.now()
    const secs = (now - started) / 1000
    init.onProgress({ bytes, totalBytes, providers: live.size, resumedBytes, blocksFetched, ...(secs > 0 && networkBytes > 0 ? { rateBytesPerSec: Math.round(networkBytes / secs) } : {}) })
  }

  // The declared size bounds the whole walk: the root may declare at most maxBytes, every child must
  // hold exactly what its parent declares for it, nodes are capped in breadth and depth and the walk
  // in blocks, so a provider cannot make us fetch (or store) more than the file's size.
  const maxBytes = Math.min(init.maxBytes ?? MAX_BUNDLE_BYTES, MAX_BUNDLE_BYTES)
  const expected = new Map<string, { size: number, depth: number }>()
  let maxBlocks = 1
  let checkedBlocks = 0
  const rootKey = init.root.toString()
  /** Decodes a block whose hash matched and checks it against the bounds; throws InvalidBundleError. */
  const check = (cid: CID, block: Uint8Array): FileNode => {
    const key = cid.toString()
    const node = decodeFileNode(cid, block)
    const exp = key === rootKey ? undefined : expected.get(key)
    if (key === rootKey) {
      if (node.fileSize > maxBytes) throw new InvalidBundleError(`the bundle declares ${node.fileSize} bytes, over the ${maxBytes}-byte limit for it`)
      maxBlocks = 2 * Math.ceil(node.fileSize / MIN_AVERAGE_LEAF_BYTES) + MAX_DAG_DEPTH
    } else if (exp === undefined) {
      throw new InvalidBundleError(`block ${key} is not part of ${rootKey}`)
    } else if (node.fileSize !== exp.size) {
      throw new InvalidBundleError(`block ${key} holds ${node.fileSize} bytes, its parent declares ${exp.size}`)
    }
    const depth = exp?.depth ?? 0
    if (node.links.length > MAX_LINKS_PER_NODE) throw new InvalidBundleError(`block ${key} has ${node.links.length} links, over the ${MAX_LINKS_PER_NODE} limit`)
    if (node.links.length > 0 && depth + 1 > MAX_DAG_DEPTH) throw new InvalidBundleError(`the DAG of ${rootKey} is deeper than ${MAX_DAG_DEPTH} levels`)
    if (node.blockSizes.some(n => n < 1)) throw new InvalidBundleError(`block ${key} links a child of no bytes`)
    if (++checkedBlocks > maxBlocks) throw new InvalidBundleError(`the DAG of ${rootKey} has more than ${maxBlocks} blocks for ${totalBytes} bytes`)
    node.links.forEach((child, i) => {
      const k = child.toString()
      const prev = expected.get(k)
      if (prev !== undefined && prev.size !== node.blockSizes[i]) throw new InvalidBundleError(`block ${k} is declared with two sizes`)
      expected.set(k, { size: node.blockSizes[i], depth: depth + 1 })
    })
    return node
  }

  /** A verified, checked block: note its data, and want its children. */
  const accept = async (cid: CID, node: FileNode, resumed: boolean): Promise<void> => {
    const key = cid.toString()
    if (done.has(key)) return
    if (done.size === 0 && key === rootKey) totalBytes = node.fileSize
    done.add(key)
    if (node.data !== undefined) {
      bytes += node.data.length
      if (resumed) resumedBytes += node.data.length
      if (bytes > totalBytes) throw new InvalidBundleError(`the DAG of ${rootKey} holds more than the ${totalBytes} bytes it declares`)
    }
    for (const child of node.links) await want(child)
  }

  /** Uses the local copy of a block if it is there and intact, else queues it for the network. */
  const want = async (cid: CID): Promise<void> => {
    const key = cid.toString()
    if (done.has(key) || inflight.has(key)) return
    const local = await init.blocks.get(cid)
    if (local !== undefined) await accept(cid, check(cid, local), true)
    else queue.push(cid)
  }

  const take = (peer: string): CID[] => {
    const out: CID[] = []
    for (let i = 0; i < queue.length && out.length < perRequest;) {
      const key = queue[i].toString()
      if (lacks.get(key)?.has(peer) === true) { i++; continue }
      out.push(queue[i])
      inflight.add(key)
      queue.splice(i, 1)
    }
    return out
  }

  const giveBack = (cids: CID[]): void => {
    for (const c of cids) {
      const key = c.toString()
      if (!inflight.delete(key) || done.has(key)) continue
      queue.push(c)
    }
    wake()
  }

  /** True when no live provider can serve what is left. */
  const stuck = (): boolean => {
    if (queue.length === 0) return false
    return queue.every(c => { const l = lacks.get(c.toString()); return [...live].every(p => l?.has(p) === true) })
  }

  const providerErrors = new Map<string, number>()
  const drop = (source: typeof sources[number], reason: ProviderFailure['reason'], detail: string): void => {
    const id = source.id
    if (!live.delete(id)) return
    failed.push({ peer: id, reason, detail })
    init.log?.warn(`download ${init.root.toString().slice(-8)}: dropped provider ${id.slice(-8)} (${reason}: ${detail})`)
    if (reason === 'verification' && source.peer !== undefined) init.onBadProvider?.(source.peer, detail)
    wake()
  }

  const loop = async (peer: typeof sources[number]): Promise<void> => {
    const id = peer.id
    while (live.has(id) && fatal === undefined) {
      init.signal?.throwIfAborted()
      const batch = take(id)
      if (batch.length === 0) {
        if (queue.length === 0 && inflight.size === 0) return
        if (stuck() && inflight.size === 0) return
        await new Promise<void>(resolve => { waiters.push(resolve) })
        continue
      }
      let answers: Array<Uint8Array | undefined>
      try {
        answers = await peer.request(batch, { signal: init.signal })
      } catch (err) {
        giveBack(batch)
        if (init.signal?.aborted === true) throw init.signal.reason
        const n = (providerErrors.get(id) ?? 0) + 1
        providerErrors.set(id, n)
        if (n >= MAX_PROVIDER_ERRORS) drop(peer, 'error', errorMessage(err))
        else await delay(ERROR_BACKOFF_MS * n, { signal: init.signal })
        continue
      }
      const leftovers: CID[] = []
      for (let i = 0; i < batch.length; i++) {
        const cid = batch[i]
        const key = cid.toString()
        const block = answers[i]
        if (block === undefined) {
          let l = lacks.get(key)
          if (l === undefined) lacks.set(key, l = new Set())
          l.add(id)
          leftovers.push(cid)
          continue
        }
        try {
          verifyBlock(cid, block)
        } catch (err) {
          leftovers.push(...batch.slice(i))
          giveBack(leftovers)
          drop(peer, 'verification', errorMessage(err))
          return
        }
        let node: FileNode
        try {
          // Checked before it is stored: a block beyond the declared bounds is never written.
          node = check(cid, block)
        } catch (err) {
          fatal = err instanceof BlockVerificationError || err instanceof InvalidBundleError ? err : new InvalidBundleError(errorMessage(err))
          giveBack(batch.slice(i))
          drop(peer, 'verification', errorMessage(err))
          wake()
          return
        }
        await init.blocks.put(cid, block)
        blocksFetched++
        networkBytes += block.length
        used.add(id)
        try {
          await accept(cid, node, false)
        } catch (err) {
          // The block matches its CID, so the content itself is bad (not this provider's fault).
          fatal = err instanceof BlockVerificationError || err instanceof InvalidBundleError ? err : new InvalidBundleError(errorMessage(err))
          wake()
          return
        }
        // Only now: its children are queued, so no loop sees an empty queue and nothing in flight too early.
        inflight.delete(key)
        report()
      }
      giveBack(leftovers)
      wake()
    }
  }

  init.signal?.addEventListener('abort', wake, { once: true })
  await want(init.root)
  report()
  if (queue.length > 0) {
    if (live.size === 0) throw new ContentNotFoundError(`no providers for ${init.root.toString()}`)
    const loops: Array<Promise<void>> = []
    for (const p of sources) for (let i = 0; i < loopsPerProvider; i++) loops.push(loop(p))
    const results = await Promise.allSettled(loops)
    wake()
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (init.signal?.aborted === true) throw init.signal.reason
    if (fatal !== undefined) throw fatal
    if (rejected !== undefined) throw rejected.reason
  }
  if (queue.length > 0 || inflight.size > 0) {
    const bad = failed.filter(f => f.reason === 'verification')
    if (live.size === 0 && bad.length > 0 && bad.length === failed.length) {
      throw new AllProvidersFailedError(`all providers failed verification for ${init.root.toString()} (${bad.length} provider${bad.length === 1 ? '' : 's'})`)
    }
    if (live.size === 0) throw new AllProvidersFailedError(`all providers failed for ${init.root.toString()}: ${failed.map(f => `${f.peer.slice(-8)} (${f.reason}: ${f.detail})`).join(', ')}`)
    throw new ContentNotFoundError(`${queue.length} block(s) of ${init.root.toString()} are not held by any of ${live.size} provider(s)`)
  }
  report()
  return { size: totalBytes, blocks: done.size, blocksFetched, resumedBytes, providersUsed: [...used], failed, elapsedMs: Date.now() - started }
}

/**
 * Streams a stored DAG's file bytes in order (every block re-verified by the blockstore). Each node
 * must hold exactly the bytes it declares, so a DAG that reuses blocks to declare little and expand to
 * a lot (a "DAG bomb") fails instead of filling the disk.
 */
export async function * readDag (blocks: FsBlockstore, root: CID, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  const declared = (await readNode(blocks, root)).fileSize
  if (declared > MAX_BUNDLE_BYTES) throw new InvalidBundleError(`the bundle declares ${declared} bytes, over the ${MAX_BUNDLE_BYTES}-byte limit`)
  yield * readNodeBytes(blocks, root, signal)
}

async function readNode (blocks: FsBlockstore, cid: CID): Promise<ReturnType<typeof decodeFileNode>> {
  const bytes = await blocks.get(cid)
  if (bytes === undefined) throw new ContentNotFoundError(`block ${cid.toString()} is not stored`)
  return decodeFileNode(cid, bytes)
}

async function * readNodeBytes (blocks: FsBlockstore, cid: CID, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  const node = await readNode(blocks, cid)
  let n = 0
  if (node.data !== undefined && node.data.length > 0) {
    n += node.data.length
    if (n > node.fileSize) throw new BlockVerificationError(`block ${cid.toString()} holds more bytes than it declares`)
    yield node.data
  }
  for (const child of node.links) {
    signal?.throwIfAborted()
    for await (const piece of readNodeBytes(blocks, child, signal)) {
      n += piece.length
      if (n > node.fileSize) throw new BlockVerificationError(`block ${cid.toString()}: its children hold more bytes than it declares (${node.fileSize})`)
      yield piece
    }
  }
  if (n !== node.fileSize) throw new BlockVerificationError(`block ${cid.toString()} declares ${node.fileSize} bytes but holds ${n}`)
}
