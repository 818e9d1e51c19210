// Typed errors of the social layer (callers check `err.name`). All are the user's to fix: one line each.

export class InvalidPostError extends Error {
  static override name = 'InvalidPostError'
  override name = 'InvalidPostError'
}

/** The author's hourly allowance is used up. */
export class PostRateError extends Error {
  static override name = 'PostRateError'
  override name = 'PostRateError'
}

export class UnknownPostError extends Error {
  static override name = 'UnknownPostError'
  override name = 'UnknownPostError'
  constructor (readonly postId: string) { super(`No post ${postId.slice(0, 12)}… is known here: search or refresh the feed first`) }
}

/** Rating needs a download receipt of this account for the adapter (a paid download). */
export class NoReceiptError extends Error {
  static override name = 'NoReceiptError'
  override name = 'NoReceiptError'
}

/** Payments (tips, the rating reward) need the ledger, which this node does not run. */
export class NoLedgerError extends Error {
  static override name = 'NoLedgerError'
  override name = 'NoLedgerError'
  constructor () { super('This node runs no ledger: tips and ratings need the wallet') }
}

export class NotRunningError extends Error {
  static override name = 'NotRunningError'
  override name = 'NotRunningError'
  constructor () { super('The social layer is not running: start the node first') }
}

/** Started over components whose libp2p lacks a service it depends on. */
export class MissingServiceError extends Error {
  static override name = 'MissingServiceError'
  override name = 'MissingServiceError'
  constructor (readonly missing: string[]) { super(`the social layer needs the libp2p services ${missing.join(', ')}: add them to the node`) }
}

const USER_FACING = new Set(['InvalidPostError', 'PostRateError', 'UnknownPostError', 'NoReceiptError', 'NoLedgerError'])
export const isSocialUserError = (e: unknown): boolean => USER_FACING.has((e as Error)?.name)
