/**
 * Bounded min-heap of (score, slot): keeps the `k` highest scores seen; on equal scores the lower slot wins,
 * so the kept set does not depend on the order rows are offered in. `min` is the score a candidate must
 * beat to get in, so the scan skips most rows with a single comparison.
 */
export class TopK {
  private readonly scores: Float64Array
  private readonly slots: Int32Array
  size = 0

  constructor (readonly k: number) {
    this.scores = new Float64Array(Math.max(1, k))
    this.slots = new Int32Array(Math.max(1, k))
  }

  get full (): boolean { return this.size >= this.k }

  /** Lowest kept score (-Infinity until full). */
  get min (): number { return this.size >= this.k ? this.scores[0] : -Infinity }

  push (score: number, slot: number): void {
    if (this.k <= 0) return
    const s = this.scores
    const t = this.slots
    if (this.size < this.k) {
      let i = this.size++
      while (i > 0) {
        const p = (i - 1) >> 1
        if (s[p] < score || (s[p] === score && t[p] > slot)) break
        s[i] = s[p]; t[i] = t[p]; i = p
      }
      s[i] = score; t[i] = slot
      return
    }
    if (score < s[0] || (score === s[0] && slot >= t[0])) return
    // Replace the root and sift down.
    let i = 0
    const n = this.size
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      // The worse child: lower score, or equal score and higher slot.
      const c = r < n && (s[r] < s[l] || (s[r] === s[l] && t[r] > t[l])) ? r : l
      if (s[c] > score || (s[c] === score && t[c] < slot)) break
      s[i] = s[c]; t[i] = t[c]; i = c
    }
    s[i] = score; t[i] = slot
  }

  /** Kept (slot, score) pairs, best first. */
  sorted (): Array<{ slot: number, score: number }> {
    const out: Array<{ slot: number, score: number }> = []
    for (let i = 0; i < this.size; i++) out.push({ slot: this.slots[i], score: this.scores[i] })
    return out.sort((a, b) => b.score - a.score || a.slot - b.slot)
  }
}
