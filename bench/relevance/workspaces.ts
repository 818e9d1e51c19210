// The workspace fixtures (test/fixtures/workspaces) as a query group: each project judged against the
// whole bench corpus, with its near misses as traps. The query is what "Find Adapters for This Workspace"
// derives; the baselines get the raw files, as the measurement did (BM25 over README + manifest,
// plain cosine over README + manifest + the open file, truncated by the model at 256 word pieces).
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { SOURCE_FILES, type WorkspaceSources } from '../../src/extension/workspace-query'
import type { Judged } from './judgments'

export interface WorkspaceJudged extends Judged { fixture: string, sources: WorkspaceSources, raw: { manifests: string, file: string } }

const J: Array<{ fixture: string, rel: Judged['rel'], traps: string[] }> = [
  { fixture: 'kombucha-taproom', rel: { 'kombucha-fermentation': 3, 'vegetable-lacto-fermentation': 1, 'soft-drink-formulation': 1, 'food-safety-preservation': 1 }, traps: ['brewing-beer-2023', 'craft-beer-styles', 'brewery-quality-control', 'beer-expert-homebrew', 'craftbeer-master', 'mead-and-cider-making', 'winemaking-cellar-practices', 'fermentation-chemistry-v2'] },
  { fixture: 'soporte-tienda', rel: { 'customer-support-agent': 3, 'lora-land-customer-support': 3, 'support-ticket-triage': 2, 'sni-task573-air-dialogue': 1 }, traps: ['english-spanish-translator', 'sni-task530-europarl-en-es', 'sni-task531-europarl-es-en', 'sni-task171-en-es-questions', 'beto-spanish-sentiment', 'subtitle-translator', 'software-localization-i18n'] },
  { fixture: 'vineyard-blocks', rel: { 'viticulture-expert-v3': 3, 'vineyard-irrigation-planner': 3, 'grape-disease-identifier': 3, 'terroir-and-site-selection': 2, 'agricultural-crop-optimization': 1, 'precision-farming-data': 1, 'qtech-frost-protection': 1 }, traps: ['wine-basics', 'wine-sommelier-v1', 'wine-shop-recommender', 'sommelier-wine-pairing', 'vino-virtuoso', 'climbing-plants-guide', 'houseplant-vines-care', 'brewing-beer-2023'] },
  { fixture: 'cocktail-menu', rel: { 'bartending-basics-v2': 3, 'bar-menu-costing': 3, 'mixology-flavor-profiles': 2, 'cocktail-techniques': 2, 'mixology-advanced': 2, 'drink-mixing-pro': 2, 'cocktail-mixmaster': 2, 'actual-mixologist': 2, 'bargpt-mixology': 2 }, traps: ['soft-drink-formulation', 'craft-beer-styles', 'brewing-beer-2023', 'wine-shop-recommender', 'juice-and-smoothie-recipes', 'drinking-games'] },
  { fixture: 'vertragspruefung', rel: { 'contract-clause-reviewer': 3, 'legal-agreement-reviewer': 3, 'contract-assistant': 2, 'startup-tech-lawyer': 1, 'small-business-lawyer-na': 1 }, traps: ['german-grammar-coach', 'legal-translation-fr-en', 'sni-task117-en-de-questions', 'sni-task479-german-book-reviews'] },
  { fixture: 'job-runner', rel: { 'async-debugging-v2': 3, 'race-condition-expert': 2, 'message-queue-patterns': 1, 'node-express-backend': 1 }, traps: ['arduino-maker-helper', 'django-orm-helper', 'flutter-widget-helper', 'ansible-playbook-helper', 'git-workflow-helper', 'plant-identification-helper'] },
  { fixture: 'cellar-door', rel: { 'wine-sommelier-v1': 3, 'wine-shop-recommender': 3, 'sommelier-wine-pairing': 3, 'corkgpt-pairings': 2, 'the-sommelier-selection': 2, 'wine-basics': 2, 'vino-virtuoso': 1 }, traps: ['brewing-beer-2023', 'craft-beer-styles', 'tea-sommelier', 'specialty-coffee-barista', 'coffee-sommelier', 'vineyard-irrigation-planner'] }
]

export function loadWorkspaces (root: string): WorkspaceJudged[] {
  const base = path.join(root, 'test/fixtures/workspaces')
  return J.map(j => {
    const dir = path.join(base, j.fixture)
    const sources: WorkspaceSources = { folderName: j.fixture }
    for (const [field, names] of Object.entries(SOURCE_FILES) as Array<[keyof typeof SOURCE_FILES, readonly string[]]>) {
      const found = names.find(n => existsSync(path.join(dir, n)))
      if (found !== undefined) sources[field] = readFileSync(path.join(dir, found), 'utf8')
    }
    const codeDir = readdirSync(dir, { withFileTypes: true }).find(d => d.isDirectory())
    if (codeDir !== undefined) sources.activeFile = readFileSync(path.join(dir, codeDir.name, readdirSync(path.join(dir, codeDir.name))[0]), 'utf8')
    const manifests = [sources.readme, sources.packageJson, sources.pyprojectToml, sources.cargoToml].filter((x): x is string => x !== undefined).join('\n')
    return { ...j, group: 'intent' as const, q: '', fixture: j.fixture, sources, raw: { manifests, file: sources.activeFile ?? '' } }
  })
}
