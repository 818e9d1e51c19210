// Typed vector-index errors; check `err.name`.

/** A vector's length differs from the index's dimensions (or an index was opened with other dimensions). */
export class VectorDimensionError extends Error {
  static override name = 'VectorDimensionError'
  override name = 'VectorDimensionError'
  constructor (readonly expected: number, readonly actual: number, what = 'vector') {
    super(`${what} has ${actual} dimensions; this index uses ${expected}`)
  }
}

/** An entry or a query is malformed (bad id, zero or non-finite vector, bad attribute). */
export class InvalidEntryError extends Error {
  static override name = 'InvalidEntryError'
  override name = 'InvalidEntryError'
}

/** The index was closed. */
export class IndexClosedError extends Error {
  static override name = 'IndexClosedError'
  override name = 'IndexClosedError'
  constructor () {
    super('vector index is closed')
  }
}

/** The index cannot grow further (32-bit WebAssembly memory is full). */
export class IndexFullError extends Error {
  static override name = 'IndexFullError'
  override name = 'IndexFullError'
}

/** A vectra folder could not be read (missing or malformed index.json). */
export class VectraFormatError extends Error {
  static override name = 'VectraFormatError'
  override name = 'VectraFormatError'
}

/** A snapshot file the log refers to is missing, damaged or of another format. */
export class SnapshotFormatError extends Error {
  static override name = 'SnapshotFormatError'
  override name = 'SnapshotFormatError'
}
