// One search launched by this node (the origin): verifies and de-duplicates the responses as they come
// back, streams fresh results to its FloodSearch, and ends it on timeout, abort, early stop, or when
// every first-hop peer has said its subtree is done.
import { catalogKey } from '../catalog/catalog'
import { manifestEmbedding } from '../manifest'
import { Completion } from './completion'
import { EARLY_STOP_SIMILARITY } from './constants'
import type { FloodEngine } from './engine'
import { clamp01, dot } from './forwarding'
import type { SearchResponseFrame } from './messages'
import type { ResolvedSearchOptions } from './options'
import { FloodSearch, type SearchState } from './search'
import type { FloodEndReason, NetworkResult } from './types'

/** Manifest checks one search does at most. */
const MAX_VERIFICATIONS_PER_SEARCH = 1_000

export class FloodSession {
  readonly forwardedTo = new Set<string>()
  /** @internal set by launch: which first-hop peers have answered for their whole subtree. */
  completion = new Completion([])
  /** Responses still being verified: the search is complete only once they are delivered. */
  private delivering = 0
  readonly search: FloodSearch
  finished = false
  private readonly startedAt = Date.now()
  private readonly timer: NodeJS.Timeout
  private verifications = 0
  private firstResultMs?: number
  private readonly onAbort = (): void => { this.end('aborted') }

  constructor (private readonly engine: FloodEngine, readonly id: string, private readonly state: SearchState, private readonly opts: ResolvedSearchOptions, private readonly onEnd: () => void) {
    this.search = new FloodSearch(id, engine, state, opts, () => this.end('aborted'))
    this.timer = setTimeout(() => this.end('timeout'), opts.timeoutMs)
    if (opts.signal?.aborted === true) queueMicrotask(() => this.end('aborted'))
    else opts.signal?.addEventListener('abort', this.onAbort, { once: true })
  }

  /** A first-hop peer says its whole subtree has answered (after `responses` response frames). */
  peerDone (peer: string, responses: number): void {
    this.completion.done(peer, responses)
    this.checkComplete()
  }

  peerFailed (peer: string): void {
    this.completion.failed(peer)
    this.checkComplete()
  }

  private checkComplete (): void {
    if (!this.finished && this.delivering === 0 && this.completion.complete) this.end('complete')
  }

  async deliver (from: string, res: SearchResponseFrame): Promise<void> {
    if (this.finished) return
    this.delivering++
    try {
      await this.deliverResults(res)
    } finally {
      this.delivering--
      this.completion.response(from)
      this.checkComplete()
    }
  }

  private async deliverResults (res: SearchResponseFrame): Promise<void> {
    const fresh: NetworkResult[] = []
    for (const r of res.results) {
      if (this.verifications >= MAX_VERIFICATIONS_PER_SEARCH) break
      this.verifications++
      const manifest = await this.engine.verify(r.manifest)
      if (this.finished) return
      if (manifest === undefined) { this.engine.init.onDrop('invalid-manifest'); continue }
      const key = catalogKey(manifest)
      if (this.state.preKnown.has(key)) continue
      const existing = this.state.known.get(key)
      if (existing !== undefined) {
        if (!existing.availableFrom.includes(res.responder) && existing.availableFrom.length < 32) existing.availableFrom.push(res.responder)
        continue
      }
      // Do not trust the claimed similarity: recompute it from the signed embedding.
      const similarity = clamp01(dot(this.state.vector, manifestEmbedding(manifest)))
      if (similarity < this.opts.minSimilarity) continue
      const result: NetworkResult = { key, manifest, similarity, hops: res.hops, sourcePeer: res.responder, availableFrom: [res.responder] }
      this.state.known.set(key, result)
      fresh.push(result)
    }
    this.state.answered.add(res.responder)
    if (fresh.length === 0) return
    fresh.sort((a, b) => b.similarity - a.similarity)
    const elapsedMs = Date.now() - this.startedAt
    this.firstResultMs ??= elapsedMs
    this.search.push({ elapsedMs, hops: res.hops, results: fresh })
    this.engine.init.onResults?.(fresh)
    let best = 0
    for (const r of this.state.known.values()) best = Math.max(best, r.similarity)
    if (this.state.known.size >= this.opts.minResults && best > EARLY_STOP_SIMILARITY) this.end('early-stop')
  }

  end (reason: FloodEndReason): void {
    if (this.finished) return
    this.finished = true
    clearTimeout(this.timer)
    this.opts.signal?.removeEventListener('abort', this.onAbort)
    this.onEnd()
    this.search.finish({
      searchId: this.search.id,
      total: this.state.known.size,
      peersAnswered: this.state.answered.size,
      elapsedMs: Date.now() - this.startedAt,
      reason,
      hops: this.opts.hops,
      timeoutMs: this.opts.timeoutMs,
      ...(this.firstResultMs !== undefined ? { firstResultMs: this.firstResultMs } : {})
    })
  }
}
