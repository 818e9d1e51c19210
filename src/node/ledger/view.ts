// What the ledger answers from memory: heads and ranges (what sync exchanges), balances, reputation,
// stats, history and limits. The Ledger (ledger.ts) extends it with the writes.
import { sha256Hex } from './canonical'
import type { ChainStore } from './chains'
import { describe } from './history'
import { reputationScore } from './reputation'
import type { Block, DoubleSpendProof } from './schema'
import type { ChainHead, HistoryEntry, LedgerMemory, LedgerStats, WalletInfo } from './types'

export class LedgerView extends EventTarget {
  /** The own account (PeerId text). */
  readonly account: string

  constructor (protected readonly store: ChainStore) {
    super()
    this.account = store.account
  }

  /** Head of every chain held (what to gossip). */
  heads (): ChainHead[] {
    const out: ChainHead[] = []
    for (const [account, c] of this.store.chains) {
      if (c.blocks.length > 0) out.push({ account, seq: c.blocks.length - 1, hash: c.state.hashes[c.blocks.length - 1] })
    }
    return out
  }

  /**
   * sha-256 over all heads (sorted by account): two nodes with equal digests hold the same chains, so
   * gossip can send the digest and exchange full heads only when they differ.
   */
  headsDigest (): string {
    const lines = this.heads().map(h => `${h.account} ${h.seq} ${h.hash}`).sort()
    return sha256Hex(lines.join('\n'))
  }

  head (account: string): ChainHead | null {
    const c = this.store.chains.get(account)
    if (c == null || c.blocks.length === 0) return null
    return { account, seq: c.blocks.length - 1, hash: c.blocks[c.blocks.length - 1].hash }
  }

  /** Blocks of `account` with seq > `afterSeq` (-1 for the whole chain), oldest first, at most `limit`. */
  blocksAfter (account: string, afterSeq: number, limit = 1000): Block[] {
    const c = this.store.chains.get(account)
    if (c == null) return []
    return c.blocks.slice(Math.max(0, afterSeq + 1), Math.max(0, afterSeq + 1) + Math.max(0, limit))
  }

  /** Every double-spend proof known. */
  proofs (): DoubleSpendProof[] { return [...this.store.forks.values()] }

  isForked (account: string): boolean { return this.store.forks.has(account) }

  /** Accounts with at least one block held. */
  accounts (): string[] { return [...this.store.chains.keys()].filter(a => (this.store.chains.get(a)?.blocks.length ?? 0) > 0) }

  balance (account: string = this.account): number {
    return this.store.chains.get(account)?.state.balance ?? 0
  }

  /** Reputation 0–1 (formula in reputation.ts); 0.5 for an account with no history here. */
  reputation (account: string = this.account): number {
    return reputationScore({
      deliveries: this.store.deliveries.get(account)?.size ?? 0,
      payments: this.store.chains.get(account)?.payments ?? 0,
      badData: (this.store.badTenths.get(account) ?? 0) / 10,
      forked: this.store.forks.has(account)
    })
  }

  wallet (account: string = this.account): WalletInfo {
    return { account, balance: this.balance(account), reputation: this.reputation(account), forked: this.store.forks.has(account), joined: (this.store.chains.get(account)?.blocks.length ?? 0) > 0 }
  }

  /** How much peer-fed data this ledger holds, and what its limits refused or dropped. */
  memory (): LedgerMemory {
    let blocks = 0
    for (const c of this.store.chains.values()) blocks += c.blocks.length
    return { accounts: this.store.chains.size, blocks, embedded: this.store.embedded.size, trackedPeers: this.store.badTenths.size, dropped: { ...this.store.dropped } }
  }

  /** Rejected blocks and proofs by reason since this ledger was opened (including load). */
  rejections (): Record<string, number> {
    return Object.fromEntries(this.store.rejectCounts)
  }

  stats (): LedgerStats {
    const c = this.store.chains.get(this.account)
    let top: LedgerStats['topAdapter'] = null
    for (const [contentId, earned] of this.store.adapterEarnings) {
      if (top == null || earned > top.earned) top = { contentId, earned }
    }
    return {
      account: this.account,
      balance: c?.state.balance ?? 0,
      earned: c?.state.earned ?? 0,
      spent: c?.state.spent ?? 0,
      reputation: this.reputation(),
      blocks: c?.blocks.length ?? 0,
      topAdapter: top
    }
  }

  /** The account's chain as readable entries, newest first. */
  history (options: { account?: string, limit?: number } = {}): HistoryEntry[] {
    const blocks = this.store.chains.get(options.account ?? this.account)?.blocks ?? []
    const out: HistoryEntry[] = []
    for (let i = blocks.length - 1; i >= 0 && out.length < (options.limit ?? Infinity); i--) out.push(describe(blocks[i]))
    return out
  }

  /** The stored chain of an account (oldest first). */
  chain (account: string = this.account): readonly Block[] {
    return this.store.chains.get(account)?.blocks ?? []
  }
}
