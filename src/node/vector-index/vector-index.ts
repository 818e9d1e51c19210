// The adapter index: exact top-k cosine search over normalised vectors (WASM SIMD scan), attribute filters,
// BM25 keyword search fused with the vector ranking, a bounded LRU cache of remote entries, and
// crash-safe persistence through the storage append log.
import { randomBytes } from 'node:crypto'
import { readdir, unlink } from 'node:fs/promises'
import path from 'node:path'
import { lockDirectory, openAppendLog, writeFileAtomic, type AppendLog, type AppendLogRecovery, type DirectoryLock } from '../storage'
import { decodeRecord, encodeDelete, encodeHeader, encodeSnapshotRef, encodeUpsert, FORMAT, OP_DELETE, OP_HEADER, OP_SNAPSHOT, OP_UPSERT, type EntryMeta } from './codec'
import {
  COMPACT_MIN_GARBAGE, COMPACT_RATIO, DEFAULT_DIMENSIONS, DEFAULT_REMOTE_CAPACITY, FEEDBACK_DOCS, FEEDBACK_WEIGHT, FUSION_CANDIDATES,
  INITIAL_CAPACITY, KEYWORD_BUILD_SLICE, KEYWORD_WEIGHT, LOG_FILE_NAME, LONG_QUERY_WORDS, MAX_ID_LENGTH, MAX_REMOTE_CAPACITY, RRF_K,
  SNAPSHOT_MIN_RECORDS
} from './constants'
import { IndexClosedError, InvalidEntryError, VectorDimensionError } from './errors'
import { TopK } from './heap'
import { KeywordIndex } from './keyword'
import { VectorMatrix, type ScanKernel } from './matrix'
import { encodeSnapshot, readSnapshot, SNAPSHOTS_SUPPORTED, type LoadedSnapshot, type SnapshotState } from './snapshot'
import type { EntryAttrs, Fusion, IndexEntry, Location, SearchFilters, SearchQuery, SearchResult, StoredEntry } from './types'
import { exportVectraFolder, importVectraFolder, type VectraExportResult, type VectraImportOptions, type VectraImportResult } from './vectra'

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

/** Per-slot data that filters do not need on the hot path. */
interface SlotMeta {
  /** The entry's persisted meta JSON (EntryMeta); text, attributes and payload are parsed from it on demand. */
  readonly json: string
  /** Interned specialization codes, for the specialization filter. */
  specs: number[]
  availableFrom?: string[]
}

/** A slot loaded from a snapshot: its meta JSON is decoded from the snapshot's bytes when first read. */
class SnapshotSlotMeta implements SlotMeta {
  private decoded: string | undefined
  constructor (private readonly bytes: Buffer, private readonly start: number, private readonly end: number,
    readonly specs: number[], readonly availableFrom?: string[]) {}

  get json (): string {
    this.decoded ??= this.bytes.toString('utf8', this.start, this.end)
    return this.decoded
  }
}

const NONE = 0

function clamp01 (x: number): number {
  return x <= 0 ? 0 : x >= 1 ? 1 : x
}

function asList (v: string | string[] | undefined): string[] | undefined {
  return v == null ? undefined : Array.isArray(v) ? v : [v]
}

/** Opens (creating if needed) the index in `init.dir`: takes the directory lock, replays and repairs the log. */
export async function openVectorIndex (init: VectorIndexInit, options: { signal?: AbortSignal } = {}): Promise<VectorIndex> {
  const dimensions = init.dimensions ?? DEFAULT_DIMENSIONS
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 65536) throw new RangeError(`dimensions must be an integer in 1..65536, got ${dimensions}`)
  const remoteCapacity = init.remoteCapacity ?? DEFAULT_REMOTE_CAPACITY
  if (!Number.isInteger(remoteCapacity) || remoteCapacity < 0 || remoteCapacity > MAX_REMOTE_CAPACITY) throw new RangeError(`remoteCapacity must be an integer in 0..${MAX_REMOTE_CAPACITY}, got ${remoteCapacity}`)
  options.signal?.throwIfAborted()
  const lock = await lockDirectory(init.dir, options)
  try {
    const { log, records, recovery } = await openAppendLog(path.join(init.dir, LOG_FILE_NAME), {}, options)
    try {
      const index = new VectorIndexImpl(init, dimensions, remoteCapacity, lock, log, recovery)
      // The state up to the last snapshot reference is in that file; only the records after it replay.
      let start = 0
      let snapshot: LoadedSnapshot | null = null
      for (let i = records.length - 1; i >= 0; i--) {
        if (records[i][0] !== OP_SNAPSHOT) continue
        const ref = decodeRecord(records[i], dimensions)
        if (ref.op !== OP_SNAPSHOT) break
        snapshot = await readSnapshot(path.join(init.dir, ref.file), options)
        index.snapshotFile = ref.file
        start = i + 1
        break
      }
      await removeStaleSnapshots(init.dir, index.snapshotFile)
      const evicted = index.replay(records, snapshot, start)
      if (log.count === 0) await log.append(encodeHeader(dimensions), options)
      // Persist evictions caused by a lowered cap, so raising it again does not bring them back.
      if (evicted.length > 0) await log.appendMany(evicted.map(encodeDelete), options)
      return index
    } catch (err) {
      await log.close()
      throw err
    }
  } catch (err) {
    await lock.release()
    throw err
  }
}

class VectorIndexImpl implements VectorIndex {
  readonly dir: string
  readonly kernel: ScanKernel
  private readonly matrix: VectorMatrix
  private n = 0
  private slotCap = 0
  private ids: string[] = []
  private metas: SlotMeta[] = []
  private readonly slotOf = new Map<string, number>()
  // Filter attributes per slot, in typed arrays so a filter check is a couple of array reads.
  private kindCode = new Int32Array(0)
  private baseCode = new Int32Array(0)
  private rating = new Float32Array(0)
  private price = new Float32Array(0)
  private loc = new Uint8Array(0) // 0 local, 1 remote
  private readonly codes = new Map<string, number>()
  /** Remote ids, least recently used first (a Map keeps insertion order; touch = delete + set). */
  private readonly lru = new Map<string, true>()
  private remotes = 0
  private readonly keyword = new KeywordIndex()
  /** Ids replayed at open whose text is not yet in the keyword index (indexed in the background). */
  private keywordBacklog: string[] = []
  private keywordTimer: NodeJS.Timeout | null = null
  private replaying = false
  /** Snapshot file the log refers to (null: none). */
  snapshotFile: string | null = null
  /** While a snapshot is written: log records appended since its state was taken (they follow its reference). */
  private sinceSnapshot: Uint8Array[] | null = null
  private readonly fusion: Fusion
  private readonly compactRatio: number
  private compacting: Promise<void> | null = null
  private closed = false
  /** Rows re-scored exactly by the last quantised vector scan (diagnostics). */
  rescored = 0

  constructor (init: VectorIndexInit, readonly dimensions: number, readonly remoteCapacity: number, private readonly lock: DirectoryLock,
    private readonly log: AppendLog, readonly recovery: AppendLogRecovery | null) {
    this.dir = init.dir
    this.matrix = new VectorMatrix(dimensions, INITIAL_CAPACITY, init.kernel, init.quantised ?? true)
    this.kernel = this.matrix.kernel
    this.fusion = init.fusion ?? 'weighted'
    this.compactRatio = init.compactRatio ?? COMPACT_RATIO
    this.growSlots(this.matrix.capacity)
  }

  get size (): number { return this.n }
  get vectorBytes (): number { return this.matrix.bytes }

  // ---- replay -------------------------------------------------------------------------------------------

  /** Applies the log's records; returns the ids evicted because the cap is now lower than when they were written. */
  replay (records: Uint8Array[], snapshot: LoadedSnapshot | null = null, start = 0): string[] {
    const scratch = new Float32Array(this.dimensions)
    this.replaying = true
    try {
      if (records.length > 0) this.replayRecords(records.slice(0, 1), scratch) // the header: format and dimensions
      if (snapshot != null) this.loadSnapshot(snapshot)
      this.replayRecords(records.slice(Math.max(1, start)), scratch)
    } finally {
      this.replaying = false
    }
    // Keyword postings are built after open, in slices between other work, so opening stays fast and the
    // first text query only finishes what is left (instead of building a whole index on the spot).
    this.keywordBacklog = this.ids.slice(0, this.n).reverse()
    this.scheduleKeywordBuild()
    // Replay applies the same cap (evictions were logged as deletes, but the cap may have been lowered).
    return this.evict()
  }

  private replayRecords (records: Uint8Array[], scratch: Float32Array): void {
    for (const rec of records) {
      const r = decodeRecord(rec, this.dimensions, scratch)
      if (r.op === OP_HEADER) {
        if (r.format !== FORMAT) throw new InvalidEntryError(`${this.dir} holds a ${r.format} log, not a vector index`)
        if (r.dimensions !== this.dimensions) throw new VectorDimensionError(r.dimensions, this.dimensions, 'the index was created with other dimensions; the requested index')
      } else if (r.op === OP_UPSERT) {
        this.apply(JSON.parse(r.metaJson) as EntryMeta, r.vector, r.metaJson)
      } else if (r.op === OP_DELETE) {
        this.remove(r.id)
      }
      // An older snapshot reference (before the last one) is skipped with the records around it.
    }
  }

  private loadSnapshot (s: LoadedSnapshot): void {
    if (s.dimensions !== this.dimensions) throw new VectorDimensionError(s.dimensions, this.dimensions, 'the index snapshot was written with other dimensions; the requested index')
    const n = s.n
    this.matrix.loadRows(n, s.rows, s.stride, s.rowsI8 != null ? { rowsI8: s.rowsI8, strideI8: s.strideI8, scales: s.scales, errors: s.errors } : null)
    this.growSlots(this.matrix.capacity)
    this.kindCode.set(s.kindCode)
    this.baseCode.set(s.baseCode)
    this.rating.set(s.rating)
    this.price.set(s.price)
    this.loc.set(s.loc)
    s.codes.forEach((c, i) => this.codes.set(c, i + 1))
    const from = new Map(s.availableFrom)
    for (let i = 0; i < n; i++) {
      const id = s.ids[i]
      this.ids[i] = id
      this.slotOf.set(id, i)
      const specs = Array.from(s.specs.subarray(s.specOffsets[i], s.specOffsets[i + 1]))
      this.metas[i] = new SnapshotSlotMeta(s.metas, i === 0 ? 0 : s.metaEnds[i - 1], s.metaEnds[i], specs, from.get(i))
      if (s.loc[i] === 1) this.remotes++
    }
    for (const slot of s.lru) this.lru.set(s.ids[slot], true)
    this.n = n
  }

  private snapshotState (): SnapshotState {
    const n = this.n
    const { rows, rowsI8 } = this.matrix.view(n)
    const availableFrom: Array<[number, string[]]> = []
    for (let i = 0; i < n; i++) { const af = this.metas[i].availableFrom; if (af != null) availableFrom.push([i, af]) }
    return {
      dimensions: this.dimensions,
      n,
      stride: this.matrix.stride,
      strideI8: this.matrix.strideI8,
      quantised: this.matrix.quantised,
      rows,
      rowsI8,
      scales: this.matrix.scales,
      errors: this.matrix.errors,
      rating: this.rating,
      price: this.price,
      kindCode: this.kindCode,
      baseCode: this.baseCode,
      loc: this.loc,
      codes: [...this.codes.keys()],
      ids: this.ids.slice(0, n),
      metaJson: this.metas.slice(0, n).map(m => m.json),
      specs: this.metas.slice(0, n).map(m => m.specs),
      availableFrom,
      lru: Int32Array.from(this.lru.keys(), id => this.slotOf.get(id)!)
    }
  }

  private scheduleKeywordBuild (): void {
    if (this.keywordTimer != null || this.keywordBacklog.length === 0 || this.closed) return
    this.keywordTimer = setTimeout(() => {
      this.keywordTimer = null
      this.indexBacklog(KEYWORD_BUILD_SLICE)
      this.scheduleKeywordBuild()
    }, 0)
    this.keywordTimer.unref()
  }

  /** Indexes up to `max` backlog entries (their current text; entries upserted since open are already in). */
  private indexBacklog (max: number): void {
    const backlog = this.keywordBacklog
    for (let i = 0; i < max && backlog.length > 0; i++) {
      const id = backlog.pop()!
      const slot = this.slotOf.get(id)
      if (slot != null && !this.keyword.has(id)) this.keyword.set(id, this.textOf(slot))
    }
  }

  // ---- writes -------------------------------------------------------------------------------------------

  async upsert (entry: IndexEntry, options?: { signal?: AbortSignal }): Promise<void> {
    await this.upsertMany([entry], options)
  }

  async upsertMany (entries: Iterable<IndexEntry>, options: { signal?: AbortSignal } = {}): Promise<void> {
    this.checkOpen()
    options.signal?.throwIfAborted()
    // Validate everything first so a bad entry rejects the whole batch without applying any of it.
    const prepared: Array<{ meta: EntryMeta, vector: Float32Array, metaJson: string }> = []
    for (const e of entries) prepared.push(this.prepare(e))
    const records: Uint8Array[] = []
    for (const p of prepared) {
      this.apply(p.meta, p.vector, p.metaJson)
      records.push(encodeUpsert(p.metaJson, p.vector))
    }
    for (const id of this.evict()) records.push(encodeDelete(id))
    if (this.sinceSnapshot != null) this.sinceSnapshot.push(...records)
    // Applied in memory first (searches see it at once, in call order); the promise settles when durable.
    await this.log.appendMany(records, options)
    this.maybeCompact()
  }

  async delete (id: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    this.checkOpen()
    options.signal?.throwIfAborted()
    if (!this.remove(id)) return false
    const rec = encodeDelete(id)
    this.sinceSnapshot?.push(rec)
    await this.log.append(rec, options)
    this.maybeCompact()
    return true
  }

  private checkOpen (): void {
    if (this.closed) throw new IndexClosedError()
  }

  private prepare (e: IndexEntry): { meta: EntryMeta, vector: Float32Array, metaJson: string } {
    if (e == null || typeof e !== 'object') throw new InvalidEntryError('entry must be an object')
    if (typeof e.id !== 'string' || e.id.length === 0 || e.id.length > MAX_ID_LENGTH) throw new InvalidEntryError(`entry id must be a string of 1..${MAX_ID_LENGTH} characters`)
    if (e.location !== 'local' && e.location !== 'remote') throw new InvalidEntryError(`entry ${e.id}: location must be 'local' or 'remote'`)
    if (e.text != null && typeof e.text !== 'string') throw new InvalidEntryError(`entry ${e.id}: text must be a string`)
    const vector = this.normalise(e.vector, `entry ${e.id}`)
    const attrs = cleanAttrs(e.attrs ?? {}, e.id)
    if (e.availableFrom != null && (!Array.isArray(e.availableFrom) || !e.availableFrom.every(p => typeof p === 'string'))) throw new InvalidEntryError(`entry ${e.id}: availableFrom must be an array of peer ids`)
    if (e.cachedAt != null && !Number.isFinite(e.cachedAt)) throw new InvalidEntryError(`entry ${e.id}: cachedAt must be a number`)
    const meta: EntryMeta = { id: e.id, text: e.text ?? '', attrs, location: e.location, payload: e.payload ?? null }
    if (e.availableFrom != null) meta.availableFrom = [...e.availableFrom]
    if (e.cachedAt != null) meta.cachedAt = e.cachedAt
    const metaJson = JSON.stringify(meta)
    if (metaJson === undefined) throw new InvalidEntryError(`entry ${e.id}: payload is not JSON-serialisable`)
    return { meta, vector, metaJson }
  }

  /** A normalised Float32 copy of `v`; throws on wrong length, non-finite values or a zero vector. */
  private normalise (v: ArrayLike<number> | undefined, what: string): Float32Array {
    if (v == null || typeof v.length !== 'number') throw new InvalidEntryError(`${what}: vector is required`)
    if (v.length !== this.dimensions) throw new VectorDimensionError(this.dimensions, v.length, what)
    const out = new Float32Array(this.dimensions)
    let ss = 0
    for (let i = 0; i < this.dimensions; i++) {
      const x = v[i]
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new InvalidEntryError(`${what}: vector has a non-finite value at ${i}`)
      out[i] = x
      ss += x * x
    }
    if (ss === 0) throw new InvalidEntryError(`${what}: vector is all zeros`)
    const inv = 1 / Math.sqrt(ss)
    for (let i = 0; i < this.dimensions; i++) out[i] *= inv
    return out
  }

  private code (s: string | undefined): number {
    if (s == null) return NONE
    const key = s.toLowerCase()
    let c = this.codes.get(key)
    if (c == null) {
      c = this.codes.size + 1
      this.codes.set(key, c)
    }
    return c
  }

  private growSlots (cap: number): void {
    if (cap <= this.slotCap) return
    const grow = <T extends Int32Array | Float32Array | Uint8Array>(old: T, make: (n: number) => T): T => { const a = make(cap); a.set(old); return a }
    this.kindCode = grow(this.kindCode, n => new Int32Array(n))
    this.baseCode = grow(this.baseCode, n => new Int32Array(n))
    this.rating = grow(this.rating, n => new Float32Array(n))
    this.price = grow(this.price, n => new Float32Array(n))
    this.loc = grow(this.loc, n => new Uint8Array(n))
    this.slotCap = cap
  }

  /** Puts an entry into memory (new slot or in place). */
  private apply (meta: EntryMeta, vector: Float32Array, json: string): void {
    let slot = this.slotOf.get(meta.id)
    if (slot == null) {
      slot = this.n++
      this.matrix.ensure(this.n)
      this.growSlots(this.matrix.capacity)
      this.slotOf.set(meta.id, slot)
      this.ids[slot] = meta.id
    } else if (this.loc[slot] === 1) {
      this.remotes--
    }
    this.matrix.set(slot, vector)
    const attrs = meta.attrs ?? {}
    this.kindCode[slot] = this.code(attrs.kind)
    this.baseCode[slot] = this.code(attrs.baseModel)
    this.rating[slot] = attrs.rating ?? NaN
    this.price[slot] = attrs.price ?? NaN
    const remote = meta.location === 'remote'
    this.loc[slot] = remote ? 1 : 0
    const specs: number[] = []
    if (attrs.specializations != null) for (const sp of attrs.specializations) specs.push(this.code(sp))
    this.metas[slot] = meta.availableFrom != null ? { json, specs, availableFrom: meta.availableFrom } : { json, specs }
    this.lru.delete(meta.id)
    if (remote) {
      this.remotes++
      this.lru.set(meta.id, true)
    }
    if (!this.replaying) this.keyword.set(meta.id, meta.text ?? '')
  }

  /** Removes an entry from memory, moving the last row into its slot so rows stay dense. */
  private remove (id: string): boolean {
    const slot = this.slotOf.get(id)
    if (slot == null) return false
    const last = this.n - 1
    if (this.loc[slot] === 1) this.remotes--
    if (slot !== last) {
      this.matrix.move(last, slot)
      const lastId = this.ids[last]
      this.ids[slot] = lastId
      this.slotOf.set(lastId, slot)
      this.metas[slot] = this.metas[last]
      this.kindCode[slot] = this.kindCode[last]
      this.baseCode[slot] = this.baseCode[last]
      this.rating[slot] = this.rating[last]
      this.price[slot] = this.price[last]
      this.loc[slot] = this.loc[last]
    }
    this.ids.length = last
    this.metas.length = last
    this.n = last
    this.slotOf.delete(id)
    this.lru.delete(id)
    this.keyword.remove(id)
    return true
  }

  /** Drops least recently used remote entries beyond the cap; returns their ids. */
  private evict (): string[] {
    const evicted: string[] = []
    while (this.remotes > this.remoteCapacity) {
      const oldest = this.lru.keys().next().value as string
      this.remove(oldest)
      evicted.push(oldest)
    }
    return evicted
  }

  // ---- reads --------------------------------------------------------------------------------------------

  allIds (): string[] {
    return this.ids.slice(0, this.n)
  }

  has (id: string): boolean {
    return this.slotOf.has(id)
  }

  get (id: string): StoredEntry | undefined {
    const slot = this.slotOf.get(id)
    if (slot == null) return undefined
    const m = JSON.parse(this.metas[slot].json) as EntryMeta
    const out: StoredEntry = {
      id,
      vector: this.matrix.get(slot),
      text: m.text,
      attrs: m.attrs ?? {},
      location: this.loc[slot] === 1 ? 'remote' : 'local',
      payload: m.payload ?? null
    }
    if (m.availableFrom != null) out.availableFrom = m.availableFrom
    if (m.cachedAt != null) out.cachedAt = m.cachedAt
    return out
  }

  count (location?: Location): number {
    if (location == null) return this.n
    return location === 'remote' ? this.remotes : this.n - this.remotes
  }

  /** A per-slot predicate for the filters, or null when nothing is filtered. */
  private compileFilter (f: SearchFilters | undefined): ((slot: number) => boolean) | null {
    if (f == null) return null
    const codeSet = (v: string | string[] | undefined): Int32Array | null => {
      const list = asList(v)
      if (list == null) return null
      // Unknown values get -1, which no slot carries.
      return Int32Array.from(list.map(s => this.codes.get(s.toLowerCase()) ?? -1))
    }
    const kinds = codeSet(f.kind)
    const bases = codeSet(f.baseModel)
    const specs = codeSet(f.specialization)
    const minRating = f.minRating
    const maxPrice = f.maxPrice
    const wantLoc = f.location == null ? -1 : f.location === 'remote' ? 1 : 0
    if (kinds == null && bases == null && specs == null && minRating == null && maxPrice == null && wantLoc < 0) return null
    const { kindCode, baseCode, rating, price, loc, metas } = this
    return (slot: number): boolean => {
      if (wantLoc >= 0 && loc[slot] !== wantLoc) return false
      if (kinds != null && !kinds.includes(kindCode[slot])) return false
      if (bases != null && !bases.includes(baseCode[slot])) return false
      if (minRating != null && !(rating[slot] >= minRating)) return false // NaN (no rating) fails
      if (maxPrice != null && price[slot] > maxPrice) return false // NaN (free) passes
      if (specs != null) {
        const have = metas[slot].specs
        let hit = false
        for (let i = 0; i < have.length && !hit; i++) hit = specs.includes(have[i])
        if (!hit) return false
      }
      return true
    }
  }

  /** Exact top `k` slots by cosine; the filter runs only for rows that would enter the heap. */
  /** Exact top `k` slots by cosine; the filter runs only for rows that could still make the top k. */
  private vectorTopK (q: Float32Array, k: number, accept: ((slot: number) => boolean) | null, minSimilarity: number): Array<{ slot: number, score: number }> {
    if (this.matrix.quantised) return this.vectorTopKQuantised(q, k, accept, minSimilarity)
    const scores = this.matrix.scan(q, this.n)
    const heap = new TopK(k)
    // One comparison rejects almost every row once the heap is full.
    let bar = minSimilarity
    for (let i = 0; i < scores.length; i++) {
      const s = scores[i]
      if (s < bar) continue
      if (accept != null && !accept(i)) continue
      heap.push(s, i)
      if (heap.full && heap.min > bar) bar = heap.min
    }
    return heap.sorted()
  }

  /**
   * Still exact, but reads a quarter of the memory: an int8 scan gives each row an interval that surely
   * holds its cosine (|q.v - approx| <= qNorm * err_v + qErr). The k-th best lower bound L is a floor for
   * the true k-th best score, so only rows whose upper bound reaches L can be in the top k; those few are
   * re-scored exactly in f32.
   */
  private vectorTopKQuantised (q: Float32Array, k: number, accept: ((slot: number) => boolean) | null, minSimilarity: number): Array<{ slot: number, score: number }> {
    const { dots, qScale, qErr, qNorm } = this.matrix.scanApprox(q, this.n)
    const { scales, errors } = this.matrix
    // Covers f32 rounding of the stored scale/error and of the exact re-scoring.
    const slack = qErr + 1e-5
    const lower = new TopK(k)
    let bar = -Infinity
    for (let i = 0; i < dots.length; i++) {
      const lo = qScale * scales[i] * dots[i] - (qNorm * errors[i] + slack)
      if (lo <= bar) continue
      if (accept != null && !accept(i)) continue
      lower.push(lo, i)
      if (lower.full) bar = lower.min
    }
    const floor = Math.max(lower.full ? lower.min : -Infinity, minSimilarity)
    const heap = new TopK(k)
    let rescored = 0
    for (let i = 0; i < dots.length; i++) {
      const hi = qScale * scales[i] * dots[i] + (qNorm * errors[i] + slack)
      if (hi < floor) continue
      if (accept != null && !accept(i)) continue
      const s = this.matrix.exact(i)
      rescored++
      if (s < minSimilarity) continue
      heap.push(s, i)
    }
    this.rescored = rescored
    return heap.sorted()
  }

  private keywords (): KeywordIndex {
    if (this.keywordBacklog.length > 0) this.indexBacklog(Infinity)
    return this.keyword
  }

  /**
   * Pseudo-relevance feedback: scores the vector side again with the query moved towards the mean of its best
   * fused hits, and fuses that with the same keyword ranking. Shown similarities stay the original cosines.
   */
  private withFeedback (q: Float32Array, first: Array<{ slot: number }>, c: number, accept: ((slot: number) => boolean) | null,
    kwSlots: Array<{ slot: number, score: number }>, cosine: (slot: number) => number, kwWeight: number): Array<{ slot: number, similarity: number, score: number }> {
    const q2 = Float32Array.from(q)
    const docs = first.slice(0, FEEDBACK_DOCS)
    for (const d of docs) {
      const v = this.matrix.get(d.slot)
      for (let i = 0; i < q2.length; i++) q2[i] += (FEEDBACK_WEIGHT / docs.length) * v[i]
    }
    const vec = this.vectorTopK(this.normalise(q2, 'query'), c, accept, -Infinity)
    return fuse(vec, kwSlots, 'weighted', (slot) => this.matrix.dot(slot, q2) / norm(q2), new Set(), cosine, kwWeight)
  }

  search (query: SearchQuery): SearchResult[] {
    this.checkOpen()
    const k = query.k ?? 10
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`k must be a non-negative integer, got ${k}`)
    const text = query.text?.trim() ?? ''
    if (query.vector == null && text === '') throw new InvalidEntryError('search needs a vector or text')
    const q = query.vector != null ? this.normalise(query.vector, 'query') : null
    if (k === 0 || this.n === 0) return []
    const accept = this.compileFilter(query.filters)
    const minSim = query.minSimilarity ?? -Infinity
    const fusion = query.fusion ?? this.fusion

    let ranked: Array<{ slot: number, similarity: number, score: number }>
    if (text === '') {
      ranked = this.vectorTopK(q!, k, accept, minSim).map(r => ({ slot: r.slot, similarity: r.score, score: r.score }))
    } else {
      const c = Math.max(k, FUSION_CANDIDATES)
      const vec = q != null ? this.vectorTopK(q, c, accept, minSim) : []
      const kw = this.keywords().search(text, c, accept == null ? undefined : (id) => accept(this.slotOf.get(id)!))
      const kwSlots = kw.map(h => ({ slot: this.slotOf.get(h.id)!, score: h.score }))
      // A short query found verbatim (as a whole phrase) in an entry's text is someone typing a name or a
      // tag: those entries get a bonus so they come first whatever the embedding thinks.
      const phrase = query.exactPhrase === false ? null : exactPhrase(text)
      const exact = new Set<number>()
      if (phrase != null) for (const h of kwSlots) if (containsPhrase(this.textOf(h.slot), phrase)) exact.add(h.slot)
      const cosine = (slot: number): number => q != null ? this.matrix.dot(slot, q) : 0
      const kwWeight = keywordWeight(text)
      ranked = fuse(vec, kwSlots, fusion, cosine, exact, undefined, kwWeight)
      if (q != null && exact.size === 0 && query.feedback !== false && fusion === 'weighted' && ranked.length > 0) {
        ranked = this.withFeedback(q, ranked, c, accept, kwSlots, cosine, kwWeight)
      }
      if (q != null) ranked = ranked.filter(r => r.similarity >= minSim)
      ranked = ranked.slice(0, k)
    }

    const out: SearchResult[] = []
    for (const r of ranked) {
      const m = this.metas[r.slot]
      const id = this.ids[r.slot]
      const remote = this.loc[r.slot] === 1
      if (remote) {
        this.lru.delete(id)
        this.lru.set(id, true)
      }
      const res: SearchResult = {
        id,
        similarity: q != null ? clamp01(r.similarity) : 0,
        score: r.score,
        location: remote ? 'remote' : 'local',
        payload: (JSON.parse(m.json) as EntryMeta).payload ?? null
      }
      if (m.availableFrom != null) res.availableFrom = [...m.availableFrom]
      out.push(res)
    }
    return out
  }

  // ---- maintenance --------------------------------------------------------------------------------------

  private maybeCompact (): void {
    if (this.compacting != null || this.closed) return
    const garbage = this.log.count > this.compactRatio * (this.n + 1) + COMPACT_MIN_GARBAGE
    // A long log is slow to open even without garbage: snapshot it once it outgrows a quarter of the entries
    // (so a bulk import writes a few times the final snapshot in total, not one snapshot per batch).
    const long = SNAPSHOTS_SUPPORTED && this.log.count > Math.max(SNAPSHOT_MIN_RECORDS, this.n / 4)
    if (!garbage && !long) return
    void this.compact().catch(() => {
      // A failed background compaction leaves the old log in place; the next trigger retries.
    })
  }

  async compact (options: { signal?: AbortSignal } = {}): Promise<void> {
    this.checkOpen()
    // One already running may have started before the caller's last writes: wait for it, then compact again.
    if (this.compacting != null) await this.compacting.catch(() => {})
    if (this.compacting != null) return await this.compacting
    this.checkOpen()
    this.compacting = (SNAPSHOTS_SUPPORTED ? this.compactToSnapshot(options) : this.compactLog(options)).finally(() => { this.compacting = null })
    return await this.compacting
  }

  /**
   * Writes the current state as a snapshot file (durable before anything refers to it), then replaces the
   * log with a reference to it plus the records appended while it was written. A crash before the log is
   * replaced leaves the old log, which does not mention the new file (removed as stale on the next open).
   */
  private async compactToSnapshot (options: { signal?: AbortSignal }): Promise<void> {
    const file = `snapshot-${Date.now().toString(36)}${randomBytes(4).toString('hex')}.bin`
    const chunks = encodeSnapshot(this.snapshotState())
    this.sinceSnapshot = []
    try {
      await writeFileAtomic(path.join(this.dir, file), chunks, { signal: options.signal })
      // No await between taking these records and issuing compact: later appends land after the compacted ones.
      const later = this.sinceSnapshot
      this.sinceSnapshot = null
      await this.log.compact([encodeHeader(this.dimensions), encodeSnapshotRef(file), ...later], options)
    } catch (err) {
      await unlink(path.join(this.dir, file)).catch(() => {})
      throw err
    } finally {
      this.sinceSnapshot = null
    }
    const old = this.snapshotFile
    this.snapshotFile = file
    if (old != null) await unlink(path.join(this.dir, old)).catch(() => {})
  }

  /** Log-only compaction (big-endian hosts, where the snapshot's raw arrays would be misread). */
  private async compactLog (options: { signal?: AbortSignal }): Promise<void> {
    // Ids are snapshotted now (the log writes compacted records in call order); each entry is encoded from
    // its state when the writer reaches it. Entries changed or deleted meanwhile also have a later record,
    // which lands after the compacted ones, so replay ends in the same state either way.
    const locals: string[] = []
    for (let s = 0; s < this.n; s++) if (this.loc[s] === 0) locals.push(this.ids[s])
    const order = [...locals, ...this.lru.keys()] // remotes oldest first, so a reopen keeps the LRU order
    await this.log.compact(this.compactRecords(order), options)
  }

  private * compactRecords (order: string[]): Generator<Uint8Array> {
    yield encodeHeader(this.dimensions)
    for (const id of order) {
      const slot = this.slotOf.get(id)
      if (slot == null) continue
      yield encodeUpsert(this.metaJson(slot), this.matrix.get(slot))
    }
  }

  private * liveEntries (ids: string[]): Generator<StoredEntry> {
    for (const id of ids) {
      const e = this.get(id)
      if (e != null) yield e
    }
  }

  private metaJson (slot: number): string {
    return this.metas[slot].json
  }

  private textOf (slot: number): string {
    return (JSON.parse(this.metas[slot].json) as EntryMeta).text ?? ''
  }


  async importVectra (folder: string, options: VectraImportOptions = {}): Promise<VectraImportResult> {
    this.checkOpen()
    return await importVectraFolder(folder, this.dimensions, async (batch) => await this.upsertMany(batch, options), options)
  }

  async exportVectra (folder: string, options: { signal?: AbortSignal, location?: Location } = {}): Promise<VectraExportResult> {
    this.checkOpen()
    // Ids snapshotted now; entries are read as the writer gets to them (deleted ones are skipped).
    const ids = this.ids.slice(0, this.n).filter((_, s) => options.location == null || (this.loc[s] === 1 ? 'remote' : 'local') === options.location)
    return await exportVectraFolder(folder, this.liveEntries(ids), options)
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.keywordTimer != null) clearTimeout(this.keywordTimer)
    this.keywordTimer = null
    try {
      await this.compacting?.catch(() => {})
      await this.log.close()
    } finally {
      await this.lock.release()
    }
  }
}

/**
 * Deletes snapshot files the log does not refer to (left by a crash between writing a snapshot and
 * compacting the log) and snapshot temp files. The directory is locked, so no other writer exists.
 */
async function removeStaleSnapshots (dir: string, keep: string | null): Promise<void> {
  for (const name of await readdir(dir)) {
    const stale = (/^snapshot-[0-9a-z]+\.bin$/u.test(name) && name !== keep) || /^\.snapshot-[0-9a-z]+\.bin\.\d+\.[0-9a-f]+\.tmp$/u.test(name)
    if (stale) await unlink(path.join(dir, name)).catch(() => {})
  }
}

const EXACT_BONUS = 2

/** Longest query treated as a possible exact name or tag. */
const MAX_PHRASE_WORDS = 6

function normaliseWords (s: string): string {
  return s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim()
}

/** The query as a normalised phrase when it is short enough to be a name or tag, else null. */
function exactPhrase (text: string): string | null {
  const p = normaliseWords(text)
  if (p === '' || p.split(' ').length > MAX_PHRASE_WORDS) return null
  return p
}

function containsPhrase (text: string, phrase: string): boolean {
  return ` ${normaliseWords(text)} `.includes(` ${phrase} `)
}

function cleanAttrs (a: EntryAttrs, id: string): EntryAttrs {
  if (typeof a !== 'object') throw new InvalidEntryError(`entry ${id}: attrs must be an object`)
  const out: EntryAttrs = {}
  const str = (v: unknown, name: string): string | undefined => {
    if (v == null) return undefined
    if (typeof v !== 'string') throw new InvalidEntryError(`entry ${id}: attrs.${name} must be a string`)
    return v
  }
  const num = (v: unknown, name: string): number | undefined => {
    if (v == null) return undefined
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidEntryError(`entry ${id}: attrs.${name} must be a finite number`)
    return v
  }
  const kind = str(a.kind, 'kind')
  const baseModel = str(a.baseModel, 'baseModel')
  const rating = num(a.rating, 'rating')
  const price = num(a.price, 'price')
  if (kind != null) out.kind = kind
  if (baseModel != null) out.baseModel = baseModel
  if (a.specializations != null) {
    if (!Array.isArray(a.specializations) || !a.specializations.every(s => typeof s === 'string')) throw new InvalidEntryError(`entry ${id}: attrs.specializations must be an array of strings`)
    out.specializations = [...a.specializations]
  }
  if (rating != null) out.rating = rating
  if (price != null) out.price = price
  return out
}

/**
 * Combines the vector ranking and the BM25 ranking.
 * - 'rrf': reciprocal rank fusion, sum of 1/(60 + rank) over the lists an entry appears in. Scale-free, so
 *   a strong keyword hit (an exact name) that the embedding ranks modestly still comes first.
 * - 'weighted': cosine + KEYWORD_WEIGHT * BM25 / (best BM25 of this query). Cosines are already calibrated
 *   across queries; BM25 is not, so it is scaled by the query's best and given a small share.
 * Entries in `exact` (the query is a short phrase found verbatim in their text) get +1 and so come first.
 * `vec` scores rank; `similarity` (default: `cosine`) is what is shown, e.g. the original query's cosine when
 * `vec` was scored with a feedback-expanded query.
 */
export function fuse (vec: Array<{ slot: number, score: number }>, kw: Array<{ slot: number, score: number }>, fusion: Fusion,
  cosine: (slot: number) => number, exact: Set<number> = new Set(),
  similarity?: (slot: number) => number, keywordShare = KEYWORD_WEIGHT): Array<{ slot: number, similarity: number, score: number }> {
  const acc = new Map<number, { slot: number, similarity: number, score: number }>()
  const rankScore = new Map<number, number>()
  for (const v of vec) rankScore.set(v.slot, v.score)
  const scoreOf = (slot: number): number => {
    let s = rankScore.get(slot)
    if (s == null) { s = cosine(slot); rankScore.set(slot, s) }
    return s
  }
  const shown = similarity ?? scoreOf
  if (fusion === 'rrf') {
    vec.forEach((v, rank) => acc.set(v.slot, { slot: v.slot, similarity: shown(v.slot), score: 1 / (RRF_K + rank + 1) }))
    kw.forEach((h, rank) => {
      const prev = acc.get(h.slot)
      if (prev != null) prev.score += 1 / (RRF_K + rank + 1)
      else acc.set(h.slot, { slot: h.slot, similarity: shown(h.slot), score: 1 / (RRF_K + rank + 1) })
    })
  } else {
    const best = kw.length > 0 ? kw[0].score : 1
    // Text-only search: BM25 alone decides.
    const w = vec.length > 0 ? keywordShare : 1
    const vw = vec.length > 0 ? 1 : 0
    for (const v of vec) acc.set(v.slot, { slot: v.slot, similarity: shown(v.slot), score: vw * v.score })
    for (const h of kw) {
      const prev = acc.get(h.slot)
      const part = w * (h.score / best)
      if (prev != null) prev.score += part
      else acc.set(h.slot, { slot: h.slot, similarity: shown(h.slot), score: vw * scoreOf(h.slot) + part })
    }
  }
  // Exact name/tag matches form a first tier (ordered among themselves by the fused score); the bonus
  // exceeds any fused score without it (rrf: at most 2/61; weighted: at most 1 + KEYWORD_WEIGHT).
  for (const slot of exact) {
    const a = acc.get(slot)
    if (a != null) a.score += EXACT_BONUS
  }
  return [...acc.values()].sort((a, b) => b.score - a.score || b.similarity - a.similarity)
}

/**
 * BM25's share for a query: KEYWORD_WEIGHT, scaled down for long queries (a workspace description, a pasted
 * paragraph), where many incidental words match and the embedding of the whole text says more.
 */
export function keywordWeight (text: string): number {
  const n = normaliseWords(text).split(' ').length
  return KEYWORD_WEIGHT * Math.min(1, LONG_QUERY_WORDS / Math.max(1, n))
}

function norm (v: Float32Array): number {
  let s = 0
  for (let i = 0; i < v.length; i++) s += v[i] * v[i]
  return Math.sqrt(s)
}
