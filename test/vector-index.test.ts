// Vector index: exact search (WASM SIMD and JS agree), filters, remote LRU eviction, persistence and
// recovery, the directory lock, hybrid ranking, and vectra import/export checked against real vectra.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, describe, test } from 'node:test'
import { LocalIndex } from 'vectra'
import { openVectorIndex, simdAvailable, TopK, tokenize, VectorMatrix, type IndexEntry, type VectorIndex } from '../src/node/vector-index'
import { seededRandom as rng } from '../bench/_random'

const DIMS = 32

function randomVector (r: () => number, dims = DIMS): Float32Array {
  const v = new Float32Array(dims)
  for (let i = 0; i < dims; i++) v[i] = r() * 2 - 1
  return v
}

function unit (v: ArrayLike<number>): Float32Array {
  let ss = 0
  for (let i = 0; i < v.length; i++) ss += v[i] * v[i]
  const out = new Float32Array(v.length)
  for (let i = 0; i < v.length; i++) out[i] = v[i] / Math.sqrt(ss)
  return out
}

function cosine (a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ua = unit(a)
  const ub = unit(b)
  let s = 0
  for (let i = 0; i < ua.length; i++) s += ua[i] * ub[i]
  return s
}

/** a + noise * b, unnormalised (the index normalises). */
function near (a: Float32Array, r: () => number, noise: number): Float32Array {
  const n = randomVector(r, a.length)
  return a.map((x, i) => x + noise * n[i])
}

// The lock test re-runs this bundle as a child process with CONTINUUM_VINDEX_CHILD=<dir>: it then only tries
// to open that (locked) index, and the suites below are skipped.
const childDir = process.env.CONTINUUM_VINDEX_CHILD
const suite: (name: string, fn: () => void) => unknown = childDir == null ? describe : describe.skip
if (childDir != null) void openLocked(childDir)

const dirs: string[] = []
function fresh (): string {
  const d = mkdtempSync(path.join(tmpdir(), 'continuum-vindex-'))
  dirs.push(d)
  return d
}
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

function entry (id: string, vector: ArrayLike<number>, extra: Partial<IndexEntry> = {}): IndexEntry {
  return { id, vector, text: id, location: 'local', payload: { id }, ...extra }
}

/** Brute-force reference ranking with doubles. */
function bruteTopK (items: Array<{ id: string, vector: ArrayLike<number> }>, q: ArrayLike<number>, k: number): string[] {
  return items.map(it => ({ id: it.id, s: cosine(it.vector, q) })).sort((a, b) => b.s - a.s).slice(0, k).map(x => x.id)
}

suite('scan kernels and top-k', () => {
  test('WASM SIMD is available on Node 20 and agrees with the JS scan', () => {
    assert.equal(simdAvailable(), true)
    for (const dims of [384, 100, 7]) {
      const r = rng(dims)
      const w = new VectorMatrix(dims, 16)
      const j = new VectorMatrix(dims, 16, 'js')
      assert.equal(w.kernel, 'wasm-simd')
      assert.equal(j.kernel, 'js')
      const n = 3000 // forces several doublings from 16
      w.ensure(n)
      j.ensure(n)
      for (let i = 0; i < n; i++) {
        const v = unit(randomVector(r, dims))
        w.set(i, v)
        j.set(i, v)
      }
      const q = unit(randomVector(r, dims))
      const a = w.scan(q, n).slice()
      const b = j.scan(q, n).slice()
      for (let i = 0; i < n; i++) {
        assert.ok(Math.abs(a[i] - b[i]) < 1e-5, `dims ${dims} row ${i}: wasm ${a[i]} js ${b[i]}`)
        if (i % 500 === 0) assert.ok(Math.abs(a[i] - cosine(w.get(i), q)) < 1e-5)
      }
    }
  })

  test('int8 codes survive growth, and the approximate dot stays within its error bound for every row', () => {
    const dims = 384
    const r = rng(11)
    const m = new VectorMatrix(dims, 16)
    assert.equal(m.quantised, true)
    const n = 2000 // several doublings, each moving the int8 rows
    const rows: Float32Array[] = []
    for (let i = 0; i < n; i++) {
      m.ensure(i + 1)
      const v = unit(randomVector(r, dims))
      rows.push(v)
      m.set(i, v)
    }
    const q = unit(randomVector(r, dims))
    const { dots, qScale, qErr, qNorm } = m.scanApprox(q, n)
    for (let i = 0; i < n; i++) {
      const exact = cosine(rows[i], q)
      const approx = qScale * m.scales[i] * dots[i]
      const bound = qNorm * m.errors[i] + qErr
      assert.ok(Math.abs(exact - approx) <= bound + 1e-6, `row ${i}: exact ${exact} approx ${approx} bound ${bound}`)
      assert.ok(bound < 0.05)
      assert.ok(Math.abs(m.exact(i) - exact) < 1e-5)
    }
  })

  test('TopK keeps the k best, best first', () => {
    const r = rng(1)
    const scores = Array.from({ length: 1000 }, () => r())
    const heap = new TopK(10)
    scores.forEach((s, i) => heap.push(s, i))
    const want = scores.map((s, i) => ({ s, i })).sort((a, b) => b.s - a.s).slice(0, 10).map(x => x.i)
    assert.deepEqual(heap.sorted().map(x => x.slot), want)
    // Ties: the lower slots are kept whatever order they come in.
    for (const order of [[5, 3, 9, 1, 7], [1, 3, 5, 7, 9], [9, 7, 5, 3, 1]]) {
      const h = new TopK(3)
      for (const slot of order) h.push(0.5, slot)
      assert.deepEqual(h.sorted().map(x => x.slot), [1, 3, 5])
    }
  })

  test('tokenize keeps compounds whole and split, drops stop words', () => {
    assert.deepEqual(tokenize('I need the SQL-Expert_lora for Postgres'), ['sql-expert_lora', 'sql', 'expert', 'lora', 'postgres'])
  })
})

suite('vector index', () => {
  test('insert, search, replace, delete; results match brute force; similarity clamped to 0..1', async () => {
    const idx = await openVectorIndex({ dir: fresh(), dimensions: DIMS })
    assert.equal(idx.kernel, 'wasm-simd')
    const r = rng(2)
    const items = Array.from({ length: 2500 }, (_, i) => ({ id: `e${i}`, vector: randomVector(r) }))
    await idx.upsertMany(items.map(it => entry(it.id, it.vector)))
    assert.equal(idx.size, 2500)
    for (let t = 0; t < 5; t++) {
      const q = randomVector(r)
      const res = idx.search({ vector: q, k: 10 })
      assert.deepEqual(res.map(x => x.id), bruteTopK(items, q, 10))
      for (const x of res) {
        assert.ok(Math.abs(x.similarity - Math.max(0, cosine(items[Number(x.id.slice(1))].vector, q))) < 1e-5)
        assert.deepEqual(x.payload, { id: x.id })
        assert.equal(x.location, 'local')
      }
    }
    // The exact opposite of an entry has cosine -1: shown as 0.
    const anti = items[0].vector.map(x => -x)
    const worst = idx.search({ vector: anti, k: 2500 }).at(-1)!
    assert.equal(worst.id, 'e0')
    assert.equal(worst.similarity, 0)

    // Replace moves e5 to a new vector; delete removes e7 and keeps others findable.
    const v5 = randomVector(r)
    await idx.upsert(entry('e5', v5, { text: 'replaced', payload: { v: 2 } }))
    assert.equal(idx.size, 2500)
    assert.equal(idx.search({ vector: v5, k: 1 })[0].id, 'e5')
    assert.deepEqual(idx.get('e5')?.payload, { v: 2 })
    assert.equal(await idx.delete('e7'), true)
    assert.equal(await idx.delete('e7'), false)
    assert.equal(idx.has('e7'), false)
    assert.equal(idx.get('e7'), undefined)
    assert.equal(idx.size, 2499)
    // The entry that was moved into e7's slot is still found by its own vector.
    const last = items[2499]
    assert.equal(idx.search({ vector: last.vector, k: 1 })[0].id, last.id)
    assert.ok(!idx.search({ vector: items[7].vector, k: 2499 }).some(x => x.id === 'e7'))

    // minSimilarity cuts off the tail.
    const cut = idx.search({ vector: items[3].vector, k: 100, minSimilarity: 0.5 })
    assert.ok(cut.length >= 1 && cut.every(x => x.similarity >= 0.5))
    await idx.close()
  })

  test('the int8-prefiltered search returns exactly what a full f32 scan returns (near-duplicates, filters, thresholds)', async () => {
    const dims = 384
    const r = rng(12)
    const quant = await openVectorIndex({ dir: fresh(), dimensions: dims })
    const full = await openVectorIndex({ dir: fresh(), dimensions: dims, quantised: false })
    const js = await openVectorIndex({ dir: fresh(), dimensions: dims, kernel: 'js' })
    const base = Array.from({ length: 8 }, () => randomVector(r, dims))
    const entries: IndexEntry[] = []
    for (let i = 0; i < 3000; i++) {
      // Clusters of near-duplicates (noise 0.02) make many rows fall inside each other's error bounds.
      entries.push(entry(`e${i}`, near(base[i % 8], r, i % 3 === 0 ? 0.02 : 0.5), { attrs: { kind: i % 2 === 0 ? 'lora' : 'persona', rating: i % 5 } }))
    }
    for (const idx of [quant, full, js]) await idx.upsertMany(entries)
    for (let t = 0; t < 30; t++) {
      const q = near(base[t % 8], r, t % 2 === 0 ? 0.01 : 0.8)
      const query = { vector: q, k: [1, 10, 50][t % 3], filters: t % 4 === 0 ? { kind: 'persona', minRating: 2 } : undefined, minSimilarity: t % 5 === 0 ? 0.3 : undefined }
      const a = quant.search(query)
      const b = full.search(query)
      const c = js.search(query)
      assert.deepEqual(a.map(x => x.id), b.map(x => x.id), `query ${t}: ${JSON.stringify(a.slice(-3).map(x => [x.id, x.similarity]))} vs ${JSON.stringify(b.slice(-3).map(x => [x.id, x.similarity]))}`)
      for (let i = 0; i < a.length; i++) assert.equal(a[i].similarity, b[i].similarity)
      // The JS scan sums in another order: near-duplicates may swap places, the scores may not differ.
      assert.equal(c.length, a.length)
      for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i].similarity - c[i].similarity) < 1e-5, `query ${t} (js) rank ${i}`)
    }
    for (const idx of [quant, full, js]) await idx.close()
  })

  test('rejects bad entries and queries with typed errors', async () => {
    const idx = await openVectorIndex({ dir: fresh(), dimensions: DIMS })
    await assert.rejects(idx.upsert(entry('a', new Float32Array(DIMS + 1))), { name: 'VectorDimensionError' })
    await assert.rejects(idx.upsert(entry('a', new Float32Array(DIMS))), { name: 'InvalidEntryError' })
    await assert.rejects(idx.upsert(entry('', randomVector(rng(1)))), { name: 'InvalidEntryError' })
    const nan = randomVector(rng(1))
    nan[3] = NaN
    await assert.rejects(idx.upsert(entry('a', nan)), { name: 'InvalidEntryError' })
    await assert.rejects(idx.upsert(entry('a', randomVector(rng(1)), { location: 'elsewhere' as 'local' })), { name: 'InvalidEntryError' })
    // A batch with one bad entry applies nothing.
    await assert.rejects(idx.upsertMany([entry('ok', randomVector(rng(1))), entry('bad', new Float32Array(3))]), { name: 'VectorDimensionError' })
    assert.equal(idx.size, 0)
    assert.throws(() => idx.search({ vector: new Float32Array(3) }), { name: 'VectorDimensionError' })
    assert.throws(() => idx.search({}), { name: 'InvalidEntryError' })
    await idx.close()
    await assert.rejects(idx.upsert(entry('a', randomVector(rng(1)))), { name: 'IndexClosedError' })
  })

  test('filters: kind, base model, specialization, rating, price, location', async () => {
    const idx = await openVectorIndex({ dir: fresh(), dimensions: DIMS })
    const r = rng(3)
    const kinds = ['lora', 'persona', 'prompt']
    const bases = ['llama-3-8b', 'Mistral-7B']
    const specs = ['sql', 'wine', 'rust', 'poetry']
    const all: IndexEntry[] = []
    for (let i = 0; i < 600; i++) {
      all.push(entry(`e${i}`, randomVector(r), {
        location: i % 2 === 0 ? 'remote' : 'local',
        availableFrom: i % 2 === 0 ? [`peer${i % 7}`] : undefined,
        attrs: {
          kind: kinds[i % 3],
          baseModel: bases[i % 2],
          specializations: [specs[i % 4], specs[(i + 1) % 4]],
          rating: i % 5 === 0 ? undefined : (i % 50) / 10,
          price: i % 4 === 0 ? undefined : i % 20
        }
      }))
    }
    await idx.upsertMany(all)
    const q = randomVector(r)
    const check = (filters: Parameters<VectorIndex['search']>[0]['filters'], pred: (e: IndexEntry) => boolean): void => {
      const res = idx.search({ vector: q, k: 20, filters })
      const want = bruteTopK(all.filter(pred), q, 20)
      assert.deepEqual(res.map(x => x.id), want, JSON.stringify(filters))
      assert.ok(res.length > 0)
    }
    check({ kind: 'persona' }, e => e.attrs?.kind === 'persona')
    check({ kind: ['LORA', 'prompt'] }, e => e.attrs?.kind !== 'persona')
    check({ baseModel: 'mistral-7b' }, e => e.attrs?.baseModel === 'Mistral-7B')
    check({ specialization: 'rust' }, e => e.attrs!.specializations!.includes('rust'))
    check({ minRating: 4 }, e => (e.attrs?.rating ?? -1) >= 4)
    check({ maxPrice: 3 }, e => (e.attrs?.price ?? 0) <= 3)
    check({ location: 'remote' }, e => e.location === 'remote')
    check({ location: 'local', kind: 'lora', specialization: ['wine', 'poetry'], minRating: 1, maxPrice: 10 },
      e => e.location === 'local' && e.attrs?.kind === 'lora' && e.attrs.specializations!.some(s => s === 'wine' || s === 'poetry') &&
        (e.attrs.rating ?? -1) >= 1 && (e.attrs.price ?? 0) <= 10)
    assert.deepEqual(idx.search({ vector: q, filters: { kind: 'unknown-kind' } }), [])
    const remote = idx.search({ vector: q, k: 3, filters: { location: 'remote' } })
    assert.ok(remote.every(x => x.location === 'remote' && x.availableFrom?.length === 1))
    assert.equal(idx.count(), 600)
    assert.equal(idx.count('remote'), 300)
    assert.equal(idx.count('local'), 300)
    await idx.close()
  })

  test('remote entries are capped with LRU eviction (touched by upsert and by search); local ones never', async () => {
    const dir = fresh()
    const idx = await openVectorIndex({ dir, dimensions: DIMS, remoteCapacity: 5 })
    const r = rng(4)
    const vec: Record<string, Float32Array> = {}
    for (let i = 0; i < 5; i++) {
      vec[`r${i}`] = randomVector(r)
      await idx.upsert(entry(`r${i}`, vec[`r${i}`], { location: 'remote' }))
    }
    for (let i = 0; i < 20; i++) await idx.upsert(entry(`l${i}`, randomVector(r)))
    assert.equal(idx.count('remote'), 5)
    // Touch r0 by upsert and r1 by being returned from a search: r2 becomes the oldest.
    await idx.upsert(entry('r0', vec.r0, { location: 'remote' }))
    assert.equal(idx.search({ vector: vec.r1, k: 1 })[0].id, 'r1')
    await idx.upsert(entry('r5', randomVector(r), { location: 'remote' }))
    assert.equal(idx.has('r2'), false)
    await idx.upsert(entry('r6', randomVector(r), { location: 'remote' }))
    assert.equal(idx.has('r3'), false)
    assert.deepEqual(['r0', 'r1', 'r4', 'r5', 'r6'].map(id => idx.has(id)), [true, true, true, true, true])
    assert.equal(idx.count('remote'), 5)
    assert.equal(idx.count('local'), 20)
    // Promoting a remote entry to local (installed) frees its remote place.
    await idx.upsert(entry('r4', randomVector(r), { location: 'local' }))
    assert.equal(idx.count('remote'), 4)
    await idx.close()
    // Evictions are persisted.
    const again = await openVectorIndex({ dir, dimensions: DIMS, remoteCapacity: 5 })
    assert.equal(again.has('r2'), false)
    assert.equal(again.count('remote'), 4)
    assert.equal(again.count('local'), 21)
    await again.close()
    // Reopening with a lower cap evicts down to it, oldest first, and keeps every local entry.
    const lower = await openVectorIndex({ dir, dimensions: DIMS, remoteCapacity: 2 })
    assert.equal(lower.count('remote'), 2)
    assert.equal(lower.count('local'), 21)
    assert.deepEqual(['r5', 'r6'].map(id => lower.has(id)), [true, true])
    await lower.close()
    // Those evictions were persisted too: raising the cap again does not bring them back.
    const raised = await openVectorIndex({ dir, dimensions: DIMS, remoteCapacity: 5 })
    assert.equal(raised.count('remote'), 2)
    await raised.close()
    await assert.rejects(openVectorIndex({ dir, dimensions: DIMS, remoteCapacity: 100_001 }), RangeError)
  })

  test('reopen restores entries, attributes and payloads; compaction keeps them', async () => {
    const dir = fresh()
    const idx = await openVectorIndex({ dir, dimensions: DIMS, compactRatio: 1 })
    const r = rng(5)
    const items = Array.from({ length: 300 }, (_, i) => entry(`e${i}`, randomVector(r), {
      text: `adapter number ${i}`, attrs: { kind: 'lora', rating: i % 5, specializations: ['x'] }, payload: { n: i, nested: { ok: true } },
      location: i % 2 === 0 ? 'local' : 'remote', availableFrom: i % 2 === 0 ? undefined : ['p1', 'p2'], cachedAt: i % 2 === 0 ? undefined : 1700000000000 + i
    }))
    await idx.upsertMany(items)
    for (let i = 0; i < 100; i++) await idx.delete(`e${i}`)
    for (let i = 100; i < 150; i++) await idx.upsert({ ...items[i], payload: { n: i, replaced: true } })
    const q = randomVector(r)
    const before = idx.search({ vector: q, k: 20, filters: { minRating: 2 } })
    await idx.compact()
    const logSize = statSync(path.join(dir, 'index.log')).size
    await idx.close()

    const again = await openVectorIndex({ dir, dimensions: DIMS })
    assert.equal(again.recovery, null)
    assert.equal(again.size, 200)
    assert.deepEqual(again.search({ vector: q, k: 20, filters: { minRating: 2 } }), before)
    const e = again.get('e101')!
    assert.deepEqual(e.payload, { n: 101, replaced: true })
    assert.deepEqual(e.availableFrom, ['p1', 'p2'])
    assert.equal(e.cachedAt, 1700000000101)
    assert.equal(e.location, 'remote')
    assert.deepEqual(e.attrs, { kind: 'lora', rating: 1, specializations: ['x'] })
    assert.ok(Math.abs(cosine(e.vector, items[101].vector) - 1) < 1e-6)
    // 200 live entries of ~32 floats + metadata: the compacted log holds no dead records.
    assert.ok(logSize < 200 * 400, `log is ${logSize} bytes after compaction`)
    await again.close()
    await assert.rejects(openVectorIndex({ dir, dimensions: DIMS * 2 }), { name: 'VectorDimensionError' })
  })

  test('automatic compaction keeps the log bounded under churn', async () => {
    const dir = fresh()
    const idx = await openVectorIndex({ dir, dimensions: DIMS })
    const r = rng(6)
    const v = randomVector(r)
    for (let round = 0; round < 30; round++) await idx.upsertMany(Array.from({ length: 100 }, (_, i) => entry(`e${i}`, near(v, r, 1))))
    // 3000 upserts of 100 ids: without compaction the log would hold 3000 records.
    await idx.close()
    const again = await openVectorIndex({ dir, dimensions: DIMS })
    assert.equal(again.size, 100)
    assert.ok(statSync(path.join(dir, 'index.log')).size < 1500 * 300, 'log was compacted')
    await again.close()
  })

  test('a torn or corrupted log tail is recovered and reported; everything before it survives', async () => {
    const dir = fresh()
    const idx = await openVectorIndex({ dir, dimensions: DIMS })
    const r = rng(7)
    for (let i = 0; i < 50; i++) await idx.upsert(entry(`e${i}`, randomVector(r)))
    await idx.close()
    const file = path.join(dir, 'index.log')
    const size = statSync(file).size
    truncateSync(file, size - 10) // the last upsert torn mid-record
    appendFileSync(file, Buffer.from([1, 2, 3]))
    const again = await openVectorIndex({ dir, dimensions: DIMS })
    assert.ok(again.recovery != null)
    assert.ok(again.recovery.truncatedBytes > 0)
    assert.equal(again.size, 49)
    assert.equal(again.has('e49'), false)
    assert.equal(again.has('e48'), true)
    // Usable after recovery, and the next open is clean.
    await again.upsert(entry('e49', randomVector(r)))
    await again.close()
    const third = await openVectorIndex({ dir, dimensions: DIMS })
    assert.equal(third.recovery, null)
    assert.equal(third.size, 50)
    await third.close()
  })

  test('the data directory is locked: a second open fails with StoreLockedError naming the process', async () => {
    const dir = fresh()
    const idx = await openVectorIndex({ dir, dimensions: DIMS })
    await assert.rejects(openVectorIndex({ dir, dimensions: DIMS }), (err: Error) => {
      assert.equal(err.name, 'StoreLockedError')
      assert.match(err.message, new RegExp(`in use by process ${process.pid}`))
      return true
    })
    // Another process too.
    const env: NodeJS.ProcessEnv = { ...process.env, CONTINUUM_VINDEX_CHILD: dir }
    delete env.NODE_TEST_CONTEXT
    const child = spawn(process.execPath, [__filename], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    child.stderr.on('data', (d: Buffer) => { out += d.toString() })
    const code = await new Promise<number | null>(resolve => child.on('exit', resolve))
    assert.equal(code, 3, out)
    assert.match(out, new RegExp(`StoreLockedError: .* is in use by process ${process.pid}; stop it or use another --data-dir`))
    await idx.close()
    const reopened = await openVectorIndex({ dir, dimensions: DIMS })
    await reopened.close()
  })
})

suite('hybrid search', () => {
  // A small catalog in topic clusters: vectors say what an entry is about, the text carries its name and tags.
  const r = rng(8)
  const topics = { wine: randomVector(r), code: randomVector(r), garden: randomVector(r), music: randomVector(r) }
  const catalog: IndexEntry[] = []
  const names: Record<keyof typeof topics, string[]> = {
    wine: ['vineyard-advisor', 'sommelier-pairing', 'fermentation-chemistry', 'cellar-manager', 'wine-label-reader'],
    code: ['async-debugger', 'sql-expert-lora', 'rust-borrow-helper', 'react-hooks-coach', 'regex-wizard'],
    garden: ['tomato-grower', 'soil-analyst', 'orchid-care', 'pest-spotter', 'compost-guide'],
    music: ['chord-finder', 'lyric-helper', 'drum-pattern-maker', 'mixing-engineer', 'jazz-theory-tutor']
  }
  for (const [topic, list] of Object.entries(names) as Array<[keyof typeof topics, string[]]>) {
    for (const name of list) {
      catalog.push(entry(name, near(topics[topic], r, 0.6), { text: `${name}\nAn adapter about ${topic}.\n${name.split('-').join(' ')}`, attrs: { kind: 'lora' } }))
    }
  }

  for (const fusion of ['rrf', 'weighted'] as const) {
    test(`${fusion}: an exact-name query puts that adapter first even when the query vector points elsewhere`, async () => {
      const idx = await openVectorIndex({ dir: fresh(), dimensions: DIMS, fusion })
      await idx.upsertMany(catalog)
      for (const target of ['sql-expert-lora', 'mixing-engineer', 'orchid-care']) {
        // The embedding of a bare name is a poor description: here it points at the wine topic.
        const res = idx.search({ vector: near(topics.wine, r, 0.3), text: target, k: 5 })
        assert.equal(res[0].id, target, `${fusion}: ${target} → ${res.map(x => x.id).join(', ')}`)
      }
      await idx.close()
    })

    test(`${fusion}: a description query with no keyword overlap ranks by meaning`, async () => {
      const idx = await openVectorIndex({ dir: fresh(), dimensions: DIMS, fusion })
      await idx.upsertMany(catalog)
      const res = idx.search({ vector: near(topics.garden, r, 0.2), text: 'I am building something to keep my backyard plants alive', k: 5 })
      assert.ok(res.every(x => names.garden.includes(x.id)), res.map(x => x.id).join(', '))
      await idx.close()
    })
  }

  test('weighted: keyword overlap breaks near-ties but cannot outvote an entry clearly closer in meaning; similarity stays the cosine', async () => {
    const idx = await openVectorIndex({ dir: fresh(), dimensions: DIMS })
    const axis = (weights: Record<number, number>): Float32Array => {
      const v = new Float32Array(DIMS)
      for (const [i, w] of Object.entries(weights)) v[Number(i)] = w
      return v
    }
    // Cosine to the query (axis 0): 0.8 for the entry about what is asked, 0.55 for the one sharing its words.
    await idx.upsertMany([
      entry('closest-in-meaning', axis({ 0: 0.8, 1: 0.6 }), { text: 'Vineyard operations planner' }),
      entry('shares-the-words', axis({ 0: 0.55, 2: Math.sqrt(1 - 0.55 ** 2) }), { text: 'grape harvest farm plan family festival' }),
      ...Array.from({ length: 20 }, (_, i) => entry(`other-${i}`, axis({ [10 + i]: 1 }), { text: `unrelated adapter ${i}` }))
    ])
    // Longer than a name (no exact-phrase tier): a description of the need.
    const res = idx.search({ vector: axis({ 0: 1 }), text: 'plan the grape harvest for our family farm', k: 3 })
    assert.deepEqual(res.slice(0, 2).map(x => x.id), ['closest-in-meaning', 'shares-the-words'])
    assert.ok(Math.abs(res[0].similarity - 0.8) < 1e-4, `similarity ${res[0].similarity}`)
    assert.ok(Math.abs(res[1].similarity - 0.55) < 1e-4, `similarity ${res[1].similarity}`)
    await idx.close()
  })

  test('a query word present in most entries does not drown the rare one', async () => {
    const idx = await openVectorIndex({ dir: fresh(), dimensions: DIMS })
    const r2 = rng(13)
    await idx.upsertMany(Array.from({ length: 300 }, (_, i) => entry(`h${i}`, randomVector(r2), { text: `helper number ${i}${i === 123 ? ' kubernetes' : ''}` })))
    const res = idx.search({ text: 'kubernetes helper', k: 3 })
    assert.equal(res[0].id, 'h123')
    // Only common words: the search still answers with the best of them.
    assert.ok(idx.search({ text: 'helper', k: 3 }).length === 3)
    await idx.close()
  })

  test('text-only search works without a vector (similarity 0), and filters apply to keyword hits', async () => {
    const idx = await openVectorIndex({ dir: fresh(), dimensions: DIMS })
    await idx.upsertMany(catalog.map((e, i) => ({ ...e, attrs: { kind: i % 2 === 0 ? 'lora' : 'persona' } })))
    const res = idx.search({ text: 'regex wizard', k: 3 })
    assert.equal(res[0].id, 'regex-wizard')
    assert.equal(res[0].similarity, 0)
    const persona = idx.search({ text: 'regex wizard', k: 3, filters: { kind: 'lora' } })
    const regexKind = catalog.findIndex(e => e.id === 'regex-wizard') % 2 === 0 ? 'lora' : 'persona'
    assert.equal(persona.some(x => x.id === 'regex-wizard'), regexKind === 'lora')
    await idx.close()
  })
})

suite('vectra interop', () => {
  test('imports an index created by vectra (inline and external metadata)', async () => {
    const folder = path.join(fresh(), 'vectra-in')
    const v = new LocalIndex(folder)
    await v.createIndex({ version: 1, metadata_config: { indexed: ['kind'] } })
    const r = rng(9)
    const items = Array.from({ length: 40 }, (_, i) => ({ id: `v${i}`, vector: Array.from(randomVector(r)) }))
    await v.beginUpdate()
    for (const [i, it] of items.entries()) {
      await v.insertItem({ id: it.id, vector: it.vector, metadata: { kind: i % 2 === 0 ? 'lora' : 'persona', name: `Vectra item ${i}`, description: `imported ${i}`, rating: i % 5 } })
    }
    await v.endUpdate()
    // An item with the wrong dimensions is skipped and reported.
    await v.insertItem({ id: 'wrong-dims', vector: [1, 2, 3], metadata: { kind: 'lora' } })

    const idx = await openVectorIndex({ dir: fresh(), dimensions: DIMS })
    const result = await idx.importVectra(folder)
    assert.equal(result.imported, 40)
    assert.deepEqual(result.skipped.map(s => s.id), ['wrong-dims'])
    assert.equal(idx.size, 40)
    const q = randomVector(r)
    // Same ranking as vectra's own query.
    const theirs = (await v.queryItems(Array.from(q), '', 10)).map(x => x.item.id)
    assert.deepEqual(idx.search({ vector: q, k: 10 }).map(x => x.id), theirs)
    const e = idx.get('v3')!
    assert.equal(e.attrs.kind, 'persona')
    assert.equal(e.attrs.rating, 3)
    assert.match(e.text, /Vectra item 3/)
    assert.deepEqual(e.payload, { kind: 'persona', name: 'Vectra item 3', description: 'imported 3', rating: 3 })
    assert.equal(idx.search({ vector: q, text: 'Vectra item 17', k: 1 })[0].id, 'v17')
    assert.deepEqual(new Set(idx.search({ vector: q, k: 40, filters: { kind: 'lora' } }).map(x => x.id)), new Set(items.filter((_, i) => i % 2 === 0).map(x => x.id)))
    await idx.close()
  })

  test('exports an index that vectra reads and queries; a round trip restores our fields', async () => {
    const idx = await openVectorIndex({ dir: fresh(), dimensions: DIMS })
    const r = rng(10)
    const entries = Array.from({ length: 60 }, (_, i) => entry(`x${i}`, randomVector(r), {
      text: `export ${i}`, location: i % 3 === 0 ? 'remote' : 'local', availableFrom: i % 3 === 0 ? ['peerA'] : undefined,
      attrs: { kind: i % 2 === 0 ? 'lora' : 'persona', specializations: ['a, b', 'c'], price: i }, payload: { manifest: { name: `x${i}`, files: [1, 2] } }
    }))
    await idx.upsertMany(entries)
    const folder = path.join(fresh(), 'vectra-out')
    const out = await idx.exportVectra(folder)
    assert.equal(out.exported, 60)

    const v = new LocalIndex(folder)
    assert.equal(await v.isIndexCreated(), true)
    assert.equal((await v.getIndexStats()).items, 60)
    const q = randomVector(r)
    const theirs = await v.queryItems(Array.from(q), '', 10)
    const ours = idx.search({ vector: q, k: 10 })
    assert.deepEqual(theirs.map(x => x.item.id), ours.map(x => x.id))
    for (let i = 0; i < ours.length; i++) assert.ok(Math.abs(theirs[i].score - ours[i].similarity) < 1e-5 || ours[i].similarity === 0)
    // vectra's metadata filters work on the exported scalars.
    const loras = await v.queryItems(Array.from(q), '', 60, { kind: { $eq: 'lora' } })
    assert.equal(loras.length, 30)
    // vectra can keep using the folder: add an item, then import everything back.
    await v.insertItem({ id: 'added-by-vectra', vector: Array.from(randomVector(r)), metadata: { name: 'From vectra' } })
    const back = await openVectorIndex({ dir: fresh(), dimensions: DIMS })
    const res = await back.importVectra(folder)
    assert.equal(res.imported, 61)
    for (const id of ['x0', 'x7']) {
      const a = idx.get(id)!
      const b = back.get(id)!
      assert.deepEqual({ ...b, vector: undefined }, { ...a, vector: undefined })
      assert.ok(Math.abs(cosine(a.vector, b.vector) - 1) < 1e-6)
    }
    assert.equal(back.get('added-by-vectra')!.text, 'From vectra')
    await idx.close()
    await back.close()
  })

  test('a folder without index.json or with garbage is refused with VectraFormatError', async () => {
    const idx = await openVectorIndex({ dir: fresh(), dimensions: DIMS })
    const empty = fresh()
    await assert.rejects(idx.importVectra(empty), { name: 'VectraFormatError' })
    writeFileSync(path.join(empty, 'index.json'), '{"items": 5}')
    await assert.rejects(idx.importVectra(empty), { name: 'VectraFormatError' })
    writeFileSync(path.join(empty, 'index.json'), JSON.stringify({ version: 1, items: [{ id: 'a', vector: Array(DIMS).fill(1), metadata: {}, metadataFile: '../../etc/passwd' }] }))
    const res = await idx.importVectra(empty)
    assert.equal(res.imported, 0)
    assert.match(res.skipped[0].reason, /unsafe/)
    assert.equal(readFileSync(path.join(empty, 'index.json'), 'utf8').length > 0, true)
    await idx.close()
  })
})

/** The lock test's child process: tries to open a locked index, exits 3 with the error. */
async function openLocked (dir: string): Promise<void> {
  try {
    const idx = await openVectorIndex({ dir, dimensions: DIMS })
    await idx.close()
    process.exit(0)
  } catch (err) {
    console.error(`${(err as Error).name}: ${(err as Error).message}`)
    process.exit(3)
  }
}
