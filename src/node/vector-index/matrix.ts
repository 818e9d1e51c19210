// The vectors of an index as one contiguous row-major Float32Array, scanned exactly for dot products.
// With WebAssembly SIMD the rows live in the module's linear memory and a 128-bit SIMD kernel (wasm/dot.wat)
// does the scan; otherwise a plain ArrayBuffer and an unrolled JS loop. Both see the same row layout:
// `stride` floats per row (dimensions rounded up to 16, zero-padded), so results agree bit for bit
// up to float summation order.
import { IndexFullError } from './errors'
import { DOT_WASM_BASE64 } from './wasm/dot-wasm'

export type ScanKernel = 'wasm-simd' | 'js'

const PAGE = 65536
const MAX_PAGES = 65536 // 4 GiB: the limit of 32-bit wasm memory

interface WasmKernel {
  memory: WebAssembly.Memory
  dots: (q: number, base: number, n: number, stride: number, out: number) => void
}

let wasmModule: WebAssembly.Module | null | undefined

/** Compiles the SIMD kernel once; null when this runtime has no WebAssembly SIMD (validation fails). */
function simdModule (): WebAssembly.Module | null {
  if (wasmModule !== undefined) return wasmModule
  try {
    const bytes = Buffer.from(DOT_WASM_BASE64, 'base64')
    wasmModule = typeof WebAssembly === 'object' && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null
  } catch {
    wasmModule = null
  }
  return wasmModule
}

/** Whether the WebAssembly SIMD kernel can run here. */
export function simdAvailable (): boolean {
  return simdModule() != null
}

const roundUp = (n: number, m: number): number => Math.ceil(n / m) * m

export class VectorMatrix {
  readonly stride: number
  readonly kernel: ScanKernel
  private cap = 0
  private wasm: WasmKernel | null = null
  private queryOffset = 0
  private rowsOffset = 0
  private scoresOffset = 0
  /** Row storage (`capacity * stride` floats); re-created whenever memory grows. */
  rows: Float32Array = new Float32Array(0)
  private scores: Float32Array = new Float32Array(0)
  private query: Float32Array = new Float32Array(0)

  constructor (readonly dimensions: number, initialCapacity: number, kernel?: ScanKernel) {
    this.stride = roundUp(dimensions, 16)
    const mod = kernel === 'js' ? null : simdModule()
    if (kernel === 'wasm-simd' && mod == null) throw new Error('WebAssembly SIMD is not available in this runtime')
    this.kernel = mod != null ? 'wasm-simd' : 'js'
    if (mod != null) {
      const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES })
      const instance = new WebAssembly.Instance(mod, { env: { memory } })
      this.wasm = { memory, dots: instance.exports.dots as WasmKernel['dots'] }
    }
    this.grow(Math.max(16, initialCapacity))
  }

  get capacity (): number { return this.cap }

  /** Bytes held for rows and scratch (what the index costs in memory, excluding metadata). */
  get bytes (): number {
    return this.wasm != null ? this.wasm.memory.buffer.byteLength : this.rows.byteLength + this.scores.byteLength + this.query.byteLength
  }

  /** Makes room for at least `rows` rows, doubling the capacity as needed. */
  ensure (rows: number): void {
    if (rows <= this.cap) return
    let cap = this.cap
    while (cap < rows) cap *= 2
    this.grow(cap)
  }

  private grow (cap: number): void {
    const rowBytes = this.stride * 4
    if (this.wasm != null) {
      // Layout: [query][rows: cap * stride][scores: cap]. Rows keep their offset when capacity grows; the
      // scores scratch area simply moves past the new end of the rows.
      this.queryOffset = 0
      this.rowsOffset = roundUp(rowBytes, 64)
      const scoresOffset = this.rowsOffset + cap * rowBytes
      const total = scoresOffset + cap * 4
      const pages = Math.ceil(total / PAGE)
      if (pages > MAX_PAGES) throw new IndexFullError(`the index cannot hold ${cap} vectors of ${this.dimensions} dimensions in 4 GiB of WebAssembly memory`)
      const have = this.wasm.memory.buffer.byteLength / PAGE
      if (pages > have) {
        try {
          this.wasm.memory.grow(pages - have)
        } catch (err) {
          throw new IndexFullError(`could not grow the index to ${cap} vectors: ${(err as Error).message}`)
        }
      }
      this.scoresOffset = scoresOffset
      this.cap = cap
      this.remap()
    } else {
      const rows = new Float32Array(cap * this.stride)
      rows.set(this.rows)
      this.rows = rows
      this.scores = new Float32Array(cap)
      this.query = new Float32Array(this.stride)
      this.cap = cap
    }
  }

  /** Views over wasm memory go stale (detached) after memory.grow. */
  private remap (): void {
    const buf = this.wasm!.memory.buffer
    this.query = new Float32Array(buf, this.queryOffset, this.stride)
    this.rows = new Float32Array(buf, this.rowsOffset, this.cap * this.stride)
    this.scores = new Float32Array(buf, this.scoresOffset, this.cap)
  }

  private fresh (): void {
    if (this.wasm != null && this.rows.buffer !== this.wasm.memory.buffer) this.remap()
  }

  /** Stores `vector` (already normalised, `dimensions` long) in row `slot`. */
  set (slot: number, vector: ArrayLike<number>): void {
    this.fresh()
    const off = slot * this.stride
    for (let j = 0; j < this.dimensions; j++) this.rows[off + j] = vector[j]
    // Padding stays zero so it adds nothing to a dot product.
    for (let j = this.dimensions; j < this.stride; j++) this.rows[off + j] = 0
  }

  /** Copies row `from` over row `to` (used to keep rows dense when an entry is deleted). */
  move (from: number, to: number): void {
    this.fresh()
    this.rows.copyWithin(to * this.stride, from * this.stride, (from + 1) * this.stride)
  }

  /** A copy of row `slot`'s vector. */
  get (slot: number): Float32Array {
    this.fresh()
    return this.rows.slice(slot * this.stride, slot * this.stride + this.dimensions)
  }

  /** Dot product of `query` with row `slot`. */
  dot (slot: number, query: ArrayLike<number>): number {
    this.fresh()
    const off = slot * this.stride
    let s = 0
    for (let j = 0; j < this.dimensions; j++) s += this.rows[off + j] * query[j]
    return s
  }

  /**
   * Dot products of `query` (normalised, `dimensions` long) with rows [0, n). The returned view is scratch
   * space, valid until the next scan or write.
   */
  scan (query: ArrayLike<number>, n: number): Float32Array {
    this.fresh()
    const q = this.query
    for (let j = 0; j < this.dimensions; j++) q[j] = query[j]
    q.fill(0, this.dimensions)
    if (n === 0) return this.scores.subarray(0, 0)
    if (this.wasm != null) {
      this.wasm.dots(this.queryOffset, this.rowsOffset, n, this.stride, this.scoresOffset)
    } else {
      scanJs(this.rows, q, n, this.stride, this.scores)
    }
    return this.scores.subarray(0, n)
  }
}

/** The JS fallback: four independent accumulators (stride is a multiple of 16, padding is zero). */
export function scanJs (rows: Float32Array, q: Float32Array, n: number, stride: number, out: Float32Array): void {
  for (let i = 0, off = 0; i < n; i++, off += stride) {
    let s0 = 0
    let s1 = 0
    let s2 = 0
    let s3 = 0
    for (let j = 0; j < stride; j += 4) {
      s0 += rows[off + j] * q[j]
      s1 += rows[off + j + 1] * q[j + 1]
      s2 += rows[off + j + 2] * q[j + 2]
      s3 += rows[off + j + 3] * q[j + 3]
    }
    out[i] = (s0 + s1) + (s2 + s3)
  }
}
