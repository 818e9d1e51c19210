// Log records of the vector index. Binary, because a 384-float vector as JSON is ~4x larger and slow
// to parse:
//   header : 0x00 | JSON { format, version, dimensions }
//   upsert : 0x01 | u32 LE metaLength | meta JSON (UTF-8) | zero padding to 4 bytes | f32 LE x dimensions
//   delete : 0x02 | id (UTF-8)
//   snapshot: 0x03 | JSON { file } — the state at this point is in that snapshot file (snapshot.ts)
import type { EntryAttrs, Location } from './types'

export const OP_HEADER = 0
export const OP_UPSERT = 1
export const OP_DELETE = 2
export const OP_SNAPSHOT = 3
export const FORMAT = 'continuum-vector-index'
export const FORMAT_VERSION = 1

// Vectors are copied as raw bytes (little-endian); a big-endian host goes through DataView instead.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
const enc = new TextEncoder()
const dec = new TextDecoder()

/** An entry as persisted, minus its vector. */
export interface EntryMeta {
  id: string
  text: string
  attrs: EntryAttrs
  location: Location
  availableFrom?: string[]
  cachedAt?: number
  payload: unknown
}

export function encodeHeader (dimensions: number): Uint8Array {
  const json = enc.encode(JSON.stringify({ format: FORMAT, version: FORMAT_VERSION, dimensions }))
  const out = new Uint8Array(1 + json.length)
  out[0] = OP_HEADER
  out.set(json, 1)
  return out
}

export function encodeUpsert (metaJson: string, vector: Float32Array): Uint8Array {
  const meta = enc.encode(metaJson)
  const vecOff = Math.ceil((5 + meta.length) / 4) * 4
  const out = new Uint8Array(vecOff + vector.length * 4)
  out[0] = OP_UPSERT
  new DataView(out.buffer).setUint32(1, meta.length, true)
  out.set(meta, 5)
  if (LITTLE_ENDIAN) {
    out.set(new Uint8Array(vector.buffer, vector.byteOffset, vector.length * 4), vecOff)
  } else {
    const view = new DataView(out.buffer, vecOff)
    for (let i = 0; i < vector.length; i++) view.setFloat32(i * 4, vector[i], true)
  }
  return out
}

export function encodeDelete (id: string): Uint8Array {
  const bytes = enc.encode(id)
  const out = new Uint8Array(1 + bytes.length)
  out[0] = OP_DELETE
  out.set(bytes, 1)
  return out
}

export function encodeSnapshotRef (file: string): Uint8Array {
  const json = enc.encode(JSON.stringify({ file }))
  const out = new Uint8Array(1 + json.length)
  out[0] = OP_SNAPSHOT
  out.set(json, 1)
  return out
}

export type DecodedRecord =
  | { op: typeof OP_HEADER, format: string, version: number, dimensions: number }
  | { op: typeof OP_SNAPSHOT, file: string }
  | { op: typeof OP_UPSERT, metaJson: string, vector: Float32Array }
  | { op: typeof OP_DELETE, id: string }

/**
 * Decodes one record; throws on anything malformed (the log's checksum passed, so this means a bug or a
 * foreign file). An upsert's vector is written into `scratch` when given (valid until the next call).
 */
export function decodeRecord (rec: Uint8Array, dimensions: number, scratch?: Float32Array): DecodedRecord {
  const op = rec[0]
  if (op === OP_HEADER) {
    const h = JSON.parse(dec.decode(rec.subarray(1))) as { format: string, version: number, dimensions: number }
    return { op, format: h.format, version: h.version, dimensions: h.dimensions }
  }
  if (op === OP_UPSERT) {
    const view = new DataView(rec.buffer, rec.byteOffset, rec.byteLength)
    const metaLen = view.getUint32(1, true)
    const metaJson = dec.decode(rec.subarray(5, 5 + metaLen))
    const vecOff = Math.ceil((5 + metaLen) / 4) * 4
    if (rec.length - vecOff !== dimensions * 4) throw new Error(`upsert record carries ${(rec.length - vecOff) / 4} floats, expected ${dimensions}`)
    const vector = scratch ?? new Float32Array(dimensions)
    if (LITTLE_ENDIAN) {
      // A byte copy, so the floats are 4-byte aligned whatever the record's offset in the log buffer.
      new Uint8Array(vector.buffer, vector.byteOffset, dimensions * 4).set(rec.subarray(vecOff, vecOff + dimensions * 4))
    } else {
      for (let i = 0; i < dimensions; i++) vector[i] = view.getFloat32(vecOff + i * 4, true)
    }
    return { op, metaJson, vector }
  }
  if (op === OP_DELETE) return { op, id: dec.decode(rec.subarray(1)) }
  if (op === OP_SNAPSHOT) {
    const { file } = JSON.parse(dec.decode(rec.subarray(1))) as { file: unknown }
    // The name is data from disk: only a plain snapshot file name inside the index directory is accepted.
    if (typeof file !== 'string' || !/^snapshot-[0-9a-z]{1,40}\.bin$/u.test(file)) throw new Error('snapshot record names an invalid file')
    return { op, file }
  }
  throw new Error(`unknown record type ${op}`)
}
