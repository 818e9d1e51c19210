// Ratings and downloads per adapter, from proofs rather than the publisher's claims. A vote is a review
// post whose embedded download receipt is its author's and was paid for: the charge block carrying that
// receipt is in the author's chain as held here (see ledger.ts). One vote per paying account and adapter
// (its latest review), weighted by the account's ledger reputation. Downloads are the distinct accounts
// whose chains hold a paid download of one of the adapter's bundles.
//
// Which adapter a bundle (content id) is: this node knows it for bundles it hosts or installed
// (`adapterOf`); otherwise the first review naming the content id binds it, and later reviews that name
// another adapter for the same bundle are not counted. What that leaves open: a rater who really paid for
// one bundle can vote for another adapter whose bundle this node has never seen. Each such vote costs a
// real payment and counts once per account.
import type { LedgerProofs, SocialLedger } from './ledger'
import type { Post, Rating } from './schema'

export interface VerifiedMetrics {
  /** Reputation-weighted mean of the verified votes (1–5); absent without votes. */
  rating?: number
  /** Verified votes (paying accounts). */
  ratings: number
  /** Distinct accounts with a paid download of the adapter's bundles. */
  downloads: number
}

export class RatingBook {
  /** adapter key → rater → their latest review */
  private readonly byAdapter = new Map<string, Map<string, Post & { rating: Rating }>>()
  /** content id → adapter key, from reviews (first binding wins) */
  private readonly bindings = new Map<string, string>()

  constructor (private readonly adapterOf: (contentId: string) => string | undefined) {}

  add (post: Post): void {
    const rating = post.rating
    if (rating === undefined) return
    const cid = rating.receipt.contentId
    if (!this.bindings.has(cid)) this.bindings.set(cid, rating.adapter)
    const votes = this.byAdapter.get(rating.adapter) ?? new Map()
    const prev = votes.get(post.author)
    if (prev === undefined || prev.time < post.time) votes.set(post.author, post as Post & { rating: Rating })
    this.byAdapter.set(rating.adapter, votes)
  }

  remove (post: Post): void {
    if (post.rating === undefined) return
    const votes = this.byAdapter.get(post.rating.adapter)
    if (votes?.get(post.author)?.id === post.id) votes.delete(post.author)
  }

  private boundTo (contentId: string): string | undefined {
    return this.adapterOf(contentId) ?? this.bindings.get(contentId)
  }

  /** The verified figures of one adapter; `undefined` ledger (none running): no proofs, nothing counts. */
  metrics (key: string, proofs: LedgerProofs | undefined, ledger: SocialLedger | undefined): VerifiedMetrics {
    if (proofs === undefined || ledger === undefined) return { ratings: 0, downloads: 0 }
    let weighted = 0
    let weights = 0
    let ratings = 0
    const contentIds = new Set<string>()
    for (const [cid, k] of this.bindings) if (k === key) contentIds.add(cid)
    for (const vote of this.byAdapter.get(key)?.values() ?? []) {
      const r = vote.rating
      if (this.boundTo(r.receipt.contentId) !== key) continue
      const paid = proofs.charge(r.receipt)
      if (paid === undefined || paid.downloader !== vote.author) continue
      contentIds.add(r.receipt.contentId)
      const w = ledger.reputation(vote.author)
      ratings++
      weighted += w * r.score
      weights += w
    }
    const downloaders = new Set<string>()
    for (const cid of contentIds) for (const d of proofs.downloadersOf(cid)) downloaders.add(d)
    return { ...(weights > 0 ? { rating: Math.round(weighted / weights * 100) / 100 } : {}), ratings, downloads: downloaders.size }
  }

  /** Whether this review's vote counts here (paid receipt, bound to the adapter it names). */
  verified (post: Post, proofs: LedgerProofs | undefined): boolean {
    const r = post.rating
    if (r === undefined || proofs === undefined) return false
    return this.boundTo(r.receipt.contentId) === r.adapter && proofs.charge(r.receipt)?.downloader === post.author
  }

  /** Keys of every adapter with reviews here. */
  adapters (): string[] { return [...this.byAdapter.keys()] }
}
