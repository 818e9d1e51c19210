// The 'content' feature: adapter bundles as content over the DHT. This class only composes the parts
// and implements ContentApi: publish (publish.ts), DHT provider records (provide.ts), resolve over
// the local store, hosted index, lockfile, connected peers and DHT (resolve.ts), verified download and
// install with payment (install.ts), lockfile operations (lockfile-ops.ts) and seeding/export
// (seeding.ts). Payments are injected (ContentInit.payments); the local API's routes live in
// src/node/api/routes/content.ts. In the js-libp2p shape (`contentService(init)(components)`, over the
// ContentComponents it names) and as the node feature `contentFeature(init)` (in `defaultFeatures()`),
// which takes its components from the node it starts on; given a feature as its payments (the ledger),
// it starts after it.
import path from 'node:path'
import { serviceDependencies, type PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import type { MeshFeature } from '../feature'
import { checkDependencies } from '../util/services'
import { DhtStats, type DhtStatsSnapshot } from '../dht/stats'
import type {
  ContentApi, ContentInit, InstallOptions, InstallResult, InstalledAdapter, PublishOptions, PublishResult, TopicLookup
} from './api'
import { bitswapExchange, type BitswapExchange } from './bitswap'
import { FsBlockstore } from './blockstore'
import { REPROVIDE_INTERVAL_MS } from './constants'
import type { ContentComponents, ContentContext } from './context'
import { formatCid, parseCid } from './dag'
import type { DownloadProgress, DownloadResult } from './downloader'
import { dagCids, fetchDag, storeFile, writeDagFile, type StoredFile } from './files'
import { InvalidContentRefError } from './errors'
import { BlockServer } from './exchange'
import { HostedIndex } from './hosted'
import { Installer } from './install'
import { installFromLockfile, listInstalled, removeInstalled } from './lockfile-ops'
import { ProjectLocks } from './project'
import { BundleProvider } from './provide'
import { publish } from './publish'
import { Resolver } from './resolve'
import { exportBundle } from './seeding'

/** The started parts: present between start() and stop(). */
interface Parts { ctx: ContentContext, provider: BundleProvider, resolver: Resolver, installer: Installer }

/** A payments provider that is itself a node feature (the ledger) is started before content. */
const asFeature = (p: unknown): MeshFeature | undefined =>
  typeof p === 'object' && p !== null && typeof (p as MeshFeature).name === 'string' && typeof (p as MeshFeature).start === 'function' ? p as MeshFeature : undefined

export class ContentFeature implements MeshFeature, ContentApi {
  readonly name = 'content'
  readonly [Symbol.toStringTag] = '@continuum/content'
  /** Provider records, name and topic keys live in the DHT. */
  readonly [serviceDependencies] = ['@libp2p/kad-dht']
  /** The payments feature, when there is one: installs pay through it from the first moment. */
  readonly after: readonly MeshFeature[]
  private _node?: ContentComponents
  private parts?: Parts
  private server?: BlockServer
  private bitswap?: BitswapExchange
  private reprovideTimer?: NodeJS.Timeout
  private retryTimer?: NodeJS.Timeout
  private publishes = 0
  private readonly projectLocks = new ProjectLocks()

  /** `components`: set by contentService(); a feature takes the node's when it starts. */
  constructor (private readonly init: ContentInit = {}, private readonly components?: ContentComponents) {
    const payments = asFeature(init.payments)
    this.after = payments === undefined ? [] : [payments]
  }

  private get started (): Parts {
    if (this.parts === undefined) throw new Error('The content feature is not started')
    return this.parts
  }

  /** The block store (verified on every read). */
  get blocks (): FsBlockstore { return this.started.ctx.blocks }

  get hosted (): HostedIndex { return this.started.ctx.hosted }

  get dht (): DhtStats { return this.started.ctx.dht }

  get blockServer (): BlockServer | undefined { return this.server }

  async start (components?: ContentComponents): Promise<void> {
    const node = components ?? this.components
    if (node === undefined) throw new TypeError('content needs its components: start it on a node, or create it with contentService(init)(components)')
    checkDependencies('content', node.libp2p, this[serviceDependencies])
    this._node = node
    const log = node.log.child('content')
    const dir = path.join(node.dataDir, 'content')
    const blocks = new FsBlockstore(path.join(dir, 'blocks'))
    await blocks.open()
    const hosted = new HostedIndex(path.join(dir, 'hosted.json'), log)
    await hosted.load()
    const dht = new DhtStats(() => node.libp2p.services.dht, () => node.libp2p.peerId)
    const bitswap = this.init.bitswap === false ? undefined : bitswapExchange({ libp2p: node.libp2p, blocks, wantTimeoutMs: this.init.bitswapWantTimeoutMs })
    const ctx: ContentContext = { node, init: this.init, blocks, hosted, dht, log, blacklist: new Map(), bitswap, payments: this.init.payments }
    const provider = new BundleProvider(ctx)
    const resolver = new Resolver(ctx)
    this.parts = { ctx, provider, resolver, installer: new Installer(ctx, resolver, provider) }
    this.server = new BlockServer({
      libp2p: node.libp2p,
      blocks,
      maxUploadBytesPerSec: this.init.maxUploadBytesPerSec,
      onBadMessage: (_peer, reason) => node.drops.add('blocks', reason)
    })
    await this.server.start()
    await bitswap?.start()
    this.bitswap = bitswap
    await resolver.serve()
    // Announce what we host once the first bootstrap round has given us DHT peers, then on schedule.
    void node.bootstrapped.then(() => provider.reprovide()).catch(() => {})
    this.retryTimer = setInterval(() => { void provider.retryPending().catch(() => {}) }, this.init.retryProvideMs ?? 5_000)
    this.retryTimer.unref()
    const every = this.init.reprovideIntervalMs ?? REPROVIDE_INTERVAL_MS
    if (every > 0) {
      this.reprovideTimer = setInterval(() => { void provider.reprovide() }, every)
      this.reprovideTimer.unref()
    }
  }

  async stop (): Promise<void> {
    clearInterval(this.reprovideTimer)
    clearInterval(this.retryTimer)
    await this.server?.stop()
    await this.bitswap?.stop()
    await this.parts?.resolver.unserve()
  }

  status (): unknown {
    const parts = this.parts
    return {
      hosted: parts?.ctx.hosted.size ?? 0,
      pendingProvides: parts?.provider.pending.size ?? 0,
      publishes: this.publishes,
      installs: parts?.installer.installs ?? 0,
      served: { requests: this.server?.requests ?? 0, blocks: this.server?.blocksServed ?? 0, bytes: this.server?.bytesServed ?? 0 },
      bitswap: this.bitswap?.stats(),
      dht: parts !== undefined && this._node?.state === 'started' ? parts.ctx.dht.snapshot() : undefined
    }
  }

  dhtStats (): DhtStatsSnapshot { return this.dht.snapshot() }

  /** Re-announces every hosted bundle's keys. */
  async reprovide (options: { signal?: AbortSignal } = {}): Promise<number> {
    return this.parts?.provider.reprovide(options) ?? 0
  }

  async publish (folder: string, opts: PublishOptions = {}): Promise<PublishResult> {
    const { ctx, provider } = this.started
    const r = await publish(ctx, provider, folder, opts)
    this.publishes++
    return r
  }

  /**
   * Finds providers of a CID: connected peers that host it (one resolve round trip each) and the
   * DHT's provider records, in parallel. Returns peer ids, how many peers were asked and the time.
   */
  async findProviders (cid: CID, options: { signal?: AbortSignal, limit?: number } = {}): Promise<{ providers: PeerId[], queried: number, elapsedMs: number }> {
    return this.started.resolver.findProviders(cid, options)
  }

  async install (ref: string, opts: InstallOptions): Promise<InstallResult> {
    if (typeof ref !== 'string' || ref.trim() === '') throw new InvalidContentRefError('Nothing to install: give a CID (ipfs://…), an adapter id or a name')
    const installer = this.started.installer
    const project = path.resolve(opts.project)
    return this.projectLocks.with(project, () => installer.install(ref.trim(), project, opts))
  }

  async installFromLockfile (project: string, opts: Omit<InstallOptions, 'project' | 'expectSha256' | 'publisher'> = {}): Promise<InstallResult[]> {
    return installFromLockfile((ref, o) => this.install(ref, o), project, opts)
  }

  async remove (name: string, opts: { project: string }): Promise<{ name: string, version: string, dir: string }> {
    return removeInstalled(this.projectLocks, name, opts)
  }

  async listInstalled (project: string): Promise<InstalledAdapter[]> {
    return listInstalled(project)
  }

  async findTopic (tag: string, options: { signal?: AbortSignal, limit?: number } = {}): Promise<TopicLookup> {
    return this.started.resolver.findTopic(tag, options)
  }

  async exportBundle (ref: string, file: string, options: { signal?: AbortSignal } = {}): Promise<{ cid: string, size: number }> {
    return exportBundle(this.blocks, ref, file, options)
  }

  // Plain files (the storage market uses these; see files.ts).

  /** Chunks a regular file into the blockstore (same CID as `ipfs add`). */
  async storeFile (file: string, options: { signal?: AbortSignal, onProgress?: (bytes: number) => void } = {}): Promise<StoredFile> {
    return storeFile(this.started.ctx, file, options)
  }

  /** Every block CID of a stored file DAG, root first. */
  async dagCids (ref: string, options: { signal?: AbortSignal } = {}): Promise<string[]> {
    return dagCids(this.started.ctx, ref, options)
  }

  /** Verified multi-provider download of a DAG into the blockstore (Bitswap peers when no provider is given). */
  async fetchDag (ref: string, providers: string[], options: { maxBytes?: number, signal?: AbortSignal, onProgress?: (p: DownloadProgress) => void, bitswap?: boolean } = {}): Promise<DownloadResult> {
    return fetchDag(this.started.ctx, ref, providers, options)
  }

  async writeDagFile (ref: string, file: string, options: { signal?: AbortSignal } = {}): Promise<{ cid: string, size: number }> {
    return writeDagFile(this.started.ctx, ref, file, options)
  }

  /** Providers of a CID as peer id text (DHT and connected peers). */
  async findProviderIds (ref: string, options: { signal?: AbortSignal, limit?: number } = {}): Promise<string[]> {
    return (await this.findProviders(parseCid(ref).toV1(), options)).providers.map(p => p.toString())
  }

  /** One verified block, or undefined. */
  async readBlock (cid: string): Promise<Uint8Array | undefined> {
    return this.blocks.get(parseCid(cid))
  }

  /** Announces `ref` on the DHT (bounded by the caller's signal); false when no DHT peer took it. */
  async provideCid (ref: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    try {
      const r = await this.dht.provide(parseCid(ref).toV1(), options)
      return r.peers > 0
    } catch {
      return false
    }
  }

  /** The providers this node dropped for bad data, per content. */
  blacklisted (cid: string): string[] { return [...(this.started.ctx.blacklist.get(formatCid(parseCid(cid))) ?? [])] }
}

/** Creates the content feature (add it to the node's `features`); it takes its components from the node it starts on. */
export function contentFeature (init: ContentInit = {}): ContentFeature {
  return new ContentFeature(init)
}

/** The js-libp2p factory shape: `contentService(init)(components)`. */
export function contentService (init: ContentInit = {}): (components: ContentComponents) => ContentFeature {
  return components => new ContentFeature(init, components)
}
