// Typed errors of the market (checked by `err.name`); messages are one line a user can act on.

export class ListingRejectedError extends Error {
  constructor (readonly reason: string, message = `listing rejected: ${reason}`) {
    super(message)
    this.name = 'ListingRejectedError'
  }
}

export class MarketNotRunningError extends Error {
  constructor (message = 'the market feature is not running on this node') {
    super(message)
    this.name = 'MarketNotRunningError'
  }
}

/** No listing is within the price the user accepted; names the cheapest price on offer. */
export class PriceTooLowError extends Error {
  constructor (readonly maxPrice: string, readonly cheapest: string | undefined, what: string) {
    super(cheapest === undefined
      ? `No provider offers ${what} on the mesh right now`
      : `No provider offers ${what} for ${maxPrice} tokens or less: the cheapest asks ${cheapest} tokens (raise --max-price)`)
    this.name = 'PriceTooLowError'
  }
}

/** Every provider tried refused, timed out or answered badly. */
export class ProvidersFailedError extends Error {
  constructor (readonly attempts: Array<{ provider: string, error: string }>) {
    super(`No provider served the request (${attempts.map(a => `${a.provider.slice(-8)}: ${a.error}`).join('; ')})`)
    this.name = 'ProvidersFailedError'
  }
}

/** A bad option to the provider or requester (backend, price, URL, input size). */
export class ComputeInputError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'ComputeInputError'
  }
}

/** The provider's backend failed (unreachable, bad answer). */
export class BackendError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'BackendError'
  }
}

const USER_FACING = new Set(['ListingRejectedError', 'MarketNotRunningError', 'PriceTooLowError', 'ProvidersFailedError', 'ComputeInputError', 'BackendError'])

/** True for an error whose message is meant for the user (the API answers it as 400). */
export function isMarketUserError (err: unknown): boolean {
  return USER_FACING.has((err as Error)?.name ?? '')
}
