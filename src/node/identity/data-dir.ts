// The node's data directory: identity, peer store, caches and indexes all live below it.
// It holds the node's private key (wallet and publisher identity) and the API token, so it is
// private to the user: 0700, with every secret file in it 0600.
import { chmod, mkdir, access, readdir, stat, constants as fsConstants } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Logger } from '../util/logger'
import { DataDirError } from './errors'

/** Mode of the data dir and of folders holding secrets. */
export const PRIVATE_DIR_MODE = 0o700
/** Mode of every key, token or other secret file in the data dir. */
export const SECRET_FILE_MODE = 0o600
/** Files (relative to the data dir) that hold secrets besides the key store. */
export const SECRET_FILES = ['api-token', 'api.json']
/** Key store folders (relative to the data dir): every file below them is secret. */
export const SECRET_DIRS = [path.join('datastore', 'pkcs8'), path.join('datastore', 'info')]

/** POSIX permissions mean nothing on Windows (ACLs do): there the checks are skipped. */
const POSIX_MODES = process.platform !== 'win32'

/** `--data-dir`, else `$CONTINUUM_HOME`, else `~/.continuum`. */
export function defaultDataDir (env: NodeJS.ProcessEnv = process.env): string {
  return env.CONTINUUM_HOME && env.CONTINUUM_HOME.length > 0 ? path.resolve(env.CONTINUUM_HOME) : path.join(os.homedir(), '.continuum')
}

/**
 * Creates the directory (0700) if needed, tightens an existing one that others can read, and checks
 * it is writable; a one-line error otherwise.
 */
export async function prepareDataDir (dir: string, log?: Pick<Logger, 'warn'>): Promise<string> {
  const abs = path.resolve(dir)
  try {
    await mkdir(abs, { recursive: true, mode: PRIVATE_DIR_MODE })
    await access(abs, fsConstants.R_OK | fsConstants.W_OK)
    await tighten(abs, PRIVATE_DIR_MODE, log)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error'
    throw new DataDirError(`Cannot use data dir ${abs} (${code}): fix its permissions or choose another with --data-dir`)
  }
  return abs
}

/**
 * Sets 0600 on the secret files and 0700 on the key store folders that an older version (or a copy)
 * left readable by others. Missing files are fine: they are created 0600 when first written.
 */
export async function tightenSecrets (dataDir: string, log?: Pick<Logger, 'warn'>): Promise<void> {
  if (!POSIX_MODES) return
  for (const name of SECRET_FILES) await tighten(path.join(dataDir, name), SECRET_FILE_MODE, log)
  for (const rel of SECRET_DIRS) {
    const dir = path.join(dataDir, rel)
    if (!await tighten(dir, PRIVATE_DIR_MODE, log)) continue
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      // Only regular files: a symlink's mode is its target's business, and chmod would follow it.
      if (entry.isFile()) await tighten(path.join(dir, entry.name), SECRET_FILE_MODE, log)
    }
  }
}

/** Removes group/other bits beyond `mode`; false when the path does not exist (or is a symlink). */
async function tighten (file: string, mode: number, log?: Pick<Logger, 'warn'>): Promise<boolean> {
  if (!POSIX_MODES) return true
  let st
  try {
    st = await stat(file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw err
  }
  const current = st.mode & 0o777
  if ((current & ~mode) === 0) return true
  await chmod(file, mode)
  log?.warn(`${file} was readable by other users (mode ${current.toString(8)}): set to ${mode.toString(8)}`)
  return true
}
