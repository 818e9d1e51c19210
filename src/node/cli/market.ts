// `continuum market list`: the service listings the running node holds, cheapest first, with the
// availability and reputation this node measured. Compute commands (`compute …`, `ai …`) are in compute.ts.
import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import { ApiError, SERVICE_TYPES, type ApiClient } from '..'
import { clientFor, printJson } from './program'
import { shortId } from './format'

/** A listing as the market route answers it (price in tokens). */
export interface ListingRow {
  provider: string
  serviceType: string
  service: string
  model?: string
  adapters: string[]
  unit: string
  price: number
  capacity: number
  region?: string
  availability: number
  reputation: number
  answered: number
  failed: number
  own: boolean
}

/** Calls a market route; a node without the market feature answers 404, said here in one line. */
export async function marketCall<T> (client: ApiClient, method: 'GET' | 'POST', pathname: string, body?: unknown): Promise<T> {
  try {
    return await client.call<T>(method, pathname, body)
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) throw new Error('The running node has no market (its market feature is off)', { cause: err })
    throw err
  }
}

function parseAvailability (v: string): number {
  const n = Number(v)
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('expected a number 0-1, e.g. 0.5')
  return n
}

function parseType (v: string): string {
  if (!(SERVICE_TYPES as readonly string[]).includes(v)) throw new InvalidArgumentError(`expected one of ${SERVICE_TYPES.join(', ')}`)
  return v
}

const pct = (x: number): string => `${Math.round(x * 100)}%`

export function formatListings (rows: ListingRow[]): string {
  if (rows.length === 0) return 'No listings on offer (with availability at or above the minimum).'
  const lines = rows.map(r => [
    `${r.price} / ${r.unit}`.padEnd(18),
    r.serviceType.padEnd(11),
    `${r.service}${r.model !== undefined ? ` (${r.model})` : ''}`.padEnd(32),
    `avail ${pct(r.availability)}`.padEnd(11),
    `rep ${r.reputation.toFixed(2)}`.padEnd(9),
    `${shortId(r.provider)}${r.own ? ' (this node)' : ''}${r.adapters.length > 0 ? `  adapters: ${r.adapters.join(', ')}` : ''}`
  ].join(' '))
  return ['price (tokens)     type        service                          availability reputation provider', ...lines].join('\n')
}

export function registerMarketCommands (program: Command): void {
  const m = program.command('market').description('services on the mesh: listings of inference, fine-tuning, adapters and storage')
  m.command('list')
    .description('listings this node holds, cheapest first, then by reputation')
    .option('--type <type>', `service type: ${SERVICE_TYPES.join(', ')}`, parseType)
    .option('--model <model>', 'only listings of this model (or adapter)')
    .option('--min-availability <x>', 'measured availability floor 0-1', parseAvailability, 0.5)
    .option('--json', 'print JSON')
    .action(async (opts: { type?: string, model?: string, minAvailability: number, json?: boolean }, cmd: Command) => {
      const q = new URLSearchParams({ minAvailability: String(opts.minAvailability) })
      if (opts.type !== undefined) q.set('type', opts.type)
      if (opts.model !== undefined) q.set('model', opts.model)
      const res = await marketCall<{ listings: ListingRow[] }>(await clientFor(cmd), 'GET', `/api/market/listings?${q.toString()}`)
      if (opts.json === true) printJson(res.listings)
      else console.log(formatListings(res.listings))
    })
}
