// The types of bounded flood search: what a search asks and yields, the engine's hooks and figures.
import type { AdapterManifest } from '../manifest'
import type { ForwardingStrategy, NeighbourProfiles } from './forwarding'
import type { FloodFrame, WireFilters } from './messages'

/** A query as peers see it. */
export interface FloodQuery {
  vector: Float32Array
  keywords: string[]
  filters: WireFilters
  /** Short hashes of results the origin already has. */
  skip: Set<string>
}

/** One of this node's own adapters that matches a query. */
export interface FloodHit { manifest: AdapterManifest, similarity: number }

/** A result found in the network. */
export interface NetworkResult {
  key: string
  manifest: AdapterManifest
  /** Cosine similarity to the query, recomputed by the origin from the signed embedding. */
  similarity: number
  /** Distance of the first peer that returned it. */
  hops: number
  /** The first peer that returned it. */
  sourcePeer: string
  /** Every peer that returned it. */
  availableFrom: string[]
}

export interface FloodBatch {
  /** Since the search (or its continuation) started. */
  elapsedMs: number
  /** Distance of the peer whose response made this batch. */
  hops: number
  results: NetworkResult[]
}

/** 'complete': every peer the request reached (within its hops) has answered. */
export type FloodEndReason = 'timeout' | 'early-stop' | 'complete' | 'aborted' | 'no-neighbours'

export interface FloodSummary {
  searchId: string
  /** Distinct results known to this search (including earlier rounds of a continued search). */
  total: number
  /** Distinct peers that answered (all rounds). */
  peersAnswered: number
  elapsedMs: number
  reason: FloodEndReason
  hops: number
  timeoutMs: number
  /** First network result after this many ms (this round), if any. */
  firstResultMs?: number
}

export interface FloodSearchOptions {
  /** User patience in ms, 1–30 s. @default 10000 */
  timeoutMs?: number
  /** Hops the request travels, 1–10. @default 3 */
  hops?: number
  /** Stop early once this many results are in and the best exceeds 0.9. @default 10 */
  minResults?: number
  /** Similarity results must reach. @default 0.3 */
  minSimilarity?: number
  signal?: AbortSignal
}

export interface FloodSearchQuery {
  vector: Float32Array
  /** The query text: its words travel as keywords for the peers' hybrid search. */
  text?: string
  keywords?: string[]
  filters?: Omit<WireFilters, 'minSimilarity'>
  /** Catalog keys the caller already shows (e.g. local results): never repeated by the network stream. */
  known?: Iterable<string>
}

export interface FloodEngineInit {
  self: string
  /** Peers requests may be forwarded to. */
  neighbours: () => string[]
  /** Answers a request from this node's own adapters (best first, at most `limit`). */
  answer: (query: FloodQuery, limit: number) => FloodHit[]
  /** Sends one frame; may reject (the engine counts it). */
  send: (peer: string, frame: FloodFrame) => Promise<void>
  /** Counts a dropped frame by reason. */
  onDrop: (reason: DropReason) => void
  /** A peer broke the protocol (malformed frame, forged path): the transport may disconnect it. */
  onMisbehaviour?: (peer: string, reason: DropReason) => void
  /** Verified network results, e.g. to cache them as remote catalog entries. */
  onResults?: (results: NetworkResult[]) => void
  /** Checks a manifest from the network. @default verifyManifest, memoised by content digest */
  verify?: (manifest: unknown) => Promise<AdapterManifest | undefined>
  /** Sees every frame received, before any check (tests). */
  tap?: (from: string, frame: unknown) => void
  /** @default 'smart' */
  strategy?: ForwardingStrategy
  /** @default 3 */
  fanout?: number
  /** @default 0.15 */
  exploreShare?: number
  /** @default 10 */
  requestsPerSecond?: number
  /** @default 200 */
  framesPerSecond?: number
  /** @default 8 */
  maxConcurrentSearches?: number
  profiles?: NeighbourProfiles
}

export type DropReason = 'malformed' | 'invalid' | 'rate-limited' | 'ttl' | 'forged-path' | 'stale' | 'unknown-request' | 'invalid-manifest' | 'send-failed' | 'route-full'

export interface FloodEngineStats {
  requestsProcessed: number
  duplicates: number
  forwarded: number
  responsesSent: number
  responsesRelayed: number
  framesSent: number
  /** Frames received and fully handled (dropped ones included). */
  framesHandled: number
  searchesStarted: number
  activeSearches: number
}
