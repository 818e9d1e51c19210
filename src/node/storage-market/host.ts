// The host's side of /continuum/storage/1.0.0: accept a contract only within this node's offer (price,
// capacity, term), fetch the file from the owner and the other hosts with the verified download,
// check it is the size the contract says, countersign; answer the owner's challenges with the asked
// block of a contract's file. Bad frames, strangers' challenges and over-rate peers are dropped and
// counted under `storage`.
import type { PeerId } from '@libp2p/interface'
import { CID } from 'multiformats/cid'
import { PeerRateLimit } from '../util/peer-rate'
import { errorMessage } from '../util/logger'
import { request, serve } from '../transport/rpc'
import type { StorageComponents, StorageContent } from './components'
import { MAX_CLOCK_SKEW_MS, MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES, MB, RATE_PER_SECOND, STORAGE_PROTOCOL, TRANSFER_TIMEOUT_MS } from './constants'
import { countersign, ownerSigValid, type StorageContract } from './contract'
import { StorageRequest, StorageResponse } from './protocol'
import type { Hosting } from './records'

export interface HostInit {
  components: StorageComponents
  content: StorageContent
  hosting: Hosting
  save: () => Promise<void>
  now: () => number
  transferTimeoutMs?: number
}

export class StorageHost {
  /** Challenges answered with a block. */
  proofsServed = 0
  private readonly rate = new PeerRateLimit(RATE_PER_SECOND)
  private readonly account: string
  private readonly accepting = new Set<string>()

  constructor (private readonly init: HostInit) {
    this.account = init.components.libp2p.peerId.toString()
  }

  async start (): Promise<void> {
    const { components } = this.init
    await serve(components.libp2p, STORAGE_PROTOCOL, {
      maxBytes: MAX_REQUEST_BYTES,
      timeoutMs: (this.init.transferTimeoutMs ?? TRANSFER_TIMEOUT_MS) + 5_000,
      requestSchema: StorageRequest,
      admit: ctx => this.rate.admit(ctx.peer),
      handle: async (req, ctx) => this.handle(req, ctx.peer),
      onBadMessage: reason => components.drops.add('storage', reason)
    })
  }

  async stop (): Promise<void> {
    await this.init.components.libp2p.unhandle(STORAGE_PROTOCOL).catch(() => {})
  }

  /** MB promised in live contracts. */
  usedMb (): number {
    const now = this.init.now()
    return this.init.hosting.contracts.filter(c => c.contract.body.end > now).reduce((s, c) => s + Math.ceil(c.contract.body.size / MB), 0)
  }

  private refuse (reason: string, counted?: string): StorageResponse {
    if (counted !== undefined) this.init.components.drops.add('storage', counted)
    return { type: 'refused', reason }
  }

  private async handle (req: StorageRequest, from: PeerId): Promise<StorageResponse> {
    if (req.type === 'propose') return this.propose(req.contract, req.sources, from)
    const held = this.init.hosting.contracts.find(c => c.contract.body.id === req.contractId)
    // Only the owner of a contract may challenge or release it: anyone else learns nothing.
    if (held === undefined || held.contract.body.owner !== from.toString()) return this.refuse('no such contract', 'unknown-contract')
    if (req.type === 'release') {
      this.init.hosting.contracts = this.init.hosting.contracts.filter(c => c !== held)
      await this.init.save()
      return { type: 'ok' }
    }
    let cid: CID
    try { cid = CID.parse(req.cid) } catch { return this.refuse('not a CID', 'invalid') }
    const block = await this.init.content.readBlock(cid.toString())
    if (block === undefined) return { type: 'missing' }
    this.proofsServed++
    return { type: 'proof', block: Buffer.from(block).toString('base64') }
  }

  private async propose (contract: StorageContract, sources: string[], from: PeerId): Promise<StorageResponse> {
    const { hosting, now } = this.init
    const b = contract.body
    const offer = hosting.offer
    if (b.host !== this.account) return this.refuse('this contract is for another host', 'invalid')
    if (b.owner !== from.toString()) return this.refuse('only the owner may propose its contract', 'invalid')
    if (!ownerSigValid(contract)) return this.refuse('bad owner signature', 'bad-signature')
    if (offer === undefined) return this.refuse('this node offers no storage')
    if (b.pricePerMbDay < offer.pricePerMbDay) return this.refuse(`the price is ${offer.pricePerMbDay} units per MB-day`)
    if (b.start > now() + MAX_CLOCK_SKEW_MS || b.end <= now()) return this.refuse('the term is not current', 'invalid')
    if (hosting.contracts.some(c => c.contract.body.id === b.id) || this.accepting.has(b.id)) return this.refuse('contract id already used', 'replayed')
    if (this.usedMb() + Math.ceil(b.size / MB) > offer.capacityMb) return this.refuse('not enough free capacity')
    this.accepting.add(b.id)
    try {
      const signal = AbortSignal.any([this.init.components.shutdownSignal, AbortSignal.timeout(this.init.transferTimeoutMs ?? TRANSFER_TIMEOUT_MS)])
      const got = await this.init.content.fetchDag(b.cid, [b.owner, ...sources], { maxBytes: b.size, signal })
      if (got.size !== b.size) return this.refuse(`the file is ${got.size} bytes, the contract says ${b.size}`, 'invalid')
      const hostSig = await countersign(this.init.components.privateKey, contract)
      hosting.contracts.push({ contract, hostSig, acceptedAt: now() })
      await this.init.save()
      // Getters (`storage get`) find hosts through the DHT.
      void this.init.content.provideCid(b.cid, { signal: AbortSignal.timeout(60_000) })
      this.init.components.log.info(`storage: hosting ipfs://${b.cid} (${b.size} bytes) for ${b.owner.slice(-8)} until ${new Date(b.end).toISOString()}`)
      return { type: 'accepted', hostSig }
    } catch (err) {
      return this.refuse(`could not fetch the file: ${errorMessage(err).slice(0, 200)}`)
    } finally {
      this.accepting.delete(b.id)
    }
  }
}

/** Owner side: one request to a host, its answer checked against the schema. */
export async function askHost (components: StorageComponents, host: PeerId, body: StorageRequest, options: { signal?: AbortSignal, timeoutMs: number }): Promise<StorageResponse> {
  return request(components.libp2p, host, STORAGE_PROTOCOL, body, { signal: options.signal, timeoutMs: options.timeoutMs, maxBytes: MAX_RESPONSE_BYTES, responseSchema: StorageResponse })
}
