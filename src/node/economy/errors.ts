// Typed errors of the ledger feature (callers check `err.name`).

/** `wallet verify`: neither the account nor any neighbour could hand over its chain. */
export class ChainUnavailableError extends Error {
  static override name = 'ChainUnavailableError'
  override name = 'ChainUnavailableError'
  constructor (readonly account: string, detail: string) {
    super(`could not fetch the chain of ${account}: ${detail}`)
  }
}

// Shared by every service (src/node/util/services.ts); re-exported here for the economy's callers.
export { MissingServiceError } from '../errors'

/** Wallet mistakes that are the caller's (unknown peer, low balance, bad amount, …): one line, no retry. */
const USER_FACING = new Set(['ChainUnavailableError', 'UnknownPeerError', 'InsufficientBalanceError', 'InvalidAmountError', 'NotJoinedError', 'ForkedAccountError', 'BlockRejectedError'])

export const isUserFacing = (e: unknown): boolean => USER_FACING.has((e as Error)?.name)
