// vectra LocalIndex interchange, read and written by hand so the product does not depend on vectra.
// A vectra index is a folder with index.json:
//   { version, metadata_config: { indexed? }, items: [{ id, metadata, vector: number[], norm, metadataFile? }] }
// When `indexed` is set, items keep only the indexed metadata keys inline and the full metadata sits in
// `<folder>/<metadataFile>`. Exports keep metadata flat (scalars) so vectra's filters work on it, with a
// `continuum: 1` marker so a round trip restores our fields exactly.
import { mkdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import { writeFileAtomic } from '../storage'
import { VectraFormatError } from './errors'
import type { EntryAttrs, IndexEntry, Location, StoredEntry } from './types'

export const VECTRA_INDEX_FILE = 'index.json'

export interface VectraImportOptions {
  signal?: AbortSignal
  /** Location given to imported entries that do not carry one (ours do). @default 'local' */
  location?: Location
  /** Called after each batch with the number of items processed so far. */
  onProgress?: (done: number, total: number) => void
}

export interface VectraImportResult {
  imported: number
  /** Items left out, with the reason (wrong dimensions, zero vector, bad metadata file). */
  skipped: Array<{ id: string, reason: string }>
}

export interface VectraExportResult {
  exported: number
  file: string
}

type Scalar = string | number | boolean

const itemSchema = z.object({
  id: z.string().min(1),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  vector: z.array(z.number()),
  norm: z.number().optional(),
  metadataFile: z.string().optional()
})

const indexSchema = z.object({
  version: z.number(),
  metadata_config: z.object({ indexed: z.array(z.string()).optional() }).passthrough().optional(),
  items: z.array(z.unknown())
})

const BATCH = 1000

function parseJson (text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

function str (v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined
}

function num (v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined
}

function strList (v: unknown): string[] | undefined {
  if (Array.isArray(v)) return v.every(s => typeof s === 'string') ? v : undefined
  if (typeof v !== 'string') return undefined
  const parsed = parseJson(v)
  if (Array.isArray(parsed) && parsed.every(s => typeof s === 'string')) return parsed as string[]
  return v.split(',').map(s => s.trim()).filter(s => s !== '')
}

/** Maps a vectra item's metadata to our entry fields (ours exactly; foreign metadata best effort). */
function fromMetadata (md: Record<string, unknown>, defaultLocation: Location): Omit<IndexEntry, 'id' | 'vector'> {
  const attrs: EntryAttrs = {}
  const kind = str(md.kind)
  const baseModel = str(md.baseModel)
  const specializations = strList(md.specializations)
  const rating = num(md.rating)
  const price = num(md.price)
  if (kind != null) attrs.kind = kind
  if (baseModel != null) attrs.baseModel = baseModel
  if (specializations != null) attrs.specializations = specializations
  if (rating != null) attrs.rating = rating
  if (price != null) attrs.price = price
  if (md.continuum === 1) {
    const entry: Omit<IndexEntry, 'id' | 'vector'> = {
      text: str(md.text) ?? '',
      attrs,
      location: md.location === 'remote' ? 'remote' : 'local',
      payload: typeof md.payload === 'string' ? parseJson(md.payload) ?? null : null
    }
    const from = strList(md.availableFrom)
    if (from != null) entry.availableFrom = from
    const cachedAt = num(md.cachedAt)
    if (cachedAt != null) entry.cachedAt = cachedAt
    return entry
  }
  // Foreign index: keyword text from the usual fields, else every string value.
  const named = ['name', 'title', 'text', 'description', 'tags'].map(k => md[k]).filter((v): v is string => typeof v === 'string')
  const text = (named.length > 0 ? named : Object.values(md).filter((v): v is string => typeof v === 'string')).join('\n')
  return { text, attrs, location: defaultLocation, payload: md }
}

/**
 * Reads a vectra folder and hands its items to `sink` in batches, as entries with our field mapping.
 * Items whose vectors do not fit `dimensions` are skipped and reported, not fatal.
 */
export async function importVectraFolder (folder: string, dimensions: number, sink: (batch: IndexEntry[]) => Promise<void>,
  options: VectraImportOptions = {}): Promise<VectraImportResult> {
  options.signal?.throwIfAborted()
  const file = path.join(folder, VECTRA_INDEX_FILE)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new VectraFormatError(`${folder} is not a vectra index: ${VECTRA_INDEX_FILE} is missing`)
    if (code === 'ERR_STRING_TOO_LONG') throw new VectraFormatError(`${file} is too large to read as one JSON document`)
    throw err
  }
  const raw = parseJson(text)
  const parsed = indexSchema.safeParse(raw)
  if (!parsed.success) throw new VectraFormatError(`${file} is not a vectra index: ${parsed.error.issues.slice(0, 3).map(i => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
  const items = parsed.data.items
  const skipped: VectraImportResult['skipped'] = []
  let imported = 0
  let batch: IndexEntry[] = []
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return
    await sink(batch)
    imported += batch.length
    batch = []
  }
  for (let i = 0; i < items.length; i++) {
    options.signal?.throwIfAborted()
    const item = itemSchema.safeParse(items[i])
    if (!item.success) {
      const id = (items[i] as { id?: unknown })?.id
      skipped.push({ id: typeof id === 'string' ? id : `#${i}`, reason: `malformed item: ${item.error.issues[0]?.message ?? 'invalid'}` })
      continue
    }
    const { id, vector, metadataFile } = item.data
    let metadata: Record<string, unknown> = item.data.metadata ?? {}
    if (vector.length !== dimensions) { skipped.push({ id, reason: `vector has ${vector.length} dimensions, expected ${dimensions}` }); continue }
    if (!vector.some(x => x !== 0)) { skipped.push({ id, reason: 'vector is all zeros' }); continue }
    if (metadataFile != null) {
      // The name comes from the file: refuse anything that would leave the folder.
      if (path.basename(metadataFile) !== metadataFile || metadataFile.startsWith('.')) { skipped.push({ id, reason: `unsafe metadataFile ${metadataFile}` }); continue }
      const full = parseJson(await readFile(path.join(folder, metadataFile), 'utf8').catch(() => ''))
      if (full == null || typeof full !== 'object' || Array.isArray(full)) { skipped.push({ id, reason: `metadata file ${metadataFile} is missing or not JSON` }); continue }
      metadata = { ...metadata, ...(full as Record<string, unknown>) }
    }
    batch.push({ id, vector, ...fromMetadata(metadata, options.location ?? 'local') })
    if (batch.length >= BATCH) {
      await flush()
      options.onProgress?.(i + 1, items.length)
    }
  }
  await flush()
  options.onProgress?.(items.length, items.length)
  return { imported, skipped }
}

/** vectra metadata for one of our entries: flat scalars (so vectra filters apply) plus JSON for the rest. */
function toMetadata (e: StoredEntry): Record<string, Scalar> {
  const md: Record<string, Scalar> = { continuum: 1, text: e.text, location: e.location }
  if (e.attrs.kind != null) md.kind = e.attrs.kind
  if (e.attrs.baseModel != null) md.baseModel = e.attrs.baseModel
  if (e.attrs.specializations != null) md.specializations = JSON.stringify(e.attrs.specializations)
  if (e.attrs.rating != null) md.rating = e.attrs.rating
  if (e.attrs.price != null) md.price = e.attrs.price
  if (e.availableFrom != null) md.availableFrom = JSON.stringify(e.availableFrom)
  if (e.cachedAt != null) md.cachedAt = e.cachedAt
  md.payload = JSON.stringify(e.payload ?? null)
  return md
}

/** Writes `entries` as `<folder>/index.json` in vectra's format (atomically, streamed in chunks). */
export async function exportVectraFolder (folder: string, entries: Iterable<StoredEntry>, options: { signal?: AbortSignal } = {}): Promise<VectraExportResult> {
  options.signal?.throwIfAborted()
  await mkdir(folder, { recursive: true })
  const file = path.join(folder, VECTRA_INDEX_FILE)
  let exported = 0
  function * chunks (): Generator<string> {
    yield '{"version":1,"metadata_config":{},"items":['
    let part = ''
    for (const e of entries) {
      const vector = Array.from(e.vector)
      let ss = 0
      for (const x of vector) ss += x * x
      part += (exported > 0 ? ',' : '') + JSON.stringify({ id: e.id, metadata: toMetadata(e), vector, norm: Math.sqrt(ss) })
      exported++
      if (part.length > 1 << 20) { yield part; part = '' }
    }
    yield part + ']}'
  }
  await writeFileAtomic(file, chunks(), options)
  return { exported, file }
}
