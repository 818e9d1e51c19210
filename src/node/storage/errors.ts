// Typed storage errors. Callers and tests check `err.name` (it survives duplicate bundle copies).

/** Another process (or another open store in this process) holds the data directory's lock. */
export class StoreLockedError extends Error {
  static override name = 'StoreLockedError'
  override name = 'StoreLockedError'
  constructor (readonly dir: string, readonly pid: number, readonly hostname?: string) {
    super(`${dir} is in use by process ${pid}${hostname != null ? ` on ${hostname}` : ''}; stop it or use another --data-dir`)
  }
}

/** The file is not an append log written by this code (wrong magic or version); it was left untouched. */
export class AppendLogFormatError extends Error {
  static override name = 'AppendLogFormatError'
  override name = 'AppendLogFormatError'
}

/** The log was closed; no more appends are accepted. */
export class AppendLogClosedError extends Error {
  static override name = 'AppendLogClosedError'
  override name = 'AppendLogClosedError'
  constructor (message = 'append log is closed') {
    super(message)
  }
}

/**
 * A write or fsync failed and the log could not be rolled back to its last durable length, so its
 * state on disk is unknown. Reopening the log recovers the valid prefix.
 */
export class AppendLogFailedError extends Error {
  static override name = 'AppendLogFailedError'
  override name = 'AppendLogFailedError'
  constructor (message: string, cause?: unknown) {
    super(message, { cause })
  }
}

/** A single record is larger than the log accepts. */
export class RecordTooLargeError extends Error {
  static override name = 'RecordTooLargeError'
  override name = 'RecordTooLargeError'
  constructor (readonly bytes: number, readonly limit: number) {
    super(`record of ${bytes} bytes exceeds the limit of ${limit} bytes`)
  }
}
