// Opening from a snapshot: compaction writes the index as one binary file and the log keeps only a
// reference to it plus later changes. A reopened index must hold exactly what was there (entries, vectors,
// payloads, filters, keyword search, the remote LRU order, changes made after the snapshot), and a process
// killed (SIGKILL) while writing a snapshot must lose nothing that was acknowledged.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, statSync, watch } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, describe, test } from 'node:test'
import { openVectorIndex, type IndexEntry, type VectorIndex } from '../src/node/vector-index'
import { seededRandom as rng } from '../bench/_random'

const dirs: string[] = []
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })
function fresh (): string {
  const d = mkdtempSync(path.join(tmpdir(), 'continuum-snapshot-'))
  dirs.push(d)
  return d
}

const WORDS = 'wine sql rust async garden music legal finance poetry chess yoga physics tax react kotlin cocktail beer soil'.split(' ')

/** Entry i, the same in every process. */
function entry (i: number, dims: number, extra: Partial<IndexEntry> = {}): IndexEntry {
  const r = rng(i * 7919 + 13)
  const vector = Float32Array.from({ length: dims }, () => r() * 2 - 1)
  return {
    id: `adapter-${i}`,
    vector,
    text: `adapter-${i} ${WORDS[i % WORDS.length]} helper for ${WORDS[(i * 7) % WORDS.length]}`,
    attrs: { kind: i % 3 === 0 ? 'persona' : 'lora', rating: (i % 50) / 10, specializations: [WORDS[i % 5]] },
    location: 'local',
    payload: { n: i, name: `Adapter ${i}` },
    ...extra
  }
}

// ---- child process: writes, then compacts in a loop until killed ---------------------------------------
const CHILD = process.env.CONTINUUM_SNAPSHOT_CHILD
if (CHILD != null) {
  const [dir, from, count] = CHILD.split('|')
  void (async () => {
    const idx = await openVectorIndex({ dir, dimensions: 384 })
    const start = Number(from)
    for (let s = start; s < start + Number(count); s += 2000) {
      await idx.upsertMany(Array.from({ length: Math.min(2000, start + Number(count) - s) }, (_, k) => entry(s + k, 384)))
      process.stdout.write(`durable ${Math.min(s + 2000, start + Number(count))}\n`)
    }
    let next = start + Number(count)
    for (;;) {
      process.stdout.write('compacting\n')
      const compaction = idx.compact()
      // Writes keep coming while the snapshot is written; they must survive too.
      await idx.upsertMany(Array.from({ length: 50 }, (_, k) => entry(next + k, 384)))
      next += 50
      process.stdout.write(`durable ${next}\n`)
      await compaction
    }
  })()
} else {
  describe('index snapshot', () => {
    test('after compaction the log holds only a snapshot reference and later changes; a reopen restores everything', async () => {
      const dir = fresh()
      const dims = 32
      let idx: VectorIndex = await openVectorIndex({ dir, dimensions: dims, remoteCapacity: 40 })
      await idx.upsertMany(Array.from({ length: 600 }, (_, i) => entry(i, dims)))
      await idx.upsertMany(Array.from({ length: 40 }, (_, i) => entry(1000 + i, dims, { location: 'remote', availableFrom: [`peer${i}`], cachedAt: 1700000000000 + i })))
      // Searching remote entries makes them recently used: the LRU order must survive the snapshot.
      idx.search({ vector: entry(1000, dims).vector, k: 3, filters: { location: 'remote' } })
      await idx.compact()
      assert.ok(statSync(path.join(dir, 'index.log')).size < 4096, `the log was replaced by a snapshot reference (${statSync(path.join(dir, 'index.log')).size} bytes)`)
      assert.equal(readdirSync(dir).filter(f => /^snapshot-.*\.bin$/.test(f)).length, 1)
      // Changes after the snapshot: replaced, deleted and new entries.
      await idx.upsert(entry(5, dims, { text: 'adapter-5 replaced text kubernetes', payload: { n: 5, replaced: true } }))
      await idx.delete('adapter-7')
      await idx.upsert(entry(700, dims))
      const queries = [
        { vector: entry(3, dims).vector, k: 5 },
        { vector: entry(11, dims).vector, text: 'garden helper', k: 10 },
        { text: 'kubernetes', k: 3 },
        { vector: entry(20, dims).vector, text: 'sql', k: 10, filters: { kind: 'persona', minRating: 1, specialization: 'rust' } },
        { vector: entry(1001, dims).vector, k: 5, filters: { location: 'remote' as const } }
      ]
      const before = queries.map(q => idx.search(q))
      const ids = idx.allIds().sort()
      const entries = ids.map(id => idx.get(id))
      await idx.close()

      idx = await openVectorIndex({ dir, dimensions: dims, remoteCapacity: 40 })
      assert.deepEqual(idx.allIds().sort(), ids)
      assert.deepEqual(ids.map(id => idx.get(id)), entries)
      assert.equal(idx.get('adapter-7'), undefined)
      assert.deepEqual((idx.get('adapter-5')?.payload as { replaced?: boolean }).replaced, true)
      assert.deepEqual(queries.map(q => idx.search(q)), before)
      assert.equal(idx.count('remote'), 40)
      // The least recently used remote entry goes first when a new one arrives (1000 and 1001 were used by searches).
      const lruOrder = idx.allIds().filter(id => idx.get(id)?.location === 'remote')
      await idx.upsert(entry(2000, dims, { location: 'remote' }))
      assert.equal(idx.count('remote'), 40)
      const gone = lruOrder.filter(id => !idx.has(id))
      assert.equal(gone.length, 1)
      assert.ok(!['adapter-1000', 'adapter-1001'].includes(gone[0]), `a recently used remote entry was evicted first (${gone[0]})`)
      await idx.close()
    })

    test('SIGKILL while a snapshot is being written loses no acknowledged entry', async () => {
      const dir = fresh()
      let durable = 0
      let sawTemp = 0
      for (let round = 0; round < 6 && sawTemp < 2; round++) {
        const env: NodeJS.ProcessEnv = { ...process.env, CONTINUUM_SNAPSHOT_CHILD: `${dir}|${durable}|${round === 0 ? 12000 : 2000}` }
        delete env.NODE_TEST_CONTEXT
        const child = spawn(process.execPath, [__filename], { env, stdio: ['ignore', 'pipe', 'pipe'] })
        let err = ''
        child.stderr.on('data', (d: Buffer) => { err += d.toString() })
        let buf = ''
        let compactions = 0
        const exited = new Promise<void>(resolve => child.on('exit', () => resolve()))
        // Odd rounds: kill the moment a snapshot temp file appears (mid-write); even rounds: at a delay after
        // a compaction starts (while encoding, writing, renaming or compacting the log).
        const watcher = watch(dir, (_event, name) => {
          if (round % 2 === 1 && compactions >= 2 && name != null && /^\.snapshot-.*\.tmp$/.test(name)) child.kill('SIGKILL')
        })
        child.stdout.on('data', (d: Buffer) => {
          buf += d.toString()
          let nl: number
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl)
            buf = buf.slice(nl + 1)
            const m = /^durable (\d+)$/.exec(line)
            if (m != null) durable = Math.max(durable, Number(m[1]))
            // Kill a little after a compaction starts: while the snapshot is encoded, written or renamed.
            if (line === 'compacting' && ++compactions === 2) setTimeout(() => child.kill('SIGKILL'), round % 2 === 0 ? (round * 37) % 100 : 5000)
          }
        })
        await exited
        watcher.close()
        assert.equal(err, '', err)
        if (readdirSync(dir).some(f => /^\.snapshot-.*\.tmp$/.test(f))) sawTemp++
        const idx = await openVectorIndex({ dir, dimensions: 384 })
        for (let i = 0; i < durable; i++) {
          const got = idx.get(`adapter-${i}`)
          assert.ok(got != null, `round ${round}: adapter-${i} of ${durable} acknowledged entries is lost`)
          assert.deepEqual(got.payload, { n: i, name: `Adapter ${i}` })
        }
        // Vectors come back exactly as stored (normalised copies of the originals).
        const e = entry(durable - 1, 384)
        const stored = idx.get(`adapter-${durable - 1}`)!.vector
        let dot = 0
        let ss = 0
        for (let d = 0; d < 384; d++) { dot += stored[d] * e.vector[d]; ss += e.vector[d] * e.vector[d] }
        assert.ok(Math.abs(dot / Math.sqrt(ss) - 1) < 1e-5)
        assert.ok(!readdirSync(dir).some(f => f.endsWith('.tmp')), 'snapshot temp files are removed on open')
        await idx.close()
      }
      assert.ok(sawTemp > 0, 'no kill landed while a snapshot file was being written (the test did not test that)')
    })
  })
}
