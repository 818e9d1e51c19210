// The provider side of compute: the backends this node serves, one listing each, and the answer to a
// compute request — checks (service, price accepted, adapter, capacity, the requester's unpaid debts),
// the backend's output streamed back frame by frame, `done` with the cost, then the requester's receipt,
// which claims the compute reward through the ledger. A requester that takes answers and does not pay
// is refused once it owes MAX_UNPAID requests.
import type { PeerId } from '@libp2p/interface'
import { verifyReceipt, type ComputeReceipt } from '../ledger'
import { errorMessage, type Logger } from '../util/logger'
import { createBackend, type BackendOptions, type ComputeBackend } from './backends'
import { ComputeInputError } from './errors'
import type { ComputePayments, MarketComponents } from './components'
import type { ComputeExchange } from './rpc'
import type { ListingOffer } from './feature'

/** Answers a requester may leave unpaid before it is refused. */
export const MAX_UNPAID = 2
/** How long a provider waits for the receipt after `done`. */
export const DEFAULT_RECEIPT_WAIT_MS = 15_000

export interface ProviderOptions extends BackendOptions {
  /** Price per request in ledger units. */
  pricePerRequest: number
  /** @default 2 */
  maxConcurrent?: number
  region?: string
}

export interface ProviderStatus {
  backend: string
  service: string
  model?: string
  adapters: string[]
  price: number
  maxConcurrent: number
  active: number
  served: number
  refused: number
  failed: number
  paid: number
  unpaid: number
  earned: number
}

interface Running { backend: ComputeBackend, options: ProviderOptions, status: ProviderStatus }

export class ComputeProviders {
  private readonly running = new Map<string, Running>()
  private readonly owed = new Map<string, number>()
  private readonly claims = new Set<Promise<void>>()

  constructor (
    private readonly components: () => MarketComponents,
    private readonly payments: ComputePayments | undefined,
    private readonly log: () => Logger,
    private readonly receiptWaitMs = DEFAULT_RECEIPT_WAIT_MS
  ) {}

  /** Builds the backend and returns the listing offer for it (the caller publishes it). */
  add (options: ProviderOptions): ListingOffer {
    if (!Number.isSafeInteger(options.pricePerRequest) || options.pricePerRequest < 0) throw new ComputeInputError('--price-per-request must be a token amount ≥ 0')
    if (options.pricePerRequest > 0 && this.payments === undefined) throw new ComputeInputError('This node has no wallet (ledger feature off): it can only provide for free (--price-per-request 0)')
    const maxConcurrent = options.maxConcurrent ?? 2
    if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1 || maxConcurrent > 256) throw new ComputeInputError('--max-concurrent must be a whole number 1-256')
    const backend = createBackend(options, { embedder: this.components().embedder })
    const service = backend.name
    this.running.set(service, {
      backend,
      options,
      status: { backend: backend.name, service, ...(backend.model !== undefined ? { model: backend.model } : {}), adapters: backend.adapters, price: options.pricePerRequest, maxConcurrent, active: 0, served: 0, refused: 0, failed: 0, paid: 0, unpaid: 0, earned: 0 }
    })
    return {
      serviceType: 'inference',
      service,
      price: options.pricePerRequest,
      unit: 'request',
      capacity: maxConcurrent,
      ...(backend.model !== undefined ? { model: backend.model } : {}),
      adapters: backend.adapters,
      attributes: backend.attributes,
      ...(options.region !== undefined ? { region: options.region } : {})
    }
  }

  remove (service: string): boolean { return this.running.delete(service) }

  has (service: string): boolean { return this.running.has(service) }

  backend (service: string): ComputeBackend | undefined { return this.running.get(service)?.backend }

  list (): ProviderStatus[] { return [...this.running.values()].map(r => ({ ...r.status })) }

  /** Waits for reward claims in flight (on stop). */
  async settled (): Promise<void> { await Promise.allSettled([...this.claims]) }

  /** Answers one compute request. Never throws for the requester's mistakes: it refuses. */
  async serve (x: ComputeExchange): Promise<void> {
    const req = x.request
    const r = this.running.get(req.service)
    const refuse = async (reason: string): Promise<void> => {
      if (r !== undefined) r.status.refused++
      this.components().drops.add('compute', 'refused')
      await x.send({ type: 'refused', reason })
    }
    if (r === undefined) return await refuse(`no service ${req.service} here`)
    const peer = x.peer.toString()
    const price = r.status.price
    if (req.price < price) return await refuse(`the price is ${price} units per request`)
    if ((this.owed.get(peer) ?? 0) >= MAX_UNPAID) return await refuse('earlier answers are still unpaid')
    if (r.status.active >= r.status.maxConcurrent) return await refuse('busy')
    if (req.type === 'generate' && r.backend.generate === undefined) return await refuse('this service does not generate text')
    if (req.type === 'embed' && r.backend.embed === undefined) return await refuse('this service does not embed')
    if (req.type === 'generate' && req.adapter !== undefined && !r.backend.adapters.includes(req.adapter)) return await refuse(`adapter ${req.adapter} is not served here`)
    r.status.active++
    let tokens = 0
    try {
      if (req.type === 'generate') {
        const res = await r.backend.generate!({ prompt: req.prompt, maxTokens: req.maxTokens, adapter: req.adapter, model: req.model }, async text => { await x.send({ type: 'token', text }) }, { signal: x.signal })
        tokens = res.tokens
      } else {
        const vectors = await r.backend.embed!(req.texts, { signal: x.signal })
        await x.send({ type: 'vectors', vectors })
      }
    } catch (err) {
      r.status.failed++
      this.log().warn(`Compute request from ${peer.slice(-8)} failed: ${errorMessage(err)}`)
      await x.send({ type: 'refused', reason: `the backend failed: ${errorMessage(err).slice(0, 200)}` }).catch(() => {})
      return
    } finally {
      r.status.active--
    }
    r.status.served++
    await x.send({ type: 'done', cost: price, ...(req.type === 'generate' ? { tokens } : {}) })
    if (price === 0) return
    // Owed until the receipt comes (or for good when it does not).
    this.owed.set(peer, (this.owed.get(peer) ?? 0) + 1)
    const settle = await x.settle(this.receiptWaitMs)
    if (settle?.type !== 'receipt' || !this.receiptPays(settle.receipt, req.requestId, peer, price)) {
      r.status.unpaid++
      this.log().info(`Compute request ${req.requestId} from ${peer.slice(-8)} was not paid${settle?.type === 'unpaid' ? `: ${settle.reason}` : ''}`)
      return
    }
    this.owed.set(peer, Math.max(0, (this.owed.get(peer) ?? 1) - 1))
    r.status.paid++
    r.status.earned += price
    this.claim(settle.receipt, x.peer)
  }

  private receiptPays (receipt: ComputeReceipt, requestId: string, peer: string, price: number): boolean {
    return receipt.requestId === requestId && receipt.requester === peer && receipt.provider === this.payments?.account && receipt.cost >= price && verifyReceipt(receipt)
  }

  /** Claims the compute reward in the background (the requester's chain is fetched first). */
  private claim (receipt: ComputeReceipt, from: PeerId): void {
    const p = (async () => {
      try {
        await this.payments!.claimComputeReward(receipt, from, { signal: this.components().shutdownSignal })
      } catch (err) {
        this.log().warn(`Compute reward for ${receipt.requestId} not claimed: ${errorMessage(err)}`)
      }
    })()
    this.claims.add(p)
    void p.finally(() => this.claims.delete(p))
  }
}
