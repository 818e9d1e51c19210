// The ledger's gossipsub topic: own new heads (batched) and double-spend proofs go out; heads that show
// something new start a pull sync with the publisher (or the forwarder). Invalid messages (bad shape, a
// proof that does not verify) are neither delivered nor forwarded, and count against their sender's
// gossipsub score. Proofs are published when found here; one that came from the network is already
// travelling (gossipsub forwards it).
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import { diffHeads, verifyDoubleSpendProof } from '../ledger'
import { errorMessage } from '../util/logger'
import { LEDGER_TOPIC, MAX_GOSSIP_BYTES } from './constants'
import { LedgerGossip } from './protocol'
import type { EconomyContext } from './context'
import { liveHeads, type PullSync } from './sync'

/** Delay that batches a burst of own writes into one heads message. */
const HEADS_BATCH_MS = 50

export class LedgerGossipChannel {
  private readonly proofsFromNetwork = new Set<string>()
  private readonly unsubscribe: Array<() => void> = []
  private headsTimer?: NodeJS.Timeout

  constructor (private readonly ctx: EconomyContext, private readonly sync: PullSync) {}

  /** Validates, subscribes and listens on the topic; publishes proofs the ledger finds. */
  start (): void {
    const pubsub = this.ctx.components.libp2p.services.pubsub
    pubsub.topicValidators.set(LEDGER_TOPIC, (_from, msg) => this.validateGossip(msg.data))
    this.unsubscribe.push(() => pubsub.topicValidators.delete(LEDGER_TOPIC))
    pubsub.subscribe(LEDGER_TOPIC)
    const onGossip = (evt: CustomEvent<{ propagationSource: PeerId, msg: { topic: string, data: Uint8Array, type: string, from?: PeerId } }>): void => {
      const { msg, propagationSource } = evt.detail
      if (msg.topic !== LEDGER_TOPIC) return
      void this.onGossip(msg.data, msg.type === 'signed' && msg.from !== undefined ? msg.from : propagationSource, propagationSource).catch(err => this.ctx.log.debug(`ledger gossip: ${errorMessage(err)}`))
    }
    pubsub.addEventListener('gossipsub:message', onGossip as EventListener)
    this.unsubscribe.push(() => pubsub.removeEventListener('gossipsub:message', onGossip as EventListener))
    this.unsubscribe.push(() => { try { pubsub.unsubscribe(LEDGER_TOPIC) } catch { /* stopping */ } })
    this.unsubscribe.push(this.ctx.ledger.on('double-spend', e => {
      if (this.proofsFromNetwork.has(proofKey(e.detail) ?? '')) return
      void this.publish({ type: 'proof', proof: e.detail }).then(() => { this.ctx.counters.proofsPublished++ })
    }))
  }

  stop (): void {
    clearTimeout(this.headsTimer)
    for (const u of this.unsubscribe.splice(0)) u()
  }

  /** Announces this account's head shortly (a burst of own writes makes one message). */
  announceOwnHead (): void {
    if (this.headsTimer !== undefined) return
    this.headsTimer = setTimeout(() => {
      this.headsTimer = undefined
      const head = this.ctx.ledger.head(this.ctx.ledger.account)
      if (head != null) void this.publish({ type: 'heads', heads: [head] })
    }, HEADS_BATCH_MS)
  }

  async publish (msg: LedgerGossip): Promise<void> {
    try {
      await this.ctx.components.libp2p.services.pubsub.publish(LEDGER_TOPIC, new TextEncoder().encode(JSON.stringify(msg)))
    } catch (err) {
      this.ctx.log.debug(`ledger publish: ${errorMessage(err)}`)
    }
  }

  private validateGossip (data: Uint8Array): TopicValidatorResult {
    const reject = (reason: string): TopicValidatorResult => { this.ctx.components.drops.add('ledger-gossip', reason); return TopicValidatorResult.Reject }
    if (data.byteLength > MAX_GOSSIP_BYTES) return reject('oversized')
    let msg: LedgerGossip
    try {
      msg = LedgerGossip.parse(JSON.parse(Buffer.from(data).toString('utf8')))
    } catch {
      return reject('malformed')
    }
    if (msg.type === 'proof' && !verifyDoubleSpendProof(msg.proof).ok) return reject('bad-proof')
    return TopicValidatorResult.Accept
  }

  private async onGossip (data: Uint8Array, origin: PeerId, via: PeerId): Promise<void> {
    this.ctx.counters.gossipReceived++
    let msg: LedgerGossip
    try {
      msg = LedgerGossip.parse(JSON.parse(Buffer.from(data).toString('utf8')))
    } catch {
      this.ctx.components.drops.add('ledger', 'malformed')
      return
    }
    const ledger = this.ctx.ledger
    if (msg.type === 'proof') {
      await this.ingestProof(msg.proof, via)
      return
    }
    const diff = diffHeads(liveHeads(ledger), msg.heads)
    const accounts = [...diff.want.map(w => w.account), ...diff.conflicts.map(c => c.account)].filter(a => !ledger.isForked(a))
    if (accounts.length === 0) return
    // The publisher holds what it announced; the forwarder may not yet. Either way pull sync follows.
    for (const peer of origin.equals(via) ? [origin] : [origin, via]) {
      try {
        const r = await this.sync.syncWith(peer)
        if (r.fetched > 0 || r.same) return
      } catch (err) {
        this.ctx.log.debug(`ledger sync after gossip with ${peer.toString().slice(-8)}: ${errorMessage(err)}`)
      }
    }
  }

  /** Takes a proof from the network (remembered, so it is not published again from here). */
  async ingestProof (proof: unknown, from: PeerId): Promise<void> {
    const key = proofKey(proof)
    if (key !== undefined) {
      if (this.proofsFromNetwork.size >= 10_000) this.proofsFromNetwork.clear()
      this.proofsFromNetwork.add(key)
    }
    await this.ctx.ledger.ingestProof(proof, { from: from.toString() })
  }
}

/** Identity of a proof (order-independent), or undefined when it is not shaped like one. */
function proofKey (proof: unknown): string | undefined {
  const p = proof as { a?: { hash?: unknown }, b?: { hash?: unknown } } | null
  if (typeof p?.a?.hash !== 'string' || typeof p?.b?.hash !== 'string') return undefined
  return [p.a.hash, p.b.hash].sort().join('|')
}
