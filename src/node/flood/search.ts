// The origin's view of one network search: the state it keeps across rounds and the FloodSearch handle
// its caller iterates (batches as they arrive, the summary, continue, cancel).
import { MAX_TTL } from './constants'
import type { FloodEngine } from './engine'
import type { WireFilters } from './messages'
import { normaliseOptions } from './options'
import type { FloodBatch, FloodSearchOptions, FloodSummary, NetworkResult } from './types'

/** What a search knows across its rounds. */
export interface SearchState {
  vector: Float32Array
  keywords: string[]
  filters: Omit<WireFilters, 'minSimilarity'>
  known: Map<string, NetworkResult>
  /** Keys the caller already showed (never streamed). */
  preKnown: Set<string>
  answered: Set<string>
}

/**
 * A running (or finished) network search: an async stream of result batches, deduplicated across
 * peers; `summary` resolves when it ends; `continue()` searches further without repeating results.
 */
export class FloodSearch implements AsyncIterable<FloodBatch> {
  private readonly queue: FloodBatch[] = []
  private wake?: () => void
  private done = false
  private consumed = false
  private resolveSummary!: (s: FloodSummary) => void
  readonly summary: Promise<FloodSummary>

  constructor (readonly id: string, private readonly engine: FloodEngine, private readonly state: SearchState, private readonly opts: Required<Omit<FloodSearchOptions, 'signal'>>, private readonly abort: () => void) {
    this.summary = new Promise(resolve => { this.resolveSummary = resolve })
  }

  /** @internal */
  push (batch: FloodBatch): void {
    if (this.done) return
    this.queue.push(batch)
    this.wake?.()
  }

  /** @internal */
  finish (summary: FloodSummary): void {
    if (this.done) return
    this.done = true
    this.resolveSummary(summary)
    this.wake?.()
  }

  get finished (): boolean { return this.done }

  /** Everything found so far, best first. */
  results (): NetworkResult[] {
    return [...this.state.known.values()].sort((a, b) => b.similarity - a.similarity)
  }

  /** Stops the search now (the summary says 'aborted'). */
  cancel (): void { this.abort() }

  /**
   * Searches further: a new request (new id, so peers that dropped the old one as a duplicate answer
   * again) with more hops and patience; results already known are skipped by peers and never repeated.
   * @default hops + 2 (at most 10), the same timeout
   */
  continue (options: FloodSearchOptions = {}): FloodSearch {
    const opts = normaliseOptions({
      timeoutMs: options.timeoutMs ?? this.opts.timeoutMs,
      hops: options.hops ?? Math.min(MAX_TTL, this.opts.hops + 2),
      minResults: options.minResults ?? this.opts.minResults,
      minSimilarity: options.minSimilarity ?? this.opts.minSimilarity,
      signal: options.signal
    })
    return this.engine.launch(this.state, opts)
  }

  async * [Symbol.asyncIterator] (): AsyncIterator<FloodBatch> {
    if (this.consumed) throw new Error('A flood search can be iterated once')
    this.consumed = true
    while (true) {
      const next = this.queue.shift()
      if (next !== undefined) { yield next; continue }
      if (this.done) return
      await new Promise<void>(resolve => { this.wake = resolve })
      this.wake = undefined
    }
  }
}
