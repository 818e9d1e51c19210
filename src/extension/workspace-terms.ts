// Which words of a workspace say what the project is about. Every source (README prose, manifest
// description and keywords, the open file's comments and identifiers, dependency names) yields words; a word
// scores by how telling its sources are and how many of them agree, minus words that describe any project
// ("app", "bot", "helper", "summary", …), code keywords and infrastructure dependencies. No `vscode` import.

/** How much one occurrence in each source counts (a project's own description says more than its code). */
export const SOURCE_WEIGHTS = {
  description: 3,
  keywords: 3,
  readme: 1.5,
  comments: 1,
  identifiers: 0.6,
  dependencies: 0.8
} as const

export type TermSource = keyof typeof SOURCE_WEIGHTS

/**
 * Words that fit almost any project, so they pull a query towards whatever adapter happens to use them
 * ("a support bot" ~ every bot, "risk summary" ~ every summariser). Dropped from the key terms and from the
 * description sentence.
 */
export const GENERIC_WORDS = new Set(('app apps application applications bot bots helper helpers tool tools toolkit utility utilities ' +
  'util utils service services project projects system systems platform module modules library lib package packages ' +
  'simple small tiny basic easy fast quick lightweight modern new best better awesome powerful smart ai intelligent ' +
  'summary summaries summarize summarise overview risk risks report reports data info information content stuff ' +
  'tracker trackers handler handlers process processing work works working based using uses use used user users ' +
  'feature features support supports supported example examples sample demo test tests testing todo fixme note notes ' +
  'code source file files folder config configuration setup install run runs running build built start started ' +
  'batch batches day days time times date dates record records entry entries list lists log logs status state value ' +
  'version release readme license mit docs documentation api apis client server backend frontend web online').split(' '))

/** Function words in English, Spanish, French and German (README prose comes in all of them). */
const STOP_WORDS = new Set(('a an the and or but nor of to in on at by for from with without into onto over under about as is are was ' +
  'were be been being it its this that these those there here which who whom whose what when where why how all any ' +
  'each every some such no not only own same so than too very can will just should would could may might must do ' +
  'does did done has have had having i me my we our ours you your yours he she they them their his her also more most ' +
  'other others then once again further up down out off if else while because until via per etc e g ie eg one two ' +
  'let lets get gets got make makes made like want wants need needs keep keeps way ways thing things lot lots ' +
  // Common verbs and adjectives of README prose that describe no domain.
  'find finds found known show shows see look looks give gives take takes put puts pull pulls push pushes ' +
  'track tracks tracked add adds added allow allows let help helps provide provides provided include includes ' +
  'including write writes read reads create creates call calls called open opens set sets turn turns go goes ' +
  'pain point points issue issues problem problems thing good great well easy hard high low many much first last ' +
  'next back full part parts able currently today yet still already always often every everything something ' +
  'anything nothing everyone someone people team teams our yours free open-source welcome please thanks ' +
  'el la los las un una unos unas y o de del al en con sin por para que se su sus es son como más muy este esta ' +
  'le les des du et ou à au aux dans sur pour par avec sans qui est sont ce cette ces nos vos notre votre plus ' +
  'der die das den dem des ein eine einen einem einer und oder zu im in am auf für mit ohne von vom zum zur ist sind ' +
  'wir ihr sie es unser unsere unseren euer dieser diese dieses auch noch nur nicht').split(' '))

/** Words every program is made of. */
const CODE_WORDS = new Set(('function func fn def class struct enum interface type types impl trait const let var val mut ' +
  'return returns async await yield import export from require module package public private protected static ' +
  'void int float double bool boolean string str number char byte bytes list dict map set array vec option result ' +
  'null nil none undefined true false self this new delete try catch except finally throw throws raise error errors ' +
  'err ok if else elif switch case default for while loop break continue do in of is not and or main init args ' +
  'kwargs params param value values key keys item items index len length size count id ids name names obj object ' +
  'objects tmp temp foo bar baz todo fixme xxx console log print println printf debug info warn fmt std core http ' +
  'https www com org src lib test tests spec mock expect assert describe it should').split(' '))

/** Dependencies that any service might use: they say how it is built, not what it is for. */
const INFRA_DEPENDENCIES = new Set(('express fastify koa hapi next nuxt react react-dom vue svelte angular lodash underscore ' +
  'axios node-fetch got dotenv zod yup joi uuid nanoid chalk debug commander yargs minimist cors body-parser ' +
  'typescript tslib eslint prettier jest vitest mocha chai sinon ts-node tsx nodemon webpack vite esbuild rollup ' +
  'babel core-js regenerator-runtime date-fns dayjs moment winston pino morgan ' +
  'requests httpx flask fastapi django starlette uvicorn gunicorn pydantic click typer python-dotenv pytest ' +
  'setuptools wheel black ruff mypy numpy six attrs rich tqdm pyyaml ' +
  'serde serde_json serde_derive tokio anyhow thiserror clap log env_logger tracing tracing-subscriber ' +
  'futures async-trait reqwest hyper axum actix-web rand chrono once_cell lazy_static regex itertools').split(' '))

export interface WeightedTerm { term: string, weight: number }

/** Lower-case words of `text`, camelCase and snake_case split, accents kept. */
export function words (text: string): string[] {
  return text
    .replace(/([\p{Ll}\p{N}])(\p{Lu})/gu, '$1 $2')
    .replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, '$1 $2')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(w => w.length > 1)
}

/** Whether a word carries meaning of its own in a query (not a function word, code keyword or generic word). */
export function isTelling (word: string): boolean {
  return word.length > 2 && !/^\d+$/.test(word) && !STOP_WORDS.has(word) && !CODE_WORDS.has(word) && !GENERIC_WORDS.has(word)
}

/** The telling words of a sentence, in order: the description without "app", "helper" and the like. */
export function withoutGenericWords (sentence: string): string {
  return sentence.split(/\s+/).filter(tok => {
    const w = tok.toLowerCase().replace(/[^\p{L}\p{N}-]+/gu, '')
    return w === '' || !GENERIC_WORDS.has(w)
  }).join(' ').replace(/\s+([,.;:!?])/g, '$1').replace(/^[,.;:\s]+/, '').trim()
}

/** Comments of a source file (line and block comments, Python docstrings), in order. */
export function codeComments (code: string): string {
  const out: string[] = []
  const re = /\/\*+([\s\S]*?)\*\/|(?:^|[^:"'\\])\/\/+([^\n]*)|(?:^|\s)#(?![!{[])([^\n]*)|"""([\s\S]*?)"""|'''([\s\S]*?)'''/g
  for (const m of code.matchAll(re)) {
    const text = m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5] ?? ''
    out.push(text.replace(/^\s*\*+/gm, ' '))
  }
  return out.join(' ')
}

/** Identifiers declared or used in code, with comments and string literals removed. */
export function codeIdentifiers (code: string): string {
  const bare = code
    .replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|"""[\s\S]*?"""|'''[\s\S]*?'''/g, ' ')
    .replace(/(?:^|\s)#[^\n]*/g, ' ')
    .replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`/g, ' ')
  return (bare.match(/[A-Za-z_][A-Za-z0-9_]{2,}/g) ?? []).join(' ')
}

/** Dependency names as words, without infrastructure packages (scopes and `-js`/`py` affixes dropped). */
export function dependencyWords (deps: string[]): string[] {
  const out: string[] = []
  for (const d of deps) {
    const full = d.toLowerCase()
    if (full.startsWith('@types/') || full.startsWith('@babel/') || full.startsWith('eslint')) continue
    const name = full.replace(/^@[^/]+\//, '')
    if (INFRA_DEPENDENCIES.has(name)) continue
    out.push(name.replace(/(?:-js|\.js)$/g, ''))
  }
  return out
}

/**
 * Scores every telling word: the sum over sources of (source weight × occurrences, capped at 3 per source, so
 * a word repeated all over one file does not drown the others), times 1.5 for each further source that uses
 * it. Best first; ties keep the order of first appearance.
 */
export function weighTerms (sources: Partial<Record<TermSource, string>>): WeightedTerm[] {
  const scores = new Map<string, { weight: number, sources: number, first: number }>()
  let order = 0
  for (const [source, text] of Object.entries(sources) as Array<[TermSource, string | undefined]>) {
    if (text === undefined || text === '') continue
    const counts = new Map<string, number>()
    for (const w of words(text)) if (isTelling(w)) counts.set(w, (counts.get(w) ?? 0) + 1)
    for (const [w, n] of counts) {
      const s = scores.get(w) ?? { weight: 0, sources: 0, first: order++ }
      s.weight += SOURCE_WEIGHTS[source] * Math.min(n, 3)
      s.sources++
      scores.set(w, s)
    }
  }
  // A plural counts for its singular ("jobs" → "job"): one word, said once.
  for (const [w, s] of [...scores]) {
    const one = scores.get(w.slice(0, -1))
    if (w.endsWith('s') && one !== undefined) {
      one.weight += s.weight
      one.sources = Math.max(one.sources, s.sources)
      scores.delete(w)
    }
  }
  return [...scores.entries()]
    .map(([term, s]) => ({ term, weight: s.weight * 1.5 ** (s.sources - 1), first: s.first }))
    .sort((a, b) => b.weight - a.weight || a.first - b.first)
    .map(({ term, weight }) => ({ term, weight }))
}
