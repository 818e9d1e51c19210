// Blocks on disk in the data dir, one file per block named by its sha2-256 digest (so CIDv0 and v1
// of the same bytes share a file). Crash safety comes from content addressing: a block is written to a
// temp file and renamed into place, and every read re-hashes it, so a torn or truncated file after a
// power cut is detected, deleted and fetched again, never served or installed.
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { CID } from 'multiformats/cid'

export class FsBlockstore {
  private readonly made = new Set<string>()
  /** Blocks found corrupt on read and removed (status figure). */
  corruptRemoved = 0

  constructor (readonly dir: string) {}

  async open (): Promise<void> {
    await mkdir(this.dir, { recursive: true })
    // Leftover temp files of a crash are garbage.
    for (const sub of await readdir(this.dir).catch(() => [] as string[])) {
      if (sub.endsWith('.tmp')) await rm(path.join(this.dir, sub), { force: true })
    }
  }

  private fileOf (cid: CID): string {
    const hex = Buffer.from(cid.multihash.digest).toString('hex')
    return path.join(this.dir, hex.slice(0, 2), hex)
  }

  /** True when a block file exists (not verified: `get` verifies). */
  async has (cid: CID): Promise<boolean> {
    return stat(this.fileOf(cid)).then(() => true, () => false)
  }

  /** The verified block, or undefined when absent or found corrupt (then it is deleted). */
  async get (cid: CID): Promise<Uint8Array | undefined> {
    const file = this.fileOf(cid)
    let bytes: Buffer
    try {
      bytes = await readFile(file)
    } catch {
      return undefined
    }
    const digest = createHash('sha256').update(bytes).digest()
    if (!digest.equals(Buffer.from(cid.multihash.digest))) {
      this.corruptRemoved++
      await rm(file, { force: true })
      return undefined
    }
    return bytes
  }

  /** Stores a block the caller has verified. Idempotent. */
  async put (cid: CID, bytes: Uint8Array): Promise<void> {
    const file = this.fileOf(cid)
    const sub = path.dirname(file)
    if (!this.made.has(sub)) {
      await mkdir(sub, { recursive: true })
      this.made.add(sub)
    }
    const tmp = path.join(this.dir, `${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`)
    await writeFile(tmp, bytes)
    await rename(tmp, file)
  }

  async delete (cid: CID): Promise<void> {
    await rm(this.fileOf(cid), { force: true })
  }
}
