// Where posts live: the node's vector index (src/node/vector-index) in its own folder, so posts are
// searched by meaning and keyword exactly as adapters are, and stored crash-safe (its checksummed,
// fsynced append log). Own posts are `local` entries (never evicted, never expired), other authors'
// are `remote` (LRU beyond the capacity, dropped after the retention). Tombstones go to an append log of
// their own; follows and mutes to an atomically replaced JSON file. Everything read back from disk is
// checked again (a file in the data dir is input too).
import path from 'node:path'
import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import type { Embedder } from '../embedding'
import { openVectorIndex, type VectorIndex } from '../vector-index'
import { openAppendLog, writeFileAtomic, type AppendLog } from '../storage'
import { ACCOUNT_RE } from '../ledger'
import type { Logger } from '../util/logger'
import type { AbortOptions } from '../util/abort'
import { checkItem } from './item'
import type { Post, SocialItem, Tombstone } from './schema'

const HOUR = 3_600_000
const Prefs = z.strictObject({ follow: z.array(z.string().regex(ACCOUNT_RE)).max(10_000), mute: z.array(z.string().regex(ACCOUNT_RE)).max(10_000) })

export interface PostStoreInit {
  dir: string
  embedder: Embedder
  /** This node's account: its posts are kept for good. */
  self: string
  capacity: number
  log: Logger
}

export interface PostHit { post: Post, similarity: number, score: number }

export class PostStore {
  private index?: VectorIndex
  private tombLog?: AppendLog
  /** Tombstones by the post they delete. */
  private readonly tombs = new Map<string, Tombstone>()
  private readonly tombById = new Map<string, Tombstone>()
  /** Items per author, and per author and hour of their time (the hourly cap). */
  private readonly perAuthor = new Map<string, number>()
  private readonly perHour = new Map<string, number>()
  /** Posts held, parsed once (the index keeps them as JSON); entries the index evicted are pruned on read. */
  private readonly byId = new Map<string, Post>()
  readonly follows = new Set<string>()
  readonly mutes = new Set<string>()

  constructor (private readonly init: PostStoreInit) {}

  private get idx (): VectorIndex {
    if (this.index === undefined) throw new Error('post store is closed')
    return this.index
  }

  async open (options: AbortOptions = {}): Promise<{ dropped: number }> {
    const { dir } = this.init
    this.index = await openVectorIndex({ dir: path.join(dir, 'posts'), dimensions: this.init.embedder.dimensions, remoteCapacity: this.init.capacity }, options)
    let dropped = 0
    for (const id of this.index.allIds()) {
      const check = checkItem(this.index.get(id)?.payload)
      if (!check.ok || check.item.kind !== 'post' || check.item.id !== id) { await this.index.delete(id); dropped++; continue }
      this.byId.set(id, check.item)
      this.count(check.item, 1)
    }
    const opened = await openAppendLog(path.join(dir, 'tombstones.log'), {}, options)
    this.tombLog = opened.log
    for (const rec of opened.records) {
      let value: unknown
      try { value = JSON.parse(Buffer.from(rec).toString('utf8')) } catch { dropped++; continue }
      const check = checkItem(value)
      if (!check.ok || check.item.kind !== 'delete') { dropped++; continue }
      this.rememberTomb(check.item)
    }
    try {
      const prefs = Prefs.safeParse(JSON.parse(await readFile(this.prefsFile, 'utf8')))
      if (prefs.success) {
        for (const p of prefs.data.follow) this.follows.add(p)
        for (const p of prefs.data.mute) this.mutes.add(p)
      } else this.init.log.warn('social preferences file is invalid: starting with no follows or mutes')
    } catch { /* none yet */ }
    if (dropped > 0) this.init.log.warn(`Dropped ${dropped} stored social items that no longer verify`)
    return { dropped }
  }

  async close (): Promise<void> {
    await this.index?.close()
    await this.tombLog?.close()
    this.index = undefined
    this.tombLog = undefined
  }

  private get prefsFile (): string { return path.join(this.init.dir, 'prefs.json') }

  private count (item: SocialItem, delta: number): void {
    this.perAuthor.set(item.author, (this.perAuthor.get(item.author) ?? 0) + delta)
    const k = `${item.author}|${Math.floor(item.time / HOUR)}`
    this.perHour.set(k, (this.perHour.get(k) ?? 0) + delta)
  }

  /** Items of `author` held here, and those dated in the same hour as `time`. */
  load (author: string, time: number): { total: number, hour: number } {
    return { total: this.perAuthor.get(author) ?? 0, hour: this.perHour.get(`${author}|${Math.floor(time / HOUR)}`) ?? 0 }
  }

  has (id: string): boolean { return this.get(id) !== undefined || this.tombById.has(id) }

  get (id: string): Post | undefined {
    const p = this.byId.get(id)
    if (p === undefined) return undefined
    if (this.idx.has(id)) return p
    // Evicted by the index (least recently used beyond the capacity).
    this.byId.delete(id)
    this.count(p, -1)
    return undefined
  }
  tombstoned (postId: string, author?: string): boolean {
    const t = this.tombs.get(postId)
    return t !== undefined && (author === undefined || t.author === author)
  }

  /** Every item held (posts and tombstones), for the gossip change log. */
  * items (): Iterable<SocialItem> {
    yield * this.posts()
    yield * this.tombById.values()
  }

  item (id: string): SocialItem | undefined { return this.get(id) ?? this.tombById.get(id) }

  posts (): Post[] {
    const out: Post[] = []
    for (const id of [...this.byId.keys()]) { const p = this.get(id); if (p !== undefined) out.push(p) }
    return out
  }

  /** Stores a verified post (embedding its text); own posts are kept for good. */
  async putPost (post: Post, options: AbortOptions = {}): Promise<void> {
    if (this.get(post.id) !== undefined) return
    const vector = await this.init.embedder.embedOne(post.text, options)
    if (this.get(post.id) !== undefined) return
    const own = post.author === this.init.self
    await this.idx.upsert({ id: post.id, vector, text: [post.text, ...(post.adapters ?? [])].join(' '), location: own ? 'local' : 'remote', cachedAt: Date.now(), payload: post }, options)
    this.byId.set(post.id, post)
    this.count(post, 1)
  }

  /** Stores a tombstone and deletes its target when the target is the same author's. */
  async putTombstone (t: Tombstone, options: AbortOptions = {}): Promise<boolean> {
    if (this.tombById.has(t.id)) return false
    await this.tombLog!.append(Buffer.from(JSON.stringify(t)), options)
    this.rememberTomb(t)
    const target = this.get(t.target)
    if (target !== undefined && target.author === t.author) await this.deletePost(target)
    return true
  }

  private rememberTomb (t: Tombstone): void {
    this.tombById.set(t.id, t)
    if (!this.tombs.has(t.target)) this.tombs.set(t.target, t)
    this.count(t, 1)
  }

  private async deletePost (p: Post): Promise<void> {
    if (this.byId.delete(p.id)) this.count(p, -1)
    await this.idx.delete(p.id)
  }

  /** Drops other authors' posts (and tombstones) older than the retention; returns how many went. */
  async expire (retentionMs: number, now = Date.now()): Promise<number> {
    const cutoff = now - retentionMs
    let n = 0
    for (const p of this.posts()) {
      if (p.author !== this.init.self && p.time < cutoff) { await this.deletePost(p); n++ }
    }
    let tombsGone = false
    for (const t of [...this.tombById.values()]) {
      if (t.author !== this.init.self && t.time < cutoff) {
        this.tombById.delete(t.id)
        if (this.tombs.get(t.target)?.id === t.id) this.tombs.delete(t.target)
        this.count(t, -1)
        tombsGone = true
        n++
      }
    }
    if (tombsGone) await this.tombLog!.compact([...this.tombById.values()].map(t => Buffer.from(JSON.stringify(t))))
    return n
  }

  /** Semantic + keyword search over the cached posts. */
  search (vector: Float32Array, text: string, k: number): PostHit[] {
    return this.idx.search({ vector, text, k, minSimilarity: 0.2 }).flatMap(r => {
      const post = this.byId.get(r.id)
      return post === undefined ? [] : [{ post, similarity: r.similarity, score: r.score }]
    })
  }

  async setPreference (kind: 'follow' | 'mute', peer: string, on: boolean): Promise<void> {
    const set = kind === 'follow' ? this.follows : this.mutes
    if (on) set.add(peer)
    else set.delete(peer)
    await writeFileAtomic(this.prefsFile, JSON.stringify({ follow: [...this.follows], mute: [...this.mutes] }), { mode: 0o600 })
  }
}
