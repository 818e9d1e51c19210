// Keyword postings of the entries loaded at open are built after it, in slices between other work, so
// opening stays fast and the first text query only finishes what is left (instead of building a whole
// index on the spot). Entries upserted since open are indexed at once by the index itself.
import { KEYWORD_BUILD_SLICE } from './constants'
import type { KeywordIndex } from './keyword'

export class KeywordBackfill {
  /** Ids still to index, the next one last. */
  private backlog: string[] = []
  private timer: NodeJS.Timeout | null = null
  private stopped = false

  /** `textOf` gives an entry's current text, or undefined once it was deleted. */
  constructor (private readonly keyword: KeywordIndex, private readonly textOf: (id: string) => string | undefined) {}

  /** Queues `ids` (indexed in this order) and starts the background slices. */
  start (ids: string[]): void {
    this.backlog = ids.slice().reverse()
    this.schedule()
  }

  /** Indexes everything left now (a text query needs the whole index). */
  finish (): void {
    if (this.backlog.length > 0) this.run(Infinity)
  }

  stop (): void {
    this.stopped = true
    if (this.timer != null) clearTimeout(this.timer)
    this.timer = null
  }

  private schedule (): void {
    if (this.timer != null || this.backlog.length === 0 || this.stopped) return
    this.timer = setTimeout(() => {
      this.timer = null
      this.run(KEYWORD_BUILD_SLICE)
      this.schedule()
    }, 0)
    this.timer.unref()
  }

  /** Indexes up to `max` backlog entries (their current text; entries already indexed are skipped). */
  private run (max: number): void {
    const backlog = this.backlog
    for (let i = 0; i < max && backlog.length > 0; i++) {
      const id = backlog.pop()!
      if (this.keyword.has(id)) continue
      const text = this.textOf(id)
      if (text !== undefined) this.keyword.set(id, text)
    }
  }
}
