// The systems compared by the search bench, behind one interface: our index (the user path of
// AdapterCatalog.search after the query is embedded), Orama 3 hybrid and LanceDB hybrid, on the same
// entries (text + vector + kind) and the same query vectors and text.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { openVectorIndex, type IndexEntry, type SearchFilters, type VectorIndex } from '../../src/node/vector-index'
import { DIMS } from './corpus'

export interface BenchQuery { text: string, vector: Float32Array, kind?: string }

export interface System {
  readonly name: string
  /** Builds the store from `count` entries; returns the build time in ms. */
  build: (count: number, entry: (i: number) => IndexEntry) => Promise<number>
  /** Closes and reopens from disk; returns ms until it answered its first text query (null: in memory only). */
  reopen: (q: BenchQuery) => Promise<{ openMs: number, firstQueryMs: number } | null>
  /** Top-10 ids of the hybrid query (the kind filter when `q.kind` is set). */
  search: (q: BenchQuery) => Promise<string[]> | string[]
  close: () => Promise<void>
}

const K = 10
const BATCH = 5000

function filtersOf (q: BenchQuery): SearchFilters | undefined {
  return q.kind != null ? { kind: q.kind } : undefined
}

/** Our index. `exactJs` gives the ground truth: the same hybrid ranking with the plain JS f32 scan (no int8 prefilter, no SIMD). */
export function ours (exactJs = false): System {
  const dir = mkdtempSync(path.join(tmpdir(), 'continuum-bench-search-'))
  const init = exactJs ? { dir, kernel: 'js' as const, quantised: false } : { dir }
  let idx: VectorIndex
  return {
    name: exactJs ? 'ground truth (exact JS scan)' : 'continuum',
    async build (count, entry) {
      idx = await openVectorIndex(init)
      const t = performance.now()
      for (let s = 0; s < count; s += BATCH) {
        const batch: IndexEntry[] = []
        for (let i = s; i < Math.min(count, s + BATCH); i++) batch.push(entry(i))
        await idx.upsertMany(batch)
      }
      return performance.now() - t
    },
    async reopen (q) {
      // Measured as after a compaction (what opening a settled catalog costs: its snapshot, no log tail).
      await idx.compact()
      await idx.close()
      const t = performance.now()
      idx = await openVectorIndex(init)
      const openMs = performance.now() - t
      idx.search({ vector: q.vector, text: q.text, k: K })
      return { openMs, firstQueryMs: performance.now() - t }
    },
    search (q) {
      return idx.search({ vector: q.vector, text: q.text, k: K, filters: filtersOf(q) }).map(r => r.id)
    },
    async close () {
      await idx?.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

/** Vector-only exact top 10 (ours, proven exact by the vector-index tests): the reference for vector recall. */
export function vectorOnly (idx: { search: VectorIndex['search'] }, q: BenchQuery): string[] {
  return idx.search({ vector: q.vector, k: K, filters: filtersOf(q) }).map(r => r.id)
}

/**
 * Orama 3 hybrid: its default English tokenizer and BM25, a vector[384] property, hybrid mode. Two settings
 * differ from its defaults so that it ranks the same candidates as ours: no similarity threshold (the
 * default 0.8 drops most MiniLM matches) and weights in our fusion's proportions (cosine + 0.15 x
 * normalised BM25, i.e. 0.87 vector, 0.13 text).
 */
export async function orama (): Promise<System> {
  const { create, insertMultiple, search } = await import('@orama/orama')
  const schema = { id: 'string', text: 'string', kind: 'enum', embedding: `vector[${DIMS}]` } as const
  let db = create({ schema })
  return {
    name: 'orama 3.1.18 (hybrid)',
    async build (count, entry) {
      db = create({ schema })
      const t = performance.now()
      for (let s = 0; s < count; s += BATCH) {
        const docs = []
        for (let i = s; i < Math.min(count, s + BATCH); i++) {
          const e = entry(i)
          docs.push({ id: e.id, text: e.text, kind: e.attrs?.kind ?? '', embedding: Array.from(e.vector) })
        }
        await insertMultiple(db, docs, BATCH)
      }
      return performance.now() - t
    },
    async reopen () { return null },
    async search (q) {
      const res = await search(db, {
        mode: 'hybrid',
        term: q.text,
        vector: { value: Array.from(q.vector), property: 'embedding' },
        similarity: 0,
        hybridWeights: { text: 0.13, vector: 0.87 },
        limit: K,
        ...(q.kind != null ? { where: { kind: { eq: q.kind } } } : {})
      })
      return res.hits.map(h => h.id)
    },
    async close () { db = create({ schema }) }
  }
}

/**
 * LanceDB 0.31 hybrid: nearestTo + fullTextSearch (its default RRF reranker), cosine distance, an FTS index
 * on the text (default tokenizer). No vector index: LanceDB recommends brute force below ~100k rows, and
 * training IVF-PQ at these sizes would take minutes on 2 cores (so its vector side is exact, like ours).
 */
export async function lancedb (): Promise<System> {
  // Its scanner logs a deprecation warning per query otherwise.
  process.env.LANCEDB_LOG ??= 'error'
  const lance = await import('@lancedb/lancedb')
  const dir = mkdtempSync(path.join(tmpdir(), 'continuum-bench-lance-'))
  let db = await lance.connect(dir)
  let table: Awaited<ReturnType<typeof db.openTable>> | null = null
  const run = async (q: BenchQuery): Promise<string[]> => {
    let query = table!.query().nearestTo(Array.from(q.vector)).distanceType('cosine').fullTextSearch(q.text).limit(K)
    if (q.kind != null) query = query.where(`kind = '${q.kind.replace(/'/g, "''")}'`)
    const rows = await query.select(['id']).toArray() as Array<{ id: string }>
    return rows.map(r => r.id)
  }
  return {
    name: 'lancedb 0.31.0 (hybrid, RRF)',
    async build (count, entry) {
      const t = performance.now()
      for (let s = 0; s < count; s += BATCH) {
        const rows = []
        for (let i = s; i < Math.min(count, s + BATCH); i++) {
          const e = entry(i)
          rows.push({ id: e.id, text: e.text, kind: e.attrs?.kind ?? '', vector: Array.from(e.vector) })
        }
        if (table == null) table = await db.createTable('adapters', rows, { mode: 'overwrite' })
        else await table.add(rows)
      }
      await table!.createIndex('text', { config: lance.Index.fts() })
      return performance.now() - t
    },
    async reopen (q) {
      table!.close()
      db.close()
      const t = performance.now()
      db = await lance.connect(dir)
      table = await db.openTable('adapters')
      const openMs = performance.now() - t
      await run(q)
      return { openMs, firstQueryMs: performance.now() - t }
    },
    search: run,
    async close () {
      table?.close()
      db.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
