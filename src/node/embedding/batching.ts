import { RUN_OVERHEAD_TOKENS } from './constants'

/**
 * Each forward pass costs about (RUN_OVERHEAD_TOKENS + rows × longest row) token-units: every pass streams all
 * ~42 MB of fp32 weights (measured here: ~14 tokens' worth of compute), and padding is computed like real tokens.
 * Splits ascending lengths into contiguous groups that minimise the total (exact, O(n²) for n ≤ batch size).
 */
export function groupByLength (sortedLengths: number[]): Array<[number, number]> {
  const n = sortedLengths.length
  const cost = new Array<number>(n + 1).fill(Infinity)
  const cut = new Array<number>(n + 1).fill(0)
  cost[0] = 0
  for (let end = 1; end <= n; end++) {
    for (let start = 0; start < end; start++) {
      const c = cost[start] + RUN_OVERHEAD_TOKENS + (end - start) * sortedLengths[end - 1]
      if (c < cost[end]) { cost[end] = c; cut[end] = start }
    }
  }
  const groups: Array<[number, number]> = []
  for (let end = n; end > 0; end = cut[end]) groups.unshift([cut[end], end])
  return groups
}
