// The web UI's typed protocol, shared by the page (both hosts) and the VS Code extension host.
// Results, search updates, status, peers and topology are the node's own types (`import type` through
// src/node/index.ts, erased from the bundle); the install reference and the CID test are the node's one
// dependency-free implementation (src/node/search/view.ts), bundled into the page.
import type { BootstrapReport, HistoryEntry, LogRecord, MeshStatus, PeerSummary, PostView, SearchUpdate, Topology, VerifiedMetrics } from '../../src/node'

export type { AdapterResult } from '../../src/node'
export { installRef, isCid } from '../../src/node/search/view'

export interface SearchRequest {
  query: string
  /** Ask peers too (flood search) when the node runs it. */
  network: boolean
  /** User patience, 1–30 s. */
  timeoutMs: number
  hops: number
  k?: number
}

/** NDJSON records of `POST /api/search`: the node's search updates, or an error ending the stream. */
export type SearchRecord = SearchUpdate | { type: 'error', error: ApiErrorBody }

export interface ApiErrorBody { name: string, message: string }

/** `GET /api/status` (the node's `MeshStatus` as JSON). */
export type MeshStatusView = MeshStatus
/** `GET /api/peers`. */
export type PeerView = PeerSummary
/** `GET /api/topology`. */
export type TopologyView = Topology

/** Live node events (the API's server-sent events, or forwarded by the extension host). */
export type NodeEvent =
  | { type: 'peer:connect', data: { peerId: string } }
  | { type: 'peer:disconnect', data: { peerId: string } }
  | { type: 'neighbours:change', data: { neighbours: string[] } }
  | { type: 'bootstrap', data: BootstrapReport }
  | { type: 'log', data: LogRecord }

export const NODE_EVENT_TYPES = ['peer:connect', 'peer:disconnect', 'neighbours:change', 'bootstrap', 'log'] as const

/**
 * What to install (a CID, or `publisher/id@version`) and where: the open project (VS Code) or a folder
 * the user names (local page). `maxPrice`: the price the user accepted (shown on the install button);
 * the node refuses, uncharged, a priced adapter above it.
 */
export interface InstallRequest { ref: string, folder?: string, maxPrice?: number }
/** Progress and outcome records of an install or publish stream. */
export type ProgressRecord =
  | { type: 'progress', done?: number, total?: number, message?: string, [k: string]: unknown }
  | { type: 'done', [k: string]: unknown }
  | { type: 'error', error: ApiErrorBody }

/** Publish form: a PEFT adapter folder on the node's machine (its manifest fields come from the folder), and a price. */
export interface PublishRequest {
  path: string
  price?: number
}

/** `GET /api/wallet/stats` (amounts in tokens). */
export interface WalletStats {
  account: string
  balance: number
  earned: number
  spent: number
  reputation: number
  blocks?: number
  forked?: boolean
  topAdapter: { contentId: string, earned: number, downloads?: number, name?: string } | null
}

/** One entry of `GET /api/wallet/history`: the ledger's `HistoryEntry`, its amounts in tokens. */
export type WalletHistoryEntry = HistoryEntry

export interface WalletView { stats: WalletStats, history: WalletHistoryEntry[] }

/** A post as the social routes send it: the node's PostView, its tip total in tokens. */
export type PostJson = PostView

/** What the Community page (and the adapter details) ask of the social layer: one request, by action. */
export type SocialCall =
  | { action: 'feed', following?: boolean, adapter?: string, limit?: number }
  | { action: 'search', query: string, limit?: number }
  | { action: 'post', text: string, replyTo?: string, adapters?: string[] }
  | { action: 'tip', post: string, amount: number, message?: string }
  | { action: 'follow' | 'mute', peer: string, on: boolean }
  | { action: 'following' }
  | { action: 'metrics', key: string }

/** What each social action answers. */
export interface SocialResults {
  feed: PostJson[]
  search: PostJson[]
  post: PostJson
  tip: { post: PostJson, amount: number, balance: number }
  follow: { follow: string[], mute: string[] }
  mute: { follow: string[], mute: string[] }
  following: { follow: string[], mute: string[] }
  metrics: VerifiedMetrics & { key: string }
}
export type SocialResult = SocialResults[keyof SocialResults]

/** The social routes each action calls (the same over HTTP and through the extension host's Router). */
export function socialRoute (c: SocialCall): { method: 'GET' | 'POST', path: string, body?: unknown } {
  switch (c.action) {
    case 'feed': {
      const q = new URLSearchParams()
      if (c.following === true) q.set('following', '1')
      if (c.adapter !== undefined) q.set('adapter', c.adapter)
      if (c.limit !== undefined) q.set('limit', String(c.limit))
      return { method: 'GET', path: `/api/social/feed?${q.toString()}` }
    }
    case 'search': return { method: 'POST', path: '/api/social/search', body: { query: c.query, ...(c.limit !== undefined ? { limit: c.limit } : {}) } }
    case 'post': return { method: 'POST', path: '/api/social/post', body: { text: c.text, ...(c.replyTo !== undefined ? { replyTo: c.replyTo } : {}), ...(c.adapters !== undefined ? { adapters: c.adapters } : {}) } }
    case 'tip': return { method: 'POST', path: '/api/social/tip', body: { post: c.post, amount: c.amount, ...(c.message !== undefined && c.message !== '' ? { message: c.message } : {}) } }
    case 'follow': case 'mute': return { method: 'POST', path: `/api/social/${c.action}`, body: { peer: c.peer, on: c.on } }
    case 'following': return { method: 'GET', path: '/api/social/following' }
    case 'metrics': return { method: 'GET', path: `/api/genome/metrics?key=${encodeURIComponent(c.key)}` }
  }
}

/** The connection to the node, as the page shows it. */
export type ConnectionState =
  | { state: 'connecting' }
  | { state: 'open' }
  | { state: 'lost', message: string }
  | { state: 'unauthorised', message: string }

/** The page's one way to reach a node, over HTTP (local page) or postMessage (VS Code webview). */
export interface MeshClient {
  readonly host: 'browser' | 'vscode'
  status(signal?: AbortSignal): Promise<MeshStatusView>
  peers(signal?: AbortSignal): Promise<PeerView[]>
  topology(signal?: AbortSignal): Promise<TopologyView>
  /** Streams search records to `onRecord` until the `done` (or `error`) record. */
  search(req: SearchRequest, onRecord: (r: SearchRecord) => void, signal?: AbortSignal): Promise<void>
  install(req: InstallRequest, onRecord: (r: ProgressRecord) => void, signal?: AbortSignal): Promise<void>
  publish(req: PublishRequest, onRecord: (r: ProgressRecord) => void, signal?: AbortSignal): Promise<void>
  /** Wallet figures and recent history when the ledger feature runs. */
  wallet(signal?: AbortSignal): Promise<WalletView>
  /** The social layer (Community page, reviews in the adapter details), when the node runs it. */
  social<C extends SocialCall>(call: C, signal?: AbortSignal): Promise<SocialResults[C['action']]>
  /** The market (Services page) when the host offers it; the VS Code host does not yet. */
  services?(call: ServicesCall, signal?: AbortSignal): Promise<unknown>
  /** The storage market (Storage page) when the host offers it; the VS Code host does not yet. */
  storage?(call: StorageCall, signal?: AbortSignal): Promise<unknown>
  storageStream?(call: StorageStreamCall, onRecord: (r: Record<string, unknown>) => void, signal?: AbortSignal): Promise<void>
  /** Subscribes to live events; returns the unsubscribe function. */
  onEvent(listener: (e: NodeEvent) => void): () => void
  onConnection(listener: (s: ConnectionState) => void): () => void
  /** A folder chosen in the host's own dialog (VS Code only); undefined when cancelled. */
  pickFolder?(title: string): Promise<string | undefined>
}

/** An error the page shows as a sentence (never a blank page). */
export class ClientError extends Error {
  constructor (message: string, readonly status = 0, readonly errorName = 'ClientError') {
    super(message)
    this.name = 'ClientError'
  }
}

// ---- webview ⇄ extension host messages ----

/**
 * Each request the page sends, paired with what answers it: `params` it carries, the `result` of its
 * `response`, and the `record`s a streaming request sends before that.
 */
export interface RequestMap {
  status: { params: undefined, result: MeshStatusView, record: never }
  peers: { params: undefined, result: PeerView[], record: never }
  topology: { params: undefined, result: TopologyView, record: never }
  wallet: { params: undefined, result: WalletView, record: never }
  social: { params: SocialCall, result: SocialResult, record: never }
  pickFolder: { params: undefined, result: { path: string } | null, record: never }
  search: { params: SearchRequest, result: undefined, record: SearchRecord }
  install: { params: InstallRequest, result: undefined, record: ProgressRecord }
  publish: { params: PublishRequest, result: undefined, record: ProgressRecord }
}

export type RequestMethod = keyof RequestMap

/** A request of one method: with `params` when the method takes them. */
export type RequestMessage<M extends RequestMethod = RequestMethod> = M extends RequestMethod
  ? { type: 'request', id: number, method: M } & (RequestMap[M]['params'] extends undefined ? { params?: undefined } : { params: RequestMap[M]['params'] })
  : never

/** Page → host. */
export type WebviewMessage =
  | RequestMessage
  | { type: 'cancel', id: number }
  | { type: 'ready' }

/** Host → page. */
export type HostMessage =
  | { type: 'response', id: number, result: RequestMap[RequestMethod]['result'] }
  | { type: 'record', id: number, record: RequestMap[RequestMethod]['record'] }
  | { type: 'error', id: number, error: ApiErrorBody }
  | { type: 'event', event: NodeEvent }
  | { type: 'connection', connection: ConnectionState }

// ---- Services page (the node's market routes, src/node/api/routes/market.ts) ----

/** One listing of `GET /api/market/listings` (price in tokens; availability/reputation as this node measured). */
export interface ServiceListing {
  provider: string
  serviceType: string
  service: string
  model?: string
  adapters: string[]
  unit: string
  price: number
  capacity: number
  region?: string
  expires: number
  availability: number
  reputation: number
  answered: number
  failed: number
  own: boolean
}

/** What the Services page asks of the market: one request, by action. */
export type ServicesCall =
  | { action: 'listings', type?: string, model?: string, minAvailability?: number }
  | { action: 'providers' }
  | { action: 'provide', backend: 'embeddings' | 'openai', pricePerRequest: number | string, url?: string, model?: string, adapterMode?: 'model' | 'llama-cpp' }
  | { action: 'stop', backend?: string }
  | { action: 'embed', texts: string[], maxPrice: number | string }

/** The market routes each action calls (the same over HTTP and through the extension host). */
export function servicesRoute (c: ServicesCall): { method: 'GET' | 'POST', path: string, body?: unknown } {
  switch (c.action) {
    case 'listings': {
      const q = new URLSearchParams()
      if (c.type !== undefined && c.type !== '') q.set('type', c.type)
      if (c.model !== undefined && c.model !== '') q.set('model', c.model)
      if (c.minAvailability !== undefined && c.minAvailability > 0) q.set('minAvailability', String(c.minAvailability))
      return { method: 'GET', path: `/api/market/listings?${q.toString()}` }
    }
    case 'providers': return { method: 'GET', path: '/api/compute/providers' }
    case 'provide': {
      const { action: _a, ...body } = c
      return { method: 'POST', path: '/api/compute/provider', body }
    }
    case 'stop': return { method: 'POST', path: '/api/compute/provider/stop', body: c.backend !== undefined ? { backend: c.backend } : {} }
    case 'embed': return { method: 'POST', path: '/api/ai/embed', body: { texts: c.texts, maxPrice: c.maxPrice } }
  }
}

// ---- Storage page (the node's storage routes, src/node/api/routes/storage.ts; amounts in tokens) ----

export type StoredFileJson = import('../../src/node/storage-market').StoredFileView
export interface HostedJson { cid: string, owner: string, size: number, end: string, total: number }
export interface StorageListJson { files: StoredFileJson[], hosting: HostedJson[] }

/** What the Storage page asks of the storage market: JSON calls, and the two streamed (NDJSON) ones. */
export type StorageCall =
  | { action: 'list' }
  | { action: 'offer', capacityMb: number, pricePerMbDay: number }
  | { action: 'withdraw' }
export type StorageStreamCall =
  | { action: 'put', path: string, replicas?: number, maxPrice?: number }
  | { action: 'get', cid: string }

export function storageRoute (c: StorageCall | StorageStreamCall): { method: 'GET' | 'POST', path: string, body?: unknown } {
  switch (c.action) {
    case 'list': return { method: 'GET', path: '/api/storage/list' }
    case 'offer': return { method: 'POST', path: '/api/storage/offer', body: { capacityMb: c.capacityMb, pricePerMbDay: c.pricePerMbDay } }
    case 'withdraw': return { method: 'POST', path: '/api/storage/withdraw', body: {} }
    case 'put': return { method: 'POST', path: '/api/storage/put', body: { path: c.path, ...(c.replicas !== undefined ? { replicas: c.replicas } : {}), ...(c.maxPrice !== undefined ? { maxPrice: c.maxPrice } : {}) } }
    case 'get': return { method: 'POST', path: '/api/storage/get', body: { cid: c.cid } }
  }
}
