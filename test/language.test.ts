// Cross-language search, offline: Spanish, French and German queries find the English adapters that match
// them (the glossary renders the query into English words for the English-only embedder and BM25), and
// English queries are left alone.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import type { AdapterCatalog } from '../src/node/catalog/catalog'
import { detectLanguage, firstTranslation, loadDictionary, translateQuery } from '../src/node/language'
import { tempDir } from './helpers/mesh'
import { openDemoCatalog, type DemoCatalog } from './helpers/demo-catalog'

let demo: DemoCatalog
let catalog: AdapterCatalog

before(async () => {
  demo = await openDemoCatalog()
  catalog = demo.catalog
})

after(async () => { await demo.close() })

const CASES = [
  { lang: 'es', q: 'elaboración de cerveza artesanal en casa', want: ['brewing-beer-2023', 'craft-beer-styles'], not: ['wine-basics', 'wine-sommelier-v1'] },
  { lang: 'es', q: 'mi casero no me devuelve la fianza del alquiler', want: ['tenant-rights-advisor'], not: [] },
  { lang: 'fr', q: 'accords mets et vins pour un dîner', want: ['wine-sommelier-v1'], not: ['brewing-beer-2023'] },
  { lang: 'fr', q: 'les pods de mon cluster Kubernetes redémarrent sans cesse', want: ['kubernetes-troubleshooter'], not: [] },
  { lang: 'de', q: 'langsame SQL-Abfragen in PostgreSQL beschleunigen', want: ['sql-query-optimizer'], not: [] },
  { lang: 'de', q: 'mein Hund zieht an der Leine, wie erziehe ich ihn', want: ['dog-training-coach'], not: [] }
] as const

for (const c of CASES) {
  test(`${c.lang}: "${c.q}" finds ${c.want.join(' / ')} in the top 3`, async () => {
    const res = await catalog.search({ text: c.q, k: 10 })
    const top = res.hits.slice(0, 3).map(h => h.manifest.id)
    assert.equal(res.language, c.lang)
    assert.ok(top.some(id => (c.want as readonly string[]).includes(id)), `searched as "${res.searchText}": ${top.join(', ')}`)
    assert.deepEqual(top.filter(id => (c.not as readonly string[]).includes(id)), [], `searched as "${res.searchText}"`)
  })
}

test('English queries, names and tags are searched as typed', async () => {
  for (const q of ['Jigsaw Toxic Comment Detector', 'make better pour-over coffee at home', 'back pain exercises', 'Race Condition Expert', 'plan a menu for a party', 'SQL', 'sommelier']) {
    assert.deepEqual(translateQuery(q), { language: 'en', text: q }, q)
  }
  const res = await catalog.search({ text: 'Race Condition Expert', k: 3 })
  assert.equal(res.language, 'en')
  assert.equal(res.hits[0].manifest.id, 'race-condition-expert')
})

test('translation keeps unknown words (names, technical terms), drops function words, splits German compounds', () => {
  assert.equal(translateQuery('optimizar consultas SQL lentas en PostgreSQL').text, 'optimize query SQL slow PostgreSQL')
  assert.equal(translateQuery('Kundenbewertungen nach positiv und negativ sortieren').text, 'customer reviews positive negative sort')
  assert.equal(detectLanguage('pourquoi les feuilles de mes tomates jaunissent').language, 'fr')
})

// ---- dictionaries the user installed (dictd format, as Debian's dict-freedict-* ship them) ----

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const b64 = (n: number): string => { let s = ''; do { s = B64[n % 64] + s; n = Math.floor(n / 64) } while (n > 0); return s }

/** Writes `<dir>/<name>.index` + `.dict.dz` with these entries (plus raw extra index lines). */
async function writeDictd (dir: string, name: string, entries: Array<[string, string]>, extraIndex: string[] = []): Promise<string> {
  let data = ''
  const index: string[] = ['00databaseinfo\tA\tB']
  for (const [word, body] of entries) {
    const text = `${word} /x/\n${body}\n`
    index.push(`${word}\t${b64(Buffer.byteLength(data))}\t${b64(Buffer.byteLength(text))}`)
    data += text
  }
  const base = path.join(dir, name)
  await writeFile(`${base}.index`, [...index, ...extraIndex].join('\n') + '\n')
  await writeFile(`${base}.dict.dz`, gzipSync(Buffer.from(data)))
  return base
}

test('a user-installed dictionary fills words the glossary lacks; the glossary still wins where it knows the word', async () => {
  const dir = await tempDir()
  const base = await writeDictd(dir, 'spa-eng', [['vomitar', 'throw up <v>, vomit'], ['gato', 'tomcat'], ['quiere', 'wants']])
  const d = await loadDictionary(base, 'es')
  assert.equal(d.size, 3)
  assert.equal(translateQuery('mi gato vomita y no quiere comer').text, 'cat vomita quiere comer')
  // Only words the glossary lacks are looked up: "gato" stays "cat" (glossary), not the dictionary's "tomcat".
  // A conjugated verb finds its infinitive headword ("vomita" → "vomitar").
  const withDict = translateQuery('mi gato vomita y no quiere comer', { es: d })
  assert.equal(withDict.text, 'cat throw up vomit wants comer')
  assert.equal(firstTranslation('Gemüsebeet /x/ <neut, n, sg>\n [kleines] vegetable patch <n>, vegetable plot <n>\n see: {Gemüsebeete}\n'), 'vegetable patch vegetable plot')
})

test('attack: dictionary index entries pointing outside the data are skipped; a decompression bomb, a folder and garbage are refused with DictionaryError', async () => {
  const dir = await tempDir()
  const base = await writeDictd(dir, 'evil', [['bueno', 'good']], ['fuera\tBAAAAA\tBAAAAA', 'raro\t!!\t@@', 'largo\tA\tBAAAAAAAA'])
  const d = await loadDictionary(base, 'es')
  assert.equal(d.size, 1)
  assert.equal(d.lookup('fuera'), undefined)
  assert.equal(d.lookup('bueno'), 'good')
  // 8 MiB of zeros compress to a few KiB: refused once it expands past the cap.
  await writeFile(path.join(dir, 'bomb.index'), 'a\tA\tB\n')
  await writeFile(path.join(dir, 'bomb.dict.dz'), gzipSync(Buffer.alloc(8 * 1024 * 1024)))
  await assert.rejects(loadDictionary(path.join(dir, 'bomb'), 'es', { maxDataBytes: 1024 * 1024 }), { name: 'DictionaryError', message: /expands beyond/ })
  await mkdir(path.join(dir, 'folder.index'))
  await assert.rejects(loadDictionary(path.join(dir, 'folder'), 'es'), { name: 'DictionaryError', message: /not a file/ })
  await assert.rejects(loadDictionary(path.join(dir, 'missing'), 'es'), { name: 'DictionaryError', message: /Cannot read .*missing\.index \(ENOENT\)/ })
  await writeFile(path.join(dir, 'junk.index'), 'no tabs here\n')
  await writeFile(path.join(dir, 'junk.dict.dz'), 'not gzip')
  await assert.rejects(loadDictionary(path.join(dir, 'junk'), 'es'), { name: 'DictionaryError', message: /not a dictzip file/ })
})
