// The owner's side: choose hosts from the market's storage listings (price, then reputation; distinct
// peers, distinct addresses first), sign a contract for each, let each host fetch the file, check a
// first proof, pay on proofs; audit every host at intervals with a random block of the file (checked by
// hash), and when a host fails drop it (unpaid for the rest of the term, penalised) and place a new
// replica elsewhere so the asked number of copies stays alive.
import { createHash, randomInt } from 'node:crypto'
import { peerIdFromString } from '@libp2p/peer-id'
import { CID } from 'multiformats/cid'
import { errorMessage } from '../util/logger'
import type { StorageComponents, StorageContent, StorageListing, StorageListings, StoragePayments } from './components'
import { CHALLENGE_TIMEOUT_MS, MAX_MISSES, MB, STORAGE_SERVICE } from './constants'
import { contractCost, hostSigValid, newContractId, signAsOwner, type StorageContract } from './contract'
import { NotEnoughHostsError } from './errors'
import { askHost } from './host'
import type { Replica, StoredFile } from './records'

export interface OwnerDeps {
  components: StorageComponents
  content: StorageContent
  listings?: StorageListings
  payments?: StoragePayments
  now: () => number
  save: () => Promise<void>
  challengeTimeoutMs?: number
  onEvent?: (e: { type: 'proof' | 'failed' | 'placed' | 'paid', cid: string, host: string, detail?: string }) => void
}

/** Storage listings that could take `size` bytes, cheapest first, minus `exclude`; distinct addresses first. */
export function chooseHosts (deps: OwnerDeps, size: number, count: number, exclude: Set<string>, only?: string[]): StorageListing[] {
  const self = deps.components.libp2p.peerId.toString()
  const mb = Math.max(1, Math.ceil(size / MB))
  const candidates = (deps.listings?.list({ type: 'storage', includeOwn: false, minAvailability: 0 }) ?? [])
    .filter(l => l.provider !== self && !exclude.has(l.provider) && l.capacity >= mb)
    .filter(l => only === undefined || only.includes(l.provider))
  const seen = new Set<string>()
  const ipOf = (peer: string): string => {
    const conn = deps.components.libp2p.getConnections(peerIdFromString(peer))[0]
    return conn?.remoteAddr.toString().split('/')[2] ?? peer
  }
  const first: StorageListing[] = []
  const rest: StorageListing[] = []
  for (const l of candidates) {
    if (first.some(f => f.provider === l.provider) || rest.some(f => f.provider === l.provider)) continue
    const ip = ipOf(l.provider)
    if (seen.has(ip)) rest.push(l)
    else { seen.add(ip); first.push(l) }
  }
  return [...first, ...rest].slice(0, count)
}

/** Proposes a contract to one host and waits for its countersignature and a first proof. */
export async function placeReplica (deps: OwnerDeps, file: StoredFile, listing: StorageListing, options: { signal?: AbortSignal, auditEveryMs: number }): Promise<Replica> {
  const { components, now } = deps
  const start = now()
  const body = {
    v: 1 as const,
    id: newContractId(),
    owner: components.libp2p.peerId.toString(),
    host: listing.provider,
    cid: file.cid,
    size: file.size,
    start,
    end: file.end,
    pricePerMbDay: listing.price,
    total: contractCost(file.size, listing.price, file.end - start),
    auditEveryMs: options.auditEveryMs
  }
  const contract: StorageContract = await signAsOwner(components.privateKey, body)
  const sources = file.replicasList.filter(r => r.status === 'active').map(r => r.contract.body.host).slice(0, 16)
  const answer = await askHost(components, peerIdFromString(listing.provider), { type: 'propose', contract, sources }, { signal: options.signal, timeoutMs: 11 * 60 * 1000 })
  if (answer.type !== 'accepted') throw new NotEnoughHostsError(`host ${listing.provider.slice(-8)} refused: ${answer.type === 'refused' ? answer.reason : answer.type}`)
  if (!hostSigValid(contract, answer.hostSig)) {
    components.drops.add('storage', 'bad-signature')
    throw new NotEnoughHostsError(`host ${listing.provider.slice(-8)} sent a bad countersignature`)
  }
  const replica: Replica = { contract: { ...contract, hostSig: answer.hostSig }, status: 'active', proofs: 0, misses: 0, paid: 0, paidParts: 0 }
  // Paid only once it proves it holds the data.
  await audit(deps, file, replica, options.signal)
  if (replica.status !== 'active') throw new NotEnoughHostsError(`host ${listing.provider.slice(-8)} failed its first proof: ${replica.reason ?? ''}`)
  deps.onEvent?.({ type: 'placed', cid: file.cid, host: listing.provider })
  return replica
}

/** The parts a contract is paid in: one per audit interval of its term. */
function partsOf (c: StorageContract): number {
  return Math.max(1, Math.ceil((c.body.end - c.body.start) / c.body.auditEveryMs))
}

/** Pays the next part of a contract after a good proof (never more than its total). */
async function payPart (deps: OwnerDeps, r: Replica, signal?: AbortSignal): Promise<void> {
  const c = r.contract
  const parts = partsOf(c)
  if (deps.payments === undefined || c.body.total === 0 || r.paidParts >= parts) return
  const amount = r.paidParts === parts - 1 ? c.body.total - r.paid : Math.floor(c.body.total / parts)
  r.paidParts++
  if (amount <= 0) return
  try {
    await deps.payments.send(c.body.host, amount, `storage ${c.body.cid.slice(-12)} ${c.body.id.slice(0, 8)}`, { signal })
    r.paid += amount
    deps.onEvent?.({ type: 'paid', cid: c.body.cid, host: c.body.host, detail: String(amount) })
  } catch (err) {
    // Not paid now: the part is paid with the next proof.
    r.paidParts--
    deps.components.log.warn(`storage: paying ${c.body.host.slice(-8)} for ${c.body.cid.slice(-8)} failed: ${errorMessage(err)}`)
  }
}

function blockMatches (cid: string, bytes: Uint8Array): boolean {
  const parsed = CID.parse(cid)
  if (parsed.multihash.code !== 0x12) return false
  return Buffer.from(parsed.multihash.digest).equals(createHash('sha256').update(bytes).digest())
}

/**
 * One proof-of-retrievability challenge: a random block of the file, which must come back within the
 * deadline and hash to its CID. Updates the replica: a proof pays the next part; a wrong or missing
 * block fails it at once, no answer fails it after MAX_MISSES in a row.
 */
export async function audit (deps: OwnerDeps, file: StoredFile, r: Replica, signal?: AbortSignal): Promise<void> {
  const { components, now } = deps
  const c = r.contract.body
  if (r.status !== 'active') return
  if (now() >= c.end) { r.status = 'ended'; return }
  const cid = file.blocks[randomInt(file.blocks.length)]
  r.lastChallenge = now()
  const host = peerIdFromString(c.host)
  let answer
  try {
    answer = await askHost(components, host, { type: 'challenge', contractId: c.id, cid }, { signal, timeoutMs: deps.challengeTimeoutMs ?? CHALLENGE_TIMEOUT_MS })
  } catch (err) {
    if (signal?.aborted === true) throw err
    r.misses++
    if (r.misses >= MAX_MISSES) fail(deps, file, r, `unreachable: ${errorMessage(err).slice(0, 100)}`)
    return
  }
  if (answer.type === 'proof' && blockMatches(cid, Buffer.from(answer.block, 'base64'))) {
    r.misses = 0
    r.proofs++
    r.lastProof = now()
    deps.onEvent?.({ type: 'proof', cid: file.cid, host: c.host })
    await payPart(deps, r, signal)
    return
  }
  if (answer.type === 'proof') {
    components.drops.add('storage', 'bad-proof')
    fail(deps, file, r, `sent a block that does not match ${cid}`)
  } else {
    fail(deps, file, r, answer.type === 'missing' ? `does not hold block ${cid}` : `answered ${answer.type}`)
  }
}

function fail (deps: OwnerDeps, file: StoredFile, r: Replica, reason: string): void {
  r.status = 'failed'
  r.reason = reason
  deps.components.penalise(peerIdFromString(r.contract.body.host), 'storage-audit')
  deps.components.log.warn(`storage: host ${r.contract.body.host.slice(-8)} failed the audit of ${file.cid.slice(-8)} (${reason}); dropped`)
  deps.onEvent?.({ type: 'failed', cid: file.cid, host: r.contract.body.host, detail: reason })
  // Tell it the contract is over (best effort: it may be gone).
  void askHost(deps.components, peerIdFromString(r.contract.body.host), { type: 'release', contractId: r.contract.body.id }, { timeoutMs: 5_000 }).catch(() => {})
}

/** Places new replicas until the file has its asked number of active ones (or no host is left). */
export async function repair (deps: OwnerDeps, file: StoredFile, options: { signal?: AbortSignal, auditEveryMs: number }): Promise<number> {
  let placed = 0
  for (;;) {
    const active = file.replicasList.filter(r => r.status === 'active').length
    if (active >= file.replicas || deps.now() >= file.end) return placed
    const tried = new Set([...file.replicasList.map(r => r.contract.body.host), ...file.tried])
    const [next] = chooseHosts(deps, file.size, 1, tried)
    if (next === undefined) return placed
    try {
      const r = await placeReplica(deps, file, next, options)
      file.replicasList.push(r)
      placed++
    } catch (err) {
      if (options.signal?.aborted === true) throw err
      deps.components.log.warn(`storage: repair of ${file.cid.slice(-8)} on ${next.provider.slice(-8)} failed: ${errorMessage(err)}`)
      // Remember it as tried so the next round asks another host.
      file.tried.push(next.provider)
    }
    await deps.save()
  }
}

export { STORAGE_SERVICE }
