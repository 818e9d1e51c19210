export { detectLanguage, fold, toEnglish, translateQuery, type ForeignLanguage, type QueryLanguage, type TranslatedQuery } from './translate'
