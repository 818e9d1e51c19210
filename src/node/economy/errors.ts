// Typed errors of the ledger feature (callers check `err.name`).

/** `wallet verify`: neither the account nor any neighbour could hand over its chain. */
export class ChainUnavailableError extends Error {
  static override name = 'ChainUnavailableError'
  override name = 'ChainUnavailableError'
  constructor (readonly account: string, detail: string) {
    super(`could not fetch the chain of ${account}: ${detail}`)
  }
}
