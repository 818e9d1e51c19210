// A block as the wallet's history shows it: what changed, with whom, for which adapter.
import type { Block } from './schema'
import type { HistoryEntry } from './types'

export function describe (b: Block): HistoryEntry {
  const base = { seq: b.seq, hash: b.hash, kind: b.kind, time: b.time, balance: b.balance }
  switch (b.kind) {
    case 'join': return { ...base, delta: b.amount, reason: 'new-user' }
    case 'send': return { ...base, delta: -b.amount, counterparty: b.to, memo: b.memo }
    case 'charge': return { ...base, delta: -b.amount, counterparty: b.receipt.host, contentId: b.receipt.contentId, reason: 'download' }
    case 'receive': {
      const s = b.source
      return s.kind === 'send'
        ? { ...base, delta: b.amount, counterparty: s.account, memo: s.memo }
        : { ...base, delta: b.amount, counterparty: s.account, contentId: s.receipt.contentId, reason: 'download' }
    }
    case 'grant': return { ...base, delta: b.amount, reason: b.grant.reason, ...(b.grant.reason === 'first-adapter' ? { counterparty: b.grant.receipt.downloader, contentId: b.grant.receipt.contentId } : {}) }
    case 'reward': {
      const w = b.reward
      const counterparty = w.reason === 'hosting' ? w.receipt.downloader : w.reason === 'compute' ? w.receipt.requester : w.reason === 'relay' ? w.receipt.origin : w.receipt.host
      const contentId = w.reason === 'hosting' || w.reason === 'rating' ? w.receipt.contentId : undefined
      return { ...base, delta: b.amount, reason: w.reason, counterparty, contentId }
    }
  }
}
