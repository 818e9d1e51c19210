// Graded relevance metrics. Grades 0–3; nDCG uses gain 2^g − 1 (a perfect answer outweighs several partial
// ones); Recall@k and MRR count a result as relevant from grade 2 ("would help").

export type Grades = Record<string, number>

export function ndcgAt (ranked: string[], grades: Grades, k: number): number {
  const dcg = ranked.slice(0, k).reduce((s, id, i) => s + gain(grades[id]) / Math.log2(i + 2), 0)
  const ideal = Object.values(grades).filter(g => g > 0).sort((a, b) => b - a).slice(0, k)
    .reduce((s, g, i) => s + gain(g) / Math.log2(i + 2), 0)
  return ideal === 0 ? 0 : dcg / ideal
}

export function recallAt (ranked: string[], grades: Grades, k: number): number {
  const relevant = Object.entries(grades).filter(([, g]) => g >= 2).map(([id]) => id)
  if (relevant.length === 0) return 0
  const top = new Set(ranked.slice(0, k))
  // Capped at k so a query with more than k good answers can still score 1.
  return relevant.filter(id => top.has(id)).length / Math.min(k, relevant.length)
}

export function reciprocalRank (ranked: string[], grades: Grades): number {
  const i = ranked.findIndex(id => (grades[id] ?? 0) >= 2)
  return i < 0 ? 0 : 1 / (i + 1)
}

/** Near-miss adapters (judged traps) among the first `k` results. */
export function trapsAt (ranked: string[], traps: string[] | undefined, k: number): number {
  const set = new Set(traps ?? [])
  return ranked.slice(0, k).filter(id => set.has(id)).length
}

function gain (g: number | undefined): number {
  return g === undefined || g <= 0 ? 0 : 2 ** g - 1
}

export function mean (xs: number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length
}
