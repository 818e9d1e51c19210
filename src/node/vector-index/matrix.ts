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
  dotsI8: (q: number, base: number, n: number, stride: number, out: number) => void
  quantise: (src: number, dst: number, n: number, out: number) => void
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

/** What an int8 scan returns: exact integer dots of the codes, and what is needed to bound the error. */
export interface ApproxScan {
  /** Integer dot products of the query's codes with each row's codes (scratch view). */
  dots: Int32Array
  /** Query scale: q ~ qScale * codes(q). */
  qScale: number
  /** |q - qScale * codes(q)| (L2). */
  qErr: number
  /** |qScale * codes(q)| (L2). */
  qNorm: number
}

export class VectorMatrix {
  /** Floats per f32 row (dimensions rounded up to 16, zero-padded). */
  readonly stride: number
  /** Bytes per int8 row (dimensions rounded up to 32, zero-padded). */
  readonly strideI8: number
  readonly kernel: ScanKernel
  /** Whether int8 codes are kept (WASM only): search can prefilter on them and re-rank exactly. */
  readonly quantised: boolean
  private cap = 0
  private wasm: WasmKernel | null = null
  private queryOffset = 0
  private queryI8Offset = 0
  private singleOffset = 0
  private rowsOffset = 0
  private rowsI8Offset = 0
  private scoresOffset = 0
  /** Row storage (`capacity * stride` floats); re-created whenever memory grows. */
  rows: Float32Array = new Float32Array(0)
  private rowsI8: Int8Array = new Int8Array(0)
  private scores: Float32Array = new Float32Array(0)
  private scoresI32: Int32Array = new Int32Array(0)
  private single: Float32Array = new Float32Array(0)
  private query: Float32Array = new Float32Array(0)
  private queryI8: Int8Array = new Int8Array(0)
  /** Per row: the int8 scale (v ~ scale * codes) and the L2 norm of the quantisation error. */
  scales: Float32Array = new Float32Array(0)
  errors: Float32Array = new Float32Array(0)

  constructor (readonly dimensions: number, initialCapacity: number, kernel?: ScanKernel, quantise = true) {
    this.stride = roundUp(dimensions, 16)
    this.strideI8 = roundUp(dimensions, 32)
    const mod = kernel === 'js' ? null : simdModule()
    if (kernel === 'wasm-simd' && mod == null) throw new Error('WebAssembly SIMD is not available in this runtime')
    this.kernel = mod != null ? 'wasm-simd' : 'js'
    this.quantised = mod != null && quantise
    if (mod != null) {
      const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES })
      const instance = new WebAssembly.Instance(mod, { env: { memory } })
      this.wasm = {
        memory,
        dots: instance.exports.dots as WasmKernel['dots'],
        dotsI8: instance.exports.dots_i8 as WasmKernel['dots'],
        quantise: instance.exports.quantise as WasmKernel['quantise']
      }
    }
    this.grow(Math.max(16, initialCapacity))
  }

  get capacity (): number { return this.cap }

  /** Bytes held for rows and scratch (what the index costs in memory, excluding metadata). */
  get bytes (): number {
    const perRow = this.scales.byteLength + this.errors.byteLength
    return perRow + (this.wasm != null ? this.wasm.memory.buffer.byteLength : this.rows.byteLength + this.scores.byteLength + this.query.byteLength)
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
    const i8Bytes = this.quantised ? this.strideI8 : 0
    if (this.wasm != null) {
      // Layout: [query f32][query i8][single result][rows f32: cap * stride][rows i8: cap * strideI8][scores: cap].
      // f32 rows keep their offset when capacity grows; the int8 rows are moved up past the new f32 end
      // and the scores scratch area follows.
      this.queryOffset = 0
      this.queryI8Offset = roundUp(rowBytes, 64)
      this.singleOffset = this.queryI8Offset + roundUp(this.strideI8, 64)
      this.rowsOffset = this.singleOffset + 64
      const rowsI8Offset = this.rowsOffset + cap * rowBytes
      const scoresOffset = rowsI8Offset + cap * i8Bytes
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
      if (i8Bytes > 0 && this.cap > 0) {
        // Move the old int8 rows (memmove: the regions may overlap) to their new place.
        new Uint8Array(this.wasm.memory.buffer).copyWithin(rowsI8Offset, this.rowsI8Offset, this.rowsI8Offset + this.cap * i8Bytes)
      }
      this.rowsI8Offset = rowsI8Offset
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
    const scales = new Float32Array(cap)
    scales.set(this.scales)
    this.scales = scales
    const errors = new Float32Array(cap)
    errors.set(this.errors)
    this.errors = errors
  }

  /** Views over wasm memory go stale (detached) after memory.grow. */
  private remap (): void {
    const buf = this.wasm!.memory.buffer
    this.query = new Float32Array(buf, this.queryOffset, this.stride)
    this.queryI8 = new Int8Array(buf, this.queryI8Offset, this.strideI8)
    this.single = new Float32Array(buf, this.singleOffset, 4)
    this.rows = new Float32Array(buf, this.rowsOffset, this.cap * this.stride)
    this.rowsI8 = this.quantised ? new Int8Array(buf, this.rowsI8Offset, this.cap * this.strideI8) : new Int8Array(0)
    this.scores = new Float32Array(buf, this.scoresOffset, this.cap)
    this.scoresI32 = new Int32Array(buf, this.scoresOffset, this.cap)
  }

  private fresh (): void {
    if (this.wasm != null && this.rows.buffer !== this.wasm.memory.buffer) this.remap()
  }

  /** Stores `vector` (already normalised, `dimensions` long) in row `slot`. */
  set (slot: number, vector: Float32Array): void {
    this.fresh()
    const off = slot * this.stride
    this.rows.set(vector.subarray(0, this.dimensions), off)
    // Padding stays zero so it adds nothing to a dot product.
    this.rows.fill(0, off + this.dimensions, off + this.stride)
    if (this.quantised) {
      // SIMD: codes for the whole padded f32 row (padding quantises to 0), then zero the int8 row's tail.
      this.wasm!.quantise(this.rowsOffset + off * 4, this.rowsI8Offset + slot * this.strideI8, this.stride, this.singleOffset)
      this.rowsI8.fill(0, slot * this.strideI8 + this.stride, (slot + 1) * this.strideI8)
      this.scales[slot] = this.single[0]
      // f32 sums: off by a relative 1e-5 at most, which the search's slack covers.
      this.errors[slot] = Math.sqrt(this.single[1])
    }
  }

  /**
   * Loads rows [0, n) in bulk (opening a snapshot): f32 rows in this matrix's stride, plus int8 codes,
   * scales and errors when both sides are quantised with the same stride (otherwise codes are recomputed).
   */
  loadRows (n: number, rows: Float32Array, stride: number, codes: { rowsI8: Int8Array, strideI8: number, scales: Float32Array, errors: Float32Array } | null): void {
    this.ensure(n)
    this.fresh()
    // Rows read in place (see placement) are already where they belong.
    const inPlace = (a: ArrayBufferView, b: ArrayBufferView): boolean => a.buffer === b.buffer && a.byteOffset === b.byteOffset
    if (stride === this.stride && (codes != null || !this.quantised) && (codes == null || codes.strideI8 === this.strideI8)) {
      if (!inPlace(rows, this.rows)) this.rows.set(rows.subarray(0, n * stride), 0)
      if (this.quantised && codes != null) {
        if (!inPlace(codes.rowsI8, this.rowsI8)) this.rowsI8.set(codes.rowsI8.subarray(0, n * this.strideI8), 0)
        this.scales.set(codes.scales.subarray(0, n), 0)
        this.errors.set(codes.errors.subarray(0, n), 0)
      }
      return
    }
    for (let i = 0; i < n; i++) this.set(i, rows.subarray(i * stride, i * stride + this.dimensions))
  }

  /**
   * Byte views of rows [0, n) for a snapshot to be read into directly, when its layout is this matrix's
   * (same stride; int8 codes only when both are quantised with the same stride); null where it is not, and
   * then loadRows copies or re-quantises. Valid until the matrix grows again.
   */
  placement (n: number, stride: number, strideI8: number, quantised: boolean): { rows: Uint8Array | null, rowsI8: Uint8Array | null } {
    if (stride !== this.stride || n * stride * 4 > 2 ** 32) return { rows: null, rowsI8: null }
    this.ensure(n)
    this.fresh()
    const bytes = (a: Float32Array | Int8Array, len: number): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, len)
    return {
      rows: bytes(this.rows, n * stride * 4),
      rowsI8: this.quantised && quantised && strideI8 === this.strideI8 ? bytes(this.rowsI8, n * strideI8) : null
    }
  }

  /** Row storage views for a snapshot (first `n` rows). */
  view (n: number): { rows: Float32Array, rowsI8: Int8Array | null } {
    this.fresh()
    return { rows: this.rows.subarray(0, n * this.stride), rowsI8: this.quantised ? this.rowsI8.subarray(0, n * this.strideI8) : null }
  }

  /** Copies row `from` over row `to` (used to keep rows dense when an entry is deleted). */
  move (from: number, to: number): void {
    this.fresh()
    this.rows.copyWithin(to * this.stride, from * this.stride, (from + 1) * this.stride)
    if (this.quantised) this.rowsI8.copyWithin(to * this.strideI8, from * this.strideI8, (from + 1) * this.strideI8)
    this.scales[to] = this.scales[from]
    this.errors[to] = this.errors[from]
  }

  /** A copy of row `slot`'s vector. */
  get (slot: number): Float32Array {
    this.fresh()
    return this.rows.slice(slot * this.stride, slot * this.stride + this.dimensions)
  }

  /** Dot product of `query` with row `slot` (the query must have been loaded by a scan, or use `dot`). */
  dot (slot: number, query: ArrayLike<number>): number {
    this.fresh()
    const off = slot * this.stride
    let s = 0
    for (let j = 0; j < this.dimensions; j++) s += this.rows[off + j] * query[j]
    return s
  }

  /** Loads the query into the scan buffer (f32, and int8 codes when quantised). */
  private load (query: Float32Array): { qScale: number, qErr: number, qNorm: number } {
    this.fresh()
    this.query.set(query.subarray(0, this.dimensions))
    this.query.fill(0, this.dimensions)
    if (!this.quantised) return { qScale: 0, qErr: 0, qNorm: 0 }
    this.queryI8.fill(0)
    const { scale, error, norm } = quantise(query, this.dimensions, this.queryI8, 0)
    return { qScale: scale, qErr: error, qNorm: norm }
  }

  /**
   * Exact dot products of `query` (normalised, `dimensions` long) with rows [0, n). The returned view is
   * scratch space, valid until the next scan or write.
   */
  scan (query: Float32Array, n: number): Float32Array {
    this.load(query)
    if (n === 0) return this.scores.subarray(0, 0)
    if (this.wasm != null) {
      this.wasm.dots(this.queryOffset, this.rowsOffset, n, this.stride, this.scoresOffset)
    } else {
      scanJs(this.rows, this.query, n, this.stride, this.scores)
    }
    return this.scores.subarray(0, n)
  }

  /**
   * Integer dot products of the query's int8 codes with rows [0, n) (quantised matrices only), and the
   * terms that bound |q.v - qScale * scales[i] * dots[i]| <= qNorm * errors[i] + qErr. Afterwards
   * `exact(slot)` gives the f32 dot product of the same query with one row.
   */
  scanApprox (query: Float32Array, n: number): ApproxScan {
    if (!this.quantised) throw new Error('matrix is not quantised')
    const q = this.load(query)
    if (n > 0) this.wasm!.dotsI8(this.queryI8Offset, this.rowsI8Offset, n, this.strideI8, this.scoresOffset)
    return { dots: this.scoresI32.subarray(0, n), ...q }
  }

  /** f32 dot product of the query loaded by the last scan with row `slot` (SIMD). */
  exact (slot: number): number {
    this.wasm!.dots(this.queryOffset, this.rowsOffset + slot * this.stride * 4, 1, this.stride, this.singleOffset)
    return this.single[0]
  }
}

/**
 * Writes int8 codes of v (symmetric, per-vector scale max|v|/127) at out[off..] and returns the scale,
 * the L2 norm of the quantisation error, and the L2 norm of the dequantised vector (all in doubles).
 */
function quantise (v: Float32Array, dims: number, out: Int8Array, off: number): { scale: number, error: number, norm: number } {
  let max = 0
  for (let i = 0; i < dims; i++) { const a = Math.abs(v[i]); if (a > max) max = a }
  // Rounded to f32 first: it is stored in a Float32Array, and the error must be that of the stored scale.
  const scale = Math.fround(max / 127)
  let err = 0
  let norm = 0
  const inv = scale > 0 ? 1 / scale : 0
  for (let i = 0; i < dims; i++) {
    // Round half away from zero, then clamp (|v[i] * inv| can exceed 127 by an ulp of the f32 scale).
    const x = v[i] * inv
    let c = (x >= 0 ? x + 0.5 : x - 0.5) | 0
    if (c > 127) c = 127
    else if (c < -127) c = -127
    out[off + i] = c
    const d = v[i] - c * scale
    err += d * d
    norm += (c * scale) * (c * scale)
  }
  return { scale, error: Math.sqrt(err), norm: Math.sqrt(norm) }
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
