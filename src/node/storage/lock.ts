// One process per data directory: a lock file created with O_EXCL holding the owner's pid. A lock whose
// owner is gone (crash, kill -9) is detected as stale and taken over, so a crash never needs manual cleanup.
import { readFileSync, unlinkSync } from 'node:fs'
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fsyncDir, tempPathFor } from './atomic-file'
import { LOCK_FILE_NAME } from './constants'
import { StoreLockedError } from './errors'
import { pidAlive } from './pid'

export interface DirectoryLock {
  readonly dir: string
  readonly file: string
  /** Removes the lock file (only if it is still ours). Idempotent. */
  release: () => Promise<void>
}

interface LockInfo {
  pid: number
  hostname: string
  /** Process start time (Linux /proc ticks) so a recycled pid is not mistaken for the owner. */
  startTime?: string
  token: string
}

/** Locks held by this process, by lock file path; lets us tell our own lock from a stale one with our pid. */
const held = new Map<string, string>()
let exitHookInstalled = false

function processStartTime (pid: number): string | undefined {
  if (process.platform !== 'linux') return undefined
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Field 22 (starttime) follows the parenthesised command name, which may itself contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return fields[19]
  } catch {
    return undefined
  }
}


function parse (text: string): LockInfo | null {
  try {
    const v = JSON.parse(text) as Partial<LockInfo>
    if (typeof v.pid === 'number' && Number.isInteger(v.pid) && v.pid > 0 && typeof v.hostname === 'string') return v as LockInfo
  } catch {
    // not JSON: treated as no owner
  }
  return null
}

/** Why a lock is still valid, or null when it is stale and may be taken over. */
function liveOwner (info: LockInfo | null, file: string): LockInfo | null {
  if (info == null) return null // unreadable/torn lock file: its writer died mid-create
  if (info.hostname !== os.hostname()) return info // cannot check a pid on another host (shared disk): respect it
  if (info.pid === process.pid) return held.get(file) === info.token ? info : null
  if (!pidAlive(info.pid)) return null
  if (info.startTime != null) {
    const now = processStartTime(info.pid)
    if (now != null && now !== info.startTime) return null // pid was recycled by an unrelated process
  }
  return info
}

function installExitHook (): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  // Best effort on a normal exit; after a crash the stale-lock check does the cleanup.
  process.once('exit', () => {
    for (const [file, token] of held) {
      try {
        if (parse(readFileSync(file, 'utf8'))?.token === token) unlinkSync(file)
      } catch {
        // already gone
      }
    }
  })
}

/**
 * Creates `file` with `content` only if it does not exist. The content is written to a temp file first and
 * hard-linked into place, so no other process ever sees a half-written (and seemingly stale) lock file.
 * Filesystems without hard links fall back to O_EXCL create + write.
 */
async function createLockFile (file: string, content: string): Promise<void> {
  const tmp = tempPathFor(file)
  const fh = await open(tmp, 'wx')
  try {
    await fh.writeFile(content)
    await fh.sync()
  } finally {
    await fh.close()
  }
  try {
    await link(tmp, file)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err
    const out = await open(file, 'wx')
    try {
      await out.writeFile(content)
      await out.sync()
    } finally {
      await out.close()
    }
  } finally {
    await unlink(tmp).catch(() => {})
  }
  await fsyncDir(path.dirname(file))
}

/**
 * Takes the exclusive lock on `dir` (created if missing). Throws StoreLockedError naming the owner's pid
 * when another live process — or another open store in this process — holds it.
 */
export async function lockDirectory (dir: string, options: { signal?: AbortSignal } = {}): Promise<DirectoryLock> {
  options.signal?.throwIfAborted()
  await mkdir(dir, { recursive: true })
  const file = path.join(dir, LOCK_FILE_NAME)
  const token = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`
  const info: LockInfo = { pid: process.pid, hostname: os.hostname(), startTime: processStartTime(process.pid), token }
  for (let attempt = 0; attempt < 5; attempt++) {
    options.signal?.throwIfAborted()
    try {
      await createLockFile(file, JSON.stringify(info))
      held.set(file, token)
      installExitHook()
      let released = false
      return {
        dir,
        file,
        release: async () => {
          if (released) return
          released = true
          held.delete(file)
          const current = parse(await readFile(file, 'utf8').catch(() => ''))
          if (current?.token === token) await unlink(file).catch(() => {})
        }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => err.code === 'ENOENT' ? null : Promise.reject(err))
    if (text == null) continue // released meanwhile: retry
    const owner = liveOwner(parse(text), file)
    if (owner != null) throw new StoreLockedError(dir, owner.pid, owner.hostname !== os.hostname() ? owner.hostname : undefined)
    // Stale. Re-read right before removing so we do not delete a lock another process just took over.
    const again = await readFile(file, 'utf8').catch(() => null)
    if (again === text) await unlink(file).catch(() => {})
  }
  throw new StoreLockedError(dir, parse(await readFile(file, 'utf8').catch(() => ''))?.pid ?? 0)
}
