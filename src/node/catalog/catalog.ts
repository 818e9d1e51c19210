// The adapter catalog: the model every search layer reads. It owns the vector index (own and
// installed adapters as `local`, adapters learned from peers as `remote`), embeds queries and
// manifests with the offline embedder, and signs what this node publishes. The CLI, the local API,
// gossip, flood search and the extension all go through it.
import { readFile, readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { Embedder } from '../embedding'
import { translateQuery, type Dictionaries, type QueryLanguage } from '../language'
import { openVectorIndex, type VectorIndex } from '../vector-index'
import type { IndexEntry, SearchFilters, StoredEntry } from '../vector-index/types'
import {
  buildUnsignedManifest, manifestEmbedding, manifestSearchText, readPeftFolder, signManifest, validateAdapterFields,
  verifyManifest, type AdapterFields, type AdapterManifest
} from '../manifest'
import { TypedEventEmitter } from 'main-event'
import type { AbortOptions } from '../util/abort'
import { errorMessage, type Logger } from '../util/logger'
import { DEFAULT_K, DEFAULT_REMOTE_CAPACITY, MAX_K, MAX_QUERY_CHARS, REMOTE_TTL_MS } from './constants'
import { ImportSourceError, InvalidQueryError } from './errors'

export interface CatalogInit {
  /** Folder of the vector index (locked while open). */
  dir: string
  privateKey: PrivateKey
  embedder: Embedder
  log: Logger
  /** Remote adapters kept (LRU beyond). @default 10000, at most 100000 */
  remoteCapacity?: number
  /** Bilingual dictionaries the user installed, consulted for query words the glossary lacks. @default none */
  dictionaries?: Dictionaries
}

export type Location = 'local' | 'remote'

/** What the index stores next to each vector. */
export interface CatalogPayload {
  manifest: AdapterManifest
}

export interface CatalogHit {
  /** Catalog key: `<publisher>/<id>`. */
  key: string
  manifest: AdapterManifest
  /** Cosine similarity to the query, 0–1. */
  similarity: number
  /** Fused hybrid score used for ranking. */
  score: number
  location: Location
  availableFrom: string[]
}

export interface SearchRequest {
  text: string
  k?: number
  filters?: SearchFilters
  minSimilarity?: number
}

export interface SearchOutcome {
  hits: CatalogHit[]
  /** The query was longer than the model window: only its start was embedded. */
  truncated: boolean
  /** The query embedding, reused by network search layers. */
  vector: Float32Array
  /** Detected language of the query; a Spanish, French or German query is searched in English words. */
  language: QueryLanguage
  /** The text that was embedded and keyword-searched: the query, or its English rendering. */
  searchText: string
  elapsedMs: number
  /** An import (e.g. the demo catalog at start) is still running: results may be missing. */
  loading?: CatalogLoading
}

/** Imports still running: how many of their adapters are embedded so far. */
export interface CatalogLoading { done: number, total: number }

export interface ImportProblem { line?: number, source: string, problems: string[] }
export interface ImportReport { imported: number, updated: number, unchanged: number, skipped: ImportProblem[] }
export interface ImportOptions extends AbortOptions {
  onProgress?: (done: number, total: number) => void
}

export function catalogKey (m: Pick<AdapterManifest, 'publisher' | 'id'>): string {
  return `${m.publisher}/${m.id}`
}

/** Newer release wins: by semantic version, then creation time. */
export function isNewer (a: AdapterManifest, b: AdapterManifest): boolean {
  const pa = a.version.split(/[.+-]/).slice(0, 3).map(Number)
  const pb = b.version.split(/[.+-]/).slice(0, 3).map(Number)
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] > pb[i]
  return a.createdAt > b.createdAt
}

export interface CatalogChange {
  key: string
  location: Location
  manifest: AdapterManifest
  /** 'imported' = new key, 'updated' = newer release (or moved to local). */
  change: 'imported' | 'updated'
}

export interface CatalogEvents {
  /** A new adapter or a newer release entered the catalog. */
  change: CustomEvent<CatalogChange>
  /** An entry left the catalog (expired or evicted remote entries, removals). */
  remove: CustomEvent<{ key: string }>
}

export interface RemoteOffer { manifest: AdapterManifest, fromPeer?: string }

/** Searches whose best local result reached this similarity count as cache hits. */
export const DEFAULT_HIT_SIMILARITY = 0.5

export class AdapterCatalog extends TypedEventEmitter<CatalogEvents> {
  private index?: VectorIndex
  readonly publisher: string
  private searches = 0
  private hits = 0
  /** Imports under way, so a search can say the catalog is still filling instead of "no match". */
  private readonly imports = new Set<CatalogLoading>()

  constructor (private readonly init: CatalogInit) {
    super()
    this.publisher = peerIdFromPrivateKey(init.privateKey).toString()
  }

  async open (options: AbortOptions = {}): Promise<void> {
    this.index = await openVectorIndex({ dir: this.init.dir, remoteCapacity: this.init.remoteCapacity ?? DEFAULT_REMOTE_CAPACITY }, options)
  }

  async close (): Promise<void> {
    await this.index?.close()
    this.index = undefined
  }

  private get idx (): VectorIndex {
    if (this.index === undefined) throw new Error('The catalog is not open')
    return this.index
  }

  get embedder (): Embedder { return this.init.embedder }

  count (location?: Location): number { return this.idx.count(location) }

  /** Imports under way (summed), or undefined when none runs. */
  loading (): CatalogLoading | undefined {
    if (this.imports.size === 0) return undefined
    const sum = { done: 0, total: 0 }
    for (const job of this.imports) { sum.done += job.done; sum.total += job.total }
    return sum
  }

  private async trackImport<T> (total: number, options: ImportOptions, run: (onProgress: (done: number) => void) => Promise<T>): Promise<T> {
    const job: CatalogLoading = { done: 0, total }
    this.imports.add(job)
    try {
      return await run(done => { job.done = Math.min(done, total); options.onProgress?.(done, total) })
    } finally {
      this.imports.delete(job)
    }
  }

  /** How many cached (remote) adapters each peer is known to host, without building the entries. */
  hostCounts (): Map<string, number> {
    const counts = new Map<string, number>()
    for (const e of this.entries()) {
      if (e.location !== 'remote') continue
      for (const peer of e.availableFrom ?? []) counts.set(peer, (counts.get(peer) ?? 0) + 1)
    }
    return counts
  }

  get (key: string): CatalogHit | undefined {
    const e = this.idx.get(key)
    return e === undefined ? undefined : toHit(e, 0, 0)
  }

  /** Every entry of one location (or all), newest first; with `limit`, only that many become hits (views that show a page). */
  list (location?: Location, options: { limit?: number } = {}): CatalogHit[] {
    const picked: StoredEntry[] = []
    for (const e of this.entries()) if (location === undefined || e.location === location) picked.push(e)
    const createdAt = (e: StoredEntry): string => (e.payload as CatalogPayload).manifest.createdAt
    picked.sort((a, b) => createdAt(b).localeCompare(createdAt(a)))
    return (options.limit === undefined ? picked : picked.slice(0, Math.max(0, options.limit))).map(e => toHit(e, 0, 0))
  }

  private * entries (): Iterable<StoredEntry> {
    for (const id of this.idx.allIds()) {
      const e = this.idx.get(id)
      if (e !== undefined) yield e
    }
  }

  /** Adds or updates one verified manifest. Returns what happened. */
  async put (manifest: AdapterManifest, location: Location, fromPeer?: string, options: AbortOptions = {}): Promise<'imported' | 'updated' | 'unchanged'> {
    const key = catalogKey(manifest)
    const existing = this.idx.get(key)
    const prev = existing?.payload as CatalogPayload | undefined
    // Never downgrade: an own/installed (local) entry stays local; an older release never replaces a newer one.
    const loc: Location = existing?.location === 'local' ? 'local' : location
    const availableFrom = mergePeers(existing?.availableFrom, fromPeer)
    if (prev !== undefined && !isNewer(manifest, prev.manifest)) {
      if (prev.manifest.version === manifest.version && sameList(availableFrom, existing?.availableFrom) && loc === existing?.location && loc === 'local') return 'unchanged'
      // Same release seen again: refresh who has it and when.
      await this.idx.upsert({ id: key, vector: existing!.vector, text: existing!.text, attrs: existing!.attrs, location: loc, availableFrom, cachedAt: Date.now(), payload: prev }, options)
      return 'unchanged'
    }
    await this.idx.upsert(toEntry(key, manifest, loc, availableFrom), options)
    const change = prev === undefined ? 'imported' : 'updated'
    this.safeDispatchEvent('change', { detail: { key, location: loc, manifest, change } })
    return change
  }

  /**
   * Caches many verified remote manifests with one durable write. Entries already held at the same
   * or a newer release only get `fromPeer` added to who has them. Returns how many were new or newer.
   */
  async putRemoteMany (offers: RemoteOffer[], options: AbortOptions = {}): Promise<number> {
    const entries = []
    const changes: CatalogChange[] = []
    const seen = new Set<string>()
    for (const { manifest, fromPeer } of offers) {
      const key = catalogKey(manifest)
      if (seen.has(key)) continue
      seen.add(key)
      const existing = this.idx.get(key)
      const prev = (existing?.payload as CatalogPayload | undefined)?.manifest
      if (prev !== undefined && !isNewer(manifest, prev)) {
        if (fromPeer !== undefined && existing!.location === 'remote' && !(existing!.availableFrom ?? []).includes(fromPeer)) {
          entries.push({ ...existing!, availableFrom: mergePeers(existing!.availableFrom, fromPeer), cachedAt: Date.now() })
        }
        continue
      }
      const loc: Location = existing?.location === 'local' ? 'local' : 'remote'
      entries.push(toEntry(key, manifest, loc, mergePeers(existing?.availableFrom, fromPeer)))
      changes.push({ key, location: loc, manifest, change: prev === undefined ? 'imported' : 'updated' })
    }
    if (entries.length > 0) await this.idx.upsertMany(entries, options)
    for (const c of changes) this.safeDispatchEvent('change', { detail: c })
    return changes.length
  }

  /** Marks remote entries as seen again (re-announced) so they do not expire; skips recently refreshed ones. */
  async refreshRemote (keys: string[], fromPeer: string | undefined, minAgeMs = 60 * 60_000, options: AbortOptions = {}): Promise<number> {
    const now = Date.now()
    const entries = []
    for (const key of keys) {
      const e = this.idx.get(key)
      if (e === undefined || e.location !== 'remote') continue
      const fresh = now - (e.cachedAt ?? 0) < minAgeMs
      const knownPeer = fromPeer === undefined || (e.availableFrom ?? []).includes(fromPeer)
      if (fresh && knownPeer) continue
      entries.push({ ...e, availableFrom: mergePeers(e.availableFrom, fromPeer), cachedAt: now })
    }
    if (entries.length > 0) await this.idx.upsertMany(entries, options)
    return entries.length
  }

  /** Builds, embeds and signs manifests for adapter fields this node publishes. */
  async publishFields (fields: AdapterFields[], options: ImportOptions = {}): Promise<AdapterManifest[]> {
    const texts = fields.map(f => manifestSearchText(f))
    const vectors = await this.init.embedder.embed(texts, { signal: options.signal, onProgress: options.onProgress })
    const out: AdapterManifest[] = []
    for (let i = 0; i < fields.length; i++) {
      const unsigned = buildUnsignedManifest({ ...fields[i], embedding: vectors[i], publisher: this.publisher, createdAt: fields[i].createdAt })
      out.push(await signManifest(unsigned, this.init.privateKey, options))
    }
    return out
  }

  /**
   * Imports a JSONL file (lines of adapter fields, which this node signs as publisher, or signed
   * manifests, which are verified) or a folder of PEFT adapters (each sub-folder, or the folder itself).
   * Bad lines are reported with their numbers and skipped; the rest is imported.
   */
  async import (source: string, options: ImportOptions = {}): Promise<ImportReport> {
    let st
    try {
      st = await stat(source)
    } catch (err) {
      throw new ImportSourceError(`Cannot read ${source} (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}): check the path`)
    }
    return st.isDirectory() ? this.importPeftFolders(source, options) : this.importJsonl(await readFile(source, 'utf8'), source, options)
  }

  async importJsonl (text: string, source: string, options: ImportOptions = {}): Promise<ImportReport> {
    const report: ImportReport = { imported: 0, updated: 0, unchanged: 0, skipped: [] }
    const toPublish: Array<{ line: number, fields: AdapterFields }> = []
    const signed: Array<{ line: number, manifest: AdapterManifest }> = []
    const lines = text.split('\n')
    for (let i = 0; i < lines.length; i++) {
      const raw = lines[i].trim()
      if (raw === '') continue
      let value: unknown
      try {
        value = JSON.parse(raw)
      } catch {
        report.skipped.push({ line: i + 1, source, problems: ['not valid JSON'] })
        continue
      }
      if (typeof value === 'object' && value !== null && 'signature' in value) {
        const check = await verifyManifest(value, options)
        if (check.ok) signed.push({ line: i + 1, manifest: check.manifest })
        else report.skipped.push({ line: i + 1, source, problems: check.problems })
        continue
      }
      // An unsigned line may carry an embedding of its own; this node recomputes it from the text.
      const { embedding: _e, publisher: _p, manifestVersion: _v, ...rest } = value as Record<string, unknown>
      const check = validateAdapterFields(rest)
      if (check.ok) toPublish.push({ line: i + 1, fields: check.fields })
      else report.skipped.push({ line: i + 1, source, problems: check.problems })
    }
    // Only embed and sign what is new or changed: re-importing the same file is cheap.
    const fresh = toPublish.filter(({ fields }) => {
      const prev = (this.idx.get(`${this.publisher}/${fields.id}`)?.payload as CatalogPayload | undefined)?.manifest
      if (prev !== undefined && prev.version === fields.version && prev.description === fields.description && prev.name === fields.name) {
        report.unchanged++
        return false
      }
      return true
    })
    const total = fresh.length + signed.length
    return this.trackImport(total, options, async progress => {
      const manifests = await this.publishFields(fresh.map(f => f.fields), { signal: options.signal, onProgress: progress })
      for (const m of manifests) count(report, await this.put(m, 'local', undefined, options))
      for (const s of signed) {
        const own = s.manifest.publisher === this.publisher
        count(report, await this.put(s.manifest, own ? 'local' : 'remote', own ? undefined : s.manifest.publisher, options))
      }
      progress(total)
      return report
    })
  }

  private async importPeftFolders (dir: string, options: ImportOptions): Promise<ImportReport> {
    const report: ImportReport = { imported: 0, updated: 0, unchanged: 0, skipped: [] }
    const candidates: string[] = []
    const names = await readdir(dir, { withFileTypes: true })
    if (names.some(n => n.name === 'adapter_config.json')) candidates.push(dir)
    else for (const n of names) if (n.isDirectory()) candidates.push(path.join(dir, n.name))
    const fields: AdapterFields[] = []
    for (const c of candidates) {
      try {
        fields.push((await readPeftFolder(c, options)).fields)
      } catch (err) {
        report.skipped.push({ source: c, problems: (err as { problems?: string[] }).problems ?? [errorMessage(err)] })
      }
    }
    return this.trackImport(fields.length, options, async progress => {
      for (const m of await this.publishFields(fields, { signal: options.signal, onProgress: progress })) count(report, await this.put(m, 'local', undefined, options))
      return report
    })
  }

  /** Local-first semantic search (vector + BM25 keywords) over own and cached adapters. */
  async search (req: SearchRequest, options: AbortOptions = {}): Promise<SearchOutcome> {
    const text = req.text.trim()
    if (text === '') throw new InvalidQueryError('The query is empty: describe what you are building, e.g. "a vineyard management assistant"')
    if (text.length > MAX_QUERY_CHARS) throw new InvalidQueryError(`The query is ${text.length} characters long; keep it under ${MAX_QUERY_CHARS}`)
    const started = performance.now()
    // The embedder is English-only: other languages are searched in English words (glossary translation).
    const { language, text: searchText } = translateQuery(text, this.init.dictionaries)
    const res = await this.init.embedder.embedDetailed([searchText], { signal: options.signal })
    const vector = res.vectors[0]
    const hits = this.searchVector(vector, searchText, req)
    this.searches++
    if ((hits[0]?.similarity ?? 0) >= (req.minSimilarity ?? DEFAULT_HIT_SIMILARITY)) this.hits++
    const loading = this.loading()
    return { hits, truncated: res.truncated[0], vector, language, searchText, elapsedMs: performance.now() - started, ...(loading !== undefined ? { loading } : {}) }
  }

  /** Search with a precomputed query vector (flood requests carry one). */
  searchVector (vector: ArrayLike<number>, text: string | undefined, req: Omit<SearchRequest, 'text'>): CatalogHit[] {
    const k = Math.min(Math.max(1, req.k ?? DEFAULT_K), MAX_K)
    return this.idx.search({ vector, text, k, filters: req.filters, minSimilarity: req.minSimilarity })
      .map(r => {
        const payload = r.payload as CatalogPayload
        return { key: r.id, manifest: payload.manifest, similarity: r.similarity, score: r.score, location: r.location, availableFrom: r.availableFrom ?? [] }
      })
  }

  /** Drops remote entries not seen for `ttlMs` (default 24 h). */
  async expireRemote (ttlMs = REMOTE_TTL_MS, now = Date.now()): Promise<number> {
    const stale = [...this.entries()].filter(e => e.location === 'remote' && (e.cachedAt ?? 0) < now - ttlMs).map(e => e.id)
    for (const id of stale) {
      await this.idx.delete(id)
      this.safeDispatchEvent('remove', { detail: { key: id } })
    }
    return stale.length
  }

  /** Whether this exact release is held. */
  hasRelease (key: string, version: string): boolean {
    const p = this.idx.get(key)?.payload as CatalogPayload | undefined
    return p?.manifest.version === version
  }

  /**
   * Local-first search statistics: a search is a cache hit when its best local result reached the
   * similarity asked for (default 0.5), so the network was not needed.
   */
  searchStats (): { searches: number, hits: number, hitRate: number | null } {
    return { searches: this.searches, hits: this.hits, hitRate: this.searches === 0 ? null : this.hits / this.searches }
  }
}

function toEntry (key: string, manifest: AdapterManifest, location: Location, availableFrom: string[]): IndexEntry {
  return {
    id: key,
    vector: manifestEmbedding(manifest),
    text: manifestSearchText(manifest),
    attrs: { kind: manifest.kind, baseModel: manifest.baseModel, specializations: manifest.specializations, rating: manifest.metrics.rating, price: manifest.price },
    location,
    availableFrom,
    cachedAt: Date.now(),
    payload: { manifest } satisfies CatalogPayload
  }
}

function toHit (e: StoredEntry, similarity: number, score: number): CatalogHit {
  return { key: e.id, manifest: (e.payload as CatalogPayload).manifest, similarity, score, location: e.location, availableFrom: e.availableFrom ?? [] }
}

function mergePeers (existing: string[] | undefined, peer: string | undefined): string[] {
  const set = new Set(existing ?? [])
  if (peer !== undefined) set.add(peer)
  return [...set].slice(-32)
}

function sameList (a: string[] | undefined, b: string[] | undefined): boolean {
  return (a ?? []).join(',') === (b ?? []).join(',')
}

function count (r: ImportReport, what: 'imported' | 'updated' | 'unchanged'): void { r[what]++ }
