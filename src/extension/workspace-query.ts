// Builds a search query that describes the open workspace: project descriptions and keywords first
// (the embedder reads only the first ~256 word pieces), then the active editor's language and selection,
// the main dependencies, and the start of the README. No `vscode` import: the command gathers the
// files and tests call this directly.
import { MAX_QUERY_CHARS } from '../node'

export interface WorkspaceSources {
  /** Folder name, used when nothing else describes the project. */
  folderName?: string
  readme?: string
  packageJson?: string
  pyprojectToml?: string
  cargoToml?: string
  /** VS Code language id of the active editor (e.g. `typescript`). */
  language?: string
  selection?: string
}

/** Files read from each workspace folder root (first match of each group). */
export const SOURCE_FILES = {
  readme: ['README.md', 'README.rst', 'README.txt', 'README', 'readme.md'],
  packageJson: ['package.json'],
  pyprojectToml: ['pyproject.toml'],
  cargoToml: ['Cargo.toml']
} as const

const MAX_DEPENDENCIES = 25
const MAX_SELECTION_CHARS = 600
const MAX_README_CHARS = 1_200

/** Language ids whose name reads better spelled out. */
const LANGUAGE_NAMES: Record<string, string> = {
  typescript: 'TypeScript', typescriptreact: 'TypeScript React', javascript: 'JavaScript', javascriptreact: 'JavaScript React',
  python: 'Python', rust: 'Rust', go: 'Go', java: 'Java', csharp: 'C#', cpp: 'C++', c: 'C', ruby: 'Ruby', php: 'PHP',
  swift: 'Swift', kotlin: 'Kotlin', sql: 'SQL', html: 'HTML', css: 'CSS', markdown: 'Markdown', shellscript: 'shell script'
}

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

/** The query: what the project is, what it uses, what the user is looking at. Empty when nothing is known. */
export function buildWorkspaceQuery (src: WorkspaceSources): string {
  const infos = [
    src.packageJson !== undefined ? parsePackageJson(src.packageJson) : undefined,
    src.pyprojectToml !== undefined ? parsePyproject(src.pyprojectToml) : undefined,
    src.cargoToml !== undefined ? parseCargoToml(src.cargoToml) : undefined
  ].filter((x): x is ProjectInfo => x !== undefined)
  const parts: string[] = []
  const language = src.language !== undefined && src.language !== 'plaintext' ? (LANGUAGE_NAMES[src.language] ?? src.language) : undefined
  const descriptions = unique(infos.map(i => i.description?.trim()).filter((d): d is string => d !== undefined && d !== ''))
  const readme = src.readme !== undefined ? readmeText(src.readme) : ''
  if (descriptions.length > 0) parts.push(sentence(descriptions.join('. ')))
  else if (readme !== '') parts.push(sentence(clip(readme, 300)))
  else if (src.folderName !== undefined) parts.push(sentence(`A project named ${src.folderName}`))
  if (language !== undefined) parts.push(`Written in ${language}.`)
  const keywords = unique(infos.flatMap(i => i.keywords)).slice(0, 15)
  if (keywords.length > 0) parts.push(`Topics: ${keywords.join(', ')}.`)
  const selection = src.selection?.trim()
  if (selection !== undefined && selection !== '') parts.push(`Working on: ${clip(selection.replace(/\s+/g, ' '), MAX_SELECTION_CHARS)}`)
  const deps = unique(infos.flatMap(i => i.dependencies).filter(d => !d.startsWith('@types/'))).slice(0, MAX_DEPENDENCIES)
  if (deps.length > 0) parts.push(`Uses ${deps.join(', ')}.`)
  if (readme !== '' && descriptions.length > 0) parts.push(clip(readme, MAX_README_CHARS))
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
