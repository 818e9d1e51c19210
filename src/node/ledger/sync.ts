// Comparing chain heads with a neighbour: what to fetch from it and what it lacks. Pure, so the gossip
// layer can call it on every heads message.
import type { ChainHead } from './ledger'

export interface HeadsDiff {
  /** Ranges to fetch from the remote: `blocksAfter(account, afterSeq)` on its side (-1 = whole chain). */
  want: Array<{ account: string, afterSeq: number }>
  /** Accounts where the remote is behind us (or lacks the chain): we could push `blocksAfter(account, remoteSeq)`. */
  offer: Array<{ account: string, afterSeq: number }>
  /**
   * Same seq, different hash: one of the two copies is a fork. Fetch the remote's block at that seq
   * (`blocksAfter(account, seq - 1, 1)`) and ingest it: the ledger then produces the double-spend proof.
   */
  conflicts: Array<{ account: string, seq: number }>
}

export function diffHeads (local: readonly ChainHead[], remote: readonly ChainHead[]): HeadsDiff {
  const mine = new Map(local.map(h => [h.account, h]))
  const theirs = new Map(remote.map(h => [h.account, h]))
  const diff: HeadsDiff = { want: [], offer: [], conflicts: [] }
  for (const r of theirs.values()) {
    const l = mine.get(r.account)
    if (l == null || l.seq < r.seq) diff.want.push({ account: r.account, afterSeq: l?.seq ?? -1 })
    else if (l.seq === r.seq && l.hash !== r.hash) diff.conflicts.push({ account: r.account, seq: r.seq })
  }
  for (const l of mine.values()) {
    const r = theirs.get(l.account)
    if (r == null || r.seq < l.seq) diff.offer.push({ account: l.account, afterSeq: r?.seq ?? -1 })
  }
  return diff
}
