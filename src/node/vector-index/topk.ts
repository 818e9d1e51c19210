// Exact top-k by cosine over the index's rows: a plain f32 scan, or an int8 prefilter whose error bounds
// decide which rows are re-scored in f32 (still exact). Filters run only for rows that could make the top k.
import { TopK } from './heap'
import type { VectorMatrix } from './matrix'

/** Whether a slot passes the search's filters. */
export type SlotFilter = (slot: number) => boolean

export interface TopKResult {
  /** Best first. */
  hits: Array<{ slot: number, score: number }>
  /** Rows the int8 path re-scored exactly (null: the f32 path ran). */
  rescored: number | null
}

/** Exact top `k` of the first `n` rows by cosine with the normalised `q`, each at least `minSimilarity`. */
export function exactTopK (matrix: VectorMatrix, n: number, q: Float32Array, k: number, accept: SlotFilter | null, minSimilarity: number): TopKResult {
  if (matrix.quantised) return quantisedTopK(matrix, n, q, k, accept, minSimilarity)
  const scores = matrix.scan(q, n)
  const heap = new TopK(k)
  // One comparison rejects almost every row once the heap is full.
  let bar = minSimilarity
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]
    if (s < bar) continue
    if (accept != null && !accept(i)) continue
    heap.push(s, i)
    if (heap.full && heap.min > bar) bar = heap.min
  }
  return { hits: heap.sorted(), rescored: null }
}

/**
 * Still exact, but reads a quarter of the memory: an int8 scan gives each row an interval that surely
 * holds its cosine (|q.v - approx| <= qNorm * err_v + qErr). The k-th best lower bound L is a floor for
 * the true k-th best score, so only rows whose upper bound reaches L can be in the top k; those few are
 * re-scored exactly in f32.
 */
function quantisedTopK (matrix: VectorMatrix, n: number, q: Float32Array, k: number, accept: SlotFilter | null, minSimilarity: number): TopKResult {
  const { dots, qScale, qErr, qNorm } = matrix.scanApprox(q, n)
  const { scales, errors } = matrix
  // Covers f32 rounding of the stored scale/error and of the exact re-scoring.
  const slack = qErr + 1e-5
  const lower = new TopK(k)
  let bar = -Infinity
  for (let i = 0; i < dots.length; i++) {
    const lo = qScale * scales[i] * dots[i] - (qNorm * errors[i] + slack)
    if (lo <= bar) continue
    if (accept != null && !accept(i)) continue
    lower.push(lo, i)
    if (lower.full) bar = lower.min
  }
  const floor = Math.max(lower.full ? lower.min : -Infinity, minSimilarity)
  const heap = new TopK(k)
  let rescored = 0
  for (let i = 0; i < dots.length; i++) {
    const hi = qScale * scales[i] * dots[i] + (qNorm * errors[i] + slack)
    if (hi < floor) continue
    if (accept != null && !accept(i)) continue
    const s = matrix.exact(i)
    rescored++
    if (s < minSimilarity) continue
    heap.push(s, i)
  }
  return { hits: heap.sorted(), rescored }
}
