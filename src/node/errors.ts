/** A facade method that needs a running node was called before start() or after stop(). */
export class NodeNotStartedError extends Error {
  static override name = 'NodeNotStartedError'
  override name = 'NodeNotStartedError'
}
