// What a project's lockfile drives: finding an entry by any reference, listing what is installed
// (and whether each folder is intact), removing an adapter, and installing everything pinned.
import { rm } from 'node:fs/promises'
import path from 'node:path'
import type { InstallOptions, InstallResult, InstalledAdapter } from './api'
import { formatCid, looksLikeCid, parseCid } from './dag'
import { NotInstalledError } from './errors'
import { readLockfile, writeLockfile, type LockEntry, type Lockfile } from './lockfile'
import { adapterPath, existingAdaptersRoot } from './paths'
import { installedIntact, type ProjectLocks } from './project'
import { parseContentRef, type ContentRef } from './ref'

/** A lockfile entry by name, title, `name@version`, `publisher/name@version` or CID (any CID form). */
export function findLockEntry (lock: Lockfile, ref: string): LockEntry | undefined {
  const r = ref.trim()
  if (looksLikeCid(r)) {
    const cid = formatCid(parseCid(r))
    return Object.values(lock.adapters).find(e => e.cid === cid)
  }
  let parsed: ContentRef
  try { parsed = parseContentRef(r) } catch { return undefined }
  if (parsed.kind !== 'name') return undefined
  const lower = parsed.id.toLowerCase()
  return Object.values(lock.adapters).find(e => (e.name === lower || e.title?.toLowerCase() === lower) &&
    (parsed.version === undefined || e.version === parsed.version) && (parsed.publisher === undefined || e.publisher === parsed.publisher))
}

/** Installs every pinned adapter by its CID, checking the pinned sha-256 and publisher. */
export async function installFromLockfile (install: (ref: string, opts: InstallOptions) => Promise<InstallResult>, project: string, opts: Omit<InstallOptions, 'project' | 'expectSha256' | 'publisher'> = {}): Promise<InstallResult[]> {
  const dir = path.resolve(project)
  const lock = await readLockfile(dir)
  const out: InstallResult[] = []
  for (const e of Object.values(lock.adapters)) {
    // The pinned publisher too: the CID's bundle must be the one the lockfile names.
    out.push(await install(e.cid, { ...opts, project: dir, expectSha256: e.sha256, publisher: e.publisher }))
  }
  return out
}

export async function removeInstalled (locks: ProjectLocks, name: string, opts: { project: string }): Promise<{ name: string, version: string, dir: string }> {
  const project = path.resolve(opts.project)
  return locks.with(project, async () => {
    const lock = await readLockfile(project)
    const entry = findLockEntry(lock, name)
    if (entry === undefined) throw new NotInstalledError(`${name} is not installed in ${project} (see continuum genome list --installed --project ${JSON.stringify(project)})`)
    const dir = await adapterPath(await existingAdaptersRoot(project), entry.name, entry.version)
    const adapters = { ...lock.adapters }
    delete adapters[entry.name]
    // Lockfile first: if removing the folder then fails, a stray folder is harmless.
    await writeLockfile(project, { lockfileVersion: 1, adapters })
    await rm(dir, { recursive: true, force: true })
    return { name: entry.name, version: entry.version, dir }
  })
}

export async function listInstalled (project: string): Promise<InstalledAdapter[]> {
  const dir = path.resolve(project)
  const lock = await readLockfile(dir)
  const adaptersDir = await existingAdaptersRoot(dir)
  return Promise.all(Object.values(lock.adapters).map(async e => {
    const d = await adapterPath(adaptersDir, e.name, e.version)
    return { ...e, dir: d, present: await installedIntact(d) }
  }))
}
