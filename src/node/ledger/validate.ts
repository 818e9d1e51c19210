// Pure validation: given what is known about one account's chain (ChainState) and the network context,
// is this block the valid next block? No I/O, no clocks (the caller passes `now`), so the networking
// layer can run it anywhere and every node reaches the same verdict from the same inputs.
import { checkBlockIntegrity, receiptHash, verifyReceipt } from './block'
import {
  BYTES_PER_MB, COMPUTE_REWARD_CAP, COMPUTE_REWARD_DENOMINATOR, COMPUTE_REWARD_NUMERATOR, EARLY_ADOPTER_GRANT, EARLY_ADOPTER_LIMIT,
  FIRST_ADAPTER_GRANT, GENESIS_PREV, HOSTING_REWARD, HOSTING_REWARD_ACCOUNT_CAP, HOSTING_REWARD_CAP, HOSTING_REWARD_PAYER_CAP,
  MAX_CLOCK_SKEW_MS, NEW_USER_GRANT, RATING_REWARD, RATING_REWARD_CAP, REWARD_PERIOD_MS, UNPRICED_UNITS_PER_MB
} from './constants'
import { verifyJoinPow } from './pow'
import { doubleSpendProofSchema, type Block, type ComputeReceipt, type DoubleSpendProof, type DownloadReceipt, type JoinBlock, type RewardBlock } from './schema'

export type RejectReason =
  /** Fails the schema (wrong types, unknown members, bad ids). */
  | 'malformed'
  /** The hash is not the hash of the block's contents (tampered, or corrupted in transit). */
  | 'bad-hash'
  /** The signature is not the account owner's over the hash. */
  | 'bad-signature'
  /** This exact block is already in the chain. */
  | 'replay'
  /** A different block at a position already filled, naming the same previous block: a double spend. */
  | 'fork'
  /** The block is ahead of the chain's head (a gap: blocks before it are missing). */
  | 'out-of-order'
  /** The block's `prev` is not the hash of the block before it. */
  | 'wrong-previous'
  /** A chain must start with a join block, and only there. */
  | 'missing-join'
  | 'unexpected-join'
  /** The block's time is too far ahead of the validator's clock, or earlier than its predecessor's. */
  | 'time-in-future'
  | 'time-regress'
  /** The amount is not what the block kind and its evidence allow. */
  | 'bad-amount'
  /** The stated resulting balance is not previous balance ± amount. */
  | 'bad-balance'
  /** A send or charge for more than the balance. */
  | 'overdraft'
  /** The join proof-of-work is missing, wrong, or below the network difficulty. */
  | 'pow-too-weak'
  | 'self-payment'
  /** A receive whose embedded send/charge is not a valid, signed payment to this account. */
  | 'receive-without-send'
  /** The same send/charge received twice. */
  | 'double-receive'
  /** A grant's or reward's evidence does not justify it (bad receipt signature, wrong parties, …). */
  | 'bad-evidence'
  /** The same receipt used twice for the same reward. */
  | 'duplicate-evidence'
  /** A one-time grant claimed again. */
  | 'duplicate-grant'
  /** An early-adopter grant for an account this node does not count among the first joins. */
  | 'not-early'
  /** A reward beyond one of its per-period caps (per adapter, per payer, per rewarded account). */
  | 'reward-cap-exceeded'
  /** A block from an account with a proven double spend (ledger-level rule). */
  | 'forked-account'
  /** A receive of a payment from an account with a proven double spend (ledger-level rule). */
  | 'refused-forked-payer'

export type Verdict = { ok: true } | { ok: false, reason: RejectReason, detail?: string }

/** What validation needs to know about one account's chain so far. Built by folding applyBlock. */
export interface ChainState {
  readonly account: string
  /** Hash of each accepted block, by seq (its length is the next seq). */
  readonly hashes: string[]
  balance: number
  /** Time of the last block (0 before the join). */
  lastTime: number
  /** Join time (from the PoW), once joined. */
  joinTime: number | undefined
  /** Lifetime credits (join, grants, rewards, receives) and debits (sends, charges), in units. */
  earned: number
  spent: number
  /** Hashes of sends/charges this account has received. */
  readonly received: Set<string>
  /** `${reason}:${receiptHash}` of every receipt used as evidence. */
  readonly usedEvidence: Set<string>
  /** One-time grants already taken. */
  readonly grants: Set<string>
  /** Reward period (of this chain's block time) that `rewardTotals` counts. */
  rewardPeriod: number
  /**
   * Rewards of the current period, in units, by cap key (see rewardCapKeys). Block times never go back,
   * so totals of an earlier period can never be claimed against again and are dropped when it ends.
   */
  readonly rewardTotals: Map<string, number>
  /** Receipts this account paid with a charge block (hash → units paid). */
  readonly paidReceipts: Map<string, number>
}

export function createChainState (account: string): ChainState {
  return {
    account,
    hashes: [],
    balance: 0,
    lastTime: 0,
    joinTime: undefined,
    earned: 0,
    spent: 0,
    received: new Set(),
    usedEvidence: new Set(),
    grants: new Set(),
    rewardPeriod: -1,
    rewardTotals: new Map(),
    paidReceipts: new Map()
  }
}

export function headHash (state: ChainState): string {
  return state.hashes.length === 0 ? GENESIS_PREV : state.hashes[state.hashes.length - 1]
}

export interface ValidationContext {
  /** Network minimum join difficulty (bits). */
  minJoinDifficulty: number
  /** The validator's clock (ms): blocks more than MAX_CLOCK_SKEW_MS ahead are rejected. */
  now: number
  /**
   * Position of `account`'s join among the joins this validator knows (0 = earliest), ordered by PoW-bound
   * join time then join hash; undefined when its join is unknown. Used only for early-adopter grants.
   */
  joinRank?: (account: string) => number | undefined
}

const reject = (reason: RejectReason, detail?: string): Verdict => ({ ok: false, reason, detail })
const OK: Verdict = { ok: true }

const isDebit = (kind: Block['kind']): boolean => kind === 'send' || kind === 'charge'

/** The price a download receipt must carry when the adapter was unpriced: 1 token per started MB. */
export function unpricedCharge (bytes: number): number {
  return Math.ceil(bytes / BYTES_PER_MB) * UNPRICED_UNITS_PER_MB
}

/** The reward period (index) a receipt time falls in. */
export function rewardPeriod (time: number): number {
  return Math.floor(time / REWARD_PERIOD_MS)
}

/**
 * The caps a reward counts against, with their limits, for the period of the reward block's time:
 * hosting per adapter, per payer and adapter (one reward), per payer, and per rewarded account; compute
 * and rating per rewarded account. A payer invents content ids freely, so only the payer and account caps
 * bound what it can make a host earn.
 */
function rewardCapKeys (w: RewardBlock['reward']): Array<[string, number]> {
  switch (w.reason) {
    case 'hosting': return [
      [`hosting:content:${w.receipt.contentId}`, HOSTING_REWARD_CAP],
      [`hosting:payer-content:${w.receipt.downloader}\n${w.receipt.contentId}`, HOSTING_REWARD],
      [`hosting:payer:${w.receipt.downloader}`, HOSTING_REWARD_PAYER_CAP],
      ['hosting:account', HOSTING_REWARD_ACCOUNT_CAP]
    ]
    case 'compute': return [['compute:account', COMPUTE_REWARD_CAP]]
    case 'rating': return [['rating:account', RATING_REWARD_CAP]]
    case 'relay': return []
  }
}

function rewardSoFar (state: ChainState, key: string, time: number): number {
  return state.rewardPeriod === rewardPeriod(time) ? state.rewardTotals.get(key) ?? 0 : 0
}

/** usedEvidence key of the payment a compute receipt cites: one payment backs at most one reward. */
export function computePaymentKey (r: ComputeReceipt): string | null {
  return r.payment === undefined ? null : `compute-payment:${r.requester}/${r.payment.seq}`
}

function checkDownloadReceipt (r: DownloadReceipt): string | null {
  if (r.host === r.downloader) return 'host and downloader are the same account'
  if (!r.priced && r.price !== unpricedCharge(r.bytes)) return 'unpriced download must cost 1 token per MB'
  if (!verifyReceipt(r)) return 'receipt signature is not the downloader\'s'
  return null
}

/** Checks an embedded join block on its own (used as first-adapter evidence). */
function checkJoinOnItsOwn (join: JoinBlock, minDifficulty: number): string | null {
  if (join.seq !== 0 || join.prev !== GENESIS_PREV) return 'not a genesis block'
  const integrity = checkBlockIntegrity(join)
  if (integrity != null) return `downloader join: ${integrity}`
  if (!verifyJoinPow(join.account, join.pow, minDifficulty) || join.pow.time !== join.time) return 'downloader join: pow-too-weak'
  return null
}

/**
 * Is `block` the valid next block of the chain described by `state`? Checks, in order: integrity (hash,
 * signature), position (replay, fork, gap, previous hash), time, then the kind's own rules and the
 * balance. Does not change `state`; call applyBlock after accepting.
 */
export function validateBlock (state: ChainState, block: Block, ctx: ValidationContext): Verdict {
  if (block.account !== state.account) return reject('malformed', 'block belongs to another account')
  const integrity = checkBlockIntegrity(block)
  if (integrity != null) return reject(integrity)

  const next = state.hashes.length
  if (block.seq < next) {
    if (state.hashes[block.seq] === block.hash) return reject('replay', `block ${block.seq} is already in the chain`)
    const expectedPrev = block.seq === 0 ? GENESIS_PREV : state.hashes[block.seq - 1]
    if (block.prev === expectedPrev) return reject('fork', `a different block ${block.seq} with the same previous hash is already in the chain`)
    return reject('wrong-previous', `block ${block.seq} names a previous block that is not in the chain`)
  }
  if (block.seq > next) return reject('out-of-order', `expected block ${next}, got ${block.seq}`)
  if (block.prev !== headHash(state)) return reject('wrong-previous')

  if (block.time > ctx.now + MAX_CLOCK_SKEW_MS) return reject('time-in-future')
  if (block.time < state.lastTime) return reject('time-regress')

  if (block.seq === 0 && block.kind !== 'join') return reject('missing-join')
  if (block.seq !== 0 && block.kind === 'join') return reject('unexpected-join')

  if (isDebit(block.kind)) {
    if (block.amount <= 0) return reject('bad-amount', 'a payment must be positive')
    if (block.amount > state.balance) return reject('overdraft', `${block.amount} units from a balance of ${state.balance}`)
    if (block.balance !== state.balance - block.amount) return reject('bad-balance')
  } else if (block.balance !== state.balance + block.amount) {
    return reject('bad-balance')
  }

  const verdict = checkKind(state, block, ctx)
  return verdict
}

function checkKind (state: ChainState, block: Block, ctx: ValidationContext): Verdict {
  switch (block.kind) {
    case 'join': {
      if (block.pow.time !== block.time || !verifyJoinPow(block.account, block.pow, ctx.minJoinDifficulty)) {
        return reject('pow-too-weak', `needs ${ctx.minJoinDifficulty} bits`)
      }
      if (block.amount !== NEW_USER_GRANT) return reject('bad-amount', 'join grant is fixed')
      return OK
    }
    case 'send': {
      if (block.to === block.account) return reject('self-payment')
      return OK
    }
    case 'charge': {
      const r = block.receipt
      if (r.downloader !== block.account) return reject('bad-evidence', 'a charge pays for the account\'s own download')
      const bad = checkDownloadReceipt(r)
      if (bad != null) return reject('bad-evidence', bad)
      if (block.amount !== r.price) return reject('bad-amount', 'a charge pays exactly the receipt price')
      if (state.usedEvidence.has('charge:' + receiptHash(r))) return reject('duplicate-evidence', 'receipt already paid')
      return OK
    }
    case 'receive': {
      const src = block.source
      if (src.account === block.account) return reject('self-payment')
      const payee = src.kind === 'send' ? src.to : src.receipt.host
      if (payee !== block.account) return reject('receive-without-send', 'embedded payment is to another account')
      const integrity = checkBlockIntegrity(src)
      if (integrity != null) return reject('receive-without-send', `embedded payment: ${integrity}`)
      if (src.kind === 'charge' && (src.receipt.downloader !== src.account || checkDownloadReceipt(src.receipt) != null)) {
        return reject('receive-without-send', 'embedded charge has an invalid receipt')
      }
      if (block.amount !== src.amount) return reject('bad-amount', 'a receive credits exactly the payment')
      if (state.received.has(src.hash)) return reject('double-receive')
      return OK
    }
    case 'grant': {
      const g = block.grant
      if (state.grants.has(g.reason)) return reject('duplicate-grant', g.reason)
      if (g.reason === 'first-adapter') {
        const r = g.receipt
        if (r.host !== block.account) return reject('bad-evidence', 'the receipt is for another host')
        const bad = checkDownloadReceipt(r) ?? (g.downloaderJoin.account !== r.downloader ? 'join block is not the downloader\'s' : null) ?? checkJoinOnItsOwn(g.downloaderJoin, ctx.minJoinDifficulty)
        if (bad != null) return reject('bad-evidence', bad)
        if (block.amount !== FIRST_ADAPTER_GRANT) return reject('bad-amount')
        return OK
      }
      const rank = ctx.joinRank?.(block.account)
      if (rank === undefined) return reject('bad-evidence', 'join order unknown to this validator')
      if (rank >= EARLY_ADOPTER_LIMIT) return reject('not-early', `join #${rank + 1} as seen by this node`)
      if (block.amount !== EARLY_ADOPTER_GRANT) return reject('bad-amount')
      return OK
    }
    case 'reward': {
      const w = block.reward
      const key = `${w.reason}:${receiptHash(w.receipt)}`
      if (w.receipt.time > block.time) return reject('bad-evidence', 'receipt is later than the reward')
      const verdict = checkReward(state, block as RewardBlock)
      if (!verdict.ok) return verdict
      if (state.usedEvidence.has(key)) return reject('duplicate-evidence')
      for (const [capKey, cap] of rewardCapKeys(w)) {
        if (rewardSoFar(state, capKey, block.time) + block.amount > cap) {
          return reject('reward-cap-exceeded', `${capKey.replace('\n', ' ')} already earned its cap this period`)
        }
      }
      return OK
    }
  }
}

/**
 * The reward's own rules. What only another chain can show (the payer's debit) is checked by the ledger
 * (Ledger.checkDependencies): a hosting reward needs the downloader's charge paying that receipt, a compute
 * reward the requester's send it names, both in chains the validating node holds from their join.
 */
function checkReward (state: ChainState, block: RewardBlock): Verdict {
  const w = block.reward
  switch (w.reason) {
    case 'hosting': {
      const r = w.receipt
      if (r.host !== block.account) return reject('bad-evidence', 'the receipt is for another host')
      const bad = checkDownloadReceipt(r)
      if (bad != null) return reject('bad-evidence', bad)
      // The charge pays exactly the receipt price: a reward never exceeds the debit that backs it.
      if (r.price < HOSTING_REWARD) return reject('bad-evidence', 'the download cost less than the hosting reward')
      if (block.amount !== HOSTING_REWARD) return reject('bad-amount')
      return OK
    }
    case 'compute': {
      const r = w.receipt
      if (r.provider !== block.account || r.requester === block.account) return reject('bad-evidence', 'wrong parties')
      if (!verifyReceipt(r)) return reject('bad-evidence', 'receipt signature is not the requester\'s')
      const paymentKey = computePaymentKey(r)
      if (paymentKey == null) return reject('bad-evidence', 'the receipt names no payment in the requester\'s chain')
      if (block.amount !== Math.floor(r.cost * COMPUTE_REWARD_NUMERATOR / COMPUTE_REWARD_DENOMINATOR) || block.amount <= 0) return reject('bad-amount')
      if (state.usedEvidence.has(paymentKey)) return reject('duplicate-evidence', 'that payment already backs a compute reward')
      return OK
    }
    case 'relay':
      // The flood hides the search origin from relayers (and should): a receipt that names it breaks that
      // privacy, and one that does not has nobody who paid for it. Either way it would be minting.
      return reject('bad-evidence', 'relay rewards are not accepted: no payer can back them without revealing the search origin')
    case 'rating': {
      const r = w.receipt
      if (r.downloader !== block.account) return reject('bad-evidence', 'can only rate own downloads')
      if (!verifyReceipt(r)) return reject('bad-evidence', 'receipt signature is not the account\'s')
      const paid = state.paidReceipts.get(receiptHash(r))
      if (paid === undefined) return reject('bad-evidence', 'no charge for this download in the chain')
      if (paid < RATING_REWARD) return reject('bad-evidence', 'download cost less than the rating reward')
      if (block.amount !== RATING_REWARD) return reject('bad-amount')
      if (state.usedEvidence.has(ratingContentKey(r.contentId))) return reject('duplicate-evidence', 'this adapter was already rated')
      return OK
    }
  }
}

const ratingContentKey = (contentId: string): string => `rating-content:${contentId}`

/** Folds an accepted block into the state (mutates it). Call only after validateBlock said ok. */
export function applyBlock (state: ChainState, block: Block): void {
  state.hashes.push(block.hash)
  state.balance = block.balance
  state.lastTime = block.time
  if (isDebit(block.kind)) state.spent += block.amount
  else state.earned += block.amount
  switch (block.kind) {
    case 'join':
      state.joinTime = block.pow.time
      break
    case 'charge': {
      const h = receiptHash(block.receipt)
      state.usedEvidence.add('charge:' + h)
      state.paidReceipts.set(h, block.amount)
      break
    }
    case 'receive':
      state.received.add(block.source.hash)
      break
    case 'grant':
      state.grants.add(block.grant.reason)
      break
    case 'reward': {
      const w = block.reward
      state.usedEvidence.add(`${w.reason}:${receiptHash(w.receipt)}`)
      if (w.reason === 'compute') {
        const k = computePaymentKey(w.receipt)
        if (k != null) state.usedEvidence.add(k)
      }
      if (w.reason === 'rating') state.usedEvidence.add(ratingContentKey(w.receipt.contentId))
      const period = rewardPeriod(block.time)
      if (period !== state.rewardPeriod) { state.rewardPeriod = period; state.rewardTotals.clear() }
      for (const [k] of rewardCapKeys(w)) state.rewardTotals.set(k, (state.rewardTotals.get(k) ?? 0) + block.amount)
      break
    }
    case 'send':
      break
  }
}

/** Builds the standalone proof that `a` and `b` fork one account's chain (order-independent). */
export function makeDoubleSpendProof (a: Block, b: Block): DoubleSpendProof {
  const [x, y] = a.hash < b.hash ? [a, b] : [b, a]
  return { type: 'double-spend', a: x, b: y }
}

/**
 * Verifies a double-spend proof with nothing but the proof: two different blocks, both correctly hashed
 * and signed by the same account, at the same position with the same previous hash. The account id
 * carries the public key, so no other state is needed.
 */
export function verifyDoubleSpendProof (value: unknown): { ok: true, account: string, proof: DoubleSpendProof } | { ok: false, reason: string } {
  const parsed = doubleSpendProofSchema.safeParse(value)
  if (!parsed.success) return { ok: false, reason: 'malformed proof' }
  const { a, b } = parsed.data
  if (a.account !== b.account) return { ok: false, reason: 'blocks of different accounts' }
  if (a.seq !== b.seq || a.prev !== b.prev) return { ok: false, reason: 'blocks do not share a position and previous hash' }
  if (a.hash === b.hash) return { ok: false, reason: 'the same block twice' }
  const ia = checkBlockIntegrity(a) ?? checkBlockIntegrity(b)
  if (ia != null) return { ok: false, reason: ia }
  return { ok: true, account: a.account, proof: parsed.data }
}
