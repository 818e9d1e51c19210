// An append-only log of opaque records, crash-safe by construction:
//   file   = MAGIC (8 bytes) record*
//   record = u32 length (LE) | u32 CRC-32 over (length bytes + data) (LE) | data
// An append resolves only after its bytes are fsynced. Appends that arrive while a write+fsync is in flight
// are batched into the next single write+fsync (group commit), so throughput scales with concurrency
// instead of being bound by fsync latency. On open, the first record that is incomplete or fails its
// checksum marks the end of the valid prefix: the file is truncated there and the damage is reported.
import type { FileHandle } from 'node:fs/promises'
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises'
import path from 'node:path'
import { fsyncDir, tempPathFor } from './atomic-file'
import { APPEND_LOG_MAGIC, MAX_RECORD_BYTES, RECORD_HEADER_BYTES } from './constants'
import { crc32 } from './crc32'
import { pidAlive } from './pid'
import { AppendLogClosedError, AppendLogFailedError, AppendLogFormatError, RecordTooLargeError } from './errors'

export interface AppendLogInit {
  /**
   * Largest record accepted by `append` and believed on recovery.
   * @default 64 MiB
   */
  maxRecordBytes?: number
}

export interface AppendLogRecovery {
  /** Bytes cut off the end of the file. */
  truncatedBytes: number
  /** Byte offset where the valid prefix ends (the file's new length). */
  offset: number
  /** What was wrong with the first bad record. */
  reason: string
}

export interface AppendLogOpenResult {
  log: AppendLog
  /** Every valid record in order. Views may share one buffer; copy a record if you keep it for long. */
  records: Uint8Array[]
  /** Null when the file was intact. */
  recovery: AppendLogRecovery | null
}

export interface AppendLog {
  readonly path: string
  /** Durable length of the log file in bytes (header included). */
  readonly size: number
  /** Number of durable records. */
  readonly count: number
  /** Write+fsync rounds so far; fewer than appends when group commit batched them. */
  readonly commits: number
  /** Appends one record; resolves once it is fsynced. */
  append: (record: Uint8Array, options?: { signal?: AbortSignal }) => Promise<void>
  /** Appends records as one write + fsync; resolves once all are durable (a crash keeps a prefix of them). */
  appendMany: (records: Iterable<Uint8Array>, options?: { signal?: AbortSignal }) => Promise<void>
  /**
   * Atomically replaces the log's content with `records` (temp file, fsync, rename, fsync dir). Appends
   * issued before `compact` are written first (and so are replaced: the caller's `records` must already
   * reflect them); appends issued after it land after the compacted records.
   */
  compact: (records: Iterable<Uint8Array>, options?: { signal?: AbortSignal }) => Promise<void>
  /** Waits for queued appends, then closes the file. Idempotent. */
  close: () => Promise<void>
}

interface AppendJob {
  kind: 'append'
  frames: Uint8Array[]
  bytes: number
  count: number
  resolve: () => void
  reject: (err: unknown) => void
}

interface CompactJob {
  kind: 'compact'
  records: Iterable<Uint8Array>
  signal?: AbortSignal
  resolve: () => void
  reject: (err: unknown) => void
}

type Job = AppendJob | CompactJob

function frame (record: Uint8Array, maxRecordBytes: number): Uint8Array {
  if (record.length > maxRecordBytes) throw new RecordTooLargeError(record.length, maxRecordBytes)
  const out = new Uint8Array(RECORD_HEADER_BYTES + record.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, record.length, true)
  view.setUint32(4, crc32(record, crc32(out.subarray(0, 4))), true)
  out.set(record, RECORD_HEADER_BYTES)
  return out
}

async function writeAll (fh: FileHandle, data: Uint8Array, position: number): Promise<void> {
  let off = 0
  while (off < data.length) {
    const { bytesWritten } = await fh.write(data, off, data.length - off, position + off)
    off += bytesWritten
  }
}

async function readAll (fh: FileHandle, size: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(size)
  let off = 0
  while (off < size) {
    // Chunked: a single read is capped at 2 GiB.
    const { bytesRead } = await fh.read(buf, off, Math.min(size - off, 64 * 1024 * 1024), off)
    if (bytesRead === 0) break
    off += bytesRead
  }
  return off === size ? buf : buf.subarray(0, off)
}

interface ScanResult { records: Uint8Array[], validEnd: number, reason: string | null }

/** Walks the records after the header; stops at the first one that is incomplete or corrupt. */
function scan (buf: Uint8Array, maxRecordBytes: number): ScanResult {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  const records: Uint8Array[] = []
  let off = APPEND_LOG_MAGIC.length
  while (off < buf.length) {
    const left = buf.length - off
    if (left < RECORD_HEADER_BYTES) return { records, validEnd: off, reason: `torn record header at offset ${off} (${left} of ${RECORD_HEADER_BYTES} bytes)` }
    const len = view.getUint32(off, true)
    const stored = view.getUint32(off + 4, true)
    if (len > maxRecordBytes) return { records, validEnd: off, reason: `implausible record length ${len} at offset ${off}` }
    if (left - RECORD_HEADER_BYTES < len) return { records, validEnd: off, reason: `torn record at offset ${off} (${left - RECORD_HEADER_BYTES} of ${len} bytes)` }
    const data = buf.subarray(off + RECORD_HEADER_BYTES, off + RECORD_HEADER_BYTES + len)
    if ((crc32(data, crc32(buf.subarray(off, off + 4))) >>> 0) !== stored) return { records, validEnd: off, reason: `checksum mismatch in record at offset ${off}` }
    records.push(data)
    off += RECORD_HEADER_BYTES + len
  }
  return { records, validEnd: off, reason: null }
}

function startsWith (buf: Uint8Array, prefix: Uint8Array): boolean {
  const n = Math.min(buf.length, prefix.length)
  for (let i = 0; i < n; i++) if (buf[i] !== prefix[i]) return false
  return true
}

/** Deletes compaction temp files left by a process that died mid-compaction (the name carries its pid). */
async function removeStaleTemps (file: string): Promise<void> {
  const dir = path.dirname(file)
  const prefix = `.${path.basename(file)}.`
  const names = await readdir(dir).catch(() => [] as string[])
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue
    const pid = Number(name.slice(prefix.length).split('.')[0])
    if (!Number.isInteger(pid) || pid === process.pid || pidAlive(pid)) continue
    await unlink(path.join(dir, name)).catch(() => {})
  }
}

/**
 * Opens (or creates) the log at `file`, returns its valid records and what recovery did. A file that is
 * not a log (wrong magic) is left alone and AppendLogFormatError is thrown.
 */
export async function openAppendLog (file: string, init: AppendLogInit = {}, options: { signal?: AbortSignal } = {}): Promise<AppendLogOpenResult> {
  options.signal?.throwIfAborted()
  const maxRecordBytes = init.maxRecordBytes ?? MAX_RECORD_BYTES
  await mkdir(path.dirname(file), { recursive: true })
  await removeStaleTemps(file)
  let fh: FileHandle
  let created = false
  try {
    fh = await open(file, 'r+')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    fh = await open(file, 'wx+')
    created = true
  }
  try {
    const size = (await fh.stat()).size
    let recovery: AppendLogRecovery | null = null
    let records: Uint8Array[] = []
    let validEnd: number
    if (size < APPEND_LOG_MAGIC.length) {
      const head = await readAll(fh, size)
      if (!startsWith(head, APPEND_LOG_MAGIC)) throw new AppendLogFormatError(`${file} is not a Continuum append log (bad header)`)
      // Empty, or the header itself was torn while the log was being created.
      if (size > 0) recovery = { truncatedBytes: size, offset: 0, reason: `incomplete file header (${size} of ${APPEND_LOG_MAGIC.length} bytes)` }
      await fh.truncate(0)
      await writeAll(fh, APPEND_LOG_MAGIC, 0)
      await fh.sync()
      if (created || size > 0) await fsyncDir(path.dirname(file))
      validEnd = APPEND_LOG_MAGIC.length
    } else {
      const buf = await readAll(fh, size)
      if (!startsWith(buf, APPEND_LOG_MAGIC)) throw new AppendLogFormatError(`${file} is not a Continuum append log (bad header)`)
      // Plain Uint8Array views (not Buffer) so callers get exactly the type the API promises.
      const result = scan(new Uint8Array(buf.buffer, buf.byteOffset, buf.length), maxRecordBytes)
      records = result.records
      validEnd = result.validEnd
      if (result.reason != null) {
        recovery = { truncatedBytes: size - validEnd, offset: validEnd, reason: result.reason }
        await fh.truncate(validEnd)
        await fh.sync()
      }
    }
    const log = new AppendLogImpl(file, fh, validEnd, records.length, maxRecordBytes)
    return { log, records, recovery }
  } catch (err) {
    await fh.close().catch(() => {})
    throw err
  }
}

class AppendLogImpl implements AppendLog {
  private queue: Job[] = []
  private running = false
  private closed = false
  private closing: Promise<void> | null = null
  private idle: Array<() => void> = []
  private failure: AppendLogFailedError | null = null
  private durable: number
  private records: number
  private rounds = 0

  constructor (readonly path: string, private fh: FileHandle, size: number, count: number, private readonly maxRecordBytes: number) {
    this.durable = size
    this.records = count
  }

  get size (): number { return this.durable }
  get count (): number { return this.records }
  get commits (): number { return this.rounds }

  async append (record: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.appendMany([record], options)
  }

  async appendMany (records: Iterable<Uint8Array>, options: { signal?: AbortSignal } = {}): Promise<void> {
    this.checkOpen()
    options.signal?.throwIfAborted()
    const frames: Uint8Array[] = []
    let bytes = 0
    for (const r of records) {
      const f = frame(r, this.maxRecordBytes)
      frames.push(f)
      bytes += f.length
    }
    if (frames.length === 0) return
    await new Promise<void>((resolve, reject) => {
      const job: AppendJob = { kind: 'append', frames, bytes, count: frames.length, resolve, reject }
      this.enqueue(job, options.signal)
    })
  }

  async compact (records: Iterable<Uint8Array>, options: { signal?: AbortSignal } = {}): Promise<void> {
    this.checkOpen()
    options.signal?.throwIfAborted()
    await new Promise<void>((resolve, reject) => {
      this.enqueue({ kind: 'compact', records, signal: options.signal, resolve, reject }, options.signal)
    })
  }

  async close (): Promise<void> {
    if (this.closing != null) return await this.closing
    this.closed = true
    this.closing = (async () => {
      if (this.running) await new Promise<void>(resolve => this.idle.push(resolve))
      await this.fh.close()
    })()
    return await this.closing
  }

  private checkOpen (): void {
    if (this.closed) throw new AppendLogClosedError()
    if (this.failure != null) throw this.failure
  }

  private enqueue (job: Job, signal?: AbortSignal): void {
    this.queue.push(job)
    if (signal != null) {
      // A job still waiting in the queue can be withdrawn; once taken for writing it runs to the end.
      const onAbort = (): void => {
        const i = this.queue.indexOf(job)
        if (i >= 0) {
          this.queue.splice(i, 1)
          job.reject(signal.reason)
        }
      }
      signal.addEventListener('abort', onAbort, { once: true })
      const { resolve, reject } = job
      job.resolve = () => { signal.removeEventListener('abort', onAbort); resolve() }
      job.reject = (err) => { signal.removeEventListener('abort', onAbort); reject(err) }
    }
    if (!this.running) {
      this.running = true
      // Starting on a microtask lets appends issued in the same tick join the first batch.
      queueMicrotask(() => { void this.drain() })
    }
  }

  private async drain (): Promise<void> {
    try {
      while (this.queue.length > 0) {
        if (this.failure != null) {
          for (const job of this.queue.splice(0)) job.reject(this.failure)
          break
        }
        const head = this.queue[0]
        if (head.kind === 'compact') {
          this.queue.shift()
          await this.runCompact(head)
          continue
        }
        // Group commit: everything queued up to the next compaction goes out in one write + fsync.
        let end = 0
        while (end < this.queue.length && this.queue[end].kind === 'append') end++
        const batch = this.queue.splice(0, end) as AppendJob[]
        await this.writeBatch(batch)
      }
    } finally {
      this.running = false
      for (const wake of this.idle.splice(0)) wake()
    }
  }

  private async writeBatch (batch: AppendJob[]): Promise<void> {
    let bytes = 0
    let count = 0
    for (const job of batch) { bytes += job.bytes; count += job.count }
    const buf = Buffer.allocUnsafe(bytes)
    let off = 0
    for (const job of batch) for (const f of job.frames) { buf.set(f, off); off += f.length }
    try {
      await writeAll(this.fh, buf, this.durable)
      await this.fh.sync()
    } catch (err) {
      await this.rollback(err)
      for (const job of batch) job.reject(err)
      return
    }
    this.durable += bytes
    this.records += count
    this.rounds++
    for (const job of batch) job.resolve()
  }

  /** After a failed write, cut the file back to its durable length; if even that fails, stop accepting writes. */
  private async rollback (cause: unknown): Promise<void> {
    try {
      await this.fh.truncate(this.durable)
      await this.fh.sync()
    } catch {
      this.failure = new AppendLogFailedError(`append log ${this.path} failed and could not be rolled back: ${(cause as Error)?.message ?? String(cause)}`, cause)
    }
  }

  private async runCompact (job: CompactJob): Promise<void> {
    const tmp = tempPathFor(this.path)
    let size = APPEND_LOG_MAGIC.length
    let count = 0
    let renamed = false
    try {
      const out = await open(tmp, 'wx+')
      try {
        // Buffered in ~4 MiB chunks so compacting a large log neither copies it whole nor issues tiny writes.
        const chunk = Buffer.allocUnsafe(4 * 1024 * 1024)
        let used = 0
        chunk.set(APPEND_LOG_MAGIC, 0)
        used = APPEND_LOG_MAGIC.length
        let pos = 0
        for (const r of job.records) {
          const f = frame(r, this.maxRecordBytes)
          if (used + f.length > chunk.length) {
            job.signal?.throwIfAborted()
            await writeAll(out, chunk.subarray(0, used), pos)
            pos += used
            used = 0
          }
          if (f.length > chunk.length) {
            await writeAll(out, f, pos)
            pos += f.length
          } else {
            chunk.set(f, used)
            used += f.length
          }
          size += f.length
          count++
        }
        await writeAll(out, chunk.subarray(0, used), pos)
        await out.sync()
      } finally {
        await out.close()
      }
      job.signal?.throwIfAborted()
      if (process.platform === 'win32') await this.fh.close()
      try {
        await rename(tmp, this.path)
        renamed = true
      } finally {
        if (process.platform === 'win32') this.fh = await open(this.path, 'r+')
      }
    } catch (err) {
      if (!renamed) await unlink(tmp).catch(() => {})
      job.reject(err)
      return
    }
    // The new file is in place: from here on a failure leaves the log unusable until reopened.
    try {
      await fsyncDir(path.dirname(this.path))
      if (process.platform !== 'win32') {
        const old = this.fh
        this.fh = await open(this.path, 'r+')
        await old.close()
      }
      this.durable = size
      this.records = count
      job.resolve()
    } catch (err) {
      this.failure = new AppendLogFailedError(`append log ${this.path} was compacted but could not be reopened: ${(err as Error)?.message}`, err)
      job.reject(this.failure)
    }
  }
}
