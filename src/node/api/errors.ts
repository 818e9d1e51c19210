/** No node is running for this data dir (no api.json, or its process is gone). */
export class NodeNotRunningError extends Error {
  static override name = 'NodeNotRunningError'
  override name = 'NodeNotRunningError'
}

/** The API answered with an error; `message` is the server's one-line explanation. */
export class ApiError extends Error {
  static override name = 'ApiError'
  override name = 'ApiError'
  constructor (message: string, readonly status: number, readonly errorName: string) {
    super(message)
  }
}

/** A request to the API was invalid (bad JSON, failed schema): answered with 400. */
export class BadRequestError extends Error {
  static override name = 'BadRequestError'
  override name = 'BadRequestError'
}

/** No such route on this node (an in-process call to a capability that does not run here). */
export class NotFoundError extends Error {
  static override name = 'NotFoundError'
  override name = 'NotFoundError'
}
