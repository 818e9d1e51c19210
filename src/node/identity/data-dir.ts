// The node's data directory: identity, peer store, caches and indexes all live below it.
import { mkdir, access, constants as fsConstants } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { DataDirError } from './errors'

/** `--data-dir`, else `$CONTINUUM_HOME`, else `~/.continuum`. */
export function defaultDataDir (env: NodeJS.ProcessEnv = process.env): string {
  return env.CONTINUUM_HOME && env.CONTINUUM_HOME.length > 0 ? path.resolve(env.CONTINUUM_HOME) : path.join(os.homedir(), '.continuum')
}

/** Creates the directory if needed and checks it is writable; a one-line error otherwise. */
export async function prepareDataDir (dir: string): Promise<string> {
  const abs = path.resolve(dir)
  try {
    await mkdir(abs, { recursive: true })
    await access(abs, fsConstants.R_OK | fsConstants.W_OK)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error'
    throw new DataDirError(`Cannot use data dir ${abs} (${code}): fix its permissions or choose another with --data-dir`)
  }
  return abs
}
