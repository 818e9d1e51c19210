// Typed errors of the storage market; callers and tests check `err.name`.

/** A bad argument from the user (file, replicas, days, price, CID): the message says what to do. */
export class StorageInputError extends Error {
  static override name = 'StorageInputError'
  override name = 'StorageInputError'
}

/** The put would cost more than the price the user accepted; nothing was contracted or paid. */
export class StoragePriceError extends Error {
  static override name = 'StoragePriceError'
  override name = 'StoragePriceError'
  constructor (message: string, readonly cost: number) { super(message) }
}

/** Fewer hosts than replicas could be found or accepted the contract. */
export class NotEnoughHostsError extends Error {
  static override name = 'NotEnoughHostsError'
  override name = 'NotEnoughHostsError'
}

/** The file is not stored through this node (status) or could not be found (get). */
export class StoredFileNotFoundError extends Error {
  static override name = 'StoredFileNotFoundError'
  override name = 'StoredFileNotFoundError'
}

export class StorageNotRunningError extends Error {
  static override name = 'StorageNotRunningError'
  override name = 'StorageNotRunningError'
  constructor () { super('The storage market is not running on this node') }
}
