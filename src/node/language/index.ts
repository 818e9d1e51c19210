export { detectLanguage, fold, toEnglish, translateQuery, type Dictionaries, type ForeignLanguage, type QueryLanguage, type TranslatedQuery, type WordLookup } from './translate'
export { firstTranslation, loadDictionary, MAX_DICTIONARY_DATA_BYTES, MAX_DICTIONARY_FILE_BYTES, type Dictionary } from './dictionary'
export { DictionaryError } from './errors'
