/** The data directory cannot be created, read or written. */
export class DataDirError extends Error {
  static override name = 'DataDirError'
  override name = 'DataDirError'
}
