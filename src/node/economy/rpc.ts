// The ledger's request/response protocol (/continuum/ledger/1.0.0): this node's answers to heads, block
// ranges, pushes, proofs and receipts, and the client side every other part asks through. Requests over a
// peer's budget are refused by the one per-peer limiter (util/peer-rate.ts); bad frames are dropped,
// counted and, when malformed, oversized or invalid, held against the sender.
import type { PeerId } from '@libp2p/interface'
import type { z } from 'zod'
import { encodeBlock } from '../ledger'
import { request, serve, type BadMessageReason } from '../transport/rpc'
import { combineSignals, type AbortOptions } from '../util/abort'
import { PeerRateLimit } from '../util/peer-rate'
import {
  LEDGER_MAX_BYTES, LEDGER_PROTOCOL, LEDGER_RATE_PER_SECOND, LEDGER_TIMEOUT_MS, MAX_FORKED_PER_MESSAGE, MAX_HEADS_PER_MESSAGE
} from './constants'
import { LedgerRequest, type PushResponse } from './protocol'
import type { EconomyContext } from './context'
import { headsDigest, liveHeads } from './sync'

export type PushHandler = (peer: PeerId, blocks: string[]) => Promise<z.infer<typeof PushResponse>>

export class LedgerRpc {
  private readonly limit = new PeerRateLimit(LEDGER_RATE_PER_SECOND)

  constructor (private readonly ctx: EconomyContext) {}

  /** Registers the protocol handler; pushes go to `onPush`, the rest is answered from the ledger. */
  async serve (onPush: PushHandler): Promise<void> {
    const { components } = this.ctx
    await serve(components.libp2p, LEDGER_PROTOCOL, {
      maxBytes: LEDGER_MAX_BYTES,
      timeoutMs: LEDGER_TIMEOUT_MS,
      requestSchema: LedgerRequest,
      admit: ({ peer }) => this.limit.admit(peer),
      handle: async (req, { peer }) => await this.answer(req, peer, onPush),
      onBadMessage: (reason: BadMessageReason, { peer }, detail) => {
        components.drops.add('ledger', reason)
        this.ctx.log.debug(`Dropped ${reason} ledger request from ${peer.toString().slice(-8)}: ${detail}`)
        if (reason === 'malformed' || reason === 'invalid' || reason === 'oversized') components.penalise(peer, `${reason} ledger message`)
      }
    })
  }

  async unhandle (): Promise<void> {
    await this.ctx.components.libp2p.unhandle(LEDGER_PROTOCOL).catch(() => {})
  }

  /** One request to `peer`, its answer checked against `schema`; ends with the node. */
  async ask<T> (peer: PeerId, body: LedgerRequest, schema: z.ZodType<T>, options: AbortOptions = {}): Promise<T> {
    const { components } = this.ctx
    return await request(components.libp2p, peer, LEDGER_PROTOCOL, body, {
      responseSchema: schema,
      maxBytes: LEDGER_MAX_BYTES,
      timeoutMs: LEDGER_TIMEOUT_MS,
      signal: combineSignals([options.signal, components.shutdownSignal])
    })
  }

  private async answer (req: LedgerRequest, peer: PeerId, onPush: PushHandler): Promise<unknown> {
    const ledger = this.ctx.ledger
    switch (req.type) {
      case 'heads': {
        const digest = headsDigest(ledger)
        const forked = ledger.proofs().map(p => p.a.account).slice(0, MAX_FORKED_PER_MESSAGE)
        if (req.digest === digest) return { digest, ...(forked.length > 0 ? { forked } : {}) }
        // Own chain first, so a truncated answer still carries it.
        const heads = liveHeads(ledger).sort((a, b) => a.account === ledger.account ? -1 : b.account === ledger.account ? 1 : 0).slice(0, MAX_HEADS_PER_MESSAGE)
        return { digest, heads, ...(forked.length > 0 ? { forked } : {}) }
      }
      case 'blocks':
        return { blocks: ledger.blocksAfter(req.account, req.afterSeq, req.limit).map(b => Buffer.from(encodeBlock(b)).toString('utf8')) }
      case 'ranges': {
        const blocks: string[] = []
        const more: string[] = []
        for (const r of req.ranges) {
          const room = req.limit - blocks.length
          const head = ledger.head(r.account)
          if (head == null || head.seq <= r.afterSeq) continue
          if (room <= 0) { more.push(r.account); continue }
          const got = ledger.blocksAfter(r.account, r.afterSeq, room)
          for (const b of got) blocks.push(Buffer.from(encodeBlock(b)).toString('utf8'))
          if (got.length > 0 && got[got.length - 1].seq < head.seq) more.push(r.account)
        }
        return { blocks, more }
      }
      case 'push':
        return await onPush(peer, req.blocks)
      case 'proof':
        return { proof: ledger.proofs().find(p => p.a.account === req.account) ?? null }
      case 'receipt':
        // Not the sender's fault (an older peer): nothing is claimed, nothing held against it.
        this.ctx.components.drops.add('ledger', 'relay-receipt')
        return { claimed: false, reason: 'relay rewards are not accepted: no payer can back them without revealing the search origin' }
    }
  }
}
