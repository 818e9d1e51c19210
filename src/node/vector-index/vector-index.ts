// The adapter index in memory: entries as dense slots (vectors in the matrix, filter attributes in typed
// columns, meta JSON), writes applied in memory then made durable in the append log, hybrid search, the
// remote LRU cache, and compaction (to a binary snapshot). The parts live beside it: open.ts (opening and
// replay), entry.ts (validation), filters.ts, topk.ts (exact vector top-k), keyword.ts (BM25 postings) and
// keyword-backfill.ts, fusion.ts (how the two rankings become one), snapshot.ts, codec.ts (log records).
import { randomBytes } from 'node:crypto'
import { unlink } from 'node:fs/promises'
import path from 'node:path'
import { writeFileAtomic, type AppendLog, type AppendLogRecovery, type DirectoryLock } from '../storage'
import { decodeRecord, encodeDelete, encodeHeader, encodeSnapshotRef, encodeUpsert, FORMAT, OP_DELETE, OP_HEADER, OP_UPSERT, type EntryMeta } from './codec'
import {
  COMPACT_MIN_GARBAGE, COMPACT_RATIO, FEEDBACK_DOCS, FEEDBACK_WEIGHT, FUSION_CANDIDATES, INITIAL_CAPACITY, SNAPSHOT_MIN_RECORDS
} from './constants'
import { normaliseVector, prepareEntry } from './entry'
import { IndexClosedError, InvalidEntryError, VectorDimensionError } from './errors'
import { AttributeColumns, compileFilter } from './filters'
import { containsPhrase, exactPhrase, fuse, keywordWeight, norm } from './fusion'
import { KeywordIndex } from './keyword'
import { KeywordBackfill } from './keyword-backfill'
import { VectorMatrix, type ScanKernel } from './matrix'
import { encodeSnapshot, SnapshotSlotMeta, SNAPSHOTS_SUPPORTED, type LoadedSnapshot, type SlotMeta, type SnapshotState } from './snapshot'
import { exactTopK, type SlotFilter } from './topk'
import type { Fusion, IndexEntry, Location, SearchQuery, SearchResult, StoredEntry, VectorIndex, VectorIndexInit } from './types'
import type { VectraExportResult, VectraImportOptions, VectraImportResult } from './vectra'
import { exportVectraFolder, importVectraFolder } from './vectra'

function clamp01 (x: number): number {
  return x <= 0 ? 0 : x >= 1 ? 1 : x
}

/** The index in memory over its open log; made by openVectorIndex (open.ts), used through VectorIndex. */
export class VectorIndexImpl implements VectorIndex {
  readonly dir: string
  readonly kernel: ScanKernel
  private readonly matrix: VectorMatrix
  private n = 0
  private ids: string[] = []
  private metas: SlotMeta[] = []
  private readonly slotOf = new Map<string, number>()
  /** Filter attributes per slot (typed arrays of interned codes, ratings, prices, locations). */
  private readonly attrs = new AttributeColumns()
  /** Remote ids, least recently used first (a Map keeps insertion order; touch = delete + set). */
  private readonly lru = new Map<string, true>()
  private remotes = 0
  private readonly keyword = new KeywordIndex()
  /** Indexes the texts of entries loaded at open in the background. */
  private readonly backfill = new KeywordBackfill(this.keyword, (id) => {
    const slot = this.slotOf.get(id)
    return slot == null ? undefined : this.textOf(slot)
  })
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
    this.attrs.grow(this.matrix.capacity)
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
    this.backfill.start(this.ids.slice(0, this.n))
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

  /** Where readSnapshot may put the vector rows: straight into the matrix (no second copy of the file). */
  snapshotPlacement (h: { dimensions: number, n: number, stride: number, strideI8: number, quantised: boolean }): { rows: Uint8Array | null, rowsI8: Uint8Array | null } {
    if (h.dimensions !== this.dimensions || this.n !== 0) return { rows: null, rowsI8: null }
    const placed = this.matrix.placement(h.n, h.stride, h.strideI8, h.quantised)
    this.attrs.grow(this.matrix.capacity)
    return placed
  }

  private loadSnapshot (s: LoadedSnapshot): void {
    if (s.dimensions !== this.dimensions) throw new VectorDimensionError(s.dimensions, this.dimensions, 'the index snapshot was written with other dimensions; the requested index')
    const n = s.n
    this.matrix.loadRows(n, s.rows, s.stride, s.rowsI8 != null ? { rowsI8: s.rowsI8, strideI8: s.strideI8, scales: s.scales, errors: s.errors } : null)
    this.attrs.grow(this.matrix.capacity)
    this.attrs.kindCode.set(s.kindCode)
    this.attrs.baseCode.set(s.baseCode)
    this.attrs.rating.set(s.rating)
    this.attrs.price.set(s.price)
    this.attrs.loc.set(s.loc)
    s.codes.forEach((c, i) => this.attrs.codes.set(c, i + 1))
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
      rating: this.attrs.rating,
      price: this.attrs.price,
      kindCode: this.attrs.kindCode,
      baseCode: this.attrs.baseCode,
      loc: this.attrs.loc,
      codes: [...this.attrs.codes.keys()],
      ids: this.ids.slice(0, n),
      metaJson: this.metas.slice(0, n).map(m => m.json),
      specs: this.metas.slice(0, n).map(m => m.specs),
      availableFrom,
      lru: Int32Array.from(this.lru.keys(), id => this.slotOf.get(id)!)
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
    for (const e of entries) prepared.push(prepareEntry(e, this.dimensions))
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

  /** Puts an entry into memory (new slot or in place). */
  private apply (meta: EntryMeta, vector: Float32Array, json: string): void {
    let slot = this.slotOf.get(meta.id)
    if (slot == null) {
      slot = this.n++
      this.matrix.ensure(this.n)
      this.attrs.grow(this.matrix.capacity)
      this.slotOf.set(meta.id, slot)
      this.ids[slot] = meta.id
    } else if (this.attrs.loc[slot] === 1) {
      this.remotes--
    }
    this.matrix.set(slot, vector)
    const attrs = meta.attrs ?? {}
    const remote = meta.location === 'remote'
    this.attrs.set(slot, attrs, remote)
    const specs: number[] = []
    if (attrs.specializations != null) for (const sp of attrs.specializations) specs.push(this.attrs.code(sp))
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
    if (this.attrs.loc[slot] === 1) this.remotes--
    if (slot !== last) {
      this.matrix.move(last, slot)
      const lastId = this.ids[last]
      this.ids[slot] = lastId
      this.slotOf.set(lastId, slot)
      this.metas[slot] = this.metas[last]
      this.attrs.move(last, slot)
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
      location: this.attrs.loc[slot] === 1 ? 'remote' : 'local',
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

  /** Exact top `k` slots by cosine (see topk.ts); records the int8 path's re-scored rows for diagnostics. */
  private vectorTopK (q: Float32Array, k: number, accept: SlotFilter | null, minSimilarity: number): Array<{ slot: number, score: number }> {
    const r = exactTopK(this.matrix, this.n, q, k, accept, minSimilarity)
    if (r.rescored != null) this.rescored = r.rescored
    return r.hits
  }

  private keywords (): KeywordIndex {
    this.backfill.finish()
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
    const vec = this.vectorTopK(normaliseVector(q2, this.dimensions, 'query'), c, accept, -Infinity)
    return fuse(vec, kwSlots, 'weighted', (slot) => this.matrix.dot(slot, q2) / norm(q2), new Set(), cosine, kwWeight)
  }

  search (query: SearchQuery): SearchResult[] {
    this.checkOpen()
    const k = query.k ?? 10
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`k must be a non-negative integer, got ${k}`)
    const text = query.text?.trim() ?? ''
    if (query.vector == null && text === '') throw new InvalidEntryError('search needs a vector or text')
    const q = query.vector != null ? normaliseVector(query.vector, this.dimensions, 'query') : null
    if (k === 0 || this.n === 0) return []
    const accept = compileFilter(query.filters, this.attrs, this.metas)
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
      const remote = this.attrs.loc[r.slot] === 1
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
    for (let s = 0; s < this.n; s++) if (this.attrs.loc[s] === 0) locals.push(this.ids[s])
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
    const ids = this.ids.slice(0, this.n).filter((_, s) => options.location == null || (this.attrs.loc[s] === 1 ? 'remote' : 'local') === options.location)
    return await exportVectraFolder(folder, this.liveEntries(ids), options)
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.backfill.stop()
    try {
      await this.compacting?.catch(() => {})
      await this.log.close()
    } finally {
      await this.lock.release()
    }
  }
}
