// Bilingual dictionaries the user installed, in the dictd format (Debian's dict-freedict-spa-eng,
// -fra-eng, -deu-eng: `<base>.index` + `<base>.dict.dz`). They extend the glossary at run time for words
// it lacks. They are GPL and so are loaded from where the user put them, never shipped with the project.
// Both files are untrusted input: sizes are capped and every index entry is checked against the data.
import { existsSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { gunzipSync } from 'node:zlib'
import type { AbortOptions } from '../util/abort'
import { DictionaryError } from './errors'
import { fold, type ForeignLanguage } from './translate'

/** Largest index or compressed data file read. */
export const MAX_DICTIONARY_FILE_BYTES = 64 * 1024 * 1024
/** Largest decompressed data. */
export const MAX_DICTIONARY_DATA_BYTES = 256 * 1024 * 1024
/** Longest definition read for one word. */
const MAX_ENTRY_BYTES = 4096

export interface Dictionary {
  language: ForeignLanguage
  /** Words in the index. */
  readonly size: number
  /** The English for a folded word (its first one or two translations), or undefined. */
  lookup: (foldedWord: string) => string | undefined
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

/** dictd's base64 numbers (most significant digit first); NaN for anything else. */
function b64Number (s: string): number {
  if (s.length === 0 || s.length > 8) return NaN
  let n = 0
  for (const c of s) {
    const d = B64.indexOf(c)
    if (d < 0) return NaN
    n = n * 64 + d
  }
  return n
}

async function readCapped (file: string, options: AbortOptions): Promise<Buffer> {
  let st
  try {
    st = await stat(file)
  } catch (err) {
    throw new DictionaryError(`Cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}): check the dictionary path`)
  }
  if (!st.isFile()) throw new DictionaryError(`${file} is not a file`)
  if (st.size > MAX_DICTIONARY_FILE_BYTES) throw new DictionaryError(`${file} is ${st.size} bytes; dictionaries over ${MAX_DICTIONARY_FILE_BYTES} bytes are not loaded`)
  return await readFile(file, { signal: options.signal })
}

/** The first translation line of a dictd entry, tags and notes removed, at most two alternatives. */
export function firstTranslation (entry: string): string | undefined {
  const lines = entry.split('\n').slice(1).map(l => l.trim()).filter(l => l !== '')
  const line = lines.find(l => !l.startsWith('"') && !/^(?:see|Note|Synonyms):/i.test(l))
  if (line === undefined) return undefined
  const clean = line.replace(/<[^>]*>|\[[^\]]*\]|\{[^}]*\}|\([^)]*\)/g, ' ')
  const options = clean.split(/[,;]/).map(s => s.replace(/\s+/g, ' ').trim()).filter(s => s !== '' && s.split(' ').length <= 4)
  return options.length === 0 ? undefined : [...new Set(options.slice(0, 2))].join(' ')
}

/**
 * Loads `<base>.index` and `<base>.dict.dz` (or `<base>.dict`). Single-word headwords only; the first entry
 * of a word wins.
 */
export async function loadDictionary (base: string, language: ForeignLanguage, options: AbortOptions & { maxDataBytes?: number } = {}): Promise<Dictionary> {
  const maxData = options.maxDataBytes ?? MAX_DICTIONARY_DATA_BYTES
  const index = (await readCapped(`${base}.index`, options)).toString('utf8')
  let data: Buffer
  if (existsSync(`${base}.dict.dz`)) {
    const packed = await readCapped(`${base}.dict.dz`, options)
    try {
      data = gunzipSync(packed, { maxOutputLength: maxData })
    } catch (err) {
      throw new DictionaryError(`${base}.dict.dz is not a dictzip file or expands beyond ${maxData} bytes (${(err as Error).message})`)
    }
  } else {
    data = await readCapped(`${base}.dict`, options)
  }
  const entries = new Map<string, { offset: number, length: number }>()
  for (const line of index.split('\n')) {
    const [word, off, len] = line.split('\t')
    if (word === undefined || off === undefined || len === undefined || word.startsWith('00database') || word.includes(' ')) continue
    const offset = b64Number(off)
    const length = b64Number(len.trim())
    // An entry outside the data, or absurdly long, is skipped rather than trusted.
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || length <= 0 || offset + length > data.length) continue
    const key = fold(word)
    if (!entries.has(key)) entries.set(key, { offset, length: Math.min(length, MAX_ENTRY_BYTES) })
  }
  if (entries.size === 0) throw new DictionaryError(`${base}.index has no usable entries: is it a dictd index?`)
  const cache = new Map<string, string | undefined>()
  return {
    language,
    size: entries.size,
    lookup: (w) => {
      if (cache.has(w)) return cache.get(w)
      const e = entries.get(w)
      const en = e === undefined ? undefined : firstTranslation(data.subarray(e.offset, e.offset + e.length).toString('utf8'))
      if (cache.size < 10_000) cache.set(w, en)
      return en
    }
  }
}
