// The bench corpus: the demo catalog (in the repo) plus the public-derived descriptions, which are read from
// ../shared at run time and never copied into the repo. The latter lack the release fields a manifest needs
// (version, kind, licence, size, hash), which do not affect ranking: fixed placeholders fill them in.
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'

export interface CorpusLine { id: string, name: string, domain: string, line: string }

const PLACEHOLDERS = {
  version: '1.0.0',
  license: 'other',
  sizeBytes: 0,
  contentHash: 'sha256-' + '0'.repeat(64)
}

const SLUG = /[^a-z0-9/-]+/g

export function loadCorpus (root: string): { lines: CorpusLine[], sources: string[] } {
  const sources: string[] = []
  const lines: CorpusLine[] = []
  const sample = path.join(root, 'data/sample-catalog/catalog.jsonl')
  sources.push(sample)
  for (const raw of readFileSync(sample, 'utf8').split('\n')) {
    if (raw.trim() === '') continue
    const j = JSON.parse(raw) as { id: string, name: string, domain: string }
    lines.push({ id: j.id, name: j.name, domain: j.domain, line: raw })
  }
  const shared = process.env.CONTINUUM_ADAPTER_DESCRIPTIONS ?? path.resolve(root, '../../shared/data/adapter-descriptions/catalog.jsonl')
  const fallback = '/work/shared/data/adapter-descriptions/catalog.jsonl'
  const file = existsSync(shared) ? shared : existsSync(fallback) ? fallback : undefined
  if (file === undefined) throw new Error('The public-derived descriptions were not found: set CONTINUUM_ADAPTER_DESCRIPTIONS to their catalog.jsonl')
  sources.push(file)
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    if (raw.trim() === '') continue
    const j = JSON.parse(raw) as Record<string, unknown> & { id: string, name: string, domain: string, capabilities?: string[] }
    const { source: _s, ...fields } = j
    const persona = (j.capabilities ?? []).includes('persona')
    const full = { ...fields, ...PLACEHOLDERS, kind: persona ? 'persona' : 'lora', domain: j.domain.toLowerCase().replace(SLUG, '-') }
    lines.push({ id: j.id, name: j.name, domain: full.domain, line: JSON.stringify(full) })
  }
  return { lines, sources }
}
