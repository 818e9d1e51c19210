// Storage primitives: atomic replace, the checksummed append log (group commit, tail recovery, kill -9
// in the middle of appends and compactions) and the data-directory lock.
//
// The child processes used for kill -9 are this same bundle re-run with CONTINUUM_STORAGE_CHILD set, so
// they exercise the real, bundled storage module.
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, describe, test } from 'node:test'
import { APPEND_LOG_MAGIC, LOCK_FILE_NAME, crc32, lockDirectory, openAppendLog, writeFileAtomic } from '../src/node/storage'
import { crc32Js } from '../src/node/storage/crc32'

const enc = new TextEncoder()
const dec = new TextDecoder()

/**
 * Deterministic record content for sequence number `seq`: variable length, and every 50th record 200 KB,
 * so some writes span many pages and a kill can land in the middle of one.
 */
function payload (seq: number): Uint8Array {
  return enc.encode(JSON.stringify({ seq, fill: seq % 50 === 49 ? 'y'.repeat(200_000) : 'x'.repeat((seq * 37) % 500) }))
}

function versionContent (v: string): string {
  return `version ${v}\n` + v.repeat(300_000)
}

async function childMain (mode: string): Promise<void> {
  const target = process.argv[2]
  if (mode === 'writer') {
    // Streams appends (several in flight, so group commit batches them) and compacts now and then;
    // prints "ack N" only after append N resolved.
    const { log, records } = await openAppendLog(target)
    const issued: Uint8Array[] = records.map(r => r.slice())
    let next = issued.length
    const inFlight = 8
    const compactEvery = Number(process.argv[3] ?? 300)
    let sinceCompact = 0
    const one = async (): Promise<void> => {
      for (;;) {
        const seq = next++
        const rec = payload(seq)
        issued.push(rec)
        await log.append(rec)
        process.stdout.write(`ack ${seq}\n`)
        if (++sinceCompact >= compactEvery) {
          sinceCompact = 0
          await log.compact(issued.slice())
          process.stdout.write('compacted\n')
        }
      }
    }
    await Promise.all(Array.from({ length: inFlight }, one))
  } else if (mode === 'locker') {
    await lockDirectory(target)
    process.stdout.write('locked\n')
    setInterval(() => {}, 1000)
  } else if (mode === 'atomic') {
    for (let i = 0; ; i++) {
      await writeFileAtomic(target, versionContent(i % 2 === 0 ? 'A' : 'B'))
      process.stdout.write(`wrote ${i}\n`)
    }
  }
}

function spawnChild (mode: string, args: string[]): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, CONTINUUM_STORAGE_CHILD: mode }
  delete env.NODE_TEST_CONTEXT
  return spawn(process.execPath, [__filename, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] })
}

/** Collects stdout lines; resolves `until` once `predicate(lines)` holds. */
function watch (child: ChildProcess): { lines: string[], until: (pred: (lines: string[]) => boolean) => Promise<void> } {
  const lines: string[] = []
  let buf = ''
  let waiters: Array<{ pred: (l: string[]) => boolean, resolve: () => void, reject: (e: Error) => void }> = []
  const check = (): void => {
    waiters = waiters.filter(w => { if (w.pred(lines)) { w.resolve(); return false } return true })
  }
  child.stdout!.on('data', (chunk: Buffer) => {
    buf += chunk.toString('utf8')
    const parts = buf.split('\n')
    buf = parts.pop()!
    lines.push(...parts)
    check()
  })
  child.on('exit', (code, sig) => { for (const w of waiters) w.reject(new Error(`child exited early (${code ?? sig})`)); waiters = [] })
  return { lines, until: async (pred) => await new Promise<void>((resolve, reject) => { waiters.push({ pred, resolve, reject }); check() }) }
}

async function killHard (child: ChildProcess): Promise<void> {
  if (child.exitCode != null || child.signalCode != null) return
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  child.kill('SIGKILL')
  await exited
}

function tempDir (): string {
  return mkdtempSync(path.join(tmpdir(), 'continuum-storage-'))
}

const childMode = process.env.CONTINUUM_STORAGE_CHILD
if (childMode != null) {
  childMain(childMode).catch(err => { console.error(err); process.exit(2) })
} else {
  const dirs: string[] = []
  const fresh = (): string => { const d = tempDir(); dirs.push(d); return d }
  after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

  describe('crc32', () => {
    test('native and JS implementations agree with the standard check value', () => {
      assert.equal(crc32(enc.encode('123456789')), 0xcbf43926)
      assert.equal(crc32Js(enc.encode('123456789')), 0xcbf43926)
      const data = enc.encode('continuum mesh '.repeat(1000))
      assert.equal(crc32Js(data), crc32(data))
      assert.equal(crc32Js(data.subarray(100), crc32Js(data.subarray(0, 100))), crc32(data))
    })
  })

  describe('writeFileAtomic', () => {
    test('creates and replaces a file, leaving no temp files', async () => {
      const dir = fresh()
      const file = path.join(dir, 'state.json')
      await writeFileAtomic(file, '{"v":1}')
      assert.equal(readFileSync(file, 'utf8'), '{"v":1}')
      await writeFileAtomic(file, enc.encode('{"v":2}'))
      assert.equal(readFileSync(file, 'utf8'), '{"v":2}')
      assert.deepEqual(readdirSync(dir), ['state.json'])
    })

    test('accepts an iterable of chunks (streamed large files)', async () => {
      const dir = fresh()
      const file = path.join(dir, 'big.json')
      function * chunks (): Generator<string | Uint8Array> {
        yield '['
        for (let i = 0; i < 1000; i++) yield (i > 0 ? ',' : '') + JSON.stringify({ i, pad: 'p'.repeat(i % 100) })
        yield enc.encode(']')
      }
      await writeFileAtomic(file, chunks())
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as Array<{ i: number }>
      assert.equal(parsed.length, 1000)
      assert.equal(parsed[999].i, 999)
      assert.deepEqual(readdirSync(dir), ['big.json'])
    })

    test('an aborted write leaves the old content and no temp file', async () => {
      const dir = fresh()
      const file = path.join(dir, 'state.json')
      await writeFileAtomic(file, 'old')
      const ac = new AbortController()
      ac.abort()
      await assert.rejects(writeFileAtomic(file, 'new', { signal: ac.signal }), { name: 'AbortError' })
      assert.equal(readFileSync(file, 'utf8'), 'old')
      assert.deepEqual(readdirSync(dir), ['state.json'])
    })

    test('kill -9 during a stream of replacements leaves one complete version', async () => {
      const dir = fresh()
      const file = path.join(dir, 'big.txt')
      for (let round = 0; round < 4; round++) {
        const child = spawnChild('atomic', [file])
        const w = watch(child)
        const target = 2 + Math.floor(Math.random() * 6)
        await w.until(l => l.filter(x => x.startsWith('wrote')).length >= target)
        await killHard(child)
        const text = readFileSync(file, 'utf8')
        assert.ok(text === versionContent('A') || text === versionContent('B'), `round ${round}: file is a torn mix (${text.length} chars)`)
      }
    })
  })

  describe('append log', () => {
    test('appends, reopens and reads records back in order', async () => {
      const file = path.join(fresh(), 'data.log')
      const first = await openAppendLog(file)
      assert.equal(first.records.length, 0)
      assert.equal(first.recovery, null)
      await first.log.append(enc.encode('one'))
      await first.log.appendMany([enc.encode('two'), new Uint8Array(0), enc.encode('three')])
      assert.equal(first.log.count, 4)
      assert.equal(first.log.size, statSync(file).size)
      await first.log.close()
      await assert.rejects(first.log.append(enc.encode('late')), { name: 'AppendLogClosedError' })

      const again = await openAppendLog(file)
      assert.deepEqual(again.records.map(r => dec.decode(r)), ['one', 'two', '', 'three'])
      assert.equal(again.recovery, null)
      await again.log.close()
    })

    test('concurrent appends are group-committed into fewer fsyncs and all persist in order', async () => {
      const file = path.join(fresh(), 'data.log')
      const { log } = await openAppendLog(file)
      await Promise.all(Array.from({ length: 200 }, async (_, i) => await log.append(payload(i))))
      assert.equal(log.count, 200)
      assert.ok(log.commits < 200, `expected batching, got ${log.commits} commits for 200 appends`)
      await log.close()
      const { records, log: l2 } = await openAppendLog(file)
      assert.deepEqual(records.map(r => dec.decode(r)), Array.from({ length: 200 }, (_, i) => dec.decode(payload(i))))
      await l2.close()
    })

    async function logWith (n: number): Promise<{ file: string, offsets: number[] }> {
      const file = path.join(fresh(), 'data.log')
      const { log } = await openAppendLog(file)
      const offsets: number[] = []
      for (let i = 0; i < n; i++) {
        offsets.push(log.size)
        await log.append(payload(i))
      }
      offsets.push(log.size)
      await log.close()
      return { file, offsets }
    }

    test('a flipped byte in the last record is detected; the valid prefix is kept and the file truncated', async () => {
      const { file, offsets } = await logWith(10)
      const bytes = readFileSync(file)
      bytes[offsets[9] + 20] ^= 0xff
      writeFileSync(file, bytes)
      const { log, records, recovery } = await openAppendLog(file)
      assert.equal(records.length, 9)
      assert.deepEqual(records.map(r => dec.decode(r)), Array.from({ length: 9 }, (_, i) => dec.decode(payload(i))))
      assert.ok(recovery != null)
      assert.match(recovery.reason, /checksum/)
      assert.equal(recovery.offset, offsets[9])
      assert.equal(recovery.truncatedBytes, offsets[10] - offsets[9])
      assert.equal(statSync(file).size, offsets[9])
      // The log is usable again and the next open is clean.
      await log.append(enc.encode('after recovery'))
      await log.close()
      const again = await openAppendLog(file)
      assert.equal(again.recovery, null)
      assert.equal(again.records.length, 10)
      assert.equal(dec.decode(again.records[9]), 'after recovery')
      await again.log.close()
    })

    test('a record truncated mid-way (torn write) is cut off', async () => {
      const { file, offsets } = await logWith(10)
      for (const cut of [offsets[9] + 3, offsets[9] + 8, offsets[10] - 1]) {
        const bytes = readFileSync(file).subarray(0, offsets[10])
        writeFileSync(file, bytes.subarray(0, cut))
        const { log, records, recovery } = await openAppendLog(file)
        assert.equal(records.length, 9)
        assert.match(recovery?.reason ?? '', /torn/)
        assert.equal(recovery?.truncatedBytes, cut - offsets[9])
        // Put the full record back for the next cut.
        await log.append(payload(9))
        await log.close()
      }
    })

    test('zero-filled and garbage tails are rejected, corruption in the middle keeps the prefix before it', async () => {
      const { file, offsets } = await logWith(10)
      writeFileSync(file, Buffer.concat([readFileSync(file), Buffer.alloc(4096)]))
      let r = await openAppendLog(file)
      assert.equal(r.records.length, 10)
      assert.equal(r.recovery?.truncatedBytes, 4096)
      await r.log.close()

      const bytes = readFileSync(file)
      bytes.writeUInt32LE(0xfffffff0, offsets[4]) // absurd length field
      writeFileSync(file, bytes)
      r = await openAppendLog(file)
      assert.equal(r.records.length, 4)
      assert.match(r.recovery?.reason ?? '', /length/)
      assert.equal(statSync(file).size, offsets[4])
      await r.log.close()
    })

    test('a file that is not a log is refused and left untouched', async () => {
      const file = path.join(fresh(), 'data.log')
      writeFileSync(file, 'hello, this is someone else\'s file')
      await assert.rejects(openAppendLog(file), { name: 'AppendLogFormatError' })
      assert.equal(readFileSync(file, 'utf8'), 'hello, this is someone else\'s file')
    })

    test('a torn file header (crash while creating) is repaired', async () => {
      const file = path.join(fresh(), 'data.log')
      writeFileSync(file, APPEND_LOG_MAGIC.subarray(0, 3))
      const { log, records, recovery } = await openAppendLog(file)
      assert.equal(records.length, 0)
      assert.equal(recovery?.truncatedBytes, 3)
      await log.append(enc.encode('x'))
      await log.close()
      const again = await openAppendLog(file)
      assert.equal(again.records.length, 1)
      await again.log.close()
    })

    test('compact atomically replaces the content; later appends land after it', async () => {
      const dir = fresh()
      const file = path.join(dir, 'data.log')
      const { log } = await openAppendLog(file)
      for (let i = 0; i < 50; i++) await log.append(payload(i))
      const before = log.size
      const compacting = log.compact([enc.encode('state-a'), enc.encode('state-b')])
      const appended = log.append(enc.encode('after'))
      await Promise.all([compacting, appended])
      assert.equal(log.count, 3)
      assert.ok(log.size < before)
      await log.close()
      const { records, log: l2 } = await openAppendLog(file)
      assert.deepEqual(records.map(r => dec.decode(r)), ['state-a', 'state-b', 'after'])
      assert.deepEqual(readdirSync(dir), ['data.log'])
      await l2.close()
    })

    test('an oversized record is refused without touching the log', async () => {
      const file = path.join(fresh(), 'data.log')
      const { log } = await openAppendLog(file, { maxRecordBytes: 100 })
      await assert.rejects(log.append(new Uint8Array(101)), { name: 'RecordTooLargeError' })
      await log.append(new Uint8Array(100))
      assert.equal(log.count, 1)
      await log.close()
    })

    test('kill -9 of a writer in the middle of appends and compactions loses no acknowledged record', async (t) => {
      const dir = fresh()
      const file = path.join(dir, 'data.log')
      let acked = -1
      let recoveries = 0
      for (let round = 0; round < 8; round++) {
        // Alternate compaction frequency so some kills land inside a compaction.
        const child = spawnChild('writer', [file, round % 2 === 0 ? '40' : '400'])
        const w = watch(child)
        const target = acked + 50 + Math.floor(Math.random() * 400)
        await w.until(lines => lines.some(l => l === `ack ${target}`))
        // Let it run on a little, so the kill lands at an arbitrary point of a write.
        await new Promise(resolve => setTimeout(resolve, Math.random() * 15))
        await killHard(child)
        for (const l of w.lines) if (l.startsWith('ack ')) acked = Math.max(acked, Number(l.slice(4)))

        const { log, records, recovery } = await openAppendLog(file)
        if (recovery != null) recoveries++
        assert.ok(records.length >= acked + 1, `round ${round}: ${records.length} records after reopen, but ${acked + 1} were acknowledged`)
        for (let i = 0; i < records.length; i++) assert.deepEqual(records[i], payload(i), `round ${round}: record ${i} differs`)
        await log.close()
        // No compaction temp file from the dead writer survives the reopen.
        assert.deepEqual(readdirSync(dir), ['data.log'])
      }
      assert.ok(acked > 400)
      // Informational: how often the kill tore a record (not asserted: timing dependent).
      t.diagnostic(`${acked + 1} acknowledged appends over 8 kills; ${recoveries} reopen(s) truncated a torn tail`)
    })
  })

  describe('directory lock', () => {
    test('a second lock in the same process is refused until released', async () => {
      const dir = fresh()
      const lock = await lockDirectory(dir)
      await assert.rejects(lockDirectory(dir), (err: Error & { pid?: number }) => {
        assert.equal(err.name, 'StoreLockedError')
        assert.equal(err.pid, process.pid)
        assert.match(err.message, new RegExp(`in use by process ${process.pid}; stop it or use another --data-dir`))
        return true
      })
      await lock.release()
      assert.equal(existsSync(path.join(dir, LOCK_FILE_NAME)), false)
      const again = await lockDirectory(dir)
      await again.release()
    })

    test('another live process holding the lock gets StoreLockedError naming it; after kill -9 the stale lock is taken over', async () => {
      const dir = fresh()
      const child = spawnChild('locker', [dir])
      try {
        await watch(child).until(l => l.includes('locked'))
        await assert.rejects(lockDirectory(dir), (err: Error & { pid?: number }) => {
          assert.equal(err.name, 'StoreLockedError')
          assert.equal(err.pid, child.pid)
          assert.match(err.message, new RegExp(`is in use by process ${child.pid}`))
          return true
        })
      } finally {
        await killHard(child)
      }
      const lock = await lockDirectory(dir)
      assert.equal(JSON.parse(readFileSync(path.join(dir, LOCK_FILE_NAME), 'utf8')).pid, process.pid)
      await lock.release()
    })

    test('stale lock files (dead pid, our own pid from an earlier run, garbage) are taken over', async () => {
      const dir = fresh()
      const file = path.join(dir, LOCK_FILE_NAME)
      const { hostname } = await import('node:os')
      for (const content of [
        JSON.stringify({ pid: 2 ** 22 + 12345, hostname: hostname(), token: 'dead' }),
        JSON.stringify({ pid: process.pid, hostname: hostname(), token: 'previous-incarnation' }),
        '{"pid":'
      ]) {
        writeFileSync(file, content)
        const lock = await lockDirectory(dir)
        await lock.release()
      }
    })
  })
}
