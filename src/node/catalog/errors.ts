/** The user's query cannot be searched (empty, or too long); the message says what to do. */
export class InvalidQueryError extends Error {
  static override name = 'InvalidQueryError'
  override name = 'InvalidQueryError'
}

/** An import source (file or folder) cannot be read. */
export class ImportSourceError extends Error {
  static override name = 'ImportSourceError'
  override name = 'ImportSourceError'
}
