// CRC-32 (IEEE, as zlib/gzip/PNG). zlib.crc32 is native but only exists from Node 20.15 / 22.2; VS Code's
// extension host may run an older Node, so a table-driven fallback is kept.
import * as zlib from 'node:zlib'

type Crc32 = (data: Uint8Array, initial?: number) => number

let table: Uint32Array | undefined

function makeTable (): Uint32Array {
  const t = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c >>> 0
  }
  return t
}

/** Plain JS CRC-32; `initial` continues a previous CRC (same contract as zlib.crc32). */
export function crc32Js (data: Uint8Array, initial = 0): number {
  table ??= makeTable()
  let c = (initial ^ 0xffffffff) >>> 0
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

const native = (zlib as unknown as { crc32?: Crc32 }).crc32

export const crc32: Crc32 = typeof native === 'function' ? (data, initial = 0) => native(data, initial) >>> 0 : crc32Js
