// `continuum.lock.json`: what a project pins (name, version, CID, sha-256, size, publisher, install
// time), so `continuum genome install --project DIR` reproduces the same files anywhere. Read strictly
// (a malformed file is an error, never silently replaced) and written atomically (temp + rename).
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import { writeFileAtomic } from '../storage/atomic-file'
import { adapterFieldsSchema, publisherSchema } from '../manifest'
import { LOCKFILE_NAME, MAX_BUNDLE_BYTES } from './constants'
import { formatCid, looksLikeCid, parseCid } from './dag'
import { LockfileError, ProjectNotWritableError } from './errors'

// A lockfile comes with a cloned repository, so every field is an attack until checked: the id and
// version become a folder name (same charsets as the manifest schema: no separators, no `..`), the
// CID must parse, and the size is bounded like any bundle.
export const lockEntrySchema = z.object({
  /** The adapter id (slug): the folder name and the key. */
  name: adapterFieldsSchema.shape.id,
  /** The manifest's display name. */
  title: z.string().max(128).optional(),
  /** A semantic version (part of the folder name). */
  version: adapterFieldsSchema.shape.version,
  /** CIDv1 of the bundle (canonical form). */
  cid: z.string().min(8).max(128).refine(s => looksLikeCid(s) && formatCid(parseCid(s)) === s, 'must be a CIDv1 (bafy…)'),
  /** Lowercase hex SHA-256 of the bundle bytes. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Bundle size in bytes. */
  size: z.number().int().min(0).max(MAX_BUNDLE_BYTES),
  /** PeerId of the signer. */
  publisher: publisherSchema,
  installedAt: z.string().min(1).max(64)
}).strict()

export type LockEntry = z.infer<typeof lockEntrySchema>

const lockfileSchema = z.object({
  lockfileVersion: z.literal(1),
  adapters: z.record(z.string(), lockEntrySchema)
}).strict()

export type Lockfile = z.infer<typeof lockfileSchema>

export function lockfilePath (project: string): string {
  return path.join(project, LOCKFILE_NAME)
}

/** The project's lockfile, or an empty one when there is none. Throws LockfileError when malformed. */
export async function readLockfile (project: string): Promise<Lockfile> {
  const file = lockfilePath(project)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { lockfileVersion: 1, adapters: {} }
    throw new LockfileError(`Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw new LockfileError(`${file} is not valid JSON: fix it or delete it to start over`)
  }
  const parsed = lockfileSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new LockfileError(`${file} is malformed (${issue.path.join('.') || 'file'}: ${issue.message}): fix it or delete it to start over`)
  }
  for (const [key, e] of Object.entries(parsed.data.adapters)) {
    if (key !== e.name) throw new LockfileError(`${file} is malformed (adapters.${key}: the key must equal its name "${e.name}")`)
  }
  return parsed.data
}

/** Writes the lockfile atomically, adapters in name order (stable diffs). */
export async function writeLockfile (project: string, lock: Lockfile, options: { signal?: AbortSignal } = {}): Promise<void> {
  const adapters = Object.fromEntries(Object.keys(lock.adapters).sort().map(k => [k, lock.adapters[k]]))
  try {
    await writeFileAtomic(lockfilePath(project), JSON.stringify({ lockfileVersion: 1, adapters }, null, 2) + '\n', options)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOENT') throw new ProjectNotWritableError(`Cannot write ${lockfilePath(project)} (${code}): check the folder's permissions`)
    throw err
  }
}
