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
