// Counts of dropped and rejected messages by protocol and reason, shown in `mesh status`.

export class DropCounters {
  private readonly counts = new Map<string, number>()

  add (protocol: string, reason: string, n = 1): void {
    const key = `${protocol}:${reason}`
    this.counts.set(key, (this.counts.get(key) ?? 0) + n)
  }

  get (protocol: string, reason: string): number {
    return this.counts.get(`${protocol}:${reason}`) ?? 0
  }

  total (protocol?: string): number {
    let sum = 0
    for (const [k, v] of this.counts) if (protocol === undefined || k.startsWith(protocol + ':')) sum += v
    return sum
  }

  /** `{ "pex": { "malformed": 2 }, ... }` */
  toJSON (): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {}
    for (const [k, v] of this.counts) {
      const i = k.lastIndexOf(':')
      const proto = k.slice(0, i)
      ;(out[proto] ??= {})[k.slice(i + 1)] = v
    }
    return out
  }
}
