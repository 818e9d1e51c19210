// Installing one adapter into a project: resolve the reference (CID, name, publisher/name@version) to
// one bundle, refuse a price the user did not accept, download what is missing from verified
// providers, unpack into a temp folder, check it against what was asked, swap it into place, pin it
// in the lockfile, then pay (when the node has payments) and seed.
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import type { PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { CID } from 'multiformats/cid'
import { encodeManifest, type AdapterManifest } from '../manifest'
import { fsyncDir, writeFileAtomic } from '../storage/atomic-file'
import { combineSignals } from '../util/abort'
import { errorMessage } from '../util/logger'
import type { InstallOptions, InstallProgress, InstallResult } from './api'
import { extractBundle, BUNDLE_FILES } from './bundle'
import { MANIFEST_FILE, MAX_BUNDLE_BYTES, MAX_PROVIDERS } from './constants'
import type { ContentContext } from './context'
import { formatCid, looksLikeCid, parseCid } from './dag'
import { downloadDag, readDag, type BlockSource, type DownloadProgress, type DownloadResult } from './downloader'
import { AmbiguousPublisherError, ContentNotFoundError, InvalidBundleError, InvalidContentRefError, PriceNotAcceptedError, ProjectNotWritableError } from './errors'
import { findLockEntry } from './lockfile-ops'
import { readLockfile, writeLockfile, type LockEntry, type Lockfile } from './lockfile'
import { adapterPath, insideAdapters } from './paths'
import { installedIntact, prepareProject } from './project'
import type { BundleProvider } from './provide'
import { formatContentRef, parseContentRef, type ContentRef } from './ref'
import type { Candidate, Resolver } from './resolve'
import { hasAll, seed } from './seeding'

export class Installer {
  /** Installs that put a new folder in place (for `status()`). */
  installs = 0

  constructor (private readonly ctx: ContentContext, private readonly resolver: Resolver, private readonly provider: BundleProvider) {}

  /** One install; the caller holds the project's lock (ProjectLocks). */
  async install (ref: string, project: string, opts: InstallOptions): Promise<InstallResult> {
    const { node, init, blocks, hosted, log } = this.ctx
    const signal = combineSignals([opts.signal, node.shutdownSignal])
    let parsed: ContentRef
    try { parsed = parseContentRef(ref) } catch (err) { throw new InvalidContentRefError(errorMessage(err)) }
    const maxPrice = opts.maxPrice ?? 0
    if (!Number.isFinite(maxPrice) || maxPrice < 0) throw new InvalidContentRefError(`--max-price must be a number of tokens >= 0, got ${String(opts.maxPrice)}`)
    const adaptersDir = await prepareProject(project)
    const lock = await readLockfile(project)
    const progress = (p: Partial<InstallProgress>): void => opts.onProgress?.({ bytes: 0, totalBytes: 0, providers: 0, ...p })
    const wantPublisher = opts.publisher ?? (parsed.kind === 'name' ? parsed.publisher : undefined)

    // Already pinned and intact: nothing to do.
    const pinned = findLockEntry(lock, ref)
    if (pinned !== undefined && (opts.expectSha256 === undefined || opts.expectSha256 === pinned.sha256) && (wantPublisher === undefined || wantPublisher === pinned.publisher)) {
      const dir = await adapterPath(adaptersDir, pinned.name, pinned.version)
      if (await installedIntact(dir)) {
        progress({ bytes: pinned.size, totalBytes: pinned.size, stage: 'done' })
        return { name: pinned.name, version: pinned.version, cid: pinned.cid, dir, alreadyInstalled: true }
      }
    }

    progress({ stage: 'resolving' })
    const started = Date.now()
    let root!: CID
    let providers: PeerId[] = []
    // What the verified bundle must be: from the chosen candidate, the lockfile or the caller.
    let expect: { id?: string, version?: string, publisher?: string } = wantPublisher !== undefined ? { publisher: wantPublisher } : {}
    let maxBytes = MAX_BUNDLE_BYTES
    let queried = 0
    if (parsed.kind === 'cid') {
      root = parseCid(parsed.cid).toV1()
      const atCid = Object.values(lock.adapters).find(e => e.cid === formatCid(root))
      if (atCid !== undefined) maxBytes = atCid.size
    } else {
      const name = parsed
      // The lockfile's pin for this id fixes its publisher unless the user named another one.
      const lockPin = findLockEntry(lock, name.id)
      const pin = wantPublisher !== undefined
        ? { publisher: wantPublisher, source: 'as asked' }
        : { publisher: lockPin?.publisher, source: 'pinned in continuum.lock.json' }
      const hostedHere = hosted.list().filter(b => b.manifest.id === name.id.toLowerCase() || b.manifest.name.toLowerCase() === name.id.toLowerCase())
      // What this node hosts first; when that is not the wanted publisher's, the network may have it.
      let chosen: Candidate | undefined
      try {
        chosen = this.resolver.choose(name, hostedHere.map(b => ({ cid: parseCid(b.cid), manifest: b.manifest, providers: new Map() })), pin)
      } catch (err) {
        if ((err as Error).name !== 'AmbiguousPublisherError') throw err
      }
      if (chosen === undefined && pinned !== undefined && (pin.publisher === undefined || pin.publisher === pinned.publisher)) {
        root = parseCid(pinned.cid)
        expect = { id: pinned.name, version: pinned.version, publisher: pinned.publisher }
        maxBytes = pinned.size
      } else if (chosen === undefined) {
        const r = await this.resolver.resolveName(name.id, signal)
        queried += r.queried
        chosen = this.resolver.choose(name, r.candidates, pin)
        if (chosen === undefined) {
          throw new ContentNotFoundError(`"${ref}" not found on ${r.queried} providers after ${((Date.now() - started) / 1000).toFixed(1)} s`)
        }
        providers = [...chosen.providers.keys()].map(id => peerIdFromString(id))
      }
      if (chosen !== undefined) {
        const m = chosen.manifest!
        root = chosen.cid.toV1()
        expect = { id: m.id, version: m.version, publisher: m.publisher }
        // Refuse before downloading anything: the signed manifest names the price.
        if (m.price > maxPrice) throw priceError(m, maxPrice)
        maxBytes = maxTarBytes(m)
      }
    }
    const rootKey = formatCid(root)

    // Do we need the network? Only if some block is missing locally.
    let result: DownloadResult | undefined
    const needNetwork = !(await hasAll(blocks, root, signal))
    if (needNetwork) {
      const r = await this.resolver.findProviders(root, { signal })
      queried += r.queried
      const merged = new Map<string, PeerId>(providers.map(p => [p.toString(), p]))
      for (const p of r.providers) merged.set(p.toString(), p)
      const bad = this.ctx.blacklist.get(rootKey)
      const usable = [...merged.values()].filter(p => bad?.has(p.toString()) !== true).slice(0, init.maxProviders ?? MAX_PROVIDERS)
      // No Continuum provider: stock IPFS peers we are connected to may have it (Bitswap).
      const sources = usable.length === 0 ? ipfsSources(this.ctx) : []
      if (usable.length === 0 && sources.length === 0) {
        throw new ContentNotFoundError(`${looksLikeCid(ref) ? `ipfs://${rootKey}` : `"${ref}"`} not found on ${queried} providers after ${((Date.now() - started) / 1000).toFixed(1)} s`)
      }
      progress({ stage: 'downloading', providers: usable.length + sources.length })
      const notFound = (): ContentNotFoundError => new ContentNotFoundError(`${looksLikeCid(ref) ? `ipfs://${rootKey}` : `"${ref}"`} not found on ${queried} providers after ${((Date.now() - started) / 1000).toFixed(1)} s (nor from ${bitswapPeers(node.libp2p.getPeers().length)} over Bitswap)`)
      result = await downloadDag({
        libp2p: node.libp2p,
        blocks,
        root,
        maxBytes,
        providers: usable,
        sources,
        log,
        signal,
        blocksPerRequest: init.blocksPerRequest,
        requestsPerProvider: init.requestsPerProvider,
        onBadProvider: peer => {
          let s = this.ctx.blacklist.get(rootKey)
          if (s === undefined) this.ctx.blacklist.set(rootKey, s = new Set())
          s.add(peer.toString())
          node.drops.add('blocks', 'bad-block')
        },
        onProgress: (p: DownloadProgress) => progress({ ...p, stage: 'downloading' })
      }).catch((err: Error) => {
        // Only Bitswap was asked and nobody had it: the same "not found" as when nobody is asked.
        throw usable.length === 0 && (err.name === 'ContentNotFoundError' || err.name === 'AllProvidersFailedError') ? notFound() : err
      })
    }

    // Unpack into a temp folder inside the project, check everything, then rename into place.
    progress({ stage: 'verifying' })
    let tmp: string
    try {
      tmp = await mkdtemp(path.join(adaptersDir, '.tmp-'))
    } catch (err) {
      throw new ProjectNotWritableError(`Cannot write into ${adaptersDir} (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}): check the folder's permissions`)
    }
    let moved: string | undefined
    try {
      const hash = createHash('sha256')
      let size = 0
      const hashed = async function * (src: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
        for await (const piece of src) { hash.update(piece); size += piece.length; yield piece }
      }
      const { manifest } = await extractBundle(hashed(readDag(blocks, root, signal)), tmp, { signal })
      const sha256 = hash.digest('hex')
      if (opts.expectSha256 !== undefined && opts.expectSha256 !== sha256) throw new InvalidBundleError(`ipfs://${rootKey} has sha-256 ${sha256}, the lockfile pins ${opts.expectSha256}`)
      if (expect.id !== undefined && manifest.id !== expect.id) throw new InvalidBundleError(`ipfs://${rootKey} holds ${manifest.id}, not ${expect.id}`)
      if (expect.version !== undefined && manifest.version !== expect.version) throw new InvalidBundleError(`ipfs://${rootKey} holds ${manifest.id}@${manifest.version}, not version ${expect.version}`)
      if (expect.publisher !== undefined && manifest.publisher !== expect.publisher) throw new AmbiguousPublisherError(`ipfs://${rootKey} is ${formatContentRef(manifest)}, not from publisher ${expect.publisher}: install it by its full ref if you trust that publisher`)
      // The verified manifest decides (a CID install learns the price only here): nothing is installed or charged above what the user accepted.
      if (manifest.price > maxPrice) throw priceError(manifest, maxPrice)
      await writeFileAtomic(path.join(tmp, MANIFEST_FILE), encodeManifest(manifest))
      const name = manifest.id
      const leaf = `${name}@${manifest.version}`
      const finalDir = await adapterPath(adaptersDir, name, manifest.version)
      // Swap in: move an old copy aside, rename the new folder in, then update the lockfile. The aside
      // name says what it was, so a crash between the renames is rolled back by the next run.
      const aside = await insideAdapters(adaptersDir, `.old-${randomBytes(4).toString('hex')}-${leaf}`)
      const hadOld = await stat(finalDir).then(() => true, () => false)
      if (hadOld) await rename(finalDir, aside)
      await rename(tmp, finalDir)
      await fsyncDir(adaptersDir)
      moved = finalDir
      const previous = lock.adapters[name]
      const entry: LockEntry = {
        name, title: manifest.name, version: manifest.version, cid: rootKey, sha256, size, publisher: manifest.publisher, installedAt: new Date().toISOString()
      }
      const next: Lockfile = { lockfileVersion: 1, adapters: { ...lock.adapters, [name]: entry } }
      try {
        await writeLockfile(project, next, { signal })
      } catch (err) {
        await rm(finalDir, { recursive: true, force: true })
        if (hadOld) await rename(aside, finalDir).catch(() => {})
        await fsyncDir(adaptersDir).catch(() => {})
        moved = undefined
        throw err
      }
      if (hadOld) await rm(aside, { recursive: true, force: true })
      // An upgrade replaces the folder of the previous version.
      if (previous !== undefined && previous.version !== manifest.version) await rm(await adapterPath(adaptersDir, previous.name, previous.version), { recursive: true, force: true })
      this.installs++
      // The bundle verified: a priced adapter pays its publisher exactly the accepted price, once per
      // install (even when its blocks were already here); an unpriced download pays the host 1 token per MB.
      const payments = this.ctx.payments
      const payment = manifest.price > 0
        ? await payments?.payForInstall({ contentId: rootKey, bytes: size, price: manifest.price, publisher: manifest.publisher, providers: paidHosts(result) }, { signal })
        : result !== undefined ? await payments?.payForInstall({ contentId: rootKey, bytes: size, providers: paidHosts(result) }, { signal }) : undefined
      if (opts.seed ?? init.seed ?? true) void seed(this.ctx, this.provider, { cid: rootKey, size, sha256, manifest })
      progress({ bytes: size, totalBytes: size, stage: 'done' })
      return {
        name, version: manifest.version, cid: rootKey, dir: finalDir, alreadyInstalled: false,
        ...(result !== undefined ? { download: { blocksFetched: result.blocksFetched, resumedBytes: result.resumedBytes, providersUsed: result.providersUsed, failed: result.failed, elapsedMs: result.elapsedMs } } : {}),
        ...(payment !== undefined ? { payment } : {})
      }
    } catch (err) {
      // A bundle that fails the checks must not be served on from here either.
      if ((err as Error).name === 'InvalidBundleError' || (err as Error).name === 'BlockVerificationError') log.warn(`install ${ref}: ${errorMessage(err)}`)
      throw err
    } finally {
      if (moved === undefined) await rm(tmp, { recursive: true, force: true }).catch(() => {})
    }
  }
}

/** Continuum hosts that served the download (stock IPFS peers have no account to pay). */
function paidHosts (result: DownloadResult | undefined): string[] {
  return (result?.providersUsed ?? []).filter(p => p !== 'bitswap')
}

/** Bitswap as one download source, when it runs and some peer is connected. */
export function ipfsSources (ctx: Pick<ContentContext, 'bitswap' | 'node'>): BlockSource[] {
  const bitswap = ctx.bitswap
  if (bitswap === undefined || ctx.node.libp2p.getPeers().length === 0) return []
  return [{ id: 'bitswap', request: async (cids, o) => Promise.all(cids.map(async c => bitswap.want(c, o))) }]
}

/** The one-line error for a price the user did not accept. */
function priceError (m: AdapterManifest, maxPrice: number): PriceNotAcceptedError {
  return PriceNotAcceptedError.create(`${formatContentRef(m)} costs ${m.price} token${m.price === 1 ? '' : 's'} (paid to its publisher)${maxPrice > 0 ? `, more than the accepted ${maxPrice}` : ''}: to accept, install again with --max-price ${m.price}`, m.price, formatContentRef(m))
}

/** The largest tar a manifest's files make: the files, the manifest (<= 64 KiB), headers and padding. */
function maxTarBytes (m: AdapterManifest): number {
  return Math.min(MAX_BUNDLE_BYTES, m.sizeBytes + 64 * 1024 + (BUNDLE_FILES.length + 1) * 1024 + 1024)
}

const bitswapPeers = (n: number): string => n === 1 ? '1 connected peer' : `${n} connected peers`
