// Wallet routes of the local API (the web UI's wallet page, the extension's status bar, the CLI), thin
// calls of the node's wallet (`node.wallet`). A node without the ledger has no wallet routes (404).
// Amounts on the wire are tokens (numbers with up to 6 decimals); the ledger counts integer units.
import { z } from 'zod'
import { formatTokens, parseTokens, type HistoryEntry } from '../../ledger'
import type { WalletApi } from '../../economy'
import { isUserFacing } from '../../economy/errors'
import type { RouteRegistry } from '../router'
import { BadRequestError } from '../errors'

const SendBody = z.strictObject({
  to: z.string().min(1).max(128),
  /** Tokens, e.g. 10 or "0.5". */
  amount: z.union([z.number().positive(), z.string().min(1).max(32)]),
  memo: z.string().max(256).optional()
})
const VerifyBody = z.strictObject({ peer: z.string().min(1).max(128) })

/** Units → tokens as a JSON number (exact to 6 decimals). */
export const toTokens = (units: number): number => Number(formatTokens(units))

/** A wallet mistake is the caller's (400, one line); anything else stays a server error. */
async function userErrors<T> (fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (isUserFacing(err)) throw new BadRequestError((err as Error).message)
    throw err
  }
}

export function historyEntryJson (e: HistoryEntry): Record<string, unknown> {
  return { ...e, delta: toTokens(e.delta), balance: toTokens(e.balance) }
}

export function registerWalletRoutes (api: RouteRegistry, wallet: WalletApi): void {
  api.route('GET', '/api/wallet/balance', () => {
    const b = wallet.balance()
    return { ...b, balance: toTokens(b.balance) }
  })
  api.route('GET', '/api/wallet/stats', () => {
    const s = wallet.stats()
    return {
      account: s.account,
      balance: toTokens(s.balance),
      earned: toTokens(s.earned),
      spent: toTokens(s.spent),
      reputation: s.reputation,
      blocks: s.blocks,
      forked: s.forked,
      topAdapter: s.topAdapter == null ? null : { ...s.topAdapter, earned: toTokens(s.topAdapter.earned) }
    }
  })
  api.route('GET', '/api/wallet/history', req => {
    const limitText = req.url.searchParams.get('limit')
    const limit = limitText === null ? undefined : Number(limitText)
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 100_000)) throw new BadRequestError('limit must be a whole number 1-100000')
    const account = req.url.searchParams.get('account') ?? wallet.account
    return { account, entries: wallet.history({ account, limit }).map(historyEntryJson) }
  })
  api.route('GET', '/api/wallet/accounts', () => wallet.accounts().map(a => ({ ...a, balance: toTokens(a.balance) })))
  api.route('POST', '/api/wallet/send', async req => {
    const body = await req.body(SendBody)
    return await userErrors(async () => {
      const units = parseTokens(String(body.amount))
      const block = await wallet.send(body.to, units, body.memo ?? '', { signal: req.signal })
      return { to: body.to, amount: toTokens(block.amount), balance: toTokens(block.balance), seq: block.seq, hash: block.hash }
    })
  })
  api.route('POST', '/api/wallet/verify', async req => {
    const { peer } = await req.body(VerifyBody)
    return await userErrors(async () => {
      const r = await wallet.verify(peer, { signal: req.signal })
      return { ...r, balance: toTokens(r.balance), earned: toTokens(r.earned), spent: toTokens(r.spent) }
    })
  })
}
