// Settling: receives payments to this account and claims the hosting rewards (and the first-adapter
// grant) they earn, a short while after they arrive, once heads were exchanged with the neighbours.
import { formatTokens, receiptHash, type Block } from '../ledger'
import { errorMessage } from '../util/logger'
import { DEFAULT_SETTLE_DELAY_MS, SETTLE_SYNC_PEERS } from './constants'
import { running, type EconomyContext } from './context'
import { isUserFacing } from './errors'
import type { PullSync } from './sync'

export interface SettleInit {
  /** Receive payments and claim rewards on their own. @default true */
  autoAccept?: boolean
  /** How long an incoming payment waits before it is received. @default DEFAULT_SETTLE_DELAY_MS */
  settleDelayMs?: number
}

export class Settler {
  private timer?: NodeJS.Timeout
  private settling: Promise<void> = Promise.resolve()
  /** Receipts over the cap for their adapter and period: not claimable, not retried. */
  private readonly unclaimable = new Set<string>()

  constructor (private readonly ctx: EconomyContext, private readonly sync: PullSync, private readonly init: SettleInit) {}

  get autoAccept (): boolean { return this.init.autoAccept !== false }

  /** A block arrived: settle soon when it pays this account. */
  onBlock (block: Block): void {
    const me = this.ctx.ledger.account
    if ((block.kind === 'send' && block.to === me) || (block.kind === 'charge' && block.receipt.host === me)) this.schedule()
  }

  /** Receives pending payments and claims the hosting rewards (and first-adapter grant) they earn. */
  schedule (): void {
    if (!this.autoAccept || this.timer !== undefined) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.settleNow()
    }, this.init.settleDelayMs ?? DEFAULT_SETTLE_DELAY_MS)
  }

  async stop (): Promise<void> {
    clearTimeout(this.timer)
    await this.settling.catch(() => {})
  }

  /**
   * Exchanges heads with the neighbours first: a payer that double-spent is most often caught in that
   * exchange, and a receive of the branch other nodes saw second would be refused by them for good.
   */
  async settleNow (): Promise<void> {
    this.settling = this.settling.then(async () => {
      if (!running(this.ctx)) return
      await Promise.allSettled(this.sync.peers(SETTLE_SYNC_PEERS).map(async p => await this.sync.syncWith(p)))
      await this.settle()
    }).catch(err => this.ctx.log.warn(`settling payments: ${errorMessage(err)}`))
    await this.settling
  }

  private async settle (): Promise<void> {
    const ledger = this.ctx.ledger
    if (!ledger.joined || ledger.isForked(ledger.account)) return
    const received = await ledger.acceptPayments()
    if (received.length > 0) this.ctx.log.info(`Received ${received.length} payment${received.length === 1 ? '' : 's'}: balance ${formatTokens(ledger.balance())} tokens`)
    const own = ledger.chain()
    const claimed = new Set<string>()
    let hasFirstAdapter = false
    for (const b of own) {
      if (b.kind === 'reward' && b.reward.reason === 'hosting') claimed.add(receiptHash(b.reward.receipt))
      if (b.kind === 'grant' && b.grant.reason === 'first-adapter') hasFirstAdapter = true
    }
    for (const b of own) {
      if (b.kind !== 'receive' || b.source.kind !== 'charge') continue
      const receipt = b.source.receipt
      const h = receiptHash(receipt)
      if (claimed.has(h) || this.unclaimable.has(h)) continue
      try {
        await ledger.claimHostingReward(receipt)
        claimed.add(h)
      } catch (err) {
        // Over the cap for this adapter and period, mostly: not claimable, do not retry.
        this.unclaimable.add(h)
        if (!isUserFacing(err)) throw err
      }
      if (!hasFirstAdapter) {
        try {
          await ledger.claimFirstAdapterGrant(receipt)
          hasFirstAdapter = true
        } catch (err) {
          if (!isUserFacing(err)) throw err
        }
      }
    }
  }
}
