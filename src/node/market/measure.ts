// What this node saw of each provider: requests answered, failed (refused, timed out, bad answer) and
// cheated (an answer that did not check out, or payment taken without service). Availability and
// reputation come from here and from the provider's ledger reputation, never from its listing.
import { MAX_TRACKED_PROVIDERS } from './constants'

export interface ProviderRecord { answered: number, failed: number, cheated: number, lastMs?: number }

export interface ProviderMeasure {
  /** Measured share of requests answered, 0–1: (answered + 1) / (answered + failed + 2); 0.5 for a newcomer. */
  availability: number
  /** 0–1: the ledger's reputation of the account, lowered by what this node saw it cheat. */
  reputation: number
  answered: number
  failed: number
  cheated: number
}

export class ProviderTracker {
  private readonly records = new Map<string, ProviderRecord>()

  constructor (private readonly ledgerReputation: (account: string) => number = () => 0.5) {}

  private record (provider: string): ProviderRecord {
    let r = this.records.get(provider)
    if (r === undefined) {
      if (this.records.size >= MAX_TRACKED_PROVIDERS) this.records.delete(this.records.keys().next().value as string)
      r = { answered: 0, failed: 0, cheated: 0 }
    } else {
      this.records.delete(provider)
    }
    this.records.set(provider, r) // most recent last (LRU)
    return r
  }

  answered (provider: string, ms?: number): void {
    const r = this.record(provider)
    r.answered++
    if (ms !== undefined) r.lastMs = ms
  }

  failed (provider: string): void { this.record(provider).failed++ }

  /** A bad answer or payment without service: counts as a failure and weighs on reputation. */
  cheated (provider: string): void {
    const r = this.record(provider)
    r.failed++
    r.cheated++
  }

  /** Outcomes another node reported (bounded by the caller). */
  merge (provider: string, report: { answered: number, failed: number }): void {
    const r = this.record(provider)
    r.answered += report.answered
    r.failed += report.failed
  }

  measure (provider: string): ProviderMeasure {
    const r = this.records.get(provider) ?? { answered: 0, failed: 0, cheated: 0 }
    let ledger = 0.5
    try { ledger = this.ledgerReputation(provider) } catch { /* no ledger: neutral */ }
    const own = (r.answered + 1) / (r.answered + 5 * r.cheated + 1)
    return {
      availability: (r.answered + 1) / (r.answered + r.failed + 2),
      reputation: Math.min(ledger, own),
      answered: r.answered,
      failed: r.failed,
      cheated: r.cheated
    }
  }
}
