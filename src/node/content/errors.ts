// Typed errors of the content feature. Callers and tests check `err.name`.

function named (name: string): new (message: string) => Error {
  const C = class extends Error {
    constructor (message: string) {
      super(message)
      this.name = name
    }
  }
  Object.defineProperty(C, 'name', { value: name })
  return C
}

/** The reference is not a CID, an adapter id or a name we can resolve. */
export class InvalidContentRefError extends named('InvalidContentRefError') {}
/** Nobody (locally or on the DHT) has this content. */
export class ContentNotFoundError extends named('ContentNotFoundError') {}
/** Every provider sent data that failed verification (or failed otherwise). */
export class AllProvidersFailedError extends named('AllProvidersFailedError') {}
/** A block did not hash to its CID, or a DAG node is malformed. */
export class BlockVerificationError extends named('BlockVerificationError') {}
/** The bundle (tar, manifest, files) is malformed or does not match its manifest. */
export class InvalidBundleError extends named('InvalidBundleError') {}
/** `continuum.lock.json` is not a lockfile this version can read. */
export class LockfileError extends named('LockfileError') {}
/** The project folder cannot be written. */
export class ProjectNotWritableError extends named('ProjectNotWritableError') {}
/** `remove` of an adapter the project does not have. */
export class NotInstalledError extends named('NotInstalledError') {}
/** A path built from a lockfile, manifest or the network leaves its root, or runs through a symlink. */
export class UnsafePathError extends named('UnsafePathError') {}
/** A priced adapter without an accepted price (or above it): nothing is charged or installed. */
export class PriceNotAcceptedError extends named('PriceNotAcceptedError') {
  /** The adapter's price in tokens (what to pass as `maxPrice` to accept it), and its `publisher/id@version`. */
  price = 0
  ref = ''
  static create (message: string, price: number, ref: string): PriceNotAcceptedError {
    const e = new PriceNotAcceptedError(message)
    e.price = price
    e.ref = ref
    return e
  }
}
/** A name matches adapters of several publishers (or of another publisher than the one pinned). */
export class AmbiguousPublisherError extends named('AmbiguousPublisherError') {}
