// Push: a payment block is handed straight to its payee, and blocks pushed here are judged. A push
// starts where the pusher's last block is, so a gap before it is fetched from the pusher first; a pusher
// without a joined account has nothing to pay with and its blocks are dropped unread.
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import type { z } from 'zod'
import { encodeBlock, parseBlock, type Block } from '../ledger'
import type { AbortOptions } from '../util/abort'
import { errorMessage } from '../util/logger'
import { MAX_BLOCKS_PER_MESSAGE, MAX_BLOCKS_PER_ROUND, MAX_GAP_FILLS_PER_PUSH } from './constants'
import { PushResponse } from './protocol'
import { decodeText, type EconomyContext } from './context'
import type { LedgerRpc } from './rpc'
import type { PullSync } from './sync'

export class LedgerPush {
  constructor (private readonly ctx: EconomyContext, private readonly rpc: LedgerRpc, private readonly sync: PullSync) {}

  /** Hands blocks to a peer directly (a payment to its payee); returns what it accepted and refused. */
  async pushBlocks (peer: PeerId, blocks: readonly Block[], options: AbortOptions = {}): Promise<z.infer<typeof PushResponse>> {
    this.ctx.counters.pushesSent++
    return await this.rpc.ask(peer, { type: 'push', blocks: blocks.map(b => Buffer.from(encodeBlock(b)).toString('utf8')) }, PushResponse, options)
  }

  /** Hands `block` to its payee now; one not reachable gets it later by gossip and pull sync. */
  async deliver (block: Block, payee: string): Promise<void> {
    try {
      const res = await this.pushBlocks(peerIdFromString(payee), [block], { signal: this.ctx.components.shutdownSignal })
      if (res.rejected.length > 0) this.ctx.log.debug(`payee ${payee.slice(-8)} refused ${res.rejected.map(r => r.reason).join(', ')}`)
    } catch (err) {
      // Not reachable now: gossip and pull sync deliver it later.
      this.ctx.log.debug(`could not hand block ${block.seq} to ${payee.slice(-8)}: ${errorMessage(err)}`)
    }
  }

  /** Judges blocks `peer` pushed here. */
  async onPush (peer: PeerId, texts: string[]): Promise<z.infer<typeof PushResponse>> {
    this.ctx.counters.pushesReceived++
    const ledger = this.ctx.ledger
    const items = texts.map(decodeText)
    // A push starts where the pusher's last block is; fill a gap from the pusher first, so an honest
    // payer is not blamed for our missing its earlier blocks.
    const gapFilled = new Set<string>()
    const firstSeq = new Map<string, number>()
    for (const item of items) {
      const b = parseBlock(item)
      if (b.ok && !firstSeq.has(b.value.account)) firstSeq.set(b.value.account, b.value.seq)
    }
    // Pushes are for payments from the pusher's own chain: a peer without a joined account here (after
    // fetching its own chain from it, when it pushes a later block of it, and not pushing its join) has
    // nothing to pay with, and its blocks are dropped unread, before any other chain is fetched for them.
    const pusher = peer.toString()
    const carriesJoin = items.some(item => { const b = parseBlock(item); return b.ok && b.value.account === pusher && b.value.seq === 0 })
    if (ledger.head(pusher) == null && !carriesJoin) {
      const own = firstSeq.get(pusher)
      if (own !== undefined) {
        await this.sync.fetchChain(peer, pusher, { budget: Math.min(own + 1, MAX_BLOCKS_PER_ROUND) }).catch(() => {})
        gapFilled.add(pusher)
      }
      if (ledger.head(pusher) == null) {
        this.ctx.components.drops.add('ledger', 'unjoined-pusher')
        return { accepted: 0, rejected: [{ reason: 'unjoined-pusher', detail: 'push from a peer whose account has not joined (as far as this node knows)' }] }
      }
    }
    for (const [account, seq] of [...firstSeq].slice(0, MAX_GAP_FILLS_PER_PUSH)) {
      if (seq > (ledger.head(account)?.seq ?? -1) + 1 && !ledger.isForked(account)) {
        await this.sync.fetchChain(peer, account, { budget: Math.min(seq + 1, MAX_BLOCKS_PER_ROUND) }).catch(() => {})
        gapFilled.add(account)
      }
    }
    const todo = items.filter(item => {
      const b = parseBlock(item)
      return !(b.ok && gapFilled.has(b.value.account) && ledger.chain(b.value.account)[b.value.seq]?.hash === b.value.hash)
    })
    const r = todo.length > 0 ? await this.sync.ingestFrom(peer, todo) : { fetched: 0, accepted: 0, rejected: [], proofs: 0 }
    return { accepted: r.accepted, rejected: r.rejected.slice(0, MAX_BLOCKS_PER_MESSAGE).map(x => ({ reason: x.reason, ...(x.account !== undefined ? { account: x.account } : {}), ...(x.seq !== undefined ? { seq: x.seq } : {}), ...(x.detail !== undefined ? { detail: x.detail.slice(0, 300) } : {}) })) }
  }
}
