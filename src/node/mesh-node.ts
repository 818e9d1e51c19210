// The facade: the one entry point the CLI, the local HTTP API and the VS Code extension use.
// It owns the data dir, the identity, the libp2p node and every protocol running on it.
import './polyfills'
import path from 'node:path'
import { TypedEventEmitter } from 'main-event'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import { createMeshLibp2p, type MeshLibp2p } from './transport/libp2p'
import { DEFAULT_LISTEN } from './transport/constants'
import { ListenError } from './transport/errors'
import { defaultDataDir, prepareDataDir, tightenSecrets } from './identity/data-dir'
import { openIdentity, type NodeIdentity } from './identity/identity'
import { lockDirectory, type DirectoryLock } from './storage/lock'
import { PeerCache } from './bootstrap/peer-cache'
import { Bootstrapper, type BootstrapReport } from './bootstrap/bootstrap'
import { parsePeerAddress } from './bootstrap/announcements'
import { InvalidPeerAddressError } from './bootstrap/errors'
import { REBOOTSTRAP_INTERVAL_MS } from './bootstrap/constants'
import { PeerExchange } from './peer-exchange/peer-exchange'
import { NeighbourSet } from './neighbours/neighbour-set'
import { DropCounters } from './util/counters'
import { createLogger, errorMessage, type LogRecord, type Logger } from './util/logger'
import { combineSignals, type AbortOptions } from './util/abort'
import { NodeNotStartedError } from './errors'
import { createEmbedder, inspectModelFolder, type Embedder } from './embedding'
import { AdapterCatalog } from './catalog/catalog'
import { findSampleCatalog } from './catalog/sample'
import { CATALOG_EVENT_THROTTLE_MS } from './catalog/constants'
import { loadDictionary, type Dictionaries, type ForeignLanguage } from './language'
import { startOrder, type MeshFeature } from './feature'
import { announceAddresses, featureFigures, peerSummaries, topologyOf, type MeshStatus, type PeerSummary, type Topology } from './node-figures'
import { FloodFeature } from './flood/feature'
import { GossipService, type GossipFeature } from './gossip/feature'
import { ContentFeature } from './content/feature'
import type { ContentApi } from './content/api'
import { LedgerFeature } from './economy/ledger-feature'
import type { WalletApi } from './economy/wallet'
import { SocialService, type SocialApi } from './social/service'
import { MarketFeature, type MarketApi } from './market/feature'
import { StorageFeature, type StorageApi } from './storage-market/feature'
import { continueSearch, search, type SearchOptions, type SearchQuery } from './search/pipeline'
import type { AdapterResult, SearchUpdate } from './search/view'
import type { FloodSearchOptions } from './flood/engine'

/** How long a misbehaving peer is refused. */
const DEFAULT_BAN_MS = 60_000

export interface MeshNodeInit {
  /** Where identity, peer store and caches live. @default $CONTINUUM_HOME or ~/.continuum */
  dataDir?: string
  /** Listen multiaddrs. @default TCP 4101 and WebSockets 4102 on all interfaces */
  listen?: string[]
  /** Bootstrap peers (multiaddrs with /p2p/ or continuum:// addresses). @default [] */
  bootstrap?: string[]
  /** Announcement lists: file paths or http(s) URLs. @default [] */
  announceFiles?: string[]
  /** Discover peers on the local network with mDNS. @default true */
  mdns?: boolean
  /** Cap on the neighbour set used by gossip and flood search. @default 8 */
  maxNeighbours?: number
  /** Keep LAN/loopback addresses in DHT records (local meshes). @default true */
  privateAddresses?: boolean
  /** Relax per-IP limits for many nodes on one host (benchmarks only). @default false */
  simulation?: boolean
  /** Cap of cached remote adapters (LRU beyond). @default 10000 */
  remoteCapacity?: number
  /** Share one embedder between nodes (simulations, tests); the node then does not close it. @default a new worker-thread embedder */
  embedder?: Embedder
  /**
   * A user-supplied embedding model folder (e.g. an ONNX multilingual-e5-small the user downloaded), checked on
   * start (InvalidModelFolderError names what is missing): adapters whose manifests carry a vector in its space
   * are searched there, the rest in the shipped MiniLM's default space, and what this node publishes carries both.
   * @default none
   */
  embeddingModel?: string
  /** Share the user-supplied model's embedder between nodes (tests); overrides `embeddingModel` and is not closed. */
  spaceEmbedder?: Embedder
  /**
   * Bilingual dictionaries the user installed (dictd files, e.g. Debian's dict-freedict-spa-eng), consulted
   * for Spanish/French/German query words the built-in glossary lacks. One that cannot be loaded is logged
   * and skipped. @default none
   */
  dictionaries?: DictionaryOption[]
  /** Import the bundled demo catalog on start (or the JSONL file at this path). @default false */
  sampleCatalog?: boolean | string
  /** Capabilities started on this node (gossip, flood search, …): each after the features it names in `after`, else in list order. @default [] */
  features?: MeshFeature[]
  /** How long a peer that broke protocol rules is refused, in ms. @default 60000 */
  banMs?: number
  /** Receives every log record. @default discard */
  onLog?: (record: LogRecord) => void
}

/** A dictd dictionary: `base` is the path without `.index` / `.dict.dz`. */
export interface DictionaryOption { language: ForeignLanguage, base: string }

export interface MeshNodeEvents {
  'peer:connect': CustomEvent<{ peerId: string }>
  'peer:disconnect': CustomEvent<{ peerId: string }>
  'neighbours:change': CustomEvent<{ neighbours: string[] }>
  'bootstrap': CustomEvent<BootstrapReport>
  /** Adapters entered or left the catalog (gossip, search answers, imports, installs); throttled to one per 250 ms. */
  'catalog:change': CustomEvent<{ local: number, remote: number }>
  'log': CustomEvent<LogRecord>
}

export type { MeshStatus, PeerSummary, Topology, TopologyNode } from './node-figures'

export type MeshNodeState = 'stopped' | 'starting' | 'started' | 'stopping'

export class MeshNode extends TypedEventEmitter<MeshNodeEvents> {
  readonly dataDir: string
  readonly log: Logger
  readonly drops = new DropCounters()
  private _state: MeshNodeState = 'stopped'
  private _libp2p?: MeshLibp2p
  private identity?: NodeIdentity
  private lock?: DirectoryLock
  private peerCache?: PeerCache
  private pex?: PeerExchange
  private neighbourSet?: NeighbourSet
  private bootstrapper?: Bootstrapper
  private lastBootstrap: BootstrapReport | null = null
  private _catalog?: AdapterCatalog
  private ownEmbedder?: Embedder
  private ownSpaceEmbedder?: Embedder
  private readonly startedFeatures: MeshFeature[] = []
  private startedAt = 0
  private maintenanceTimer?: NodeJS.Timeout
  private cacheSaveTimer?: NodeJS.Timeout
  private catalogEventTimer?: NodeJS.Timeout
  private shutdown = new AbortController()
  private readonly bans = new Map<string, number>()
  /** Resolves when the first bootstrap round has finished. */
  bootstrapped: Promise<BootstrapReport> = new Promise(() => {})

  constructor (private readonly init: MeshNodeInit = {}) {
    super()
    this.dataDir = path.resolve(init.dataDir ?? defaultDataDir())
    this.log = createLogger(record => {
      init.onLog?.(record)
      this.safeDispatchEvent('log', { detail: record })
    })
  }

  get state (): MeshNodeState { return this._state }

  /** The libp2p node; protocols built on top (gossip, flood, DHT content) take it from here. */
  get libp2p (): MeshLibp2p {
    if (this._libp2p === undefined) throw new NodeNotStartedError('The mesh node is not running: start it first')
    return this._libp2p
  }

  get peerId (): PeerId { return this.libp2p.peerId }

  /** The node's Ed25519 identity key; the ledger signs this account's blocks and receipts with it. */
  get privateKey (): PrivateKey {
    if (this.identity === undefined) throw new NodeNotStartedError('The mesh node is not running: start it first')
    return this.identity.privateKey
  }

  /** A started feature of this class: typed, found by what it is rather than by a name. */
  private started<T extends MeshFeature> (kind: abstract new (...args: never[]) => T): T | undefined {
    return this.startedFeatures.find((f): f is T => f instanceof kind)
  }

  /** Catalog gossip with neighbours (figures, "sync now"), when this node runs it. */
  get gossip (): GossipFeature | undefined { return this.started(GossipService) }

  /** Network search (bounded flood), when this node runs it. */
  get flood (): FloodFeature | undefined { return this.started(FloodFeature) }

  /** Adapter files over the mesh (publish, install, lockfile), when this node runs it. */
  get content (): ContentApi | undefined { return this.started(ContentFeature) }

  /** The token wallet (balance, stats, history, send, verify), when this node runs the ledger. */
  get wallet (): WalletApi | undefined { return this.started(LedgerFeature) }

  /** Posts, replies, tips and receipt-backed ratings (`social` CLI, Community page), when this node runs it. */
  get social (): SocialApi | undefined { return this.started(SocialService) }

  /** Service listings and compute on the mesh (list, publish, provide, generate, embed), when this node runs the market. */
  get market (): MarketApi | undefined { return this.started(MarketFeature) }

  /** Paid storage replicas (offer, put, get, status, list), when this node runs the storage market. */
  get storage (): StorageApi | undefined { return this.started(StorageFeature) }

  /** The sentence embedder the catalog uses (the social layer embeds posts with it too). */
  get embedder (): Embedder {
    const e = this.init.embedder ?? this.ownEmbedder
    if (e === undefined) throw new NodeNotStartedError('The mesh node is not running: start it first')
    return e
  }

  /** The adapter (`<publisher>/<id>` and name) of a bundle CID this node hosts (published or installed). */
  adapterOf (contentId: string): { key: string, name: string } | undefined {
    const m = this.started(ContentFeature)?.hosted.get(contentId)?.manifest
    return m === undefined ? undefined : { key: `${m.publisher}/${m.id}`, name: m.name }
  }

  /**
   * An adapter's name by content id: a bundle CID this node hosts, or a local manifest's content hash.
   * The ledger names the top earning adapter in its stats with it (so the economy needs no content import).
   */
  adapterName (contentId: string): string | undefined {
    return this.started(ContentFeature)?.hosted.get(contentId)?.manifest.name ??
      this._catalog?.list('local').find(h => h.manifest.contentHash === contentId)?.manifest.name
  }

  /**
   * Searches: local results first, then network batches when `query.network` is set and flood search
   * runs, de-duplicated. Every consumer (API route, CLI, QuickPick, marketplace panel) goes through here.
   */
  search (query: SearchQuery, options: SearchOptions = {}): AsyncIterable<SearchUpdate> {
    return this.withVerified(search({ catalog: this.catalog, network: this.flood }, query, options))
  }

  /**
   * Adds the proven figures (receipt-backed ratings and paid downloads, from the social layer) to each
   * result; the manifest's own `rating`/`downloads` stay as the publisher's self-reported claim.
   */
  verified<T extends AdapterResult> (r: T): T {
    const social = this.started(SocialService)
    return social === undefined ? r : { ...r, verified: social.metrics(r.key) }
  }

  private async * withVerified (updates: AsyncIterable<SearchUpdate>): AsyncIterable<SearchUpdate> {
    for await (const u of updates) yield u.type === 'done' ? u : { ...u, results: u.results.map(r => this.verified(r)) }
  }

  /** Extends a network search (running, or finished in the last 10 minutes) with more hops or patience. */
  continueSearch (searchId: string, options: FloodSearchOptions & Pick<SearchOptions, 'onProgress'> = {}): AsyncIterable<SearchUpdate> {
    return this.withVerified(continueSearch(this.flood, searchId, options))
  }

  /** Features started on this node, in start order. */
  get features (): readonly MeshFeature[] { return this.startedFeatures }

  /** Aborted when the node stops: long operations combine it with their own signal. */
  get shutdownSignal (): AbortSignal { return this.shutdown.signal }

  /** Own, installed and cached adapters, with local-first semantic search. */
  get catalog (): AdapterCatalog {
    if (this._catalog === undefined) throw new NodeNotStartedError('The mesh node is not running: start it first')
    return this._catalog
  }

  get neighbours (): NeighbourSet {
    if (this.neighbourSet === undefined) throw new NodeNotStartedError('The mesh node is not running: start it first')
    return this.neighbourSet
  }

  private async loadDictionaries (into: Dictionaries, signal: AbortSignal): Promise<void> {
    for (const d of this.init.dictionaries ?? []) {
      try {
        const dict = await loadDictionary(d.base, d.language, { signal })
        into[d.language] = dict
        this.log.info(`Dictionary ${d.language}: ${dict.size} words from ${d.base}`)
      } catch (err) {
        if (signal.aborted) return
        this.log.warn(`Dictionary ${d.language} not loaded: ${errorMessage(err)}`)
      }
    }
  }

  /** The embedder of `init.embeddingModel`, checked now (a bad folder stops the start with one line). */
  private userModelEmbedder (standard: Embedder): Embedder | undefined {
    if (this.init.embeddingModel === undefined) return undefined
    const spec = inspectModelFolder(this.init.embeddingModel)
    if (spec.modelId === standard.modelId) {
      this.log.info(`Embedding model ${spec.dir} is ${spec.modelId}, the default space every node has: nothing extra to search in`)
      return undefined
    }
    this.log.info(`Embedding model ${spec.modelId} (${spec.dimensions} dimensions) from ${spec.dir}: adapters with vectors in its space are searched there`)
    this.ownSpaceEmbedder = createEmbedder({ model: spec })
    return this.ownSpaceEmbedder
  }

  async start (): Promise<void> {
    if (this._state !== 'stopped') return
    this._state = 'starting'
    this.shutdown = new AbortController()
    try {
      await prepareDataDir(this.dataDir, this.log)
      this.lock = await lockDirectory(this.dataDir)
      // Before the key is read: a key file an older version left 0644 is made private first.
      await tightenSecrets(this.dataDir, this.log)
      this.identity = await openIdentity(this.dataDir)
      const embedder = this.init.embedder ?? (this.ownEmbedder = createEmbedder())
      const spaceEmbedder = this.init.spaceEmbedder ?? this.userModelEmbedder(embedder)
      // Filled in the background (a large dictionary takes seconds to load): searches use each once it is in.
      const dictionaries: Dictionaries = {}
      void this.loadDictionaries(dictionaries, this.shutdown.signal)
      this._catalog = new AdapterCatalog({ dir: path.join(this.dataDir, 'catalog'), privateKey: this.identity.privateKey, embedder, log: this.log.child('catalog'), remoteCapacity: this.init.remoteCapacity, dictionaries, spaceEmbedder })
      await this._catalog.open()
      this._catalog.addEventListener('change', () => this.catalogChanged())
      this._catalog.addEventListener('remove', () => this.catalogChanged())
      this.peerCache = new PeerCache({ file: path.join(this.dataDir, 'peers.json') })
      const cacheLoad = await this.peerCache.load()
      if (cacheLoad.problem !== undefined) this.log.warn(cacheLoad.problem)
      this._libp2p = await this.createLibp2p()
      const libp2p = this._libp2p
      this.startedAt = Date.now()
      libp2p.addEventListener('peer:connect', evt => this.safeDispatchEvent('peer:connect', { detail: { peerId: evt.detail.toString() } }))
      libp2p.addEventListener('peer:disconnect', evt => this.safeDispatchEvent('peer:disconnect', { detail: { peerId: evt.detail.toString() } }))
      libp2p.addEventListener('peer:identify', evt => {
        // Remember peers by their advertised listen addresses (an inbound connection's remote port is ephemeral).
        const addrs = evt.detail.listenAddrs.map(a => a.toString()).filter(a => !a.includes('/0.0.0.0/') && !a.includes('/p2p-circuit'))
        this.peerCache?.record(evt.detail.peerId.toString(), addrs)
        this.scheduleCacheSave()
      })
      this.neighbourSet = new NeighbourSet({
        libp2p,
        log: this.log.child('neighbours'),
        maxNeighbours: this.init.maxNeighbours,
        onChange: neighbours => this.safeDispatchEvent('neighbours:change', { detail: { neighbours } })
      })
      this.pex = new PeerExchange({ libp2p, neighbours: () => this.neighbourSet?.list() ?? [], drops: this.drops, log: this.log.child('pex'), penalise: (p, r) => this.penalise(p, r) })
      await this.pex.start()
      this.neighbourSet.start()
      this.bootstrapper = new Bootstrapper({
        libp2p,
        log: this.log.child('bootstrap'),
        peerCache: this.peerCache,
        pex: this.pex,
        mdns: this.init.mdns ?? true,
        bootstrapAddrs: this.init.bootstrap ?? [],
        announceSources: this.init.announceFiles ?? []
      })
      this.bootstrapper.start()
      this._state = 'started'
      // Each feature after the ones it needs (MeshFeature.after), else in list order.
      for (const f of startOrder(this.init.features ?? [])) {
        await f.start(this)
        this.startedFeatures.push(f)
      }
      this.log.info(`Node ${libp2p.peerId.toString()} listening on ${libp2p.getMultiaddrs().map(a => a.toString()).join(', ')}`)
      this.bootstrapped = this.bootstrapper.run().then(report => {
        this.lastBootstrap = report
        this.safeDispatchEvent('bootstrap', { detail: report })
        void this.neighbourSet?.maintain()
        return report
      })
      if (this.init.sampleCatalog !== undefined && this.init.sampleCatalog !== false) void this.importSampleCatalog(this.init.sampleCatalog)
      this.maintenanceTimer = setInterval(() => { void this.maintain() }, REBOOTSTRAP_INTERVAL_MS)
      this.maintenanceTimer.unref()
    } catch (err) {
      await this.teardown()
      this._state = 'stopped'
      throw err
    }
  }

  private async createLibp2p (): Promise<MeshLibp2p> {
    const listen = this.init.listen ?? DEFAULT_LISTEN
    try {
      return await createMeshLibp2p({
        privateKey: this.identity!.privateKey,
        datastore: this.identity!.datastore,
        listen,
        mdns: this.init.mdns ?? true,
        privateAddresses: this.init.privateAddresses ?? true,
        simulation: this.init.simulation,
        isBanned: id => this.isBanned(id)
      })
    } catch (err) {
      const msg = errorMessage(err)
      if (/EADDRINUSE|address already in use/i.test(msg)) {
        throw new ListenError(`Cannot listen on ${listen.join(', ')}: the port is already in use. Stop the other node or pick a free port with --listen /ip4/0.0.0.0/tcp/<port>`)
      }
      if (/EADDRNOTAVAIL|EACCES/i.test(msg)) {
        throw new ListenError(`Cannot listen on ${listen.join(', ')} (${msg}): choose an address of this machine with --listen`)
      }
      throw err
    }
  }

  /** Imports the demo catalog (signed by this node) in the background; re-imports are cheap. */
  readonly sampleImported: Promise<void> = Promise.resolve()
  private async importSampleCatalog (option: true | string): Promise<void> {
    const file = option === true ? findSampleCatalog(__dirname) : option
    if (file === undefined) { this.log.warn('Demo catalog not found (data/sample-catalog/catalog.jsonl): skipping'); return }
    const run = (async () => {
      try {
        const r = await this.catalog.import(file, { signal: this.shutdown.signal })
        this.log.info(`Demo catalog: ${r.imported} adapters imported, ${r.updated} updated, ${r.unchanged} unchanged${r.skipped.length > 0 ? `, ${r.skipped.length} skipped` : ''}`)
      } catch (err) {
        if (!this.shutdown.signal.aborted) this.log.warn(`Demo catalog import failed: ${errorMessage(err)}`)
      }
    })()
    ;(this as { sampleImported: Promise<void> }).sampleImported = run
    await run
  }

  /** Disconnects a misbehaving peer and refuses its connections for a while. */
  penalise (peer: PeerId, reason: string): void {
    const id = peer.toString()
    this.bans.set(id, Date.now() + (this.init.banMs ?? DEFAULT_BAN_MS))
    this.log.warn(`Disconnected ${id.slice(-8)} for ${Math.round((this.init.banMs ?? DEFAULT_BAN_MS) / 1000)} s: ${reason}`)
    void this._libp2p?.hangUp(peer).catch(() => {})
  }

  isBanned (id: string): boolean {
    const until = this.bans.get(id)
    if (until === undefined) return false
    if (until > Date.now()) return true
    this.bans.delete(id)
    return false
  }

  /** Re-forms the mesh: with no peers rerun bootstrap (cached peers come back), else top up via PEX. */
  private async maintain (): Promise<void> {
    if (this._state !== 'started' || this.bootstrapper === undefined) return
    try {
      if (this.libp2p.getPeers().length === 0) {
        this.lastBootstrap = await this.bootstrapper.run({ quiet: true })
        this.safeDispatchEvent('bootstrap', { detail: this.lastBootstrap })
      } else if ((this.neighbourSet?.size ?? 0) < (this.neighbourSet?.max ?? 0)) {
        await this.bootstrapper.runPex()
      }
    } catch (err) {
      this.log.debug(`maintenance: ${errorMessage(err)}`)
    }
  }

  /** Re-emits catalog changes as one trailing 'catalog:change' per throttle window, with the new counts. */
  private catalogChanged (): void {
    if (this.catalogEventTimer !== undefined) return
    this.catalogEventTimer = setTimeout(() => {
      this.catalogEventTimer = undefined
      const catalog = this._catalog
      if (catalog === undefined) return
      try {
        this.safeDispatchEvent('catalog:change', { detail: { local: catalog.count('local'), remote: catalog.count('remote') } })
      } catch { /* closing */ }
    }, CATALOG_EVENT_THROTTLE_MS)
  }

  private scheduleCacheSave (): void {
    if (this.cacheSaveTimer !== undefined) return
    this.cacheSaveTimer = setTimeout(() => {
      this.cacheSaveTimer = undefined
      void this.peerCache?.save()
    }, 1_000)
  }

  async stop (): Promise<void> {
    if (this._state !== 'started') return
    this._state = 'stopping'
    await this.teardown()
    this._state = 'stopped'
    this.log.info('Node stopped')
  }

  private async teardown (): Promise<void> {
    this.shutdown.abort()
    for (const f of this.startedFeatures.splice(0).reverse()) {
      await f.stop().catch((err: unknown) => this.log.warn(`stopping ${f.name}: ${errorMessage(err)}`))
    }
    clearInterval(this.maintenanceTimer)
    clearTimeout(this.cacheSaveTimer)
    this.cacheSaveTimer = undefined
    clearTimeout(this.catalogEventTimer)
    this.catalogEventTimer = undefined
    this.bootstrapper?.stop()
    this.neighbourSet?.stop()
    await this.pex?.stop()
    await Promise.resolve(this._libp2p?.stop()).catch((err: unknown) => this.log.warn(`libp2p stop: ${errorMessage(err)}`))
    await this.peerCache?.save()
    await this.sampleImported.catch(() => {})
    await this._catalog?.close().catch((err: unknown) => this.log.warn(`catalog close: ${errorMessage(err)}`))
    await this.ownEmbedder?.close()
    await this.ownSpaceEmbedder?.close()
    this.ownSpaceEmbedder = undefined
    this._catalog = undefined
    this.ownEmbedder = undefined
    await Promise.resolve(this.identity?.datastore.close()).catch(() => {})
    await this.lock?.release()
    this._libp2p = undefined
  }

  /** This node's shareable addresses: `continuum://` URIs (TCP) and full multiaddrs. */
  announceAddresses (): { continuum: string[], multiaddrs: string[] } { return announceAddresses(this.libp2p) }

  status (): MeshStatus {
    const libp2p = this.libp2p
    return {
      peerId: libp2p.peerId.toString(),
      addresses: libp2p.getMultiaddrs().map(a => a.toString()),
      announce: this.announceAddresses().continuum,
      dataDir: this.dataDir,
      startedAt: this.startedAt,
      uptimeMs: Date.now() - this.startedAt,
      connectedPeers: libp2p.getPeers().length,
      neighbours: this.neighbours.list(),
      maxNeighbours: this.neighbours.max,
      bootstrap: this.lastBootstrap,
      dropped: this.drops.toJSON(),
      catalog: { local: this.catalog.count('local'), remote: this.catalog.count('remote') },
      // In the order the node's list names them (what `mesh status` and the extension show), not start order.
      features: featureFigures((this.init.features ?? []).filter(f => this.startedFeatures.includes(f)))
    }
  }

  peers (): PeerSummary[] { return peerSummaries(this.libp2p, this.neighbours) }

  /** This node, its neighbours, and the neighbours each of them reports (through PEX). */
  async topology (options: AbortOptions = {}): Promise<Topology> {
    if (this.pex === undefined) throw new NodeNotStartedError('The mesh node is not running: start it first')
    return topologyOf(this.libp2p.peerId, this.neighbours.peers(), this.pex, combineSignals([options.signal, this.shutdown.signal], 10_000))
  }

  /** Dials a `continuum://` address or a multiaddr with /p2p/. */
  async connect (address: string, options: AbortOptions = {}): Promise<{ peerId: string }> {
    let parsed
    try {
      parsed = parsePeerAddress(address)
    } catch (err) {
      throw new InvalidPeerAddressError(`Invalid peer address "${address}": ${(err as Error).message}`)
    }
    const conn = await this.libp2p.dial(parsed.addr, { signal: combineSignals([options.signal, this.shutdown.signal], 10_000) })
    return { peerId: conn.remotePeer.toString() }
  }
}

export function createMeshNode (init: MeshNodeInit = {}): MeshNode {
  return new MeshNode(init)
}
