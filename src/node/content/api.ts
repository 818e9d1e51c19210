// The content feature's public shapes: its options and the ContentApi that the VS Code extension, the
// web UI and the local API's routes (src/node/api/routes/content.ts) code against.
import type { AdapterManifest } from '../manifest'
import type { DhtStatsSnapshot } from '../dht/stats'
import type { DownloadResult } from './downloader'
import type { LockEntry } from './lockfile'
import type { InstallPayment, InstallPayments } from './payments'

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
  /**
   * Speak Bitswap 1.2.0 (`/ipfs/bitswap/1.2.0`) too, so stock IPFS nodes (Helia, Kubo) that connect fetch
   * what this node holds, and downloads that find no Continuum provider ask connected IPFS peers. @default true
   */
  bitswap?: boolean
  /** How long a block is wanted from Bitswap peers, in ms. @default 10000 */
  bitswapWantTimeoutMs?: number
  /** Pays for verified installs (the ledger feature in a full node). @default none: installs pay nothing */
  payments?: InstallPayments
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
  /** What was paid to the host for the download (when the node has payments and something was downloaded). */
  payment?: InstallPayment
}

export interface InstalledAdapter extends LockEntry {
  dir: string
  /** The folder exists and holds the files of its manifest. */
  present: boolean
}

export interface TopicProvider { peerId: string, addresses: string[], adapters: Array<{ id: string, name: string, version: string, cid: string }> }
export interface TopicLookup { tag: string, providers: TopicProvider[], elapsedMs: number, hops: number, queried: number }

/** The interface the VS Code extension, the web UI and the local API code against (`node.content`). */
export interface ContentApi {
  publish(folder: string, opts?: PublishOptions): Promise<PublishResult>
  install(ref: string, opts: InstallOptions): Promise<InstallResult>
  installFromLockfile(project: string, opts?: Omit<InstallOptions, 'project' | 'expectSha256' | 'publisher'>): Promise<InstallResult[]>
  remove(name: string, opts: { project: string }): Promise<{ name: string, version: string, dir: string }>
  listInstalled(project: string): Promise<InstalledAdapter[]>
  /** Providers of a specialization tag (one DHT lookup), with the adapters each offers for it. */
  findTopic(tag: string, options?: { signal?: AbortSignal, limit?: number }): Promise<TopicLookup>
  /** Writes a stored bundle's bytes to a file (to check its CID with other IPFS tools). */
  exportBundle(ref: string, file: string, options?: { signal?: AbortSignal }): Promise<{ cid: string, size: number }>
  /** The DHT's routing table and provider figures, as `GET /api/dht/stats` shows them. */
  dhtStats(): DhtStatsSnapshot
}
