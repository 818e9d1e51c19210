// "Find Adapters for This Workspace" on small projects of our own, several of them near misses of popular
// domains (a kombucha taproom next to beer brewing, a Spanish-language support bot next to Spanish
// translators, a winery's tasting room next to vineyard management, a "helper app" next to every "*-helper"
// adapter). The query is built from the fixture's files exactly as the command builds it, and searched in the
// demo catalog with the real embedder: the right adapters must be in the top 3 and no near miss.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { AdapterCatalog } from '../src/node/catalog/catalog'
import { findSampleCatalog } from '../src/node/catalog/sample'
import { buildWorkspaceQuery, SOURCE_FILES, type WorkspaceSources } from '../src/extension/workspace-query'
import { codeComments, codeIdentifiers, weighTerms, withoutGenericWords } from '../src/extension/workspace-terms'
import { openDemoCatalog, type DemoCatalog } from './helpers/demo-catalog'

const sample = findSampleCatalog(__dirname)!
const root = path.dirname(path.dirname(path.dirname(sample)))
const fixtures = path.join(root, 'test/fixtures/workspaces')

let demo: DemoCatalog
let catalog: AdapterCatalog

before(async () => {
  demo = await openDemoCatalog()
  catalog = demo.catalog
})

after(async () => { await demo.close() })

/** What the command reads: the root files of SOURCE_FILES, and the open file (the fixture's one source file). */
function sourcesOf (name: string): WorkspaceSources {
  const dir = path.join(fixtures, name)
  const src: WorkspaceSources = { folderName: name }
  for (const [field, names] of Object.entries(SOURCE_FILES) as Array<[keyof typeof SOURCE_FILES, readonly string[]]>) {
    const found = names.find(n => existsSync(path.join(dir, n)))
    if (found !== undefined) src[field] = readFileSync(path.join(dir, found), 'utf8')
  }
  const codeDir = readdirSync(dir, { withFileTypes: true }).find(d => d.isDirectory())
  if (codeDir !== undefined) {
    const file = readdirSync(path.join(dir, codeDir.name))[0]
    src.activeFile = readFileSync(path.join(dir, codeDir.name, file), 'utf8')
  }
  return src
}

// `todo`: known misses, kept visible (they run and print) without failing the suite.
const CASES: Array<{ fixture: string, want: string[], nearMisses: string[], todo?: string }> = [
  { fixture: 'kombucha-taproom', want: ['kombucha-fermentation'], nearMisses: ['brewing-beer-2023', 'craft-beer-styles', 'brewery-quality-control', 'mead-and-cider-making', 'soft-drink-formulation', 'winemaking-cellar-practices', 'fermentation-chemistry-v2', 'tea-sommelier'], todo: 'the demo catalog has one kombucha adapter; winemaking fermentation chemistry is the next closest by meaning and comes third' },
  { fixture: 'soporte-tienda', want: ['customer-support-agent', 'support-ticket-triage'], nearMisses: ['english-spanish-translator', 'subtitle-translator', 'software-localization-i18n', 'legal-translation-fr-en', 'medical-translation-pt'] },
  { fixture: 'vineyard-blocks', want: ['viticulture-expert-v3', 'vineyard-irrigation-planner', 'grape-disease-identifier'], nearMisses: ['wine-basics', 'wine-sommelier-v1', 'wine-shop-recommender', 'winemaking-cellar-practices', 'climbing-plants-guide', 'houseplant-vines-care', 'brewing-beer-2023'] },
  { fixture: 'cocktail-menu', want: ['bartending-basics-v2', 'mixology-flavor-profiles', 'bar-menu-costing', 'cocktail-techniques', 'mixology-advanced', 'drink-mixing-pro'], nearMisses: ['soft-drink-formulation', 'craft-beer-styles', 'brewing-beer-2023', 'wine-shop-recommender', 'juice-and-smoothie-recipes'] },
  { fixture: 'vertragspruefung', want: ['contract-clause-reviewer'], nearMisses: ['german-grammar-coach', 'legal-translation-fr-en', 'legal-citation-formatter'] },
  { fixture: 'job-runner', want: ['async-debugging-v2', 'race-condition-expert'], nearMisses: ['arduino-maker-helper', 'django-orm-helper', 'flutter-widget-helper', 'ansible-playbook-helper', 'git-workflow-helper', 'plant-identification-helper'] },
  { fixture: 'cellar-door', want: ['wine-sommelier-v1', 'wine-shop-recommender', 'wine-basics'], nearMisses: ['brewing-beer-2023', 'craft-beer-styles', 'tea-sommelier', 'specialty-coffee-barista', 'vineyard-irrigation-planner'] }
]

for (const c of CASES) {
  test(`workspace "${c.fixture}": the right adapter in the top 3 and no near miss there`, { todo: c.todo }, async () => {
    const query = buildWorkspaceQuery(sourcesOf(c.fixture))
    const top = (await catalog.search({ text: query, k: 10 })).hits.map(h => h.manifest.id)
    const shown = `query: ${query}\ntop: ${top.slice(0, 5).join(', ')}`
    assert.ok(top.slice(0, 3).some(id => c.want.includes(id)), shown)
    assert.deepEqual(top.slice(0, 3).filter(id => c.nearMisses.includes(id)), [], shown)
  })
}

test('generic words ("app", "bot", "helper", "summary", "risk") are left out of the query', () => {
  assert.equal(withoutGenericWords('Risk summary bot app for a kombucha taproom helper'), 'for a kombucha taproom')
  const q = buildWorkspaceQuery(sourcesOf('job-runner'))
  assert.doesNotMatch(q, /\b(app|helper)\b/i)
  // What is left says what the code is about: its comments are read.
  assert.match(q, /unhandled/)
  assert.match(q, /rejection/)
})

test('key terms: words several sources agree on come first; code keywords and string literals are not terms', () => {
  const file = '// Tracks second fermentation of kombucha\nconst label = "Lorem ipsum"\nexport function carbonationLevel (days: number): number { return days }'
  assert.match(codeComments(file), /second fermentation of kombucha/)
  assert.doesNotMatch(codeIdentifiers(file), /Lorem|fermentation/)
  const terms = weighTerms({ readme: 'A kombucha bar. Kombucha on tap.', comments: codeComments(file), identifiers: codeIdentifiers(file) }).map(t => t.term)
  assert.equal(terms[0], 'kombucha')
  assert.ok(terms.includes('carbonation'))
  for (const noise of ['const', 'export', 'function', 'number', 'return', 'lorem']) assert.ok(!terms.includes(noise), noise)
})
