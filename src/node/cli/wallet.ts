// `continuum wallet …`: balance, stats, history, send and verify through the running node's ledger.
import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import { ApiError, parseTokens, type ApiClient, type VerifyReport, type WalletBalance, type WalletStats } from '..'
import { clientFor, printJson } from './program'
import { shortId } from './format'

// The wallet routes answer the node's wallet figures in the same shapes, their amounts in tokens.
type Balance = WalletBalance
type Stats = WalletStats
type Verify = VerifyReport
interface Entry { seq: number, kind: string, time: number, delta: number, balance: number, counterparty?: string, memo?: string, contentId?: string, reason?: string }

function parseLimit (v: string): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new InvalidArgumentError('expected a whole number 1-100000')
  return n
}

/** Calls a wallet route; a node without the ledger feature answers 404, said here in one line. */
async function wallet<T> (client: ApiClient, method: 'GET' | 'POST', pathname: string, body?: unknown): Promise<T> {
  try {
    return await client.call<T>(method, pathname, body)
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) throw new Error('The running node has no wallet (its ledger feature is off)', { cause: err })
    throw err
  }
}

const tok = (n: number): string => `${n.toLocaleString('en-US', { maximumFractionDigits: 6 })} token${n === 1 ? '' : 's'}`
const signed = (n: number): string => `${n >= 0 ? '+' : '-'}${Math.abs(n).toLocaleString('en-US', { maximumFractionDigits: 6 })}`

export function formatStats (s: Stats): string {
  const top = s.topAdapter == null
    ? 'none yet'
    : `${s.topAdapter.name ?? s.topAdapter.contentId} (${s.topAdapter.downloads} download${s.topAdapter.downloads === 1 ? '' : 's'}, ${tok(s.topAdapter.earned)})`
  return [
    `Balance: ${tok(s.balance)}`,
    `Earned (total): ${tok(s.earned)}`,
    `Spent (total): ${tok(s.spent)}`,
    `Reputation: ${s.reputation.toFixed(2)}${s.forked ? ' (proven double spend: payments refused)' : ''}`,
    `Top earning adapter: ${top}`
  ].join('\n')
}

export function formatHistory (entries: Entry[]): string {
  if (entries.length === 0) return 'No ledger entries yet.'
  return entries.map(e => {
    const what = e.kind === 'send' ? `to ${shortId(e.counterparty ?? '')}`
      : e.kind === 'receive' ? `from ${shortId(e.counterparty ?? '')}`
        : e.kind === 'charge' ? `download ${e.contentId ?? ''} from ${shortId(e.counterparty ?? '')}`
          : e.reason ?? ''
    const memo = e.memo !== undefined && e.memo !== '' ? `  "${e.memo}"` : ''
    return `${String(e.seq).padStart(4)}  ${new Date(e.time).toISOString().replace('T', ' ').slice(0, 19)}  ${e.kind.padEnd(7)} ${signed(e.delta).padStart(12)}  = ${String(e.balance).padStart(10)}  ${what}${memo}`
  }).join('\n')
}

export function registerWalletCommands (program: Command): void {
  const w = program.command('wallet').description('tokens: balance, stats, history, send, verify another account')

  w.command('balance')
    .description('this node\'s token balance')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const b = await wallet<Balance>(await clientFor(cmd), 'GET', '/api/wallet/balance')
      if (opts.json === true) { printJson(b); return }
      console.log(b.joined ? `Balance: ${tok(b.balance)}` : b.joining ? 'Balance: 0 tokens (joining: proof-of-work in progress)' : 'Balance: 0 tokens (not joined)')
    })

  w.command('stats')
    .description('balance, earned, spent, reputation and the top earning adapter')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const s = await wallet<Stats>(await clientFor(cmd), 'GET', '/api/wallet/stats')
      if (opts.json === true) printJson(s)
      else console.log(formatStats(s))
    })

  w.command('history')
    .description('this account\'s ledger entries, newest first')
    .option('--limit <n>', 'entries to show', parseLimit)
    .option('--account <peer>', 'another account held by this node')
    .option('--json', 'print JSON')
    .action(async (opts: { limit?: number, account?: string, json?: boolean }, cmd: Command) => {
      const q = new URLSearchParams()
      if (opts.limit !== undefined) q.set('limit', String(opts.limit))
      if (opts.account !== undefined) q.set('account', opts.account)
      const res = await wallet<{ account: string, entries: Entry[] }>(await clientFor(cmd), 'GET', `/api/wallet/history${q.size > 0 ? `?${q.toString()}` : ''}`)
      if (opts.json === true) printJson(res)
      else console.log(formatHistory(res.entries))
    })

  w.command('send')
    .description('pay tokens to another peer')
    .argument('<peer>', 'the payee\'s peer id (12D3KooW…)')
    .argument('<amount>', 'tokens, up to 6 decimals (e.g. 10 or 0.5)')
    .option('--memo <text>', 'a note stored with the payment (256 characters at most)')
    .option('--json', 'print JSON')
    .action(async (peer: string, amount: string, opts: { memo?: string, json?: boolean }, cmd: Command) => {
      parseTokens(amount)
      const res = await wallet<{ to: string, amount: number, balance: number, seq: number, hash: string }>(await clientFor(cmd), 'POST', '/api/wallet/send', { to: peer, amount, ...(opts.memo !== undefined ? { memo: opts.memo } : {}) })
      if (opts.json === true) printJson(res)
      else console.log(`Sent ${tok(res.amount)} to ${res.to}. Balance: ${tok(res.balance)}`)
    })

  w.command('verify')
    .description('fetch another account\'s chain and validate it')
    .argument('<peer>', 'the account\'s peer id')
    .option('--json', 'print JSON')
    .action(async (peer: string, opts: { json?: boolean }, cmd: Command) => {
      const r = await wallet<Verify>(await clientFor(cmd), 'POST', '/api/wallet/verify', { peer })
      if (opts.json === true) { printJson(r); return }
      const verdict = r.forked ? 'FORKED: proven double spend, payments refused' : r.valid ? 'valid' : `INVALID: ${r.rejected.map(x => `${x.reason}${x.seq !== undefined ? ` at ${x.seq}` : ''}`).join(', ')}`
      console.log([
        `Account ${r.account}: ${verdict}`,
        `  ${r.blocks} blocks (${r.fetched} fetched from ${r.source === r.account ? 'the account itself' : r.source})`,
        `  Balance ${tok(r.balance)}, earned ${tok(r.earned)}, spent ${tok(r.spent)}, reputation ${r.reputation.toFixed(2)}`
      ].join('\n'))
    })
}
