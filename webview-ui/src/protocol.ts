// The web UI's typed protocol, shared by the page (both hosts) and the VS Code extension host.
// It mirrors the local API's wire shapes (src/node/api) so the page can talk to either host the same way.
// No imports: this file is bundled into the browser page and into the extension.

/** One search result as the API sends it (`toResult` in src/node/api/genome-routes.ts). */
export interface AdapterResult {
  key: string
  id: string
  name: string
  version: string
  description: string
  kind: string
  baseModel: string
  specializations: string[]
  capabilities: string[]
  domain?: string
  price: number
  rating?: number
  downloads: number
  contentHash: string
  publisher: string
  similarity: number
  score: number
  location: 'local' | 'remote'
  availableFrom: string[]
}

export interface SearchRequest {
  query: string
  /** Ask peers too (flood search) when the node runs it. */
  network: boolean
  /** User patience, 1–30 s. */
  timeoutMs: number
  hops: number
  k?: number
}

/** NDJSON records of `POST /api/search`. */
export type SearchRecord =
  | { type: 'local', results: AdapterResult[], truncated: boolean, elapsedMs: number, loading?: { done: number, total: number } }
  | { type: 'batch', results: AdapterResult[], elapsedMs: number, hops?: number, from?: string }
  | { type: 'done', total: number, peersAnswered: number, elapsedMs: number, network: boolean }
  | { type: 'error', error: ApiErrorBody }

export interface ApiErrorBody { name: string, message: string }

export interface StrategyReportView { name?: string, strategy?: string, [k: string]: unknown }

export interface BootstrapReportView {
  startedAt: number
  finishedAt: number
  connectedPeers: number
  lines: string[]
}

/** The parts of `GET /api/status` the UI reads. */
export interface MeshStatusView {
  peerId: string
  addresses: string[]
  announce: string[]
  uptimeMs: number
  connectedPeers: number
  neighbours: string[]
  maxNeighbours: number
  bootstrap: BootstrapReportView | null
  dropped: Record<string, Record<string, number>>
  catalog: { local: number, remote: number }
  features: Record<string, unknown>
}

export interface PeerView {
  peerId: string
  addresses: string[]
  direction: 'inbound' | 'outbound'
  neighbour: boolean
  openedAt: number
  latencyMs?: number
}

export interface TopologyView {
  self: string
  neighbours: Array<{ peerId: string, neighbours: string[] | null, error?: string }>
}

/** Live node events (the API's server-sent events, or forwarded by the extension host). */
export type NodeEvent =
  | { type: 'peer:connect', data: { peerId: string } }
  | { type: 'peer:disconnect', data: { peerId: string } }
  | { type: 'neighbours:change', data: { neighbours: string[] } }
  | { type: 'bootstrap', data: BootstrapReportView }
  | { type: 'log', data: { time: number, level: string, component: string, message: string } }

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

/** CIDv0 (`Qm…`) or base32 CIDv1 (`b…`); a `sha256-…` content hash is not one. */
export function isCid (s: string): boolean {
  return /^(?:Qm[1-9A-HJ-NP-Za-km-z]{44}|b[a-z2-7]{58,120})$/.test(s)
}

/** The install reference of a result (its CID, else `publisher/id@version`): the node's own formatter. */
export { installRef } from '../../src/node/content/ref'

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

/** One entry of `GET /api/wallet/history` (amounts in tokens). */
export interface WalletHistoryEntry {
  seq: number
  kind: string
  time: number
  delta: number
  balance: number
  counterparty?: string
  memo?: string
  contentId?: string
  reason?: string
}

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

export type RequestMethod = 'status' | 'peers' | 'topology' | 'search' | 'install' | 'publish' | 'wallet' | 'pickFolder'

/** Page → host. */
export type WebviewMessage =
  | { type: 'request', id: number, method: 'status' | 'peers' | 'topology' | 'wallet' | 'pickFolder' }
  | { type: 'request', id: number, method: 'search', params: SearchRequest }
  | { type: 'request', id: number, method: 'install', params: InstallRequest }
  | { type: 'request', id: number, method: 'publish', params: PublishRequest }
  | { type: 'cancel', id: number }
  | { type: 'ready' }

/** Host → page. */
export type HostMessage =
  | { type: 'response', id: number, result: unknown }
  | { type: 'record', id: number, record: unknown }
  | { type: 'error', id: number, error: ApiErrorBody }
  | { type: 'event', event: NodeEvent }
  | { type: 'connection', connection: ConnectionState }
