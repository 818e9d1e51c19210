// Typed errors of the ledger feature (callers check `err.name`).

/** `wallet verify`: neither the account nor any neighbour could hand over its chain. */
export class ChainUnavailableError extends Error {
  static override name = 'ChainUnavailableError'
  override name = 'ChainUnavailableError'
  constructor (readonly account: string, detail: string) {
    super(`could not fetch the chain of ${account}: ${detail}`)
  }
}

/** The ledger was started over components whose libp2p lacks a service it depends on. */
export class MissingServiceError extends Error {
  static override name = 'MissingServiceError'
  override name = 'MissingServiceError'
  constructor (readonly missing: string[]) {
    super(`the ledger needs the libp2p services ${missing.join(', ')}: add them to the node`)
  }
}

/** Wallet mistakes that are the caller's (unknown peer, low balance, bad amount, …): one line, no retry. */
const USER_FACING = new Set(['ChainUnavailableError', 'UnknownPeerError', 'InsufficientBalanceError', 'InvalidAmountError', 'NotJoinedError', 'ForkedAccountError', 'BlockRejectedError'])

export const isUserFacing = (e: unknown): boolean => USER_FACING.has((e as Error)?.name)
