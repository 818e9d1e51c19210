// Crash-safe whole-file replacement: readers see either the old file or the new one, never a torn mix,
// and once the promise resolves the new content survives a power cut.
import { randomBytes } from 'node:crypto'
import { open, rename, unlink } from 'node:fs/promises'
import path from 'node:path'

export interface AtomicWriteOptions {
  signal?: AbortSignal
  /** File mode for a newly created file. @default 0o644 (minus umask) */
  mode?: number
}

/** A unique temp path in the same directory as `target` (rename is only atomic within one filesystem). */
export function tempPathFor (target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
}

/**
 * fsyncs a directory so a rename or create inside it is durable. Windows cannot open directories for
 * fsync (and NTFS journals renames), so there it is skipped.
 */
export async function fsyncDir (dir: string): Promise<void> {
  if (process.platform === 'win32') return
  const fh = await open(dir, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/**
 * Writes `data` to `file` atomically: temp file in the same directory, write, fsync, rename, fsync dir.
 * `data` may be an iterable of chunks, so large files (an index export) need not be built as one string.
 */
export async function writeFileAtomic (file: string, data: string | Uint8Array | Iterable<string | Uint8Array>, options: AtomicWriteOptions = {}): Promise<void> {
  const { signal } = options
  signal?.throwIfAborted()
  const tmp = tempPathFor(file)
  const chunks: Iterable<string | Uint8Array> = typeof data === 'string' || data instanceof Uint8Array ? [data] : data
  let renamed = false
  try {
    const fh = await open(tmp, 'wx', options.mode ?? 0o644)
    try {
      let pos = 0
      for (const chunk of chunks) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk
        let off = 0
        while (off < bytes.length) {
          signal?.throwIfAborted()
          // Sliced so a large write can be aborted part way.
          const { bytesWritten } = await fh.write(bytes, off, Math.min(bytes.length - off, 8 * 1024 * 1024), pos)
          off += bytesWritten
          pos += bytesWritten
        }
      }
      await fh.sync()
    } finally {
      await fh.close()
    }
    // Last chance to abort: after the rename the new content is visible.
    signal?.throwIfAborted()
    await rename(tmp, file)
    renamed = true
    await fsyncDir(path.dirname(file))
  } finally {
    if (!renamed) await unlink(tmp).catch(() => {})
  }
}
