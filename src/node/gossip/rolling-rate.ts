/** Events per second over a sliding window, in one-second buckets. */
export class RollingRate {
  private readonly buckets = new Map<number, number>()
  constructor (private readonly windowMs: number) {}

  add (n: number, now = Date.now()): void {
    const s = Math.floor(now / 1000)
    this.buckets.set(s, (this.buckets.get(s) ?? 0) + n)
    if (this.buckets.size > this.windowMs / 1000 + 5) this.prune(now)
  }

  perSecond (now = Date.now()): number {
    this.prune(now)
    let sum = 0
    for (const v of this.buckets.values()) sum += v
    return sum / (this.windowMs / 1000)
  }

  private prune (now: number): void {
    const oldest = Math.floor((now - this.windowMs) / 1000)
    for (const k of this.buckets.keys()) if (k <= oldest) this.buckets.delete(k)
  }
}
