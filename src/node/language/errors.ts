/** A bilingual dictionary file the user pointed at cannot be used (missing, too large, not dictd). */
export class DictionaryError extends Error {
  override name = 'DictionaryError'
}
