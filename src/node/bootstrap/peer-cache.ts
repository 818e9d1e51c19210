// Remembers every peer this node connected to, with when it was last seen, so that a restart can
// rejoin the mesh with no bootstrap node at all (the design's "cached peers" strategy).
import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import { writeFileAtomic } from '../storage/atomic-file'

const CacheFileSchema = z.object({
  version: z.literal(1),
  peers: z.array(z.object({
    peerId: z.string().min(1).max(200),
    addrs: z.array(z.string().max(500)).max(20),
    lastSeen: z.number().int().nonnegative()
  })).max(10_000)
})

export interface CachedPeer { peerId: string, addrs: string[], lastSeen: number }

export interface PeerCacheInit {
  file: string
  /** @default 1000 */
  maxEntries?: number
}

export class PeerCache {
  private readonly peers = new Map<string, CachedPeer>()
  private readonly file: string
  private readonly maxEntries: number
  private saving: Promise<void> = Promise.resolve()
  private dirty = false

  constructor (init: PeerCacheInit) {
    this.file = init.file
    this.maxEntries = init.maxEntries ?? 1000
  }

  /** Loads the cache; a missing file is an empty cache, a damaged one is reported and ignored. */
  async load (): Promise<{ loaded: number, problem?: string }> {
    let text: string
    try {
      text = await readFile(this.file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { loaded: 0 }
      return { loaded: 0, problem: `cannot read ${this.file}: ${(err as Error).message}` }
    }
    let parsed
    try {
      parsed = CacheFileSchema.safeParse(JSON.parse(text))
    } catch {
      return { loaded: 0, problem: `${this.file} is not valid JSON; starting with an empty peer cache` }
    }
    if (!parsed.success) return { loaded: 0, problem: `${this.file} has an unexpected shape; starting with an empty peer cache` }
    for (const p of parsed.data.peers) this.peers.set(p.peerId, p)
    return { loaded: this.peers.size }
  }

  record (peerId: string, addrs: string[], now = Date.now()): void {
    if (addrs.length === 0 && !this.peers.has(peerId)) return
    const prev = this.peers.get(peerId)
    this.peers.delete(peerId) // re-insert so Map order tracks recency
    this.peers.set(peerId, { peerId, addrs: addrs.length > 0 ? addrs.slice(0, 20) : prev?.addrs ?? [], lastSeen: now })
    while (this.peers.size > this.maxEntries) {
      const oldest = this.peers.keys().next().value
      if (oldest === undefined) break
      this.peers.delete(oldest)
    }
    this.dirty = true
  }

  /** The most recently seen peers, newest first, seen within `maxAgeMs`. */
  recent (limit: number, maxAgeMs: number, now = Date.now()): CachedPeer[] {
    return [...this.peers.values()]
      .filter(p => now - p.lastSeen <= maxAgeMs && p.addrs.length > 0)
      .sort((a, b) => b.lastSeen - a.lastSeen)
      .slice(0, limit)
  }

  get size (): number { return this.peers.size }

  /** Writes the cache atomically if it changed; concurrent calls are serialised. */
  save (): Promise<void> {
    if (!this.dirty) return this.saving
    this.dirty = false
    const body = JSON.stringify({ version: 1, peers: [...this.peers.values()] })
    this.saving = this.saving.then(() => writeFileAtomic(this.file, body)).catch(() => { this.dirty = true })
    return this.saving
  }
}
