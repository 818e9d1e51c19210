// The web UI's typed protocol, shared by the page (both hosts) and the VS Code extension host.
// Results, search updates, status, peers and topology are the node's own types (`import type` through
// src/node/index.ts, erased from the bundle); the install reference and the CID test are the node's one
// dependency-free implementation (src/node/search/view.ts), bundled into the page.
import type { BootstrapReport, HistoryEntry, LogRecord, MeshStatus, PeerSummary, SearchUpdate, Topology } from '../../src/node'

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
