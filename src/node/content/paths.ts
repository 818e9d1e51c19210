// Paths inside a project's `.continuum/adapters` folder. Every name that goes into such a path comes
// from a lockfile in a cloned repository, a manifest from the network or a user, so each is checked
// here (one place) before anything is read, written, renamed or removed: the leaf must be a single
// plain component, the result must stay inside the adapters folder, and no symlink may be on the way
// (a symlinked `.continuum` would make install write and clean up outside the project).
import { lstat, mkdir } from 'node:fs/promises'
import path from 'node:path'
import { ADAPTERS_DIR, PROJECT_DIR } from './constants'
import { ProjectNotWritableError, UnsafePathError } from './errors'

/** An installed folder's name: `<id>@<version>` in the manifest's charsets (no separators, no `..`). */
const ADAPTER_LEAF = /^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?@[0-9A-Za-z][0-9A-Za-z.+-]*$/
/** Temp and swap folders of an install. */
const WORK_LEAF = /^\.(?:tmp|old)-[0-9A-Za-z._@+-]+$/

/** `name@version`, checked: throws UnsafePathError for anything that is not one plain folder name. */
export function adapterLeaf (name: string, version: string): string {
  const leaf = `${name}@${version}`
  if (!ADAPTER_LEAF.test(leaf) || leaf.includes('..') || leaf.length > 200) throw new UnsafePathError(`Refusing adapter folder name ${JSON.stringify(leaf)}: an id and version may hold only letters, digits, ".", "_", "-" and "+" (fix or delete the lockfile entry)`)
  return leaf
}

/** The link-free type of what is at `p`, or undefined when nothing is there. */
async function lstatOrUndefined (p: string): Promise<import('node:fs').Stats | undefined> {
  try {
    return await lstat(p)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

/** Throws UnsafePathError when `p` exists and is a symlink (or not a folder, with `folder`). */
export async function refuseSymlink (p: string, what: string, folder = true): Promise<void> {
  const st = await lstatOrUndefined(p)
  if (st === undefined) return
  if (st.isSymbolicLink()) throw new UnsafePathError(`Refusing to install through ${p}: ${what} is a symlink (it could point outside the project); replace it with a real folder`)
  if (folder && !st.isDirectory()) throw new ProjectNotWritableError(`Cannot install into ${p}: ${what} is not a folder (move that file away)`)
}

/**
 * `DIR/.continuum/adapters`, created when missing, with neither `.continuum` nor `adapters` a symlink.
 * `project` must be absolute.
 */
export async function adaptersRoot (project: string): Promise<string> {
  const continuum = path.join(project, PROJECT_DIR)
  const dir = path.join(continuum, ADAPTERS_DIR)
  await refuseSymlink(continuum, PROJECT_DIR)
  await mkdir(continuum, { recursive: true })
  await refuseSymlink(continuum, PROJECT_DIR)
  await refuseSymlink(dir, `${PROJECT_DIR}/${ADAPTERS_DIR}`)
  await mkdir(dir, { recursive: true })
  await refuseSymlink(dir, `${PROJECT_DIR}/${ADAPTERS_DIR}`)
  return dir
}

/**
 * `adaptersDir/leaf`, proven to stay directly inside `adaptersDir` and not to be a symlink. `leaf` is
 * an adapter folder (`id@version`) or an install's `.tmp-*` / `.old-*` folder.
 */
export async function insideAdapters (adaptersDir: string, leaf: string): Promise<string> {
  if (!ADAPTER_LEAF.test(leaf) && !WORK_LEAF.test(leaf)) throw new UnsafePathError(`Refusing path ${JSON.stringify(leaf)} under ${adaptersDir}: not an adapter folder name`)
  const root = path.resolve(adaptersDir)
  const p = path.resolve(root, leaf)
  if (path.dirname(p) !== root || leaf.includes('..')) throw new UnsafePathError(`Refusing path ${JSON.stringify(leaf)}: it leaves ${root}`)
  const st = await lstatOrUndefined(p)
  if (st?.isSymbolicLink() === true) throw new UnsafePathError(`Refusing ${p}: the adapter folder is a symlink (it could point outside the project); delete it and install again`)
  return p
}

/** The checked folder of an installed adapter. */
export async function adapterPath (adaptersDir: string, name: string, version: string): Promise<string> {
  return insideAdapters(adaptersDir, adapterLeaf(name, version))
}

/** The adapters folder of a project without creating it (for reads and removes). */
export async function existingAdaptersRoot (project: string): Promise<string> {
  const continuum = path.join(project, PROJECT_DIR)
  const dir = path.join(continuum, ADAPTERS_DIR)
  await refuseSymlink(continuum, PROJECT_DIR)
  await refuseSymlink(dir, `${PROJECT_DIR}/${ADAPTERS_DIR}`)
  return dir
}
