// Typed ledger errors. Callers and tests check `err.name` (it survives duplicate bundle copies).
import type { RejectReason } from './validate'

/** The amount is not a positive token amount (or has more than 6 decimals). */
export class InvalidAmountError extends Error {
  static override name = 'InvalidAmountError'
  override name = 'InvalidAmountError'
}

/** A wallet send names an account this ledger has never seen join. */
export class UnknownPeerError extends Error {
  static override name = 'UnknownPeerError'
  override name = 'UnknownPeerError'
  constructor (readonly peer: string) {
    super(`unknown peer ${peer}: no join block from it is known to this node`)
  }
}

/** A wallet send or charge for more than the balance. */
export class InsufficientBalanceError extends Error {
  static override name = 'InsufficientBalanceError'
  override name = 'InsufficientBalanceError'
  constructor (readonly needed: string, readonly balance: string) {
    super(`insufficient balance: ${needed} tokens needed, ${balance} available`)
  }
}

/** The own account has not joined yet (no join block): nothing can be appended. */
export class NotJoinedError extends Error {
  static override name = 'NotJoinedError'
  override name = 'NotJoinedError'
  constructor (message = 'this account has not joined the ledger yet; run join first') {
    super(message)
  }
}

/** The ledger refused to create or store a block; `reason` is the validation reason code. */
export class BlockRejectedError extends Error {
  static override name = 'BlockRejectedError'
  override name = 'BlockRejectedError'
  constructor (readonly reason: RejectReason, detail?: string) {
    super(`block rejected: ${reason}${detail ? ` (${detail})` : ''}`)
  }
}

/** The account has a proven double spend: its payments are refused. */
export class ForkedAccountError extends Error {
  static override name = 'ForkedAccountError'
  override name = 'ForkedAccountError'
  constructor (readonly account: string) {
    super(`account ${account} has a proven double spend; its payments are refused`)
  }
}

/** The ledger was closed. */
export class LedgerClosedError extends Error {
  static override name = 'LedgerClosedError'
  override name = 'LedgerClosedError'
  constructor (message = 'ledger is closed') {
    super(message)
  }
}
