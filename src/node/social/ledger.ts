// What the social layer reads from and asks of the token ledger, injected by the node (src/node/features.ts
// wires the ledger feature in), so this folder imports nothing from the economy. From the blocks held it
// keeps two indexes: tips (sends whose memo names a post) and paid downloads (charge blocks and the
// receipts they embed). A tip or a download counts only when such a block is in the payer's chain as
// held here: a claim without the ledger's debit counts for nothing.
import type { Block, DownloadReceipt } from '../ledger'
import type { AbortOptions } from '../util/abort'
import { receiptHash } from './item'
import { TIP_MEMO_PREFIX } from './constants'

export interface SocialLedger {
  /** This node's account (throws while the ledger is not running). */
  readonly account: string
  send(to: string, units: number, memo: string, options?: AbortOptions): Promise<{ amount: number, balance: number, seq: number, hash: string }>
  /** Every block held (own chain and fetched chains). */
  blocks(): Iterable<Block>
  /** Subscribes to every block the ledger accepts; returns the unsubscribe function. */
  onBlock(fn: (block: Block) => void): () => void
  /** 0–1; 0.5 for an account with no history here. */
  reputation(account: string): number
  /** The ledger's 1-token curation reward, once per adapter, for a download this account paid for. */
  claimRatingReward(receipt: DownloadReceipt, score: number, options?: AbortOptions): Promise<{ amount: number }>
}

interface Tip { from: string, to: string, amount: number, seq: number }
interface Paid { contentId: string, downloader: string, price: number }

/** The ledger's tips and paid downloads, indexed as blocks arrive. */
export class LedgerProofs {
  private readonly tips = new Map<string, Tip[]>()
  private readonly seen = new Set<string>()
  private readonly charges = new Map<string, Paid>()
  private readonly downloaders = new Map<string, Set<string>>()
  private unsubscribe?: () => void

  constructor (private readonly ledger: SocialLedger) {}

  /** Indexes the ledger's blocks and follows new ones; false while the ledger does not run (tried again later). */
  ensure (): boolean {
    if (this.unsubscribe !== undefined) return true
    let held: Block[]
    try { held = [...this.ledger.blocks()] } catch { return false }
    this.unsubscribe = this.ledger.onBlock(b => this.add(b))
    for (const b of held) this.add(b)
    return true
  }

  stop (): void { this.unsubscribe?.(); this.unsubscribe = undefined }

  private add (b: Block): void {
    if (this.seen.has(b.hash)) return
    if (b.kind === 'send' && b.memo.startsWith(TIP_MEMO_PREFIX)) {
      const postId = b.memo.slice(TIP_MEMO_PREFIX.length, TIP_MEMO_PREFIX.length + 64)
      if (/^[0-9a-f]{64}$/.test(postId)) {
        this.seen.add(b.hash)
        const list = this.tips.get(postId) ?? []
        list.push({ from: b.account, to: b.to, amount: b.amount, seq: b.seq })
        this.tips.set(postId, list)
      }
    } else if (b.kind === 'charge') {
      this.seen.add(b.hash)
      const r = b.receipt
      this.charges.set(receiptHash(r), { contentId: r.contentId, downloader: r.downloader, price: r.price })
      const set = this.downloaders.get(r.contentId) ?? new Set()
      set.add(r.downloader)
      this.downloaders.set(r.contentId, set)
    }
  }

  /** Tips to `author` for `postId` in chains held here: units and distinct tippers. */
  tipsFor (postId: string, author: string): { total: number, count: number } {
    const list = (this.tips.get(postId) ?? []).filter(t => t.to === author)
    return { total: list.reduce((s, t) => s + t.amount, 0), count: list.length }
  }

  /** The charge that paid for this receipt, when its payer's chain (as held here) has it. */
  charge (receipt: DownloadReceipt): Paid | undefined { return this.charges.get(receiptHash(receipt)) }

  /** Accounts whose chains hold a paid download of this content id. */
  downloadersOf (contentId: string): ReadonlySet<string> { return this.downloaders.get(contentId) ?? new Set() }

  /** This account's own paid downloads (its receipts), newest first. */
  ownReceipts (account: string): DownloadReceipt[] {
    const out: DownloadReceipt[] = []
    for (const b of this.ledger.blocks()) if (b.kind === 'charge' && b.account === account) out.push(b.receipt)
    return out.reverse()
  }
}
