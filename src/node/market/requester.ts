// The requester side of compute: picks the cheapest listing within the price the user accepted (measured
// availability ≥ 0.5, best reputation at that price), sends the request to that provider only (the
// stream is encrypted by the transport), checks every frame, and tries the next listing on refusal,
// timeout or a bad answer (a bounded number of tries). It pays only for a complete answer that checked
// out: a signed send of the listed price and the compute receipt naming it, handed to the provider.
// A failed or cancelled request pays nothing.
import { randomBytes } from 'node:crypto'
import { peerIdFromString } from '@libp2p/peer-id'
import { formatTokens } from '../ledger'
import { combineSignals, type AbortOptions } from '../util/abort'
import { errorMessage } from '../util/logger'
import { ComputeInputError, PriceTooLowError, ProvidersFailedError } from './errors'
import { MAX_EMBED_TEXTS, MAX_EMBED_TEXT_CHARS, MAX_GENERATE_TOKENS, MAX_PROMPT_CHARS, type ComputeFrame, type ComputeRequest } from './protocol'
import type { ComputePayments } from './components'
import type { MarketListing } from './feature'
import type { ProviderTracker } from './measure'
import type { ComputeRpc } from './rpc'

/** Listings tried per request before giving up. */
export const DEFAULT_MAX_TRIES = 3
/** Longest wait for one provider's whole answer. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000

export interface GenerateOptions extends AbortOptions {
  prompt: string
  /** Highest price per request accepted, in ledger units. */
  maxPrice: number
  adapter?: string
  model?: string
  /** @default 256 */
  maxTokens?: number
  /** Serve from this node's own provider when it runs one (free). @default false */
  preferLocal?: boolean
  /** Each text piece as it arrives. */
  onToken?: (text: string) => void
  /** A provider failed and the next one is tried (text already shown restarts). */
  onRetry?: (e: { provider: string, error: string }) => void
}

export interface EmbedOptions extends AbortOptions {
  maxPrice: number
  preferLocal?: boolean
  onRetry?: (e: { provider: string, error: string }) => void
}

export interface ComputeResult {
  /** The provider that served (its PeerId text; this node's own when served locally). */
  provider: string
  service: string
  /** Units paid (0 when served locally or for free). */
  cost: number
  /** Balance after paying (units), when a payment was made. */
  balance?: number
  /** Providers tried before this one, with why each failed. */
  failed: Array<{ provider: string, error: string }>
}

export interface GenerateResult extends ComputeResult { text: string, tokens: number }
export interface EmbedResult extends ComputeResult { vectors: number[][] }

/** A local backend this node runs (preferLocal). */
export interface LocalServe {
  generate?: (input: { prompt: string, maxTokens: number, adapter?: string, model?: string }, onToken: (t: string) => Promise<void>, options: AbortOptions) => Promise<{ tokens: number }>
  embed?: (texts: string[], options: AbortOptions) => Promise<number[][]>
}

export interface RequesterDeps {
  rpc: ComputeRpc
  tracker: ProviderTracker
  payments?: ComputePayments
  account: string
  /** Live inference listings (measured), cheapest first. */
  listings: () => MarketListing[]
  /** This node's own backend for a task, if it provides one. */
  local: (task: 'generate' | 'embed', adapter?: string) => LocalServe | undefined
  maxTries?: number
  requestTimeoutMs?: number
  log: { info: (m: string) => void, debug: (m: string) => void }
}

class BadAnswer extends Error {
  constructor (message: string) { super(message); this.name = 'BadAnswer' }
}

const newRequestId = (): string => randomBytes(12).toString('base64url')

export class ComputeRequester {
  constructor (private readonly deps: RequesterDeps) {}

  /** Candidates for a task, cheapest first: a PriceTooLowError names the cheapest when none is within price. */
  private candidates (task: 'generate' | 'embed', maxPrice: number, what: string, filter: (l: MarketListing) => boolean): MarketListing[] {
    if (!Number.isSafeInteger(maxPrice) || maxPrice < 0) throw new ComputeInputError('--max-price must be a token amount ≥ 0')
    const offered = this.deps.listings()
      .filter(l => !l.own && l.unit === 'request' && l.attributes?.task === task && filter(l))
    // Without a wallet only free listings can be used.
    const payable = this.deps.payments === undefined ? offered.filter(l => l.price === 0) : offered
    const within = payable.filter(l => l.price <= maxPrice)
    if (within.length === 0) {
      throw new PriceTooLowError(formatTokens(maxPrice), offered.length > 0 ? formatTokens(offered[0].price) : undefined, what)
    }
    return within.slice(0, this.deps.maxTries ?? DEFAULT_MAX_TRIES)
  }

  async generate (o: GenerateOptions): Promise<GenerateResult> {
    if (o.prompt.length === 0 || o.prompt.length > MAX_PROMPT_CHARS) throw new ComputeInputError(`The prompt must be 1-${MAX_PROMPT_CHARS} characters`)
    const maxTokens = o.maxTokens ?? 256
    if (!Number.isInteger(maxTokens) || maxTokens < 1 || maxTokens > MAX_GENERATE_TOKENS) throw new ComputeInputError(`--max-tokens must be 1-${MAX_GENERATE_TOKENS}`)
    if (o.preferLocal === true) {
      const local = this.deps.local('generate', o.adapter)
      if (local?.generate !== undefined) {
        let text = ''
        const { tokens } = await local.generate({ prompt: o.prompt, maxTokens, adapter: o.adapter, model: o.model }, async t => { text += t; o.onToken?.(t) }, { signal: o.signal })
        return { provider: this.deps.account, service: 'local', cost: 0, failed: [], text, tokens }
      }
    }
    const what = `text generation${o.adapter !== undefined ? ` with adapter ${o.adapter}` : ''}${o.model !== undefined ? ` on ${o.model}` : ''}`
    const list = this.candidates('generate', o.maxPrice, what, l =>
      (o.adapter === undefined || (l.adapters ?? []).includes(o.adapter)) && (o.model === undefined || l.model === o.model))
    return await this.tryEach(list, o, (l, requestId) => ({ type: 'generate', requestId, service: l.service, prompt: o.prompt, maxTokens, price: l.price, ...(o.adapter !== undefined ? { adapter: o.adapter } : {}), ...(o.model !== undefined ? { model: o.model } : {}) }),
      () => {
        let text = ''
        let tokens = 0
        return {
          onFrame: (f: ComputeFrame) => {
            if (f.type === 'token') { text += f.text; tokens++; o.onToken?.(f.text); return }
            if (f.type === 'vectors') throw new BadAnswer('sent vectors for a generation')
          },
          finish: (done: { tokens?: number }) => {
            if (tokens === 0) throw new BadAnswer('answered no text')
            if (tokens > maxTokens + 1) throw new BadAnswer('sent more tokens than asked for')
            return { text, tokens: done.tokens ?? tokens }
          }
        }
      })
  }

  async embed (texts: string[], o: EmbedOptions): Promise<EmbedResult> {
    if (texts.length === 0 || texts.length > MAX_EMBED_TEXTS || texts.some(t => t.length === 0 || t.length > MAX_EMBED_TEXT_CHARS)) {
      throw new ComputeInputError(`Give 1-${MAX_EMBED_TEXTS} texts of 1-${MAX_EMBED_TEXT_CHARS} characters each`)
    }
    if (o.preferLocal === true) {
      const local = this.deps.local('embed')
      if (local?.embed !== undefined) return { provider: this.deps.account, service: 'local', cost: 0, failed: [], vectors: await local.embed(texts, { signal: o.signal }) }
    }
    const list = this.candidates('embed', o.maxPrice, 'embeddings', () => true)
    return await this.tryEach(list, o, (l, requestId) => ({ type: 'embed', requestId, service: l.service, texts, price: l.price }),
      l => {
        let vectors: number[][] | undefined
        const dims = Number(l.attributes?.dimensions)
        return {
          onFrame: (f: ComputeFrame) => {
            if (f.type === 'token') throw new BadAnswer('sent text for an embedding')
            if (f.type === 'vectors') {
              if (vectors !== undefined) throw new BadAnswer('sent vectors twice')
              if (f.vectors.length !== texts.length) throw new BadAnswer(`sent ${f.vectors.length} vectors for ${texts.length} texts`)
              if (Number.isInteger(dims) && f.vectors.some(v => v.length !== dims)) throw new BadAnswer(`sent vectors that are not ${dims}-dimensional`)
              if (l.attributes?.normalized === 'true' && f.vectors.some(v => Math.abs(Math.hypot(...v) - 1) > 1e-3)) throw new BadAnswer('sent vectors that are not unit length')
              vectors = f.vectors
            }
          },
          finish: () => {
            if (vectors === undefined) throw new BadAnswer('sent no vectors')
            return { vectors }
          }
        }
      })
  }

  private async tryEach<T extends object> (
    list: MarketListing[],
    o: AbortOptions & { onRetry?: (e: { provider: string, error: string }) => void },
    build: (l: MarketListing, requestId: string) => ComputeRequest,
    reader: (l: MarketListing) => { onFrame: (f: ComputeFrame) => void, finish: (done: { cost: number, tokens?: number }) => T }
  ): Promise<ComputeResult & T> {
    const failed: Array<{ provider: string, error: string }> = []
    for (const l of list) {
      o.signal?.throwIfAborted()
      const started = Date.now()
      const requestId = newRequestId()
      const signal = combineSignals([o.signal], this.deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS)
      let exchange
      try {
        exchange = await this.deps.rpc.open(peerIdFromString(l.provider), build(l, requestId), { signal })
      } catch (err) {
        if (o.signal?.aborted === true) throw err
        this.fail(l, failed, `not reachable (${errorMessage(err)})`, false, o)
        continue
      }
      const r = reader(l)
      let done: { cost: number, tokens?: number } | undefined
      try {
        for await (const f of exchange.frames()) {
          if (f.type === 'refused') throw new RefusedError(f.reason)
          if (f.type === 'done') { done = f; break }
          r.onFrame(f)
        }
        if (done === undefined) throw new BadAnswer('closed before it was done')
        if (done.cost > l.price) throw new BadAnswer(`asked ${formatTokens(done.cost)} tokens, more than its listed ${formatTokens(l.price)}`)
        const value = r.finish(done)
        // Checked out: pay (nothing for a free answer), then hand over the receipt.
        let balance: number | undefined
        if (done.cost > 0) {
          const paid = await this.deps.payments!.payForCompute({ requestId, provider: l.provider, cost: done.cost }, { signal: o.signal })
          balance = paid.balance
          await exchange.settle({ type: 'receipt', receipt: paid.receipt })
        } else {
          await exchange.settle({ type: 'unpaid', reason: 'free' })
        }
        this.deps.tracker.answered(l.provider, Date.now() - started)
        this.deps.log.info(`${l.service} served by ${l.provider.slice(-8)} for ${formatTokens(done.cost)} tokens`)
        return { provider: l.provider, service: l.service, cost: done.cost, ...(balance !== undefined ? { balance } : {}), failed, ...value }
      } catch (err) {
        const name = (err as Error).name
        // A payment error is this node's (low balance, not joined): nothing was paid, say it as it is.
        if (name === 'InsufficientBalanceError' || name === 'NotJoinedError' || name === 'UnknownPeerError') {
          await exchange.settle({ type: 'unpaid', reason: errorMessage(err).slice(0, 200) })
          throw err
        }
        if (o.signal?.aborted === true) { exchange.abort(err as Error); throw err }
        const bad = name === 'BadAnswer' || name === 'ProtocolError'
        await exchange.settle({ type: 'unpaid', reason: errorMessage(err).slice(0, 200) }).catch(() => {})
        this.fail(l, failed, name === 'RefusedError' ? `refused: ${errorMessage(err)}` : bad ? `bad answer: ${errorMessage(err)}` : errorMessage(err), bad, o)
      }
    }
    throw new ProvidersFailedError(failed)
  }

  private fail (l: MarketListing, failed: Array<{ provider: string, error: string }>, error: string, cheated: boolean, o: { onRetry?: (e: { provider: string, error: string }) => void }): void {
    if (cheated) this.deps.tracker.cheated(l.provider)
    else this.deps.tracker.failed(l.provider)
    failed.push({ provider: l.provider, error })
    this.deps.log.debug(`compute: ${l.provider.slice(-8)} ${error}`)
    o.onRetry?.({ provider: l.provider, error })
  }
}

class RefusedError extends Error {
  constructor (message: string) { super(message); this.name = 'RefusedError' }
}
