// A deterministic ustar writer and a strict streaming reader, for adapter bundles. Deterministic
// (fixed order, mode 0644, uid/gid 0, mtime 0, no user names) so the same files always give the
// same bytes and therefore the same CID; `tar -tf bundle.tar` lists it with any tar.
import { InvalidBundleError } from './errors'

const BLOCK = 512
const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

function octal (value: number, width: number): string {
  // width includes the terminating NUL
  return value.toString(8).padStart(width - 1, '0') + '\0'
}

/** The 512-byte ustar header of a regular file. */
export function tarHeader (name: string, size: number): Uint8Array {
  const nameBytes = encoder.encode(name)
  if (nameBytes.length > 100 || nameBytes.length === 0) throw new InvalidBundleError(`tar: file name "${name}" must be 1-100 bytes`)
  if (size > 0o77777777777) throw new InvalidBundleError(`tar: ${name} is larger than 8 GiB`)
  const h = new Uint8Array(BLOCK)
  const put = (s: string, off: number): void => { h.set(encoder.encode(s), off) }
  h.set(nameBytes, 0)
  put(octal(0o644, 8), 100)
  put(octal(0, 8), 108)
  put(octal(0, 8), 116)
  put(octal(size, 12), 124)
  put(octal(0, 12), 136)
  put('        ', 148) // checksum placeholder: spaces while summing
  put('0', 156)
  put('ustar\0', 257)
  put('00', 263)
  let sum = 0
  for (const b of h) sum += b
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148)
  return h
}

export interface TarEntrySource {
  name: string
  size: number
  /** The file's bytes; must yield exactly `size` bytes. */
  content: () => AsyncIterable<Uint8Array> | Iterable<Uint8Array>
}

/** Streams a tar of `entries` in the given order, with the two zero blocks at the end. */
export async function * writeTar (entries: TarEntrySource[]): AsyncGenerator<Uint8Array> {
  for (const e of entries) {
    yield tarHeader(e.name, e.size)
    let n = 0
    for await (const chunk of e.content()) {
      n += chunk.length
      yield chunk
    }
    if (n !== e.size) throw new InvalidBundleError(`tar: ${e.name} changed while packing (${n} bytes, expected ${e.size})`)
    const pad = (BLOCK - (e.size % BLOCK)) % BLOCK
    if (pad > 0) yield new Uint8Array(pad)
  }
  yield new Uint8Array(BLOCK * 2)
}

export interface TarEntryHeader { name: string, size: number }

/** Receives entries as they stream; `data` is called with consecutive pieces of the current file. */
export interface TarSink {
  begin(entry: TarEntryHeader): Promise<void> | void
  data(piece: Uint8Array): Promise<void> | void
  end(entry: TarEntryHeader): Promise<void> | void
}

function parseOctal (h: Uint8Array, off: number, len: number): number {
  const s = decoder.decode(h.subarray(off, off + len)).replace(/[\0 ]+$/, '').replace(/^ +/, '')
  if (!/^[0-7]+$/.test(s)) throw new InvalidBundleError(`tar: bad number field "${s}"`)
  return parseInt(s, 8)
}

function parseHeader (h: Uint8Array): TarEntryHeader | 'end' {
  if (h.every(b => b === 0)) return 'end'
  const stored = parseOctal(h, 148, 8)
  let sum = 0
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]
  if (sum !== stored) throw new InvalidBundleError('tar: header checksum mismatch')
  const type = String.fromCharCode(h[156])
  if (type !== '0' && type !== '\0') throw new InvalidBundleError(`tar: only regular files are allowed (type "${type}")`)
  if (h[345] !== 0) throw new InvalidBundleError('tar: path prefixes are not allowed')
  const end = h.indexOf(0)
  let name: string
  try {
    name = decoder.decode(h.subarray(0, end < 0 || end > 100 ? 100 : end))
  } catch {
    throw new InvalidBundleError('tar: file name is not UTF-8')
  }
  return { name, size: parseOctal(h, 124, 12) }
}

/**
 * Reads a tar stream strictly: regular files only, checksums checked, nothing after the end marker
 * but zero padding. Names are passed to the sink unchecked: the sink decides what is allowed.
 */
export async function readTar (source: AsyncIterable<Uint8Array>, sink: TarSink): Promise<void> {
  let buf: Uint8Array = new Uint8Array(0)
  let current: TarEntryHeader | undefined
  let remaining = 0
  let pad = 0
  let ended = false
  const take = (n: number): Uint8Array => { const out = buf.subarray(0, n); buf = buf.subarray(n); return out }
  for await (const piece of source) {
    buf = buf.length === 0 ? piece : concat(buf, piece)
    for (;;) {
      if (ended) {
        if (buf.some(b => b !== 0)) throw new InvalidBundleError('tar: data after the end of the archive')
        buf = new Uint8Array(0)
        break
      }
      if (current !== undefined && remaining > 0) {
        if (buf.length === 0) break
        const n = Math.min(remaining, buf.length)
        await sink.data(take(n))
        remaining -= n
        if (remaining > 0) break
      }
      if (current !== undefined) {
        if (buf.length < pad) break
        if (take(pad).some(b => b !== 0)) throw new InvalidBundleError('tar: non-zero padding')
        await sink.end(current)
        current = undefined
      }
      if (buf.length < BLOCK) break
      const header = parseHeader(take(BLOCK))
      if (header === 'end') { ended = true; continue }
      current = header
      remaining = header.size
      pad = (BLOCK - (header.size % BLOCK)) % BLOCK
      await sink.begin(header)
    }
  }
  if (current !== undefined || !ended) throw new InvalidBundleError('tar: the archive is truncated')
}

function concat (a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}
