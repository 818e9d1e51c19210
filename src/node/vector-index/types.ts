import type { AppendLogRecovery } from '../storage'
import type { ScanKernel } from './matrix'
import type { VectraExportResult, VectraImportOptions, VectraImportResult } from './vectra'

export type Location = 'local' | 'remote'

/** Attributes used by search filters. */
export interface EntryAttrs {
  /** e.g. 'lora', 'persona'. */
  kind?: string
  /** e.g. 'meta-llama/Meta-Llama-3-8B-Instruct'. */
  baseModel?: string
  specializations?: string[]
  /** Average rating (0–5). */
  rating?: number
  /** Price in credits; absent means free. */
  price?: number
}

export interface IndexEntry {
  id: string
  /** Embedding; stored normalised (cosine similarity = dot product). */
  vector: ArrayLike<number>
  /** Keyword-searchable text: name, description, tags. */
  text: string
  attrs?: EntryAttrs
  location: Location
  /** Peer ids that can serve this entry (remote entries). */
  availableFrom?: string[]
  /** When a remote entry was cached (ms since epoch). */
  cachedAt?: number
  /** JSON-serialisable data returned with results, e.g. the adapter manifest. */
  payload?: unknown
}

/** An entry as stored: vector normalised, optional fields resolved. */
export interface StoredEntry {
  id: string
  vector: Float32Array
  text: string
  attrs: EntryAttrs
  location: Location
  availableFrom?: string[]
  cachedAt?: number
  payload: unknown
}

export interface SearchFilters {
  /** Any of these kinds (case-insensitive). */
  kind?: string | string[]
  /** Any of these base models (case-insensitive). */
  baseModel?: string | string[]
  /** Has at least one of these specializations (case-insensitive). */
  specialization?: string | string[]
  /** Rating at least this; entries without a rating are excluded. */
  minRating?: number
  /** Price at most this; entries without a price count as free. */
  maxPrice?: number
  location?: Location
}

export type Fusion = 'rrf' | 'weighted'

export interface SearchQuery {
  /** Query embedding (required unless `text` is given). */
  vector?: ArrayLike<number>
  /** Keywords for BM25; fused with the vector ranking when both are given. */
  text?: string
  /** @default 10 */
  k?: number
  filters?: SearchFilters
  /** Drop results whose cosine similarity is below this. @default no threshold */
  minSimilarity?: number
  /** How vector and keyword rankings are combined. @default the index's `fusion` */
  fusion?: Fusion
  /**
   * Put entries whose text contains the (short) query verbatim, as a whole phrase, first: someone typing
   * a name or a tag. @default true
   */
  exactPhrase?: boolean
  /**
   * Re-score the vector side with the query moved towards its best hits (pseudo-relevance feedback), for
   * hybrid queries with no exact name/tag match. `similarity` stays the original query's cosine. @default true
   */
  feedback?: boolean
}

export interface SearchResult {
  id: string
  /** Cosine similarity as shown to users: 0–1, negatives clamped to 0 (0 when no query vector). */
  similarity: number
  /** Ranking score (the similarity for pure vector search, the fused score for hybrid search). */
  score: number
  location: Location
  availableFrom?: string[]
  payload: unknown
}

export interface VectorIndexInit {
  /** Data directory (created if missing; locked while open). */
  dir: string
  /** @default 384 */
  dimensions?: number
  /**
   * Remote entries kept before the least recently used is evicted (local entries are never evicted).
   * @default 10_000 (at most 100_000)
   */
  remoteCapacity?: number
  /** Force a scan kernel (tests, benchmarks). @default 'wasm-simd' when available, else 'js' */
  kernel?: ScanKernel
  /**
   * With WASM SIMD, keep int8 codes of every vector (+25% memory) and scan those first; the rows that
   * could be in the top k are then re-scored in f32, so results stay exact. @default true
   */
  quantised?: boolean
  /** Default fusion for hybrid search (weighted measured better on the demo catalog; see bench/README.md). @default 'weighted' */
  fusion?: Fusion
  /** Compact when the log has more than this many records per live entry. @default 2 */
  compactRatio?: number
}

export interface VectorIndex {
  readonly dir: string
  readonly dimensions: number
  readonly remoteCapacity: number
  readonly kernel: ScanKernel
  /** What opening had to repair in the log (null when it was intact). */
  readonly recovery: AppendLogRecovery | null
  /** Entries in the index. */
  readonly size: number
  /** Bytes held by the vector matrix (f32 rows, int8 codes) and its scratch space. */
  readonly vectorBytes: number
  /** Diagnostics: rows the last vector scan re-scored exactly after the int8 prefilter. */
  readonly rescored: number
  /** Inserts or replaces an entry; resolves once it is durable. Evicts least recently used remote entries beyond the cap. */
  upsert: (entry: IndexEntry, options?: { signal?: AbortSignal }) => Promise<void>
  /** Many upserts, persisted with one write + fsync. */
  upsertMany: (entries: Iterable<IndexEntry>, options?: { signal?: AbortSignal }) => Promise<void>
  /** Removes an entry; resolves to whether it existed. */
  delete: (id: string, options?: { signal?: AbortSignal }) => Promise<boolean>
  get: (id: string) => StoredEntry | undefined
  has: (id: string) => boolean
  /** Ids of every entry (a snapshot). */
  allIds: () => string[]
  /** Number of entries, optionally only local or remote ones. */
  count: (location?: Location) => number
  /** Exact top-k search; see SearchQuery. Remote entries returned count as used for LRU. */
  search: (query: SearchQuery) => SearchResult[]
  /** Rewrites the log with only the live entries (also done automatically as the log grows). */
  compact: (options?: { signal?: AbortSignal }) => Promise<void>
  /** Imports a vectra LocalIndex folder (its index.json); entries are upserted. */
  importVectra: (folder: string, options?: VectraImportOptions) => Promise<VectraImportResult>
  /** Writes the index as a vectra LocalIndex folder (index.json), atomically. */
  exportVectra: (folder: string, options?: { signal?: AbortSignal, location?: Location }) => Promise<VectraExportResult>
  /** Flushes and releases the directory lock. Idempotent. */
  close: () => Promise<void>
}
