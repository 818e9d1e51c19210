// The search bench's catalog: adapter entries with realistic text and vectors, built from the demo catalog
// (data/sample-catalog/catalog.jsonl) and the public-derived descriptions (/work/shared/data/adapter-descriptions,
// read at bench time, never copied into the repo).
//
// Real MiniLM embeddings for 100k texts take too long on 2 cores, so BASE_TEXTS texts are embedded for real
// (every real description, plus recombinations of their sentences), and every other entry is derived from
// two of them: its text mixes their names, sentences and tags, and its vector is the normalised weighted
// sum of their vectors plus a little noise. Base vectors and query vectors are cached under bench/results/.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { createEmbedder } from '../../src/node/embedding'
import type { IndexEntry } from '../../src/node/vector-index'
import { seededRandom as rng } from '../_random'
import { note } from '../_report'

export const DIMS = 384
/** Texts embedded with the real model; the rest of the catalog is derived from these. */
export const BASE_TEXTS = 2000
export const QUERY_COUNT = 200
const CACHE_VERSION = 1

const PUBLIC_DESCRIPTIONS = '/work/shared/data/adapter-descriptions/catalog.jsonl'

interface Source { id: string, name: string, description: string, kind: string, baseModel: string, tags: string[] }

export interface Base { texts: string[], sources: Source[], vectors: Float32Array[] }
export interface Query { text: string, vector: Float32Array, kind: 'name' | 'tag' | 'description' }

function readSources (root: string): Source[] {
  const files = [path.join(root, 'data', 'sample-catalog', 'catalog.jsonl')]
  if (existsSync(PUBLIC_DESCRIPTIONS)) files.push(PUBLIC_DESCRIPTIONS)
  else note(`search: ${PUBLIC_DESCRIPTIONS} not found; using the demo catalog only`)
  const out: Source[] = []
  const seen = new Set<string>()
  for (const f of files) {
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      if (line.trim() === '') continue
      const r = JSON.parse(line) as { id?: string, name?: string, description?: string, kind?: string, baseModel?: string, specializations?: string[], capabilities?: string[] }
      if (typeof r.id !== 'string' || typeof r.description !== 'string' || seen.has(r.id)) continue
      seen.add(r.id)
      out.push({
        id: r.id,
        name: r.name ?? r.id,
        description: r.description,
        kind: r.kind ?? (r.capabilities?.includes('persona') === true ? 'persona' : 'lora'),
        baseModel: r.baseModel ?? 'meta-llama/Meta-Llama-3-8B-Instruct',
        tags: [...(r.specializations ?? []), ...(r.capabilities ?? [])].filter(t => typeof t === 'string')
      })
    }
  }
  return out
}

function sentences (s: string): string[] {
  return s.split(/(?<=[.!?])\s+/u).filter(x => x.trim() !== '')
}

/** Entry text in the shape the catalog indexes: name, description, tags. */
function textOf (id: string, name: string, description: string, tags: string[]): string {
  return [id, name, description, tags.join(', ')].join('\n')
}

/** A recombined description: sentences of `a` with some of `b`'s, `a`'s tags and a few of `b`'s. */
function mix (a: Source, b: Source, r: () => number): { description: string, tags: string[] } {
  const sa = sentences(a.description)
  const sb = sentences(b.description)
  const picked = sa.filter(() => r() < 0.75)
  if (picked.length === 0) picked.push(sa[0])
  for (const s of sb) if (r() < 0.25) picked.push(s)
  const tags = [...a.tags.filter(() => r() < 0.8), ...b.tags.filter(() => r() < 0.2)]
  return { description: picked.join(' '), tags }
}

function cachePath (root: string, what: string): string {
  return path.join(root, 'bench', 'results', `search-v${CACHE_VERSION}-${what}.bin`)
}

function saveVectors (file: string, texts: string[], vectors: Float32Array[]): void {
  mkdirSync(path.dirname(file), { recursive: true })
  const json = Buffer.from(JSON.stringify(texts))
  const head = Buffer.alloc(8)
  head.writeUInt32LE(json.length, 0)
  head.writeUInt32LE(vectors.length, 4)
  const body = Buffer.alloc(vectors.length * DIMS * 4)
  vectors.forEach((v, i) => body.set(new Uint8Array(v.buffer, v.byteOffset, DIMS * 4), i * DIMS * 4))
  writeFileSync(file, Buffer.concat([head, json, body]))
}

function loadVectors (file: string, texts: string[]): Float32Array[] | null {
  if (!existsSync(file)) return null
  const buf = readFileSync(file)
  const len = buf.readUInt32LE(0)
  const n = buf.readUInt32LE(4)
  if (buf.subarray(8, 8 + len).toString() !== JSON.stringify(texts)) return null
  const out: Float32Array[] = []
  for (let i = 0; i < n; i++) out.push(new Float32Array(buf.buffer.slice(buf.byteOffset + 8 + len + i * DIMS * 4, buf.byteOffset + 8 + len + (i + 1) * DIMS * 4)))
  return out
}

export interface Corpus {
  base: Base
  queries: Query[]
  /** Embedding time per query text, in ms (measured on a fresh run; from the cache otherwise). */
  embedMs: number[]
  entry: (i: number) => IndexEntry
}

/** Loads or builds (embedding with the real model) the base texts and queries. */
export async function loadCorpus (root: string): Promise<Corpus> {
  const sources = readSources(root)
  const r = rng(2020)
  const baseSources: Source[] = []
  const texts: string[] = []
  for (let i = 0; i < BASE_TEXTS; i++) {
    const a = sources[i % sources.length]
    if (i < sources.length) {
      baseSources.push(a)
      texts.push(textOf(a.id, a.name, a.description, a.tags))
    } else {
      const m = mix(a, sources[Math.floor(r() * sources.length)], r)
      const s = { ...a, id: `${a.id}-v${i}`, description: m.description, tags: m.tags }
      baseSources.push(s)
      texts.push(textOf(s.id, s.name, s.description, s.tags))
    }
  }
  // Queries people type: an adapter's name, one of its tags, or what they are building in their own words
  // (approximated by a fragment of a description).
  const queryTexts: Array<{ text: string, kind: Query['kind'] }> = []
  const rq = rng(77)
  for (let i = 0; i < QUERY_COUNT; i++) {
    const s = sources[Math.floor(rq() * sources.length)]
    const kind: Query['kind'] = i % 4 === 0 ? 'name' : i % 4 === 1 ? 'tag' : 'description'
    if (kind === 'name') queryTexts.push({ text: s.name, kind })
    else if (kind === 'tag' && s.tags.length > 0) queryTexts.push({ text: s.tags[Math.floor(rq() * s.tags.length)], kind })
    else {
      const words = s.description.split(/\s+/u)
      const start = Math.floor(rq() * Math.max(1, words.length - 10))
      queryTexts.push({ text: `I need something that ${words.slice(start, start + 6 + Math.floor(rq() * 6)).join(' ').replace(/[.,;:]$/u, '')}`, kind: 'description' })
    }
  }
  const baseFile = cachePath(root, 'base')
  const queryFile = cachePath(root, 'queries')
  let vectors = loadVectors(baseFile, texts)
  let queryVectors = loadVectors(queryFile, queryTexts.map(q => q.text))
  let embedMs: number[] = []
  const timesFile = cachePath(root, 'embed-times').replace(/\.bin$/u, '.json')
  if (vectors == null || queryVectors == null) {
    const embedder = createEmbedder({ idleTimeoutMs: 0 })
    try {
      await embedder.load()
      if (vectors == null) {
        note(`search: embedding ${texts.length} base texts with the real model (cached afterwards)`)
        vectors = await embedder.embed(texts, { onProgress: (d, t) => { if (d % 500 < 32) note(`  ${d}/${t}`) } })
        saveVectors(baseFile, texts, vectors)
      }
      // Queries one at a time, as a user's search does, so the per-query embed time is real.
      const qv: Float32Array[] = []
      for (const q of queryTexts) {
        const t = performance.now()
        qv.push(await embedder.embedOne(q.text))
        embedMs.push(performance.now() - t)
      }
      queryVectors = qv
      saveVectors(queryFile, queryTexts.map(q => q.text), qv)
      writeFileSync(timesFile, JSON.stringify(embedMs))
    } finally {
      await embedder.close()
    }
  } else if (existsSync(timesFile)) {
    embedMs = JSON.parse(readFileSync(timesFile, 'utf8')) as number[]
  }
  const base: Base = { texts, sources: baseSources, vectors }
  const queries = queryTexts.map((q, i) => ({ ...q, vector: queryVectors[i] }))
  return { base, queries, embedMs, entry: (i) => entryFor(base, i) }
}

/** Entry i: a base entry for i < BASE_TEXTS, else derived from two base entries (deterministic in i). */
export function entryFor (base: Base, i: number): IndexEntry {
  const n = base.texts.length
  const attrsOf = (s: Source): IndexEntry['attrs'] => ({ kind: s.kind, baseModel: s.baseModel, specializations: s.tags.slice(0, 4), rating: (i % 50) / 10, price: i % 7 === 0 ? 5 : 0 })
  if (i < n) {
    const s = base.sources[i]
    return { id: s.id, vector: base.vectors[i], text: base.texts[i], attrs: attrsOf(s), location: 'local', payload: { name: s.name } }
  }
  const r = rng(i * 2654435761 + 1)
  const ai = Math.floor(r() * n)
  const bi = Math.floor(r() * n)
  const a = base.sources[ai]
  const b = base.sources[bi]
  const m = mix(a, b, r)
  const id = `${a.id.replace(/-v\d+$/u, '')}-${i}`
  const name = `${a.name} ${['Lite', 'Pro', 'Mini', 'XL', 'v2', 'v3', 'Plus', 'Turbo'][i % 8]}`
  const va = base.vectors[ai]
  const vb = base.vectors[bi]
  const v = new Float32Array(DIMS)
  let ss = 0
  for (let d = 0; d < DIMS; d++) { v[d] = 0.85 * va[d] + 0.3 * vb[d] + (r() * 2 - 1) * 0.03; ss += v[d] * v[d] }
  const inv = 1 / Math.sqrt(ss)
  for (let d = 0; d < DIMS; d++) v[d] *= inv
  return { id, vector: v, text: textOf(id, name, m.description, m.tags), attrs: attrsOf(a), location: 'local', payload: { name } }
}
