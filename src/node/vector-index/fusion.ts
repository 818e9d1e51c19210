// How the two rankings of a hybrid search become one: score fusion (weighted or RRF), the exact name/tag
// tier, and the query-dependent BM25 share. Pure functions over slot numbers and scores.
import { KEYWORD_WEIGHT, LONG_QUERY_WORDS, RRF_K } from './constants'
import type { Fusion } from './types'

/** Added to exact name/tag matches: more than any fused score without it, so they form a first tier. */
const EXACT_BONUS = 2

/** Longest query treated as a possible exact name or tag. */
const MAX_PHRASE_WORDS = 6

function normaliseWords (s: string): string {
  return s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim()
}

/** The query as a normalised phrase when it is short enough to be a name or tag, else null. */
export function exactPhrase (text: string): string | null {
  const p = normaliseWords(text)
  if (p === '' || p.split(' ').length > MAX_PHRASE_WORDS) return null
  return p
}

export function containsPhrase (text: string, phrase: string): boolean {
  return ` ${normaliseWords(text)} `.includes(` ${phrase} `)
}

/**
 * Combines the vector ranking and the BM25 ranking.
 * - 'rrf': reciprocal rank fusion, sum of 1/(60 + rank) over the lists an entry appears in. Scale-free, so
 *   a strong keyword hit (an exact name) that the embedding ranks modestly still comes first.
 * - 'weighted': cosine + KEYWORD_WEIGHT * BM25 / (best BM25 of this query). Cosines are already calibrated
 *   across queries; BM25 is not, so it is scaled by the query's best and given a small share.
 * Entries in `exact` (the query is a short phrase found verbatim in their text) get +1 and so come first.
 * `vec` scores rank; `similarity` (default: `cosine`) is what is shown, e.g. the original query's cosine when
 * `vec` was scored with a feedback-expanded query.
 */
export function fuse (vec: Array<{ slot: number, score: number }>, kw: Array<{ slot: number, score: number }>, fusion: Fusion,
  cosine: (slot: number) => number, exact: Set<number> = new Set(),
  similarity?: (slot: number) => number, keywordShare = KEYWORD_WEIGHT): Array<{ slot: number, similarity: number, score: number }> {
  const acc = new Map<number, { slot: number, similarity: number, score: number }>()
  const rankScore = new Map<number, number>()
  for (const v of vec) rankScore.set(v.slot, v.score)
  const scoreOf = (slot: number): number => {
    let s = rankScore.get(slot)
    if (s == null) { s = cosine(slot); rankScore.set(slot, s) }
    return s
  }
  const shown = similarity ?? scoreOf
  if (fusion === 'rrf') {
    vec.forEach((v, rank) => acc.set(v.slot, { slot: v.slot, similarity: shown(v.slot), score: 1 / (RRF_K + rank + 1) }))
    kw.forEach((h, rank) => {
      const prev = acc.get(h.slot)
      if (prev != null) prev.score += 1 / (RRF_K + rank + 1)
      else acc.set(h.slot, { slot: h.slot, similarity: shown(h.slot), score: 1 / (RRF_K + rank + 1) })
    })
  } else {
    const best = kw.length > 0 ? kw[0].score : 1
    // Text-only search: BM25 alone decides.
    const w = vec.length > 0 ? keywordShare : 1
    const vw = vec.length > 0 ? 1 : 0
    for (const v of vec) acc.set(v.slot, { slot: v.slot, similarity: shown(v.slot), score: vw * v.score })
    for (const h of kw) {
      const prev = acc.get(h.slot)
      const part = w * (h.score / best)
      if (prev != null) prev.score += part
      else acc.set(h.slot, { slot: h.slot, similarity: shown(h.slot), score: vw * scoreOf(h.slot) + part })
    }
  }
  // Exact name/tag matches form a first tier (ordered among themselves by the fused score); the bonus
  // exceeds any fused score without it (rrf: at most 2/61; weighted: at most 1 + KEYWORD_WEIGHT).
  for (const slot of exact) {
    const a = acc.get(slot)
    if (a != null) a.score += EXACT_BONUS
  }
  return [...acc.values()].sort((a, b) => b.score - a.score || b.similarity - a.similarity)
}

/**
 * BM25's share for a query: KEYWORD_WEIGHT, scaled down for long queries (a workspace description, a pasted
 * paragraph), where many incidental words match and the embedding of the whole text says more.
 */
export function keywordWeight (text: string): number {
  const n = normaliseWords(text).split(' ').length
  return KEYWORD_WEIGHT * Math.min(1, LONG_QUERY_WORDS / Math.max(1, n))
}

export function norm (v: Float32Array): number {
  let s = 0
  for (let i = 0; i < v.length; i++) s += v[i] * v[i]
  return Math.sqrt(s)
}
