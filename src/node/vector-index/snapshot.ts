// Binary snapshot of the index, written at compaction, so opening copies arrays instead of replaying and
// parsing one log record per entry (56 s for 1M entries before). The log then holds only a reference to
// the snapshot (OP_SNAPSHOT) and whatever changed after it, which replays as before.
//
//   file    = MAGIC (8) | u32 headerLength | header JSON | zero padding to 8 | sections... | u32 CRC-32 of all before it
//   header  = { format, version, dimensions, n, stride, strideI8, quantised, codes, availableFrom, textBytes, sections }
//   sections (each 8-aligned, little-endian): rows f32 (n*stride), rowsI8 (n*strideI8, when quantised),
//   scales, errors, rating, price (f32 n), kindCode, baseCode (i32 n), loc (u8 n), specOffsets (u32 n+1),
//   specs (i32), lru (i32 slots of remote entries, least recently used first), idEnds (u32 n: UTF-16 end
//   offsets into the decoded ids), ids (UTF-8, concatenated), metaEnds (f64 n: byte end offsets), metas
//   (UTF-8 meta JSON, concatenated; decoded per entry only when it is read).
// Written with writeFileAtomic (temp + fsync + rename + fsync dir) before the log refers to it, so a crash
// at any point leaves either the old log (which does not mention the new file) or the new one.
import { open, readdir, unlink } from 'node:fs/promises'
import path from 'node:path'
import { crc32 } from '../storage'
import { SnapshotFormatError } from './errors'

export const SNAPSHOT_FORMAT = 'continuum-vector-snapshot'
export const SNAPSHOT_VERSION = 1
const MAGIC = Buffer.from('CMVSNAP1', 'latin1')
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
/** The format stores raw little-endian arrays; elsewhere compaction rewrites the log instead. */
export const SNAPSHOTS_SUPPORTED = LITTLE_ENDIAN

/** The index state a snapshot holds; arrays are views of the first `n` rows/slots. */
export interface SnapshotState {
  dimensions: number
  n: number
  stride: number
  strideI8: number
  quantised: boolean
  rows: Float32Array
  rowsI8: Int8Array | null
  scales: Float32Array
  errors: Float32Array
  rating: Float32Array
  price: Float32Array
  kindCode: Int32Array
  baseCode: Int32Array
  loc: Uint8Array
  /** Interned strings: codes[i] has code i. */
  codes: string[]
  ids: string[]
  metaJson: string[]
  specs: number[][]
  availableFrom: Array<[number, string[]]>
  /** Slots of remote entries, least recently used first. */
  lru: Int32Array
}

const SECTIONS = ['rows', 'rowsI8', 'scales', 'errors', 'rating', 'price', 'kindCode', 'baseCode', 'loc', 'specOffsets', 'specs', 'lru', 'idEnds', 'ids', 'metaEnds', 'metas'] as const
type Section = typeof SECTIONS[number]

const pad8 = (n: number): number => Math.ceil(n / 8) * 8

function bytesOf (a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength)
}

/**
 * Encodes `state` as chunks (the big arrays are copied, so the index may change while they are written).
 * Big-endian hosts are not supported by this format (the caller falls back to log-only compaction).
 */
export function encodeSnapshot (s: SnapshotState): Uint8Array[] {
  if (!LITTLE_ENDIAN) throw new Error('snapshots need a little-endian host')
  const specOffsets = new Uint32Array(s.n + 1)
  let specCount = 0
  for (let i = 0; i < s.n; i++) { specOffsets[i] = specCount; specCount += s.specs[i].length }
  specOffsets[s.n] = specCount
  const specs = new Int32Array(specCount)
  for (let i = 0, o = 0; i < s.n; i++) for (const c of s.specs[i]) specs[o++] = c
  // Ids as one string, decoded in one call on open (ends are UTF-16 offsets for slicing); metas as UTF-8
  // bytes with byte offsets, so opening does not decode them at all.
  const idEnds = new Uint32Array(s.n)
  let pos = 0
  for (let i = 0; i < s.n; i++) { pos += s.ids[i].length; idEnds[i] = pos }
  const metaBytes = s.metaJson.map(m => Buffer.from(m, 'utf8'))
  const metaEnds = new Float64Array(s.n)
  pos = 0
  for (let i = 0; i < s.n; i++) { pos += metaBytes[i].length; metaEnds[i] = pos }
  const data: Record<Section, Uint8Array> = {
    rows: bytesOf(s.rows.slice(0, s.n * s.stride)),
    rowsI8: s.rowsI8 != null ? bytesOf(s.rowsI8.slice(0, s.n * s.strideI8)) : new Uint8Array(0),
    scales: bytesOf(s.scales.slice(0, s.n)),
    errors: bytesOf(s.errors.slice(0, s.n)),
    rating: bytesOf(s.rating.slice(0, s.n)),
    price: bytesOf(s.price.slice(0, s.n)),
    kindCode: bytesOf(s.kindCode.slice(0, s.n)),
    baseCode: bytesOf(s.baseCode.slice(0, s.n)),
    loc: s.loc.slice(0, s.n),
    specOffsets: bytesOf(specOffsets),
    specs: bytesOf(specs),
    lru: bytesOf(s.lru),
    idEnds: bytesOf(idEnds),
    ids: Buffer.from(s.ids.join(''), 'utf8'),
    metaEnds: bytesOf(metaEnds),
    metas: Buffer.concat(metaBytes)
  }
  const sections: Partial<Record<Section, [number, number]>> = {}
  let off = 0
  for (const name of SECTIONS) { sections[name] = [off, data[name].byteLength]; off = pad8(off + data[name].byteLength) }
  const header = Buffer.from(JSON.stringify({
    format: SNAPSHOT_FORMAT, version: SNAPSHOT_VERSION, dimensions: s.dimensions, n: s.n, stride: s.stride, strideI8: s.strideI8,
    quantised: s.quantised && s.rowsI8 != null, codes: s.codes, availableFrom: s.availableFrom, sections
  }), 'utf8')
  const head = Buffer.alloc(pad8(MAGIC.length + 4 + header.length))
  MAGIC.copy(head, 0)
  head.writeUInt32LE(header.length, MAGIC.length)
  header.copy(head, MAGIC.length + 4)
  const chunks: Uint8Array[] = [head]
  let crc = crc32(head)
  let written = 0
  for (const name of SECTIONS) {
    const [at, len] = sections[name]!
    if (at > written) { const gap = new Uint8Array(at - written); chunks.push(gap); crc = crc32(gap, crc); written = at }
    // Skipped when empty: Node 20's zlib.crc32 returns 0 (not `initial`) for a view of an empty ArrayBuffer.
    if (len > 0) { chunks.push(data[name]); crc = crc32(data[name], crc); written += len }
  }
  const trailer = Buffer.alloc(4)
  trailer.writeUInt32LE(crc >>> 0, 0)
  chunks.push(trailer)
  return chunks
}

export interface LoadedSnapshot {
  dimensions: number
  n: number
  stride: number
  strideI8: number
  quantised: boolean
  codes: string[]
  availableFrom: Array<[number, string[]]>
  rows: Float32Array
  rowsI8: Int8Array | null
  scales: Float32Array
  errors: Float32Array
  rating: Float32Array
  price: Float32Array
  kindCode: Int32Array
  baseCode: Int32Array
  loc: Uint8Array
  specOffsets: Uint32Array
  specs: Int32Array
  lru: Int32Array
  ids: string[]
  /** Meta JSON of entry i: metas.toString('utf8', metaStart(i), metaEnds[i]). */
  metas: Buffer
  metaEnds: Float64Array
}

interface Header {
  format: string, version: number, dimensions: number, n: number, stride: number, strideI8: number, quantised: boolean
  codes: string[], availableFrom: Array<[number, string[]]>, sections: Record<Section, [number, number]>
}

/** Largest header accepted (the codes and availableFrom lists live in it). */
const MAX_HEADER_BYTES = 256 * 1024 * 1024

/**
 * Where the big sections go: views the caller owns (e.g. the index's rows in WebAssembly memory), of exactly
 * the section's length, or null for a fresh buffer. Reading straight into them saves allocating, page-faulting
 * and copying a second file-sized buffer at open (most of the open time at 100k entries).
 */
export type SnapshotPlacement = (h: { dimensions: number, n: number, stride: number, strideI8: number, quantised: boolean }) =>
{ rows?: Uint8Array | null, rowsI8?: Uint8Array | null }

/**
 * Reads and checks a snapshot, section by section in file order (the CRC-32 covers every byte before the
 * trailer, as written); throws SnapshotFormatError when it is damaged or foreign. When it throws, whatever
 * `place` handed out may hold partial data.
 */
export async function readSnapshot (file: string, options: { signal?: AbortSignal } = {}, place?: SnapshotPlacement): Promise<LoadedSnapshot> {
  const fh = await open(file, 'r')
  try {
    const size = (await fh.stat()).size
    let pos = 0
    let crc = 0
    const readExactly = async (dest: Uint8Array): Promise<void> => {
      options.signal?.throwIfAborted()
      let got = 0
      while (got < dest.byteLength) {
        // At most 1 GiB per read call (the OS caps single reads near 2 GiB).
        const { bytesRead } = await fh.read(dest, got, Math.min(dest.byteLength - got, 1 << 30), pos + got)
        if (bytesRead === 0) throw new SnapshotFormatError(`${file} is truncated`)
        got += bytesRead
      }
      pos += dest.byteLength
      // Skipped when empty: Node 20's zlib.crc32 returns 0 (not `initial`) for a view of an empty ArrayBuffer.
      if (dest.byteLength > 0) crc = crc32(dest, crc)
    }
    if (size < MAGIC.length + 8) throw new SnapshotFormatError(`${file} is not an index snapshot`)
    const lead = Buffer.alloc(MAGIC.length + 4)
    await readExactly(lead)
    if (!lead.subarray(0, MAGIC.length).equals(MAGIC)) throw new SnapshotFormatError(`${file} is not an index snapshot`)
    const headerLength = lead.readUInt32LE(MAGIC.length)
    if (headerLength > MAX_HEADER_BYTES || pad8(MAGIC.length + 4 + headerLength) + 4 > size) throw new SnapshotFormatError(`${file} has an unreadable header`)
    const headBytes = Buffer.alloc(pad8(MAGIC.length + 4 + headerLength) - lead.length)
    await readExactly(headBytes)
    let h: Header
    try {
      h = JSON.parse(headBytes.subarray(0, headerLength).toString('utf8')) as Header
    } catch {
      throw new SnapshotFormatError(`${file} has an unreadable header`)
    }
    if (h == null || h.format !== SNAPSHOT_FORMAT || h.version !== SNAPSHOT_VERSION) throw new SnapshotFormatError(`${file} is a ${h?.format} v${h?.version} file, not a v${SNAPSHOT_VERSION} index snapshot`)
    const n = h.n
    if (!Number.isSafeInteger(n) || n < 0 || !Number.isSafeInteger(h.stride) || h.stride < h.dimensions || !Number.isSafeInteger(h.strideI8) || h.strideI8 < 0) throw new SnapshotFormatError(`${file} has an unreadable header`)
    const start = pos
    const body = size - 4 - start
    const lengthOf = (name: Section): number => {
      const [at, len] = h.sections?.[name] ?? []
      if (!Number.isSafeInteger(at) || !Number.isSafeInteger(len) || at! < 0 || len! < 0 || at! + len! > body) throw new SnapshotFormatError(`${file}: section ${name} runs past the end`)
      return len!
    }
    // Checked before anything is allocated for them: a damaged n must not size the caller's buffers.
    if (lengthOf('rows') !== n * h.stride * 4 || (h.quantised && lengthOf('rowsI8') !== n * h.strideI8)) throw new SnapshotFormatError(`${file}: section sizes do not match ${n} entries`)
    const placed = place?.({ dimensions: h.dimensions, n, stride: h.stride, strideI8: h.strideI8, quantised: h.quantised }) ?? {}
    // Sections in file order; each into its placed view or a fresh 8-aligned buffer (typed views need alignment).
    const bytes: Partial<Record<Section, Uint8Array>> = {}
    for (const name of SECTIONS) {
      const len = lengthOf(name)
      const at = h.sections[name][0]
      if (start + at < pos) throw new SnapshotFormatError(`${file}: sections overlap`)
      if (start + at > pos) await readExactly(new Uint8Array(start + at - pos))
      const target = name === 'rows' ? placed.rows : name === 'rowsI8' ? placed.rowsI8 : null
      const dest = target != null && target.byteLength === len ? target : new Uint8Array(new ArrayBuffer(pad8(len)), 0, len)
      await readExactly(dest)
      bytes[name] = dest
    }
    if (pos !== size - 4) await readExactly(new Uint8Array(size - 4 - pos))
    const trailer = Buffer.alloc(4)
    const stored = (await fh.read(trailer, 0, 4, pos)).bytesRead === 4 ? trailer.readUInt32LE(0) : -1
    if ((crc >>> 0) !== stored) throw new SnapshotFormatError(`${file} fails its checksum`)
    const typed = <T>(name: Section, make: (b: ArrayBufferLike, off: number, len: number) => T, size: number): T => {
      const b = bytes[name]!
      if (b.byteLength % size !== 0) throw new SnapshotFormatError(`${file}: section ${name} has a partial element`)
      return make(b.buffer, b.byteOffset, b.byteLength / size)
    }
    const f32 = (name: Section): Float32Array => typed(name, (b, o, l) => new Float32Array(b, o, l), 4)
    const i32 = (name: Section): Int32Array => typed(name, (b, o, l) => new Int32Array(b, o, l), 4)
    const idText = Buffer.from(bytes.ids!.buffer, bytes.ids!.byteOffset, bytes.ids!.byteLength).toString('utf8')
    const idEnds = typed('idEnds', (b, o, l) => new Uint32Array(b, o, l), 4)
    const metaEnds = typed('metaEnds', (b, o, l) => new Float64Array(b, o, l), 8)
    const metas = Buffer.from(bytes.metas!.buffer, bytes.metas!.byteOffset, bytes.metas!.byteLength)
    if (idEnds.length !== n) throw new SnapshotFormatError(`${file}: section sizes do not match ${n} entries`)
    const ids: string[] = new Array<string>(n)
    let p = 0
    for (let i = 0; i < n; i++) {
      if (idEnds[i] < p || idEnds[i] > idText.length) throw new SnapshotFormatError(`${file}: id offsets do not match`)
      ids[i] = idText.slice(p, idEnds[i])
      p = idEnds[i]
    }
    if (metaEnds.length !== n || (n > 0 && metaEnds[n - 1] !== metas.length)) throw new SnapshotFormatError(`${file}: meta offsets do not match`)
    const out: LoadedSnapshot = {
      dimensions: h.dimensions,
      n,
      stride: h.stride,
      strideI8: h.strideI8,
      quantised: h.quantised,
      codes: h.codes,
      availableFrom: h.availableFrom,
      rows: f32('rows'),
      rowsI8: h.quantised ? typed('rowsI8', (b, o, l) => new Int8Array(b, o, l), 1) : null,
      scales: f32('scales'),
      errors: f32('errors'),
      rating: f32('rating'),
      price: f32('price'),
      kindCode: i32('kindCode'),
      baseCode: i32('baseCode'),
      loc: bytes.loc!,
      specOffsets: typed('specOffsets', (b, o, l) => new Uint32Array(b, o, l), 4),
      specs: i32('specs'),
      lru: i32('lru'),
      ids,
      metas,
      metaEnds
    }
    if (out.rows.length !== n * h.stride || out.kindCode.length !== n || out.specOffsets.length !== n + 1 ||
      (out.rowsI8 != null && out.rowsI8.length !== n * h.strideI8)) throw new SnapshotFormatError(`${file}: section sizes do not match ${n} entries`)
    return out
  } finally {
    await fh.close()
  }
}

/** Per-slot data that filters do not need on the hot path. */
export interface SlotMeta {
  /** The entry's persisted meta JSON (EntryMeta); text, attributes and payload are parsed from it on demand. */
  readonly json: string
  /** Interned specialization codes, for the specialization filter. */
  specs: number[]
  availableFrom?: string[]
}

/** A slot loaded from a snapshot: its meta JSON is decoded from the snapshot's bytes when first read. */
export class SnapshotSlotMeta implements SlotMeta {
  private decoded: string | undefined
  constructor (private readonly bytes: Buffer, private readonly start: number, private readonly end: number,
    readonly specs: number[], readonly availableFrom?: string[]) {}

  get json (): string {
    this.decoded ??= this.bytes.toString('utf8', this.start, this.end)
    return this.decoded
  }
}

/**
 * Deletes snapshot files the log does not refer to (left by a crash between writing a snapshot and
 * compacting the log) and snapshot temp files. The directory is locked, so no other writer exists.
 */
export async function removeStaleSnapshots (dir: string, keep: string | null): Promise<void> {
  for (const name of await readdir(dir)) {
    const stale = (/^snapshot-[0-9a-z]+\.bin$/u.test(name) && name !== keep) || /^\.snapshot-[0-9a-z]+\.bin\.\d+\.[0-9a-f]+\.tmp$/u.test(name)
    if (stale) await unlink(path.join(dir, name)).catch(() => {})
  }
}
