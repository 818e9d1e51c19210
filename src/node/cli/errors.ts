/** The user's command line was wrong; the message says what to type instead. */
export class UsageError extends Error {
  static override name = 'UsageError'
  override name = 'UsageError'
}
