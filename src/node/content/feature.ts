// The 'content' feature: adapter bundles as content over the DHT. Publish (PEFT folder → signed
// manifest → deterministic tar → UnixFS blocks → provider records), resolve (local store, hosted
// index, lockfile, connected peers, DHT), verified multi-provider download with resume, install into
// a project with a lockfile, and seeding of what was installed.
import { createHash, randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { access, constants as fsConstants, lstat, mkdir, mkdtemp, readFile, readdir, realpath, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import type { PeerId, PeerInfo } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { CID } from 'multiformats/cid'
import { z } from 'zod'
import type { MeshFeature } from '../feature'
import type { MeshNode } from '../mesh-node'
import type { ApiServer } from '../api/server'
import type { InstallPayment, LedgerFeature } from '../economy'
import { isNewer } from '../catalog/catalog'
import { bundleDigest, encodeManifest, readPeftFolder, verifyManifest, type AdapterManifest } from '../manifest'
import { fsyncDir, tempPathFor, writeFileAtomic } from '../storage/atomic-file'
import { request, serve } from '../transport/rpc'
import { combineSignals } from '../util/abort'
import { errorMessage, type Logger } from '../util/logger'
import { DhtStats, type DhtStatsSnapshot } from '../dht/stats'
import { FsBlockstore } from './blockstore'
import { bundleEntries, extractBundle, sha256OfFile, BUNDLE_FILES } from './bundle'
import {
  ADAPTERS_DIR, FIND_PROVIDERS_TIMEOUT_MS, MANIFEST_FILE, MAX_BUNDLE_BYTES, MAX_PROVIDERS, PROJECT_DIR, REPROVIDE_INTERVAL_MS, RESOLVE_PROTOCOL
} from './constants'
import { buildFileDag, formatCid, looksLikeCid, parseCid } from './dag'
import { downloadDag, readDag, type DownloadProgress, type DownloadResult } from './downloader'
import {
  AmbiguousPublisherError, ContentNotFoundError, InvalidBundleError, InvalidContentRefError, NotInstalledError, PriceNotAcceptedError, ProjectNotWritableError,
  UnsafePathError
} from './errors'
import { BlockServer } from './exchange'
import { HostedIndex, type HostedBundle } from './hosted'
import { nameKey, normalizeTag, topicKey } from './keys'
import { readLockfile, writeLockfile, type LockEntry, type Lockfile } from './lockfile'
import { adapterPath, adaptersRoot, existingAdaptersRoot, insideAdapters } from './paths'
import { formatContentRef, parseContentRef, type ContentRef } from './ref'
import { writeTar } from './tar'
import { registerContentRoutes } from './routes'

/** How long `publish` waits for DHT provider records before leaving them to the background retry. */
const PUBLISH_PROVIDE_WAIT_MS = 15_000

export interface ContentInit {
  /** Keep hosting (and providing) what this node installs. @default true */
  seed?: boolean
  /** Retry keys that no DHT peer took (e.g. published before any peer connected), in ms. @default 5000 */
  retryProvideMs?: number
  /** Re-provide every hosted key on this schedule, in ms (0 = never). @default 12 h */
  reprovideIntervalMs?: number
  /** How long provider lookups run before "not found", in ms. @default 15000 */
  findProvidersTimeoutMs?: number
  /** Providers used at most per download. @default 8 */
  maxProviders?: number
  /** Cap on upload bytes per second while seeding (0 = unlimited). @default 0 */
  maxUploadBytesPerSec?: number
  /** Blocks per request. @default 8 */
  blocksPerRequest?: number
  /** Requests in flight per provider. @default 2 */
  requestsPerProvider?: number
  /**
   * Also ask connected peers directly whether they host what we look for (one round trip each,
   * faster than the DHT on a LAN). Off = the DHT only, which tells neighbours less. @default true
   */
  askConnectedPeers?: boolean
}

export interface PublishProgress { stage: 'reading' | 'signing' | 'storing' | 'providing' | 'done', bytes?: number }
export interface PublishOptions { price?: number, signal?: AbortSignal, onProgress?: (p: PublishProgress) => void }
export interface PublishResult {
  /** CIDv1 (base32) of the bundle; shown as ipfs://<cid>. */
  cid: string
  /** The classic CIDv0 (`Qm…`) of the same bytes. */
  cidV0: string
  manifest: AdapterManifest
  size: number
  sha256: string
  /** DHT keys provided (bundle, names, topics); 0 when no DHT peer was reachable. */
  provided: number
}

export interface InstallProgress {
  bytes: number
  totalBytes: number
  providers: number
  rateBytesPerSec?: number
  /** What is happening: resolving the reference, downloading, verifying/unpacking. */
  stage?: 'resolving' | 'downloading' | 'verifying' | 'done'
  resumedBytes?: number
}

export interface InstallOptions {
  project: string
  signal?: AbortSignal
  onProgress?: (p: InstallProgress) => void
  /** Seed this install (override the feature's default). */
  seed?: boolean
  /** Refuse a bundle whose sha-256 differs (set from the lockfile). */
  expectSha256?: string
  /**
   * The price in tokens the user accepted (the most this install may charge). A priced adapter above
   * it is neither installed nor charged. @default 0
   */
  maxPrice?: number
  /** Install only this publisher's adapter (a PeerId), as a `publisher/…` reference does. */
  publisher?: string
}

export interface InstallResult {
  name: string
  version: string
  cid: string
  dir: string
  alreadyInstalled: boolean
  /** Filled when something was downloaded. */
  download?: Pick<DownloadResult, 'blocksFetched' | 'resumedBytes' | 'providersUsed' | 'failed' | 'elapsedMs'>
  /** What was paid to the host for the download (when the ledger feature runs and something was downloaded). */
  payment?: InstallPayment
}

export interface InstalledAdapter extends LockEntry {
  dir: string
  /** The folder exists and holds the files of its manifest. */
  present: boolean
}

export interface TopicProvider { peerId: string, addresses: string[], adapters: Array<{ id: string, name: string, version: string, cid: string }> }
export interface TopicLookup { tag: string, providers: TopicProvider[], elapsedMs: number, hops: number, queried: number }

/** The interface the VS Code extension and the web UI code against. */
export interface ContentApi {
  publish(folder: string, opts?: PublishOptions): Promise<PublishResult>
  install(ref: string, opts: InstallOptions): Promise<InstallResult>
  installFromLockfile(project: string, opts?: Omit<InstallOptions, 'project' | 'expectSha256' | 'publisher'>): Promise<InstallResult[]>
  remove(name: string, opts: { project: string }): Promise<{ name: string, version: string, dir: string }>
  listInstalled(project: string): Promise<InstalledAdapter[]>
}

const ResolveRequest = z.object({ ref: z.string().min(1).max(300).optional(), topic: z.string().min(1).max(100).optional() }).strict()
  .refine(r => (r.ref === undefined) !== (r.topic === undefined), 'exactly one of ref and topic')
const ResolveResponse = z.object({ bundles: z.array(z.object({ cid: z.string().max(128), size: z.number().int().min(0), manifest: z.unknown() })).max(64) })

interface Candidate { cid: CID, manifest?: AdapterManifest, providers: Map<string, PeerInfo | undefined> }

export class ContentFeature implements MeshFeature, ContentApi {
  readonly name = 'content'
  private _node?: MeshNode
  private _blocks?: FsBlockstore
  private _hosted?: HostedIndex
  private server?: BlockServer
  private _dht?: DhtStats
  private reprovideTimer?: NodeJS.Timeout
  private log?: Logger
  /** Providers that sent bad data, per content (CID string → peer ids). */
  private readonly blacklist = new Map<string, Set<string>>()
  private installs = 0
  private publishes = 0
  private readonly projectLocks = new Map<string, Promise<unknown>>()
  /** Bundles with DHT keys no peer has taken yet (no routing table at publish time, say). */
  private readonly pendingProvides = new Map<string, { cid: string, manifest: AdapterManifest }>()
  private retryTimer?: NodeJS.Timeout
  private retrying = false

  constructor (private readonly init: ContentInit = {}) {}

  private get node (): MeshNode {
    if (this._node === undefined) throw new Error('The content feature is not started')
    return this._node
  }

  /** The block store (verified on every read). */
  get blocks (): FsBlockstore {
    if (this._blocks === undefined) throw new Error('The content feature is not started')
    return this._blocks
  }

  get hosted (): HostedIndex {
    if (this._hosted === undefined) throw new Error('The content feature is not started')
    return this._hosted
  }

  get dht (): DhtStats {
    if (this._dht === undefined) throw new Error('The content feature is not started')
    return this._dht
  }

  get blockServer (): BlockServer | undefined { return this.server }

  async start (node: MeshNode): Promise<void> {
    this._node = node
    this.log = node.log.child('content')
    const dir = path.join(node.dataDir, 'content')
    this._blocks = new FsBlockstore(path.join(dir, 'blocks'))
    await this._blocks.open()
    this._hosted = new HostedIndex(path.join(dir, 'hosted.json'), this.log)
    await this._hosted.load()
    this._dht = new DhtStats(() => node.libp2p.services.dht, () => node.libp2p.peerId)
    this.server = new BlockServer({
      libp2p: node.libp2p,
      blocks: this._blocks,
      maxUploadBytesPerSec: this.init.maxUploadBytesPerSec,
      onBadMessage: (_peer, reason) => node.drops.add('blocks', reason)
    })
    await this.server.start()
    await serve(node.libp2p, RESOLVE_PROTOCOL, {
      maxBytes: 4096,
      timeoutMs: 10_000,
      requestSchema: ResolveRequest,
      handle: req => ({ bundles: this.answerResolve(req).slice(0, 64).map(b => ({ cid: b.cid, size: b.size, manifest: b.manifest })) }),
      onBadMessage: reason => node.drops.add('content-resolve', reason)
    })
    // Announce what we host once the first bootstrap round has given us DHT peers, then on schedule.
    void node.bootstrapped.then(() => this.reprovide()).catch(() => {})
    this.retryTimer = setInterval(() => { void this.retryPendingProvides().catch(() => {}) }, this.init.retryProvideMs ?? 5_000)
    this.retryTimer.unref()
    const every = this.init.reprovideIntervalMs ?? REPROVIDE_INTERVAL_MS
    if (every > 0) {
      this.reprovideTimer = setInterval(() => { void this.reprovide() }, every)
      this.reprovideTimer.unref()
    }
  }

  async stop (): Promise<void> {
    clearInterval(this.reprovideTimer)
    clearInterval(this.retryTimer)
    await this.server?.stop()
    await this._node?.libp2p.unhandle(RESOLVE_PROTOCOL).catch(() => {})
  }

  status (): unknown {
    return {
      hosted: this._hosted?.size ?? 0,
      pendingProvides: this.pendingProvides.size,
      publishes: this.publishes,
      installs: this.installs,
      served: { requests: this.server?.requests ?? 0, blocks: this.server?.blocksServed ?? 0, bytes: this.server?.bytesServed ?? 0 },
      dht: this._dht !== undefined && this._node?.state === 'started' ? this._dht.snapshot() : undefined
    }
  }

  dhtStats (): DhtStatsSnapshot { return this.dht.snapshot() }

  registerRoutes (api: ApiServer): void {
    registerContentRoutes(api, this)
  }

  private answerResolve (req: { ref?: string, topic?: string }): HostedBundle[] {
    if (req.topic !== undefined) return this.hosted.withTopic(normalizeTag(req.topic), normalizeTag)
    const ref = req.ref!
    if (looksLikeCid(ref)) {
      const cid = formatCid(parseCid(ref))
      const b = this.hosted.get(cid)
      return b === undefined ? [] : [b]
    }
    return this.hosted.match(ref)
  }

  /** DHT keys for a hosted bundle: its CID, its id and name, and each specialization tag. */
  private keysOf (b: { cid: string, manifest: AdapterManifest }): CID[] {
    const keys = [parseCid(b.cid), nameKey(b.manifest.id)]
    if (normalizeTag(b.manifest.name) !== normalizeTag(b.manifest.id)) keys.push(nameKey(b.manifest.name))
    for (const t of new Set(b.manifest.specializations.map(normalizeTag))) keys.push(topicKey(t))
    return keys
  }

  /**
   * Provides every key of one bundle; returns how many succeeded (0 without DHT peers). A bundle with
   * keys that no peer took is retried every few seconds until they are all out (see start()).
   */
  private async provideBundle (b: { cid: string, manifest: AdapterManifest }, signal?: AbortSignal): Promise<number> {
    let ok = 0
    const keys = this.keysOf(b)
    await Promise.all(keys.map(async key => {
      try {
        await this.dht.provide(key, { signal: combineSignals([signal, this.node.shutdownSignal], 60_000) })
        ok++
      } catch (err) {
        this.log?.debug(`provide ${key.toString()}: ${errorMessage(err)}`)
      }
    }))
    if (ok < keys.length) this.pendingProvides.set(b.cid, b)
    else this.pendingProvides.delete(b.cid)
    return ok
  }

  private async retryPendingProvides (): Promise<void> {
    if (this.retrying || this.pendingProvides.size === 0 || this._node?.state !== 'started') return
    if (this.dht.snapshot().routingTable.size === 0) return
    this.retrying = true
    try {
      for (const b of [...this.pendingProvides.values()]) await this.provideBundle(b)
    } finally {
      this.retrying = false
    }
  }

  /** Re-announces every hosted bundle's keys. */
  async reprovide (options: { signal?: AbortSignal } = {}): Promise<number> {
    if (this._node?.state !== 'started') return 0
    let n = 0
    for (const b of this.hosted.list()) n += await this.provideBundle(b, options.signal)
    this.dht.lastReprovideAt = Date.now()
    if (n > 0) this.log?.debug(`re-provided ${n} DHT keys for ${this.hosted.size} bundles`)
    return n
  }

  // ── publish ────────────────────────────────────────────────────────────────

  async publish (folder: string, opts: PublishOptions = {}): Promise<PublishResult> {
    const node = this.node
    const signal = combineSignals([opts.signal, node.shutdownSignal])
    opts.onProgress?.({ stage: 'reading' })
    await refuseOutsideLinks(path.resolve(folder))
    const info = await readPeftFolder(path.resolve(folder), { signal, ...(opts.price !== undefined ? { overrides: { price: opts.price } } : {}) })
    opts.onProgress?.({ stage: 'signing' })
    const [manifest] = await node.catalog.publishFields([info.fields], { signal })
    opts.onProgress?.({ stage: 'storing', bytes: 0 })
    let stored = 0
    const dag = await buildFileDag(writeTar(bundleEntries(manifest, info.dir, info.files)), async (cid, bytes) => {
      await this.blocks.put(cid, bytes)
      stored += bytes.length
      opts.onProgress?.({ stage: 'storing', bytes: stored })
    }, { signal })
    const cid = formatCid(dag.cid)
    // A local put is also what makes catalog gossip (when running) announce the new manifest.
    await node.catalog.put(manifest, 'local', undefined, { signal })
    await this.hosted.add({ cid, size: dag.size, sha256: dag.sha256, manifest, addedAt: new Date().toISOString(), origin: 'published' })
    opts.onProgress?.({ stage: 'providing' })
    // The bundle is published once it is stored and hosted; announcing it on the DHT can take long
    // (or wait for a first DHT peer), so publish waits a bounded time and the retry loop does the rest.
    let provided = 0
    if (this.dht.snapshot().routingTable.size === 0) this.pendingProvides.set(cid, { cid, manifest })
    else provided = await this.provideBundle({ cid, manifest }, combineSignals([signal], PUBLISH_PROVIDE_WAIT_MS))
    this.publishes++
    opts.onProgress?.({ stage: 'done' })
    this.log?.info(`Published ${manifest.id}@${manifest.version} as ipfs://${cid} (${dag.size} bytes, ${provided} DHT keys provided)`)
    return { cid, cidV0: dag.cidV0.toString(), manifest, size: dag.size, sha256: dag.sha256, provided }
  }

  // ── resolve ────────────────────────────────────────────────────────────────

  private async askResolve (peer: PeerId, body: { ref?: string, topic?: string }, signal: AbortSignal): Promise<Array<{ cid: CID, size: number, manifest: AdapterManifest }>> {
    const res = await request(this.node.libp2p, peer, RESOLVE_PROTOCOL, body, { signal, timeoutMs: 10_000, maxBytes: 8 * 1024 * 1024, responseSchema: ResolveResponse })
    const out: Array<{ cid: CID, size: number, manifest: AdapterManifest }> = []
    for (const b of res.bundles) {
      const check = await verifyManifest(b.manifest, { signal })
      if (!check.ok) { this.node.drops.add('content-resolve', 'invalid'); continue }
      try { out.push({ cid: parseCid(b.cid), size: b.size, manifest: check.manifest }) } catch { this.node.drops.add('content-resolve', 'invalid') }
    }
    return out
  }

  /** Connected peers, neighbours first, capped: the cheap first place to ask. */
  private nearbyPeers (max = 16): PeerId[] {
    if (this.init.askConnectedPeers === false) return []
    const libp2p = this.node.libp2p
    const neighbours = new Set(this.node.neighbours.list())
    return [...libp2p.getPeers()].sort((a, b) => Number(neighbours.has(b.toString())) - Number(neighbours.has(a.toString()))).slice(0, max)
  }

  /**
   * Finds providers of a CID: connected peers that host it (one resolve round trip each) and the
   * DHT's provider records, in parallel. Returns peer ids, how many peers were asked and the time.
   */
  async findProviders (cid: CID, options: { signal?: AbortSignal, limit?: number } = {}): Promise<{ providers: PeerId[], queried: number, elapsedMs: number }> {
    const started = Date.now()
    const limit = options.limit ?? this.init.maxProviders ?? MAX_PROVIDERS
    const signal = combineSignals([options.signal, this.node.shutdownSignal], this.init.findProvidersTimeoutMs ?? FIND_PROVIDERS_TIMEOUT_MS)
    const found = new Map<string, PeerId>()
    const bad = this.blacklist.get(formatCid(cid))
    const self = this.node.peerId.toString()
    const add = (p: PeerId): void => { const id = p.toString(); if (id !== self && bad?.has(id) !== true) found.set(id, p) }
    const nearby = this.nearbyPeers()
    const direct = Promise.all(nearby.map(async p => {
      try {
        const r = await this.askResolve(p, { ref: formatCid(cid) }, signal)
        if (r.some(b => b.cid.equals(cid.toV1()))) add(p)
      } catch { /* not running the protocol, or gone */ }
    }))
    let queried = nearby.length
    const viaDht = (async () => {
      try {
        const r = await this.dht.findProviders(cid, { signal, limit })
        queried += r.queried
        for (const info of r.providers) {
          if (info.multiaddrs.length > 0) await this.node.libp2p.peerStore.merge(info.id, { multiaddrs: info.multiaddrs }).catch(() => {})
          add(info.id)
        }
      } catch (err) {
        this.log?.debug(`DHT findProviders ${cid.toString()}: ${errorMessage(err)}`)
      }
    })()
    await Promise.all([direct, viaDht])
    return { providers: [...found.values()].slice(0, limit), queried, elapsedMs: Date.now() - started }
  }

  /** Every bundle peers offer under a name/id (DHT name key + catalog hints), of any publisher and version. */
  private async resolveName (base: string, signal: AbortSignal): Promise<{ candidates: Candidate[], queried: number }> {
    const ref = base
    const peers = new Map<string, PeerId>()
    for (const p of this.nearbyPeers()) peers.set(p.toString(), p)
    // Catalog hints: peers that told us (by gossip/search) they have an adapter with this id or name.
    for (const hit of this.node.catalog.list()) {
      const m = hit.manifest
      if (m.id !== base.toLowerCase() && m.name.toLowerCase() !== base.toLowerCase()) continue
      for (const id of hit.availableFrom) { try { peers.set(id, peerIdFromString(id)) } catch { /* ignore */ } }
    }
    let queried = 0
    try {
      const r = await this.dht.findProviders(nameKey(base), { signal, limit: this.init.maxProviders ?? MAX_PROVIDERS })
      queried += r.queried
      for (const info of r.providers) {
        if (info.multiaddrs.length > 0) await this.node.libp2p.peerStore.merge(info.id, { multiaddrs: info.multiaddrs }).catch(() => {})
        peers.set(info.id.toString(), info.id)
      }
    } catch (err) {
      this.log?.debug(`DHT name lookup ${ref}: ${errorMessage(err)}`)
    }
    peers.delete(this.node.peerId.toString())
    queried += peers.size
    const byCid = new Map<string, Candidate>()
    await Promise.all([...peers.values()].map(async p => {
      try {
        for (const b of await this.askResolve(p, { ref }, signal)) {
          const key = formatCid(b.cid)
          let c = byCid.get(key)
          if (c === undefined) byCid.set(key, c = { cid: b.cid, manifest: b.manifest, providers: new Map() })
          c.providers.set(p.toString(), undefined)
        }
      } catch { /* peer without the protocol, or gone */ }
    }))
    return { candidates: [...byCid.values()], queried }
  }

  /**
   * Picks the bundle a name reference means, or refuses. The publisher is fixed when the reference or
   * `--publisher` names one, else when the lockfile pins one for this id; a candidate of another
   * publisher is then never taken. A bare name offered by several publishers takes the one this node
   * already trusts (its own, or one whose adapter it hosts); otherwise the user must choose.
   */
  private choose (ref: Extract<ContentRef, { kind: 'name' }>, candidates: Candidate[], pin: { publisher?: string, source: string }): Candidate | undefined {
    const lower = ref.id.toLowerCase()
    const fits = candidates.filter(c => c.manifest !== undefined && (c.manifest.id === lower || c.manifest.name.toLowerCase() === lower) && (ref.version === undefined || c.manifest.version === ref.version))
    if (fits.length === 0) return undefined
    const list = (cs: Candidate[]): string => [...new Set(cs.map(c => formatContentRef(c.manifest!)))].slice(0, 6).join(', ')
    const newest = (cs: Candidate[]): Candidate => cs.reduce((a, b) => isNewer(b.manifest!, a.manifest!) ? b : a)
    if (pin.publisher !== undefined) {
      const same = fits.filter(c => c.manifest!.publisher === pin.publisher)
      if (same.length > 0) return newest(same)
      throw new AmbiguousPublisherError(`"${ref.id}" from publisher ${pin.publisher} (${pin.source}) was not found; other publishers offer ${list(fits)}: install one of those refs explicitly if you trust it`)
    }
    const publishers = new Set(fits.map(c => c.manifest!.publisher))
    if (publishers.size === 1) return newest(fits)
    const trusted = new Set([this.node.peerId.toString(), ...this.hosted.list().map(b => b.manifest.publisher)])
    const known = fits.filter(c => trusted.has(c.manifest!.publisher))
    if (known.length > 0 && new Set(known.map(c => c.manifest!.publisher)).size === 1) return newest(known)
    throw new AmbiguousPublisherError(`"${ref.id}" is offered by ${publishers.size} publishers: ${list(fits)}; install one of them by its full ref (publisher/id@version)`)
  }

  // ── install ────────────────────────────────────────────────────────────────

  /** Serialises installs into one project so two installs never race on the lockfile. */
  private async withProject<T> (project: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.projectLocks.get(project) ?? Promise.resolve()
    const run = prev.catch(() => {}).then(fn)
    this.projectLocks.set(project, run)
    try { return await run } finally { if (this.projectLocks.get(project) === run) this.projectLocks.delete(project) }
  }

  async install (ref: string, opts: InstallOptions): Promise<InstallResult> {
    if (typeof ref !== 'string' || ref.trim() === '') throw new InvalidContentRefError('Nothing to install: give a CID (ipfs://…), an adapter id or a name')
    const project = path.resolve(opts.project)
    return this.withProject(project, () => this.installLocked(ref.trim(), project, opts))
  }

  private async installLocked (ref: string, project: string, opts: InstallOptions): Promise<InstallResult> {
    const signal = combineSignals([opts.signal, this.node.shutdownSignal])
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
      const hostedHere = this.hosted.list().filter(b => b.manifest.id === name.id.toLowerCase() || b.manifest.name.toLowerCase() === name.id.toLowerCase())
      // What this node hosts first; when that is not the wanted publisher's, the network may have it.
      let chosen: Candidate | undefined
      try {
        chosen = this.choose(name, hostedHere.map(b => ({ cid: parseCid(b.cid), manifest: b.manifest, providers: new Map() })), pin)
      } catch (err) {
        if ((err as Error).name !== 'AmbiguousPublisherError') throw err
      }
      if (chosen === undefined && pinned !== undefined && (pin.publisher === undefined || pin.publisher === pinned.publisher)) {
        root = parseCid(pinned.cid)
        expect = { id: pinned.name, version: pinned.version, publisher: pinned.publisher }
        maxBytes = pinned.size
      } else if (chosen === undefined) {
        const r = await this.resolveName(name.id, signal)
        queried += r.queried
        chosen = this.choose(name, r.candidates, pin)
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
    const needNetwork = !(await this.hasAll(root, signal))
    if (needNetwork) {
      const r = await this.findProviders(root, { signal })
      queried += r.queried
      const merged = new Map<string, PeerId>(providers.map(p => [p.toString(), p]))
      for (const p of r.providers) merged.set(p.toString(), p)
      const bad = this.blacklist.get(rootKey)
      const usable = [...merged.values()].filter(p => bad?.has(p.toString()) !== true).slice(0, this.init.maxProviders ?? MAX_PROVIDERS)
      if (usable.length === 0) {
        throw new ContentNotFoundError(`${looksLikeCid(ref) ? `ipfs://${rootKey}` : `"${ref}"`} not found on ${queried} providers after ${((Date.now() - started) / 1000).toFixed(1)} s`)
      }
      progress({ stage: 'downloading', providers: usable.length })
      result = await downloadDag({
        libp2p: this.node.libp2p,
        blocks: this.blocks,
        root,
        maxBytes,
        providers: usable,
        log: this.log,
        signal,
        blocksPerRequest: this.init.blocksPerRequest,
        requestsPerProvider: this.init.requestsPerProvider,
        onBadProvider: peer => {
          let s = this.blacklist.get(rootKey)
          if (s === undefined) this.blacklist.set(rootKey, s = new Set())
          s.add(peer.toString())
          this.node.drops.add('blocks', 'bad-block')
        },
        onProgress: (p: DownloadProgress) => progress({ ...p, stage: 'downloading' })
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
      const { manifest } = await extractBundle(hashed(readDag(this.blocks, root, signal)), tmp, { signal })
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
      const ledger = this.node.feature<LedgerFeature>('ledger')
      const payment = manifest.price > 0
        ? await ledger?.payForInstall({ contentId: rootKey, bytes: size, price: manifest.price, publisher: manifest.publisher, providers: result?.providersUsed ?? [] }, { signal })
        : result !== undefined ? await ledger?.payForInstall({ contentId: rootKey, bytes: size, providers: result.providersUsed }, { signal }) : undefined
      if (opts.seed ?? this.init.seed ?? true) void this.seed({ cid: rootKey, size, sha256, manifest })
      progress({ bytes: size, totalBytes: size, stage: 'done' })
      return {
        name, version: manifest.version, cid: rootKey, dir: finalDir, alreadyInstalled: false,
        ...(result !== undefined ? { download: { blocksFetched: result.blocksFetched, resumedBytes: result.resumedBytes, providersUsed: result.providersUsed, failed: result.failed, elapsedMs: result.elapsedMs } } : {}),
        ...(payment !== undefined ? { payment } : {})
      }
    } catch (err) {
      // A bundle that fails the checks must not be served on from here either.
      if ((err as Error).name === 'InvalidBundleError' || (err as Error).name === 'BlockVerificationError') this.log?.warn(`install ${ref}: ${errorMessage(err)}`)
      throw err
    } finally {
      if (moved === undefined) await rm(tmp, { recursive: true, force: true }).catch(() => {})
    }
  }

  /** True when every block of the DAG is in the local store and intact. */
  private async hasAll (root: CID, signal: AbortSignal): Promise<boolean> {
    try {
      for await (const _ of readDag(this.blocks, root, signal)) { /* reading verifies */ }
      return true
    } catch (err) {
      if ((err as Error).name === 'ContentNotFoundError') return false
      throw err
    }
  }

  private async seed (b: { cid: string, size: number, sha256: string, manifest: AdapterManifest }): Promise<void> {
    try {
      await this.hosted.add({ ...b, addedAt: new Date().toISOString(), origin: 'installed' })
      await this.node.catalog.put(b.manifest, 'local').catch(() => {})
      await this.provideBundle(b)
    } catch (err) {
      this.log?.warn(`seeding ${b.manifest.id}: ${errorMessage(err)}`)
    }
  }

  async installFromLockfile (project: string, opts: Omit<InstallOptions, 'project' | 'expectSha256' | 'publisher'> = {}): Promise<InstallResult[]> {
    const dir = path.resolve(project)
    const lock = await readLockfile(dir)
    const out: InstallResult[] = []
    for (const e of Object.values(lock.adapters)) {
      // The pinned publisher too: the CID's bundle must be the one the lockfile names.
      out.push(await this.install(e.cid, { ...opts, project: dir, expectSha256: e.sha256, publisher: e.publisher }))
    }
    return out
  }

  async remove (name: string, opts: { project: string }): Promise<{ name: string, version: string, dir: string }> {
    const project = path.resolve(opts.project)
    return this.withProject(project, async () => {
      const lock = await readLockfile(project)
      const entry = findLockEntry(lock, name)
      if (entry === undefined) throw new NotInstalledError(`${name} is not installed in ${project} (see continuum genome list --installed --project ${JSON.stringify(project)})`)
      const dir = await adapterPath(await existingAdaptersRoot(project), entry.name, entry.version)
      const adapters = { ...lock.adapters }
      delete adapters[entry.name]
      // Lockfile first: if removing the folder then fails, a stray folder is harmless.
      await writeLockfile(project, { lockfileVersion: 1, adapters })
      await rm(dir, { recursive: true, force: true })
      return { name: entry.name, version: entry.version, dir }
    })
  }

  async listInstalled (project: string): Promise<InstalledAdapter[]> {
    const dir = path.resolve(project)
    const lock = await readLockfile(dir)
    const adaptersDir = await existingAdaptersRoot(dir)
    return Promise.all(Object.values(lock.adapters).map(async e => {
      const d = await adapterPath(adaptersDir, e.name, e.version)
      return { ...e, dir: d, present: await installedIntact(d) }
    }))
  }

  // ── DHT topics and export ─────────────────────────────────────────────────

  /** Providers of a specialization tag (one DHT lookup), with the adapters each offers for it. */
  async findTopic (tag: string, options: { signal?: AbortSignal, limit?: number } = {}): Promise<TopicLookup> {
    const norm = normalizeTag(tag)
    if (norm === '' || norm.length > 64) throw new InvalidContentRefError('A topic is a specialization tag of 1-64 characters, e.g. "wine pairing"')
    const signal = combineSignals([options.signal, this.node.shutdownSignal], this.init.findProvidersTimeoutMs ?? FIND_PROVIDERS_TIMEOUT_MS)
    const started = Date.now()
    const r = await this.dht.findProviders(topicKey(norm), { signal, limit: options.limit ?? 20, includeSelf: true })
    const providers = await Promise.all(r.providers.map(async (info): Promise<TopicProvider> => {
      const peerId = info.id.toString()
      const list = peerId === this.node.peerId.toString()
        ? this.hosted.withTopic(norm, normalizeTag).map(b => ({ cid: parseCid(b.cid), manifest: b.manifest }))
        : await (async () => {
          if (info.multiaddrs.length > 0) await this.node.libp2p.peerStore.merge(info.id, { multiaddrs: info.multiaddrs }).catch(() => {})
          return this.askResolve(info.id, { topic: norm }, combineSignals([signal], 5_000)).catch(() => [])
        })()
      const adapters = list.map(b => ({ id: b.manifest.id, name: b.manifest.name, version: b.manifest.version, cid: formatCid(b.cid) }))
      return { peerId, addresses: info.multiaddrs.map(a => a.toString()), adapters }
    }))
    return { tag: norm, providers, elapsedMs: Date.now() - started, hops: r.hops, queried: r.queried }
  }

  /** Writes a stored bundle's bytes to a file (to check its CID with other IPFS tools). */
  async exportBundle (ref: string, file: string, options: { signal?: AbortSignal } = {}): Promise<{ cid: string, size: number }> {
    const root = parseCid(ref)
    if (!(await this.hasAll(root, combineSignals([options.signal])))) throw new ContentNotFoundError(`ipfs://${formatCid(root)} is not stored on this node: install it first`)
    let size = 0
    const src = readDag(this.blocks, root, options.signal)
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

  /** The providers this node dropped for bad data, per content. */
  blacklisted (cid: string): string[] { return [...(this.blacklist.get(formatCid(parseCid(cid))) ?? [])] }
}

/** `DIR/.continuum/adapters`, created if needed; one-line error when the project is not writable. */
async function prepareProject (project: string): Promise<string> {
  let st = await stat(project).catch(() => undefined)
  // A new project folder is created, but not a missing parent (a typo should not make a tree).
  if (st === undefined) st = await mkdir(project).then(() => stat(project), () => undefined)
  if (st === undefined || !st.isDirectory()) throw new ProjectNotWritableError(`Project folder ${project} does not exist and cannot be created: check the path`)
  try {
    await access(project, fsConstants.W_OK)
  } catch {
    throw new ProjectNotWritableError(`Project folder ${project} is not writable: check its permissions`)
  }
  let dir: string
  try {
    // Refuses a symlinked `.continuum` or `adapters` (UnsafePathError), so nothing below writes or cleans outside the project.
    dir = await adaptersRoot(project)
    await access(dir, fsConstants.W_OK)
  } catch (err) {
    if ((err as Error).name === 'UnsafePathError' || (err as Error).name === 'ProjectNotWritableError') throw err
    throw new ProjectNotWritableError(`Cannot write ${path.join(project, PROJECT_DIR, ADAPTERS_DIR)} (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}): check the folder's permissions`)
  }
  await recoverInterrupted(dir)
  return dir
}

/**
 * Cleans up after an interrupted install: `.tmp-*` folders are incomplete and go; an `.old-*-<id@version>`
 * folder is the previous copy of an adapter moved aside for a swap, so when that adapter's folder is
 * missing (killed between the two renames) it is moved back, and only otherwise deleted.
 */
async function recoverInterrupted (dir: string): Promise<void> {
  let restored = false
  for (const n of await readdir(dir)) {
    if (!n.startsWith('.tmp-') && !n.startsWith('.old-')) continue
    let p: string
    try { p = await insideAdapters(dir, n) } catch { continue } // a symlink or odd name: leave it alone
    const target = /^\.old-[0-9a-f]{8}-(.+)$/.exec(n)?.[1]
    if (target !== undefined) {
      const back = await insideAdapters(dir, target).catch(() => undefined)
      if (back !== undefined && !(await stat(back).then(() => true, () => false))) {
        await rename(p, back)
        restored = true
        continue
      }
    }
    await rm(p, { recursive: true, force: true }).catch(() => {})
  }
  if (restored) await fsyncDir(dir)
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

/** The one-line error for a price the user did not accept. */
function priceError (m: AdapterManifest, maxPrice: number): PriceNotAcceptedError {
  return PriceNotAcceptedError.create(`${formatContentRef(m)} costs ${m.price} token${m.price === 1 ? '' : 's'} (paid to its publisher)${maxPrice > 0 ? `, more than the accepted ${maxPrice}` : ''}: to accept, install again with --max-price ${m.price}`, m.price, formatContentRef(m))
}

/** The largest tar a manifest's files make: the files, the manifest (<= 64 KiB), headers and padding. */
function maxTarBytes (m: AdapterManifest): number {
  return Math.min(MAX_BUNDLE_BYTES, m.sizeBytes + 64 * 1024 + (BUNDLE_FILES.length + 1) * 1024 + 1024)
}

/** A lockfile entry by name, title, `name@version`, `publisher/name@version` or CID (any CID form). */
function findLockEntry (lock: Lockfile, ref: string): LockEntry | undefined {
  const r = ref.trim()
  if (looksLikeCid(r)) {
    const cid = formatCid(parseCid(r))
    return Object.values(lock.adapters).find(e => e.cid === cid)
  }
  let parsed: ContentRef
  try { parsed = parseContentRef(r) } catch { return undefined }
  if (parsed.kind !== 'name') return undefined
  const lower = parsed.id.toLowerCase()
  return Object.values(lock.adapters).find(e => (e.name === lower || e.title?.toLowerCase() === lower) &&
    (parsed.version === undefined || e.version === parsed.version) && (parsed.publisher === undefined || e.publisher === parsed.publisher))
}

/** The installed folder holds a verifying manifest and exactly the files its contentHash covers. */
async function installedIntact (dir: string): Promise<boolean> {
  try {
    const check = await verifyManifest(JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), 'utf8')))
    if (!check.ok) return false
    const names = (await readdir(dir)).filter(n => BUNDLE_FILES.includes(n))
    const files = await Promise.all(names.map(async n => ({ path: n, sizeBytes: (await stat(path.join(dir, n))).size, sha256: await sha256OfFile(path.join(dir, n)) })))
    return bundleDigest(files) === check.manifest.contentHash
  } catch {
    return false
  }
}

export function contentFeature (init: ContentInit = {}): ContentFeature {
  return new ContentFeature(init)
}
