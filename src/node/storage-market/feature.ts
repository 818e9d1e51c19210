// Paid storage replicas (`node.storage`): offer storage as a market listing (serviceType `storage`,
// unit `mb-day`), put a file on N paid hosts with signed contracts, audit them with random-block
// challenges, pay on proofs, drop and replace failing hosts, and get a file back by CID from whoever
// holds it. js-libp2p shape: `storageService(init)(components)`; as a node feature, `storageFeature(init)`
// takes its components from the node it starts on. Parts: contract.ts (signed contracts), protocol.ts
// (frames), host.ts (hosting side), owner.ts (placement, audits, payment, repair), records.ts (state).
import { mkdir, stat } from 'node:fs/promises'
import path from 'node:path'
import type { MeshFeature } from '../feature'
import { parseTokens } from '../ledger'
import type { AbortOptions } from '../util/abort'
import { errorMessage } from '../util/logger'
import type { StorageComponents, StorageContent, StorageListings, StoragePayments } from './components'
import { AUDIT_INTERVAL_MS, DAY_MS, DEFAULT_DAYS, DEFAULT_REPLICAS, MAX_DAYS, MAX_REPLICAS, MB, STORAGE_SERVICE } from './constants'
import { contractCost } from './contract'
import { NotEnoughHostsError, StorageInputError, StorageNotRunningError, StoragePriceError, StoredFileNotFoundError } from './errors'
import { StorageHost } from './host'
import { audit, chooseHosts, placeReplica, repair, type OwnerDeps } from './owner'
import { hostingSchema, readJson, storedFileSchema, writeJson, type Hosting, type Replica, type StoredFile } from './records'
import { z } from 'zod'

export interface StorageInit {
  content?: StorageContent
  /** Where storage offers are listed and found (the market). */
  listings?: StorageListings
  /** Pays hosts (the wallet); without it storage is free only. */
  payments?: StoragePayments
  /** How often each host is challenged, in ms. @default 600000 */
  auditIntervalMs?: number
  /** How long a host has to answer a challenge, in ms. @default 10000 */
  challengeTimeoutMs?: number
  /** Clock (tests). @default Date.now */
  now?: () => number
}

export interface PutProgress { stage: 'chunking' | 'contracting' | 'done', bytes: number, totalBytes: number, hosts: number, replicas: number }
export interface PutOptions extends AbortOptions {
  /** @default 3 */
  replicas?: number
  /** @default 30 */
  days?: number
  /** The most tokens the user accepts to pay for the whole put (all replicas, whole term). @default 0 */
  maxPrice?: number
  /** Only these hosts (peer ids), e.g. for tests. */
  hosts?: string[]
  onProgress?: (p: PutProgress) => void
}
export interface ReplicaView { host: string, status: Replica['status'], proofs: number, lastProof?: string, nextAudit?: string, paid: number, total: number, nextPayment?: number, reason?: string }
export interface StoredFileView { cid: string, name: string, size: number, sha256: string, replicas: number, healthy: number, health: 'ok' | 'degraded' | 'lost' | 'ended', end: string, cost: number, paid: number, hosts: ReplicaView[] }
export interface GetOptions extends AbortOptions { out?: string, onProgress?: (p: { bytes: number, totalBytes: number, providers: number }) => void }

/** The storage market as consumers see it (`node.storage`). Amounts are ledger units. */
export interface StorageApi {
  offer(o: { capacityMb: number, pricePerMbDay: number, region?: string }, options?: AbortOptions): Promise<{ capacityMb: number, pricePerMbDay: number }>
  withdrawOffer(options?: AbortOptions): Promise<void>
  put(file: string, options?: PutOptions): Promise<StoredFileView>
  get(ref: string, options?: GetOptions): Promise<{ cid: string, size: number, path: string, providers: string[] }>
  statusOf(ref: string): StoredFileView
  list(): StoredFileView[]
  /** Contracts this node hosts. */
  hosting(): Array<{ cid: string, owner: string, size: number, end: string, total: number }>
  /** Runs one audit round now (also runs on its timer). */
  auditNow(options?: AbortOptions): Promise<void>
}

interface Running { components: StorageComponents, content: StorageContent, host: StorageHost, owner: OwnerDeps, hosting: Hosting, files: StoredFile[], dir: string }

export class StorageFeature implements MeshFeature, StorageApi {
  readonly name = 'storage-market'
  readonly [Symbol.toStringTag] = '@continuum/storage-market'
  private running?: Running
  private timer?: NodeJS.Timeout
  private auditing?: Promise<void>

  constructor (private readonly init: StorageInit = {}, private readonly components?: StorageComponents) {}

  private now (): number { return (this.init.now ?? Date.now)() }
  private get r (): Running { if (this.running === undefined) throw new StorageNotRunningError(); return this.running }
  private get auditEvery (): number { return this.init.auditIntervalMs ?? AUDIT_INTERVAL_MS }

  async start (node?: StorageComponents): Promise<void> {
    const components = node ?? this.components
    const content = this.init.content
    if (components === undefined || content === undefined) throw new TypeError('the storage market needs its components and the content layer')
    const dir = path.join(components.dataDir, 'storage-market')
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const hosting = await readJson(path.join(dir, 'hosting.json'), hostingSchema, { contracts: [] })
    const files = await readJson(path.join(dir, 'files.json'), z.array(storedFileSchema), [])
    const save = async (): Promise<void> => { await writeJson(path.join(dir, 'files.json'), this.running?.files ?? files) }
    const host = new StorageHost({ components, content, hosting, save: async () => writeJson(path.join(dir, 'hosting.json'), hosting), now: () => this.now() })
    const owner: OwnerDeps = { components, content, listings: this.init.listings, payments: this.init.payments, now: () => this.now(), save, challengeTimeoutMs: this.init.challengeTimeoutMs }
    this.running = { components, content, host, owner, hosting, files, dir }
    await host.start()
    this.timer = setInterval(() => { void this.auditNow().catch(() => {}) }, this.auditEvery)
    this.timer.unref()
    // An offer survives restarts: list it again.
    if (hosting.offer !== undefined) void this.list_(hosting.offer).catch(() => {})
  }

  async stop (): Promise<void> {
    clearInterval(this.timer)
    await this.auditing?.catch(() => {})
    await this.running?.host.stop()
    this.running = undefined
  }

  private async list_ (o: NonNullable<Hosting['offer']>): Promise<void> {
    await this.init.listings?.publish({ serviceType: 'storage', service: STORAGE_SERVICE, price: o.pricePerMbDay, unit: 'mb-day', capacity: o.capacityMb, ...(o.region !== undefined ? { region: o.region } : {}) })
  }

  async offer (o: { capacityMb: number, pricePerMbDay: number, region?: string }, _options: AbortOptions = {}): Promise<{ capacityMb: number, pricePerMbDay: number }> {
    const { hosting, dir } = this.r
    if (!Number.isInteger(o.capacityMb) || o.capacityMb < 1 || o.capacityMb > 2 ** 32) throw new StorageInputError('--capacity must be at least 1 MB (e.g. 10GB, 500MB)')
    if (!Number.isInteger(o.pricePerMbDay) || o.pricePerMbDay < 0) throw new StorageInputError('--price-per-mb-day must be a number of tokens >= 0')
    if (this.init.listings === undefined) throw new StorageInputError('This node runs no market: storage offers are market listings')
    hosting.offer = { capacityMb: o.capacityMb, pricePerMbDay: o.pricePerMbDay, ...(o.region !== undefined ? { region: o.region } : {}) }
    await writeJson(path.join(dir, 'hosting.json'), hosting)
    await this.list_(hosting.offer)
    return { capacityMb: o.capacityMb, pricePerMbDay: o.pricePerMbDay }
  }

  async withdrawOffer (_options: AbortOptions = {}): Promise<void> {
    const { hosting, dir } = this.r
    delete hosting.offer
    await writeJson(path.join(dir, 'hosting.json'), hosting)
    await this.init.listings?.withdraw(STORAGE_SERVICE)
  }

  async put (file: string, options: PutOptions = {}): Promise<StoredFileView> {
    const { content, owner, files } = this.r
    const replicas = options.replicas ?? DEFAULT_REPLICAS
    const days = options.days ?? DEFAULT_DAYS
    const maxPrice = options.maxPrice ?? 0
    if (!Number.isInteger(replicas) || replicas < 1 || replicas > MAX_REPLICAS) throw new StorageInputError(`--replicas must be a whole number from 1 to ${MAX_REPLICAS}`)
    if (!Number.isFinite(days) || days <= 0 || days > MAX_DAYS) throw new StorageInputError(`--days must be more than 0 and at most ${MAX_DAYS}`)
    if (!Number.isFinite(maxPrice) || maxPrice < 0) throw new StorageInputError('--max-price must be a number of tokens >= 0')
    const st = await stat(file).catch(() => undefined)
    if (st === undefined) throw new StorageInputError(`${file} does not exist`)
    const progress = (p: Partial<PutProgress>): void => options.onProgress?.({ stage: 'chunking', bytes: 0, totalBytes: st.size, hosts: 0, replicas, ...p })
    // Price first: nothing is chunked, contracted or paid above what the user accepted.
    const hosts = chooseHosts(owner, st.size, replicas, new Set(), options.hosts)
    if (hosts.length < replicas) throw new NotEnoughHostsError(`Only ${hosts.length} storage host${hosts.length === 1 ? '' : 's'} found for ${replicas} replicas: see \`continuum market list --type storage\`, or ask for fewer --replicas`)
    const term = Math.round(days * DAY_MS)
    const cost = hosts.reduce((s, h) => s + contractCost(st.size, h.price, term), 0)
    const accepted = Math.round(maxPrice * 1_000_000)
    if (cost > 0 && (this.init.payments === undefined || cost > accepted)) {
      const tokens = (cost / 1_000_000).toString()
      throw new StoragePriceError(`Storing ${path.basename(file)} on ${replicas} hosts for ${days} days costs ${tokens} tokens${accepted > 0 ? `, more than the accepted ${maxPrice}` : ''}: to accept, put again with --max-price ${tokens}`, cost)
    }
    const stored = await content.storeFile(path.resolve(file), { signal: options.signal, onProgress: bytes => progress({ bytes }) })
    const existing = files.find(f => f.cid === stored.cid)
    if (existing !== undefined && existing.replicasList.some(r => r.status === 'active')) return this.view(existing)
    const start = this.now()
    const record: StoredFile = {
      cid: stored.cid, name: path.basename(file), size: stored.size, sha256: stored.sha256, blocks: await content.dagCids(stored.cid, { signal: options.signal }),
      replicas, start, end: start + term, maxPrice: accepted, replicasList: [], tried: []
    }
    progress({ stage: 'contracting', bytes: stored.size })
    const results = await Promise.allSettled(hosts.map(async h => placeReplica(owner, record, h, { signal: options.signal, auditEveryMs: this.auditEvery })))
    results.forEach((res, i) => {
      if (res.status === 'fulfilled') record.replicasList.push(res.value)
      else record.tried.push(hosts[i].provider)
    })
    if (existing !== undefined) files.splice(files.indexOf(existing), 1)
    files.push(record)
    await owner.save()
    // Hosts that refused: others take their place (never above the accepted price).
    if (record.replicasList.length < replicas) await repair(this.priced(record), record, { signal: options.signal, auditEveryMs: this.auditEvery })
    await owner.save()
    const view = this.view(record)
    progress({ stage: 'done', bytes: stored.size, hosts: view.healthy })
    if (view.healthy === 0) {
      const why = results.flatMap(r => r.status === 'rejected' ? [errorMessage(r.reason)] : []).join('; ')
      throw new NotEnoughHostsError(`No host accepted ipfs://${record.cid}: ${why}`)
    }
    return view
  }

  /** Owner deps whose host choice stays within the file's accepted price (for repair). */
  private priced (file: StoredFile): OwnerDeps {
    const owner = this.r.owner
    const spent = (): number => file.replicasList.filter(r => r.status !== 'failed').reduce((s, r) => s + r.contract.body.total, 0) + file.replicasList.filter(r => r.status === 'failed').reduce((s, r) => s + r.paid, 0)
    const listings = owner.listings === undefined
      ? undefined
      : { ...owner.listings, list: (f: Parameters<StorageListings['list']>[0]) => owner.listings!.list(f).filter(l => file.maxPrice === 0 ? l.price === 0 : spent() + contractCost(file.size, l.price, Math.max(1, file.end - this.now())) <= file.maxPrice) }
    return { ...owner, listings }
  }

  async auditNow (options: AbortOptions = {}): Promise<void> {
    if (this.auditing !== undefined) return this.auditing
    const run = async (): Promise<void> => {
      const { files, owner } = this.r
      for (const f of files) {
        await Promise.all(f.replicasList.filter(r => r.status === 'active').map(async r => audit(owner, f, r, options.signal)))
        await repair(this.priced(f), f, { signal: options.signal, auditEveryMs: this.auditEvery })
        await owner.save()
      }
    }
    this.auditing = run().finally(() => { this.auditing = undefined })
    return this.auditing
  }

  async get (ref: string, options: GetOptions = {}): Promise<{ cid: string, size: number, path: string, providers: string[] }> {
    const { content, files } = this.r
    const cid = ref.trim().replace(/^ipfs:\/\//, '').replace(/^\/ipfs\//, '')
    if (!/^(Qm[1-9A-HJ-NP-Za-km-z]{44}|b[a-z2-7]{50,100})$/.test(cid)) throw new StorageInputError(`"${ref}" is not a CID: give ipfs://<cid>`)
    const out = path.resolve(options.out ?? cid)
    if (await stat(out).then(() => true, () => false)) throw new StorageInputError(`${out} exists: choose another --out`)
    const record = files.find(f => f.cid === cid)
    const found = await content.findProviderIds(cid, { signal: options.signal, limit: 8 }).catch(() => [] as string[])
    const providers = [...new Set([...found, ...(record?.replicasList.filter(r => r.status === 'active').map(r => r.contract.body.host) ?? [])])]
    let used: string[]
    try {
      const r = await content.fetchDag(cid, providers, { signal: options.signal, onProgress: options.onProgress, ...(record !== undefined ? { maxBytes: record.size } : {}) })
      used = r.providersUsed
    } catch (err) {
      throw new StoredFileNotFoundError(`ipfs://${cid} could not be fetched from ${providers.length} provider${providers.length === 1 ? '' : 's'}: ${errorMessage(err)}`)
    }
    const w = await content.writeDagFile(cid, out, { signal: options.signal })
    return { cid: w.cid, size: w.size, path: out, providers: used }
  }

  private view (f: StoredFile): StoredFileView {
    const now = this.now()
    const hosts: ReplicaView[] = f.replicasList.map(r => {
      const c = r.contract.body
      const parts = Math.max(1, Math.ceil((c.end - c.start) / c.auditEveryMs))
      return {
        host: c.host, status: r.status, proofs: r.proofs, paid: r.paid, total: c.total,
        ...(r.lastProof !== undefined ? { lastProof: new Date(r.lastProof).toISOString() } : {}),
        ...(r.status === 'active' ? { nextAudit: new Date((r.lastChallenge ?? now) + this.auditEvery).toISOString(), nextPayment: r.paidParts >= parts ? 0 : (r.paidParts === parts - 1 ? c.total - r.paid : Math.floor(c.total / parts)) } : {}),
        ...(r.reason !== undefined ? { reason: r.reason } : {})
      }
    })
    const healthy = hosts.filter(h => h.status === 'active').length
    const health = now >= f.end ? 'ended' : healthy >= f.replicas ? 'ok' : healthy === 0 ? 'lost' : 'degraded'
    return {
      cid: f.cid, name: f.name, size: f.size, sha256: f.sha256, replicas: f.replicas, healthy, health, end: new Date(f.end).toISOString(),
      cost: f.replicasList.reduce((s, r) => s + (r.status === 'failed' ? r.paid : r.contract.body.total), 0), paid: f.replicasList.reduce((s, r) => s + r.paid, 0), hosts
    }
  }

  statusOf (ref: string): StoredFileView {
    const cid = ref.trim().replace(/^ipfs:\/\//, '')
    const f = this.r.files.find(x => x.cid === cid)
    if (f === undefined) throw new StoredFileNotFoundError(`ipfs://${cid} is not stored through this node: see \`continuum storage list\``)
    return this.view(f)
  }

  list (): StoredFileView[] { return this.r.files.map(f => this.view(f)) }

  hosting (): Array<{ cid: string, owner: string, size: number, end: string, total: number }> {
    return this.r.hosting.contracts.map(c => ({ cid: c.contract.body.cid, owner: c.contract.body.owner, size: c.contract.body.size, end: new Date(c.contract.body.end).toISOString(), total: c.contract.body.total }))
  }

  status (): Record<string, unknown> {
    const r = this.running
    if (r === undefined) return { running: false }
    return { stored: r.files.length, hosting: r.hosting.contracts.length, offer: r.hosting.offer ?? null, usedMb: r.host.usedMb(), proofsServed: r.host.proofsServed }
  }
}

/** Parses `10GB`, `500MB`, `2TB` (decimal units) into MB. */
export function parseCapacity (text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(MB|GB|TB)?\s*$/i.exec(text)
  if (m === null) throw new StorageInputError(`--capacity "${text}" is not a size: write e.g. 10GB or 500MB`)
  const n = Number(m[1]) * ({ MB: 1, GB: 1000, TB: 1_000_000 }[(m[2] ?? 'MB').toUpperCase() as 'MB'])
  return Math.floor(n)
}

/** Tokens (as the user writes them) into ledger units. */
export function tokensToUnits (text: string | number): number {
  return typeof text === 'number' ? Math.round(text * 1_000_000) : parseTokens(text)
}

export function storageFeature (init: StorageInit = {}): StorageFeature { return new StorageFeature(init) }

/** The js-libp2p factory shape. */
export function storageService (init: StorageInit = {}): (components: StorageComponents) => StorageApi {
  return components => new StorageFeature(init, components)
}

export { MB }
