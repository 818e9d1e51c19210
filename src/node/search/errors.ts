/** Continuing a network search was asked of a node that runs no flood search. */
export class NetworkSearchUnavailableError extends Error {
  static override name = 'NetworkSearchUnavailableError'
  override name = 'NetworkSearchUnavailableError'
}
