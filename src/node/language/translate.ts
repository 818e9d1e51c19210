// Cross-language search without multilingual weights: a query written in Spanish, French or German is
// detected (function words, accented letters, glossary hits) and rewritten word by word into English with
// the glossary (glossary.ts), so the English embedder and BM25 see words they know. Words the glossary does
// not know (names, technical terms such as "PostgreSQL") are kept as they are.
import { GLOSSARY } from './glossary'

/** A user-installed dictionary for one language (see dictionary.ts): folded word → English. */
export interface WordLookup { lookup: (foldedWord: string) => string | undefined }
export type Dictionaries = Partial<Record<ForeignLanguage, WordLookup>>

export type QueryLanguage = 'en' | 'es' | 'fr' | 'de'
export type ForeignLanguage = Exclude<QueryLanguage, 'en'>

export interface TranslatedQuery {
  /** Detected language of the query. */
  language: QueryLanguage
  /** What to search with: the English rendering, or the query itself when it is English. */
  text: string
}

/** Words that only carry grammar, per language; none is also a common English word. */
const FUNCTION_WORDS: Record<QueryLanguage, Set<string>> = {
  en: new Set('the a an and or of to in on for with is are my our your how what why which that this it be from at by can i me we you do does want need help find write build make best into about'.split(' ')),
  es: new Set('el la los las de del al y que en un una unos unas para con por es como mas muy pero sus mi mis tu tus nuestro nuestra nuestros donde cual este esta estos estas ese esa lo le les se sobre entre tambien hay quiero necesito puedo yo ya cuando porque desde hasta todo todos mejor'.split(' ')),
  fr: new Set('le la les un une des du de et ou est sont dans sur par avec sans qui que quoi ce cette ces mon ma mes ton ta tes sa ses notre nos votre vos leur leurs je il elle nous vous ils elles au aux pourquoi quel quelle quels tres plus mais aussi etre avoir faire chez'.split(' ')),
  de: new Set('der die das den dem des ein eine einen einem einer und oder zu im auf fur mit ohne von vom zum zur ist sind wir ihr sie mein meine meinen meiner dein deine unser unsere ich du nicht auch noch nur wie warum welche welcher welches mehr sehr kann konnen soll sollte wird werden bei nach aus uber unter zwischen durch gegen dass diese dieser dieses ihn ihm'.split(' '))
}

/** Also dropped when translating, though too English-looking to count as evidence of a language. */
const DROPPED: Record<ForeignLanguage, Set<string>> = {
  es: new Set('a me no te su sin son ni o u'.split(' ')),
  fr: new Set('a en pour son on ne pas y'.split(' ')),
  de: new Set('an am in es so um was er will man'.split(' '))
}

/** Letters that only (or mostly) occur in one of the languages. */
const LETTERS: Array<{ re: RegExp, lang: ForeignLanguage, weight: number }> = [
  { re: /[ñ¿¡]/gu, lang: 'es', weight: 3 },
  { re: /[áíóú]/gu, lang: 'es', weight: 2 },
  { re: /[çœæêèàùâîôûëï]/gu, lang: 'fr', weight: 3 },
  { re: /é/gu, lang: 'fr', weight: 1 },
  { re: /é/gu, lang: 'es', weight: 1 },
  { re: /[äöüß]/gu, lang: 'de', weight: 3 }
]

/** Lower case without accents; ß → ss. Glossary forms and query words are compared in this form. */
export function fold (s: string): string {
  return s.toLowerCase().replace(/ß/g, 'ss').normalize('NFD').replace(/\p{M}+/gu, '')
}

interface LanguageGlossary {
  words: Map<string, string>
  /** First word of a phrase → phrases starting with it (longest first). */
  phrases: Map<string, Array<{ tokens: string[], english: string }>>
  /** Prefix forms, longest first. */
  prefixes: Array<{ prefix: string, english: string }>
}

const LANGS: ForeignLanguage[] = ['es', 'fr', 'de']

/** Longest word tried as a German compound. */
const MAX_COMPOUND_LETTERS = 40

/** Parses `english = es: a, b | fr: c | de: d` lines; the first line that defines a form wins. */
export function parseGlossary (text: string): Record<ForeignLanguage, LanguageGlossary> {
  const out = Object.fromEntries(LANGS.map(l => [l, { words: new Map(), phrases: new Map(), prefixes: [] }])) as unknown as Record<ForeignLanguage, LanguageGlossary>
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=')
    if (eq < 0) continue
    const english = line.slice(0, eq).trim()
    for (const part of line.slice(eq + 1).split('|')) {
      const m = part.match(/^\s*(es|fr|de)\s*:(.*)$/)
      if (m === null) continue
      const g = out[m[1] as ForeignLanguage]
      for (const rawForm of m[2].split(',')) {
        const form = fold(rawForm.trim())
        if (form === '') continue
        if (form.endsWith('*')) {
          const prefix = form.slice(0, -1)
          if (!g.prefixes.some(p => p.prefix === prefix)) g.prefixes.push({ prefix, english })
          // The stem itself is a word too (and a compound's head: "Haftung" in "Haftungsklauseln").
          if (!g.words.has(prefix)) g.words.set(prefix, english)
        } else if (form.includes(' ')) {
          const tokens = form.split(/\s+/)
          const list = g.phrases.get(tokens[0]) ?? []
          if (!list.some(p => p.tokens.join(' ') === tokens.join(' '))) list.push({ tokens, english })
          g.phrases.set(tokens[0], list)
        } else if (!g.words.has(form)) {
          g.words.set(form, english)
        }
      }
    }
  }
  for (const g of Object.values(out)) {
    g.prefixes.sort((a, b) => b.prefix.length - a.prefix.length)
    for (const list of g.phrases.values()) list.sort((a, b) => b.tokens.length - a.tokens.length)
  }
  return out
}

let parsed: Record<ForeignLanguage, LanguageGlossary> | undefined
function glossary (): Record<ForeignLanguage, LanguageGlossary> {
  parsed ??= parseGlossary(GLOSSARY)
  return parsed
}

/** Word tokens (letters and digits; hyphens and apostrophes split words). */
function tokens (text: string): string[] {
  return text.split(/[^\p{L}\p{N}]+/u).filter(t => t !== '')
}

const PLURALS: Record<ForeignLanguage, string[]> = { es: ['es', 's'], fr: ['es', 's', 'x'], de: ['en', 'n', 'e', 'er', 'es', 's'] }

/** The English for one folded word: exact, without a plural ending, as a German compound, or by a prefix form. */
function lookupWord (g: LanguageGlossary, lang: ForeignLanguage, w: string, compounds = true): string | undefined {
  const exact = g.words.get(w)
  if (exact !== undefined) return exact
  for (const suffix of PLURALS[lang]) {
    if (w.length > suffix.length + 2 && w.endsWith(suffix)) {
      const hit = g.words.get(w.slice(0, -suffix.length))
      if (hit !== undefined) return hit
    }
  }
  if (lang === 'de' && compounds) {
    const compound = lookupCompound(g, w)
    if (compound !== undefined) return compound
  }
  for (const p of g.prefixes) if (w.length >= p.prefix.length && w.startsWith(p.prefix)) return p.english
  return undefined
}

/** German compounds ("Kundenbewertungen"): the longest known head, a linking s/n/es, then a known rest. */
function lookupCompound (g: LanguageGlossary, w: string, depth = 0): string | undefined {
  // Real compounds are short; a 4,000-letter "word" is not one and must not cost a search quadratic time.
  if (depth > 2 || w.length < 6 || w.length > MAX_COMPOUND_LETTERS) return undefined
  for (let i = w.length - 3; i >= 3; i--) {
    const head = w.slice(0, i)
    const rest = w.slice(i)
    const headEn = g.words.get(head) ?? (head.length > 4 && /(?:s|n|es)$/.test(head) ? (g.words.get(head.replace(/(?:es|s|n)$/, '')) ?? g.words.get(head.slice(0, -1))) : undefined)
    if (headEn === undefined) continue
    const restEn = lookupWord(g, 'de', rest, false) ?? lookupCompound(g, rest, depth + 1)
    if (restEn !== undefined) return `${headEn} ${restEn}`
  }
  return undefined
}

/** Scores of each language for a text; 'en' wins ties. */
export function detectLanguage (text: string): { language: QueryLanguage, scores: Record<QueryLanguage, number> } {
  const scores: Record<QueryLanguage, number> = { en: 0, es: 0, fr: 0, de: 0 }
  const lower = text.toLowerCase()
  for (const { re, lang, weight } of LETTERS) scores[lang] += weight * Math.min(3, (lower.match(re) ?? []).length)
  const words = tokens(lower).map(fold)
  const g = glossary()
  for (const w of words) {
    for (const lang of Object.keys(FUNCTION_WORDS) as QueryLanguage[]) if (FUNCTION_WORDS[lang].has(w)) scores[lang] += 2
    for (const lang of LANGS) {
      // A form spelt like its English (plan, test, menu, sports) says nothing about the language.
      const en = lookupWord(g[lang], lang, w, false)
      const e = en === undefined ? '' : fold(en)
      if (en !== undefined && !w.startsWith(e) && !e.startsWith(w)) scores[lang] += 1
    }
  }
  let best: QueryLanguage = 'en'
  for (const lang of LANGS) if (scores[lang] > scores[best]) best = lang
  // One stray hit is not enough to rewrite a query.
  if (best !== 'en' && scores[best] < 3) best = 'en'
  return { language: best, scores }
}

/** Rewrites a query in `lang` into English words; unknown words are kept, function words dropped. */
export function toEnglish (text: string, lang: ForeignLanguage, dictionary?: WordLookup): string {
  const g = glossary()[lang]
  const original = tokens(text)
  const folded = original.map(fold)
  const out: string[] = []
  for (let i = 0; i < folded.length;) {
    const phrase = (g.phrases.get(folded[i]) ?? []).find(p => p.tokens.every((t, j) => folded[i + j] === t))
    if (phrase !== undefined) {
      out.push(phrase.english)
      i += phrase.tokens.length
      continue
    }
    const w = folded[i]
    // The glossary first (written for this catalog's vocabulary), then a dictionary the user installed.
    const english = lookupWord(g, lang, w) ?? (FUNCTION_WORDS[lang].has(w) || DROPPED[lang].has(w) ? undefined : lookupDictionary(dictionary, lang, w))
    if (english !== undefined) out.push(english)
    else if (!FUNCTION_WORDS[lang].has(w) && !DROPPED[lang].has(w)) out.push(original[i])
    i++
  }
  // Neighbouring forms often give the same word ("cerveza casera" + "casera"): say it once.
  return out.filter((w, i) => i === 0 || w !== out[i - 1]).join(' ')
}

/**
 * Verb endings → infinitive endings, so a conjugated verb finds its dictionary headword ("vomita" →
 * "vomitar", "jaunissent" → "jaunir", "empfiehlt" stays unknown: German stem changes are not guessed).
 */
const VERB_ENDINGS: Record<ForeignLanguage, Array<[string, string[]]>> = {
  es: [['amos', ['ar']], ['emos', ['er']], ['imos', ['ir']], ['an', ['ar']], ['en', ['er', 'ir']], ['as', ['ar']], ['es', ['er', 'ir']], ['a', ['ar']], ['e', ['er', 'ir']], ['o', ['ar', 'er', 'ir']]],
  fr: [['issent', ['ir']], ['issons', ['ir']], ['it', ['ir']], ['ent', ['er', 're']], ['ons', ['er', 're']], ['ez', ['er']], ['es', ['er']], ['e', ['er']], ['s', ['re', 'ir']]],
  de: [['st', ['en']], ['t', ['en']], ['e', ['en']]]
}

function lookupDictionary (d: WordLookup | undefined, lang: ForeignLanguage, w: string): string | undefined {
  if (d === undefined || w.length < 3) return undefined
  const exact = d.lookup(w)
  if (exact !== undefined) return exact
  for (const suffix of PLURALS[lang]) {
    if (w.length > suffix.length + 2 && w.endsWith(suffix)) {
      const hit = d.lookup(w.slice(0, -suffix.length))
      if (hit !== undefined) return hit
    }
  }
  for (const [ending, infinitives] of VERB_ENDINGS[lang]) {
    if (w.length <= ending.length + 2 || !w.endsWith(ending)) continue
    for (const inf of infinitives) {
      const hit = d.lookup(w.slice(0, -ending.length) + inf)
      if (hit !== undefined) return hit
    }
  }
  return undefined
}

/** The query to search with: English as it is, other languages rendered into English. */
export function translateQuery (text: string, dictionaries: Dictionaries = {}): TranslatedQuery {
  const { language } = detectLanguage(text)
  if (language === 'en') return { language, text }
  const english = toEnglish(text, language, dictionaries[language])
  return { language, text: english === '' ? text : english }
}
