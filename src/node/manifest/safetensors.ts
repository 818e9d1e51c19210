// Reading and checking a safetensors header (https://github.com/huggingface/safetensors#format):
// 8 bytes little-endian u64 N, then N bytes of JSON mapping tensor names to
// { dtype, shape, data_offsets: [begin, end] } (offsets relative to the byte buffer after the
// header), plus an optional "__metadata__" string map. The buffer must be fully covered by the
// tensors, without holes or overlaps.
import { open } from 'node:fs/promises'
import type { AbortOptions } from '@libp2p/interface'
import { PEFT_LIMITS } from './constants.js'
import { InvalidSafetensorsError } from './errors.js'

/** Bytes per element of each safetensors dtype. */
export const SAFETENSORS_DTYPE_BYTES: Readonly<Record<string, number>> = Object.freeze({
  BOOL: 1, U8: 1, I8: 1, F8_E4M3: 1, F8_E5M2: 1, F8_E8M0: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  I64: 8, U64: 8, F64: 8
})

export interface SafetensorsTensor {
  name: string
  dtype: string
  shape: number[]
  /** Offsets into the data buffer that follows the header. */
  dataOffsets: [number, number]
}

export interface SafetensorsHeader {
  /** Size of the JSON header in bytes (without the 8-byte length prefix). */
  headerBytes: number
  /** Size of the whole file. */
  fileBytes: number
  tensors: SafetensorsTensor[]
  metadata: Record<string, string>
  /** Total number of elements over all tensors. */
  parameters: number
}

/**
 * Read and validate the header of a safetensors file without reading the tensor data.
 *
 * @throws InvalidSafetensorsError listing every problem found
 */
export async function readSafetensorsHeader (file: string, options: AbortOptions = {}): Promise<SafetensorsHeader> {
  options.signal?.throwIfAborted()
  const handle = await open(file, 'r')
  try {
    const { size } = await handle.stat()
    if (size < 8) throw new InvalidSafetensorsError([`file is ${size} bytes, shorter than the 8-byte header length`])
    const prefix = Buffer.alloc(8)
    await handle.read(prefix, 0, 8, 0)
    const declared = prefix.readBigUInt64LE(0)
    if (declared > BigInt(PEFT_LIMITS.maxSafetensorsHeaderBytes)) {
      throw new InvalidSafetensorsError([`header length ${declared} exceeds the ${PEFT_LIMITS.maxSafetensorsHeaderBytes}-byte limit`])
    }
    const headerBytes = Number(declared)
    if (8 + headerBytes > size) {
      throw new InvalidSafetensorsError([`header length ${headerBytes} runs past the end of the ${size}-byte file`])
    }
    const header = Buffer.alloc(headerBytes)
    await handle.read(header, 0, headerBytes, 8)
    options.signal?.throwIfAborted()
    return parseSafetensorsHeader(header, size)
  } finally {
    await handle.close()
  }
}

/**
 * Validate a safetensors JSON header.
 *
 * @param header the header bytes (after the 8-byte length)
 * @param fileBytes size of the whole file, to check that tensors cover the data buffer exactly
 * @throws InvalidSafetensorsError listing every problem found
 */
export function parseSafetensorsHeader (header: Uint8Array, fileBytes: number): SafetensorsHeader {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(header)
  } catch {
    throw new InvalidSafetensorsError(['header is not valid UTF-8'])
  }
  if (!text.startsWith('{')) throw new InvalidSafetensorsError(['header does not start with a JSON object'])
  let json: unknown
  try {
    // The format allows trailing spaces as padding.
    json = JSON.parse(text)
  } catch (err) {
    throw new InvalidSafetensorsError([`header is not valid JSON (${(err as Error).message.slice(0, 120)})`])
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new InvalidSafetensorsError(['header is not a JSON object'])

  const problems: string[] = []
  const dataBytes = fileBytes - 8 - header.byteLength
  const tensors: SafetensorsTensor[] = []
  let metadata: Record<string, string> = {}
  let parameters = 0
  for (const [name, entry] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry) || !Object.values(entry).every(v => typeof v === 'string')) {
        problems.push('__metadata__: must map strings to strings')
      } else {
        metadata = { ...(entry as Record<string, string>) }
      }
      continue
    }
    const label = `tensor ${JSON.stringify(name.slice(0, 200))}`
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      problems.push(`${label}: must be an object with dtype, shape and data_offsets`)
      continue
    }
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>
    const width = typeof dtype === 'string' && Object.hasOwn(SAFETENSORS_DTYPE_BYTES, dtype) ? SAFETENSORS_DTYPE_BYTES[dtype] : undefined
    if (width === undefined) problems.push(`${label}: unknown dtype ${JSON.stringify(dtype)}`)
    const shapeOk = Array.isArray(shape) && shape.length <= 8 && shape.every(d => Number.isSafeInteger(d) && d >= 0)
    if (!shapeOk) problems.push(`${label}: shape must be a list of at most 8 non-negative integers`)
    const offsetsOk = Array.isArray(offsets) && offsets.length === 2 && offsets.every(o => Number.isSafeInteger(o) && o >= 0) && offsets[0] <= offsets[1]
    if (!offsetsOk) problems.push(`${label}: data_offsets must be [begin, end] with 0 <= begin <= end`)
    if (width === undefined || !shapeOk || !offsetsOk) continue
    const elements = (shape as number[]).reduce((a, b) => a * b, 1)
    const [begin, end] = offsets as [number, number]
    if (end - begin !== elements * width) {
      problems.push(`${label}: data_offsets span ${end - begin} bytes but ${dtype} ${JSON.stringify(shape)} needs ${elements * width}`)
    }
    if (end > dataBytes) problems.push(`${label}: data_offsets end ${end} is past the ${dataBytes}-byte data buffer`)
    parameters += elements
    tensors.push({ name, dtype: dtype as string, shape: shape as number[], dataOffsets: [begin, end] })
  }
  if (tensors.length === 0 && problems.length === 0) problems.push('holds no tensors')

  // The data buffer must be indexed entirely, with no holes and no overlaps.
  const ordered = [...tensors].sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1])
  let cursor = 0
  for (const t of ordered) {
    if (t.dataOffsets[0] !== cursor) {
      problems.push(t.dataOffsets[0] > cursor
        ? `data buffer has a hole before tensor ${JSON.stringify(t.name)} (bytes ${cursor}–${t.dataOffsets[0]})`
        : `tensor ${JSON.stringify(t.name)} overlaps the previous tensor`)
    }
    cursor = Math.max(cursor, t.dataOffsets[1])
  }
  if (problems.length === 0 && cursor !== dataBytes) {
    problems.push(`tensors cover ${cursor} bytes but the data buffer is ${dataBytes} bytes`)
  }
  if (problems.length > 0) throw new InvalidSafetensorsError(problems)
  return { headerBytes: header.byteLength, fileBytes, tensors, metadata, parameters }
}
