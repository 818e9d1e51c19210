// Builds a search query that says what the open workspace is about: the project's own description (or the
// README's opening paragraph) with generic words taken out, its keywords, the selection, then the most telling
// words of the README, the open file's comments and identifiers and the dependency names (weighed in
// workspace-terms.ts). Kept short: the embedder averages over every word piece, so padding dilutes the
// meaning. No `vscode` import: the command gathers the files and tests call this directly.
import { MAX_QUERY_CHARS } from '../node'
import { codeComments, codeIdentifiers, dependencyWords, weighTerms, withoutGenericWords, words } from './workspace-terms'

export interface WorkspaceSources {
  /** Folder name, used when nothing else describes the project. */
  folderName?: string
  readme?: string
  packageJson?: string
  pyprojectToml?: string
  cargoToml?: string
  /**
   * VS Code language id of the active editor (e.g. `typescript`). Not put into the query: the programming
   * language pulls towards language tutors rather than towards what the project does.
   */
  language?: string
  selection?: string
  /** Text of the file open in the active editor (its comments and identifiers are weighed). */
  activeFile?: string
}

/** Files read from each workspace folder root (first match of each group). */
export const SOURCE_FILES = {
  readme: ['README.md', 'README.rst', 'README.txt', 'README', 'readme.md'],
  packageJson: ['package.json'],
  pyprojectToml: ['pyproject.toml'],
  cargoToml: ['Cargo.toml']
} as const

const MAX_DEPENDENCIES = 8
const MAX_SELECTION_CHARS = 600
const MAX_LEAD_CHARS = 300
/** Key terms appended to the query. */
const MAX_KEY_TERMS = 8
/** The best-weighted key terms, repeated even when the description already says them. */
const TOP_TERMS_REPEATED = 2
/** Only so much of the README and of the open file is read (a generated file can be huge). */
const MAX_SOURCE_CHARS = 20_000

interface ProjectInfo { name?: string, description?: string, keywords: string[], dependencies: string[] }

export function parsePackageJson (text: string): ProjectInfo {
  let pkg: Record<string, unknown>
  try {
    const v: unknown = JSON.parse(text)
    if (typeof v !== 'object' || v === null) return { keywords: [], dependencies: [] }
    pkg = v as Record<string, unknown>
  } catch {
    return { keywords: [], dependencies: [] }
  }
  const keys = (o: unknown): string[] => typeof o === 'object' && o !== null ? Object.keys(o) : []
  return {
    name: typeof pkg.name === 'string' ? pkg.name : undefined,
    description: typeof pkg.description === 'string' ? pkg.description : undefined,
    keywords: Array.isArray(pkg.keywords) ? pkg.keywords.filter((k): k is string => typeof k === 'string') : [],
    // Runtime dependencies say more about what the project does than its tooling does.
    dependencies: [...keys(pkg.dependencies), ...keys(pkg.peerDependencies)]
  }
}

/** Reads `key = "value"` in `[section]` of a TOML file (enough for descriptions; not a TOML parser). */
function tomlString (text: string, sections: string[], key: string): string | undefined {
  const section = tomlSection(text, sections)
  const m = section.match(new RegExp(`^\\s*${key}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|'([^']*)')`, 'm'))
  return m === null ? undefined : (m[1] ?? m[2])
}

function tomlSection (text: string, names: string[]): string {
  const lines = text.split(/\r?\n/)
  const out: string[] = []
  let inside = false
  for (const line of lines) {
    const header = line.match(/^\s*\[([^\]]+)\]\s*(?:#.*)?$/)
    if (header !== null) { inside = names.includes(header[1].trim()); continue }
    if (inside) out.push(line)
  }
  return out.join('\n')
}

function tomlStringArray (text: string, sections: string[], key: string): string[] {
  const section = tomlSection(text, sections)
  // The closing bracket ends its line (extras such as `pkg[extra]` sit inside the list).
  const m = section.match(new RegExp(`^\\s*${key}\\s*=\\s*\\[([\\s\\S]*?)\\]\\s*(?:#.*)?$`, 'm'))
  if (m === null) return []
  return [...m[1].matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'/g)].map(x => x[1] ?? x[2])
}

export function parsePyproject (text: string): ProjectInfo {
  const deps = tomlStringArray(text, ['project'], 'dependencies')
    .map(d => d.split(/[\s<>=!~;[(]/)[0])
    .filter(d => d !== '')
  // Poetry keeps them as keys of a table.
  const poetry = tomlSection(text, ['tool.poetry.dependencies']).split(/\r?\n/)
    .map(l => l.match(/^\s*([A-Za-z0-9_.-]+)\s*=/)?.[1])
    .filter((d): d is string => d !== undefined && d.toLowerCase() !== 'python')
  return {
    name: tomlString(text, ['project', 'tool.poetry'], 'name'),
    description: tomlString(text, ['project', 'tool.poetry'], 'description'),
    keywords: tomlStringArray(text, ['project', 'tool.poetry'], 'keywords'),
    dependencies: [...deps, ...poetry]
  }
}

export function parseCargoToml (text: string): ProjectInfo {
  const deps = tomlSection(text, ['dependencies']).split(/\r?\n/)
    .map(l => l.match(/^\s*([A-Za-z0-9_-]+)\s*=/)?.[1])
    .filter((d): d is string => d !== undefined)
  return {
    name: tomlString(text, ['package'], 'name'),
    description: tomlString(text, ['package'], 'description'),
    keywords: tomlStringArray(text, ['package'], 'keywords'),
    dependencies: deps
  }
}

/** The README's prose: no badges, images, HTML, code blocks, link targets or heading marks. */
export function readmeText (md: string): string {
  return md
    .replace(/```[\s\S]*?```/g, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/!\[[^\]]*\]\([^)]*\)/g, ' ')
    .replace(/\[!\[[^\]]*\]\([^)]*\)\]\([^)]*\)/g, ' ')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/^\s{0,3}(#{1,6}|[-*+>]|\d+\.)\s+/gm, '')
    .replace(/[`*_|]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
}

/** The README's first paragraph of prose (headings, badges and code skipped), as plain text. */
export function readmeLead (md: string): string {
  const blocks = md.replace(/```[\s\S]*?```/g, '\n\n').split(/\r?\n\s*\r?\n/)
  for (const block of blocks) {
    if (/^\s{0,3}#/.test(block)) continue
    const text = readmeText(block)
    if (text.split(/\s+/).length >= 4) return text
  }
  return ''
}

/** The query: what the project is for, what it is about, what the user is looking at. Empty when nothing is known. */
export function buildWorkspaceQuery (src: WorkspaceSources): string {
  const infos = [
    src.packageJson !== undefined ? parsePackageJson(src.packageJson) : undefined,
    src.pyprojectToml !== undefined ? parsePyproject(src.pyprojectToml) : undefined,
    src.cargoToml !== undefined ? parseCargoToml(src.cargoToml) : undefined
  ].filter((x): x is ProjectInfo => x !== undefined)
  const parts: string[] = []
  const descriptions = unique(infos.map(i => i.description?.trim()).filter((d): d is string => d !== undefined && d !== ''))
  const readmeMd = src.readme?.slice(0, MAX_SOURCE_CHARS)
  const lead = readmeMd !== undefined ? readmeLead(readmeMd) : ''
  const purpose = descriptions.length > 0 ? descriptions.join('. ') : clip(lead, MAX_LEAD_CHARS)
  const telling = withoutGenericWords(purpose)
  if (telling !== '') parts.push(sentence(telling))
  else if (src.folderName !== undefined) parts.push(sentence(`A project named ${src.folderName}`))
  const keywords = unique(infos.flatMap(i => i.keywords)).slice(0, 15)
  if (keywords.length > 0) parts.push(`Topics: ${keywords.join(', ')}.`)
  const selection = src.selection?.trim()
  if (selection !== undefined && selection !== '') parts.push(sentence(`Working on: ${clip(selection.replace(/\s+/g, ' '), MAX_SELECTION_CHARS)}`))
  const deps = dependencyWords(unique(infos.flatMap(i => i.dependencies))).slice(0, MAX_DEPENDENCIES)
  const file = src.activeFile?.slice(0, MAX_SOURCE_CHARS)
  const said = new Set(words(parts.join(' ')))
  const weighted = weighTerms({
    description: descriptions.join(' '),
    keywords: keywords.join(' '),
    readme: readmeMd !== undefined ? readmeText(readmeMd) : undefined,
    comments: file !== undefined ? codeComments(file) : undefined,
    identifiers: file !== undefined ? codeIdentifiers(file) : undefined,
    dependencies: deps.join(' ')
  })
  // The few words every source agrees on are said again (the embedder averages, so repetition is weight);
  // the rest only when not said yet.
  const terms = weighted.filter((t, i) => i < TOP_TERMS_REPEATED || !said.has(t.term)).slice(0, MAX_KEY_TERMS).map(t => t.term)
  if (terms.length > 0) parts.push(`About: ${terms.join(', ')}.`)
  if (deps.length > 0) parts.push(`Uses ${deps.join(', ')}.`)
  return clip(parts.join(' '), MAX_QUERY_CHARS - 1)
}

function sentence (s: string): string {
  const t = s.trim()
  return /[.!?]$/.test(t) ? t : `${t}.`
}

function clip (s: string, max: number): string {
  if (s.length <= max) return s
  const cut = s.slice(0, max)
  const space = cut.lastIndexOf(' ')
  return (space > max * 0.6 ? cut.slice(0, space) : cut).trimEnd() + '…'
}

function unique (xs: string[]): string[] {
  return [...new Set(xs)]
}
