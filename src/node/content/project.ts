// A project's adapters folder (`DIR/.continuum/adapters`): preparing it for an install, recovering
// from an interrupted one, checking an installed folder, and one install at a time per project.
import { access, constants as fsConstants, mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { bundleDigest, verifyManifest } from '../manifest'
import { fsyncDir } from '../storage/atomic-file'
import { errorMessage } from '../util/logger'
import { sha256OfFile, BUNDLE_FILES } from './bundle'
import { ADAPTERS_DIR, MANIFEST_FILE, PROJECT_DIR } from './constants'
import { ProjectNotWritableError } from './errors'
import { adaptersRoot, insideAdapters } from './paths'

/** Serialises installs into one project so two installs never race on the lockfile. */
export class ProjectLocks {
  private readonly locks = new Map<string, Promise<unknown>>()

  async with<T> (project: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(project) ?? Promise.resolve()
    const run = prev.catch(() => {}).then(fn)
    this.locks.set(project, run)
    try { return await run } finally { if (this.locks.get(project) === run) this.locks.delete(project) }
  }
}

/** `DIR/.continuum/adapters`, created if needed; one-line error when the project is not writable. */
export async function prepareProject (project: string): Promise<string> {
  let st = await stat(project).catch(() => undefined)
  // A new project folder is created, but not a missing parent (a typo should not make a tree).
  if (st === undefined) st = await mkdir(project).then(() => stat(project), () => undefined)
  if (st === undefined || !st.isDirectory()) throw new ProjectNotWritableError(`Project folder ${project} does not exist and cannot be created: check the path`)
  try {
    await access(project, fsConstants.W_OK)
  } catch {
    throw new ProjectNotWritableError(`Project folder ${project} is not writable: check its permissions`)
  }
  let dir: string
  try {
    // Refuses a symlinked `.continuum` or `adapters` (UnsafePathError), so nothing below writes or cleans outside the project.
    dir = await adaptersRoot(project)
    await access(dir, fsConstants.W_OK)
  } catch (err) {
    if ((err as Error).name === 'UnsafePathError' || (err as Error).name === 'ProjectNotWritableError') throw err
    throw new ProjectNotWritableError(`Cannot write ${path.join(project, PROJECT_DIR, ADAPTERS_DIR)} (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}): check the folder's permissions`)
  }
  await recoverInterrupted(dir)
  return dir
}

/**
 * Cleans up after an interrupted install: `.tmp-*` folders are incomplete and go; an `.old-*-<id@version>`
 * folder is the previous copy of an adapter moved aside for a swap, so when that adapter's folder is
 * missing (killed between the two renames) it is moved back, and only otherwise deleted.
 */
async function recoverInterrupted (dir: string): Promise<void> {
  let restored = false
  for (const n of await readdir(dir)) {
    if (!n.startsWith('.tmp-') && !n.startsWith('.old-')) continue
    let p: string
    try { p = await insideAdapters(dir, n) } catch { continue } // a symlink or odd name: leave it alone
    const target = /^\.old-[0-9a-f]{8}-(.+)$/.exec(n)?.[1]
    if (target !== undefined) {
      const back = await insideAdapters(dir, target).catch(() => undefined)
      if (back !== undefined && !(await stat(back).then(() => true, () => false))) {
        await rename(p, back)
        restored = true
        continue
      }
    }
    await rm(p, { recursive: true, force: true }).catch(() => {})
  }
  if (restored) await fsyncDir(dir)
}

/** The installed folder holds a verifying manifest and exactly the files its contentHash covers. */
export async function installedIntact (dir: string): Promise<boolean> {
  try {
    const check = await verifyManifest(JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), 'utf8')))
    if (!check.ok) return false
    const names = (await readdir(dir)).filter(n => BUNDLE_FILES.includes(n))
    const files = await Promise.all(names.map(async n => ({ path: n, sizeBytes: (await stat(path.join(dir, n))).size, sha256: await sha256OfFile(path.join(dir, n)) })))
    return bundleDigest(files) === check.manifest.contentHash
  } catch {
    return false
  }
}
