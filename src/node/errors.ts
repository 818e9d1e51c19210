/** A facade method that needs a running node was called before start() or after stop(). */
export class NodeNotStartedError extends Error {
  static override name = 'NodeNotStartedError'
  override name = 'NodeNotStartedError'
}

/** A service was started over components whose libp2p lacks a service it depends on. */
export class MissingServiceError extends Error {
  static override name = 'MissingServiceError'
  override name = 'MissingServiceError'
  constructor (readonly service: string, readonly missing: string[]) {
    super(`${service} needs the libp2p services ${missing.join(', ')}: add them to the node`)
  }
}

/** The node's features name one (`after`) that is not in its list, or depend on each other in a circle. */
export class FeatureOrderError extends Error {
  static override name = 'FeatureOrderError'
  override name = 'FeatureOrderError'
}
