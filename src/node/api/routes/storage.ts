// Storage routes of the local API (paid replicas), thin calls of `node.storage`. Amounts on the wire are
// tokens; the storage market counts ledger units. put/get stream NDJSON progress then `done`.
import { z } from 'zod'
import { formatTokens } from '../../ledger'
import type { StorageApi, StoredFileView } from '../../storage-market'
import { BadRequestError } from '../errors'
import type { RouteRegistry } from '../router'

const tokens = (units: number): number => Number(formatTokens(units))
const OfferBody = z.strictObject({ capacityMb: z.int().min(1).max(2 ** 32), pricePerMbDay: z.number().min(0).max(1e9), region: z.string().max(32).optional() })
const PutBody = z.strictObject({ path: z.string().min(1).max(4096), replicas: z.int().min(1).max(16).optional(), days: z.number().positive().max(366).optional(), maxPrice: z.number().min(0).max(1e9).optional(), hosts: z.array(z.string().max(128)).max(16).optional() })
const GetBody = z.strictObject({ cid: z.string().min(1).max(300), out: z.string().min(1).max(4096).optional() })

const USER_ERRORS = new Set(['StorageInputError', 'StoragePriceError', 'NotEnoughHostsError', 'StoredFileNotFoundError', 'InvalidContentRefError'])
async function userErrors<T> (fn: () => Promise<T> | T): Promise<T> {
  try { return await fn() } catch (err) {
    if (USER_ERRORS.has((err as Error).name)) throw new BadRequestError((err as Error).message)
    throw err
  }
}

export function storedFileJson (v: StoredFileView): Record<string, unknown> {
  return { ...v, cost: tokens(v.cost), paid: tokens(v.paid), hosts: v.hosts.map(h => ({ ...h, paid: tokens(h.paid), total: tokens(h.total), ...(h.nextPayment !== undefined ? { nextPayment: tokens(h.nextPayment) } : {}) })) }
}

function throttle (write: (r: unknown) => void): (p: Record<string, unknown>, force?: boolean) => void {
  let last = 0
  return (p, force = false) => { const now = Date.now(); if (!force && now - last < 250) return; last = now; write({ type: 'progress', ...p }) }
}

export function registerStorageRoutes (api: RouteRegistry, storage: StorageApi): void {
  api.route('POST', '/api/storage/offer', async req => {
    const b = await req.body(OfferBody)
    const r = await userErrors(async () => storage.offer({ capacityMb: b.capacityMb, pricePerMbDay: Math.round(b.pricePerMbDay * 1_000_000), ...(b.region !== undefined ? { region: b.region } : {}) }))
    return { capacityMb: r.capacityMb, pricePerMbDay: tokens(r.pricePerMbDay) }
  })
  api.route('POST', '/api/storage/withdraw', async () => { await storage.withdrawOffer(); return { withdrawn: true } })
  api.stream('POST', '/api/storage/put', async (req, write) => {
    const b = await req.body(PutBody)
    const progress = throttle(write)
    const v = await userErrors(async () => storage.put(b.path, { replicas: b.replicas, days: b.days, maxPrice: b.maxPrice, hosts: b.hosts, signal: req.signal, onProgress: p => progress({ ...p }, p.stage !== 'chunking') }))
    write({ type: 'done', ...storedFileJson(v) })
  })
  api.stream('POST', '/api/storage/get', async (req, write) => {
    const b = await req.body(GetBody)
    const progress = throttle(write)
    const r = await userErrors(async () => storage.get(b.cid, { ...(b.out !== undefined ? { out: b.out } : {}), signal: req.signal, onProgress: p => progress({ ...p }) }))
    write({ type: 'done', ...r })
  })
  api.route('GET', '/api/storage/status', async req => {
    const cid = req.url.searchParams.get('cid')
    if (cid === null || cid === '') throw new BadRequestError('cid is required: /api/storage/status?cid=<cid>')
    return userErrors(() => storedFileJson(storage.statusOf(cid)))
  })
  api.route('GET', '/api/storage/list', () => ({ files: storage.list().map(storedFileJson), hosting: storage.hosting().map(h => ({ ...h, total: tokens(h.total) })) }))
}
