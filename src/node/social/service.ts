// The social layer as a service (the js-libp2p shape, like the ledger's): `socialService(init)(components)`
// or, on a node's feature list, `socialFeature(init)`. Posts and tombstones are signed with the node's key,
// stored in store.ts, spread by gossip.ts; tips and ratings are checked against the ledger (ledger.ts,
// ratings.ts), which is injected, so this folder imports neither the economy nor the API.
import path from 'node:path'
import { serviceCapabilities, serviceDependencies, type PeerId, type PrivateKey } from '@libp2p/interface'
import type { MeshFeature } from '../feature'
import type { MeshLibp2p } from '../transport/libp2p'
import type { Embedder } from '../embedding'
import { RATING_REWARD, type DownloadReceipt } from '../ledger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { DropCounters } from '../util/counters'
import type { Logger } from '../util/logger'
import { errorMessage } from '../util/logger'
import type { AbortOptions } from '../util/abort'
import {
  DEFAULT_CACHE_CAPACITY, DEFAULT_FEED_LIMIT, DEFAULT_INTERVAL_MS, DEFAULT_RETENTION_MS, DEFAULT_SEARCH_LIMIT, EXPIRE_INTERVAL_MS,
  FREE_POSTS_PER_HOUR, MAX_ITEMS_PER_AUTHOR, MAX_SEARCH_LIMIT, REPUTATION_FOR_MORE, REPUTED_POSTS_PER_HOUR, TIP_MEMO_PREFIX
} from './constants'
import { InvalidPostError, MissingServiceError, NoLedgerError, NoReceiptError, NotRunningError, PostRateError, UnknownPostError } from './errors'
import { checkItem, signItem, type ItemCheck } from './item'
import { LedgerProofs, type SocialLedger } from './ledger'
import { RatingBook, type VerifiedMetrics } from './ratings'
import { postBodySchema, type Post, type PostBody, type SocialItem, type Tombstone } from './schema'
import { SocialGossip } from './gossip'
import { PostStore } from './store'

export interface SocialComponents {
  readonly libp2p: MeshLibp2p
  /** Signs this account's posts. */
  readonly privateKey: PrivateKey
  readonly dataDir: string
  readonly log: Logger
  readonly drops: DropCounters
  /** The node's embedder: posts are searched by meaning with the adapters' model. */
  readonly embedder: Embedder
  readonly neighbours: { random: (n: number) => PeerId[] }
  penalise: (peer: PeerId, reason: string) => void
  /** The adapter (`<publisher>/<id>` and name) of a bundle CID this node hosts or installed. */
  adapterOf?: (contentId: string) => { key: string, name: string } | undefined
}

export interface SocialInit {
  /** The ledger, for tips and receipt-backed ratings; without one, posts work and tips/ratings refuse. */
  ledger?: SocialLedger
  /** Milliseconds between pull rounds; 0 disables the timer (the topic and `round()` still run). @default 30000 */
  intervalMs?: number
  /** How long other authors' posts stay cached. @default 7 days */
  retentionMs?: number
  /** Cached posts of other authors (LRU beyond). @default 20000 */
  capacity?: number
  /** Items an author without standing may publish per hour. @default 10 */
  freePerHour?: number
  /** Per hour for an author with ledger reputation ≥ 0.6. @default 60 */
  reputedPerHour?: number
  /** Clock (tests). @default Date.now */
  now?: () => number
}

/** A post as shown: the signed item plus what this node knows about it. */
export interface PostView {
  id: string
  author: string
  time: number
  text: string
  adapters: string[]
  replyTo?: string
  /** Replies held here. */
  replies: number
  /** Tips verified in the ledger (units) and how many. */
  tips: { total: number, count: number }
  /** A review: the score, and whether its receipt is proven paid here. */
  rating?: { adapter: string, score: number, verified: boolean }
  own: boolean
  following: boolean
  similarity?: number
}

export interface SocialStatus {
  posts: number
  own: number
  follows: number
  mutes: number
  gossip: SocialGossip['stats'] & { bytesOutPerSec: number, changeLog: { epoch: string, head: number, size: number } }
}

export interface RateResult { post: PostView, reward?: { amount: number } | { error: string } }

/** What the API, the CLI and the extension use (`node.social`). */
export interface SocialApi {
  post(text: string, options?: AbortOptions & { adapters?: string[], replyTo?: string }): Promise<PostView>
  remove(postId: string, options?: AbortOptions): Promise<void>
  search(query: string, options?: AbortOptions & { limit?: number }): Promise<PostView[]>
  feed(options?: { following?: boolean, limit?: number, author?: string, replyTo?: string, adapter?: string }): PostView[]
  get(postId: string): PostView | undefined
  tip(postId: string, units: number, options?: AbortOptions & { message?: string }): Promise<{ post: PostView, amount: number, balance: number }>
  follow(peer: string, on?: boolean): Promise<void>
  mute(peer: string, on?: boolean): Promise<void>
  following(): { follow: string[], mute: string[] }
  rate(adapter: string, score: number, options?: AbortOptions & { review?: string }): Promise<RateResult>
  metrics(adapterKey: string): VerifiedMetrics
  status(): SocialStatus
}

export function socialFeature (init: SocialInit = {}): SocialService {
  return new SocialService(init)
}

export function socialService (init: SocialInit = {}): (components: SocialComponents) => SocialService {
  return components => new SocialService(init, components)
}

interface Parts { c: SocialComponents, store: PostStore, gossip: SocialGossip, proofs?: LedgerProofs, ratings: RatingBook, self: string }

export class SocialService implements MeshFeature, SocialApi {
  readonly name = 'social'
  readonly [Symbol.toStringTag] = '@continuum/social'
  readonly [serviceDependencies] = ['@libp2p/identify', '@libp2p/pubsub']
  private parts?: Parts
  private expireTimer?: NodeJS.Timeout
  /** Offers are judged one at a time, so an author's hourly cap holds under concurrent arrivals. */
  private queue: Promise<unknown> = Promise.resolve()

  constructor (private readonly init: SocialInit = {}, private readonly components?: SocialComponents) {}

  private get now (): number { return (this.init.now ?? Date.now)() }

  private get p (): Parts {
    if (this.parts === undefined) throw new NotRunningError()
    return this.parts
  }

  async start (node?: SocialComponents): Promise<void> {
    const c = node ?? this.components
    if (c === undefined) throw new TypeError('the social layer needs its components: start it on a node, or create it with socialService(init)(components)')
    const capabilities = new Set(Object.values(c.libp2p.services).flatMap(s => (s as { [serviceCapabilities]?: string[] })[serviceCapabilities] ?? []))
    const missing = this[serviceDependencies].filter(d => !capabilities.has(d))
    if (missing.length > 0) throw new MissingServiceError(missing)
    const self = peerIdFromPrivateKey(c.privateKey).toString()
    const log = c.log.child('social')
    const store = new PostStore({ dir: path.join(c.dataDir, 'social'), embedder: c.embedder, self, capacity: this.init.capacity ?? DEFAULT_CACHE_CAPACITY, log })
    await store.open()
    const ratings = new RatingBook(cid => c.adapterOf?.(cid)?.key)
    for (const p of store.posts()) ratings.add(p)
    const proofs = this.init.ledger !== undefined ? new LedgerProofs(this.init.ledger) : undefined
    const gossip = new SocialGossip({
      libp2p: c.libp2p,
      store: { items: () => store.items(), item: id => store.item(id), has: id => store.has(id), offer: async (check, _from) => await this.offer(check) },
      neighbours: n => c.neighbours.random(n),
      drops: c.drops,
      penalise: (peer, reason) => c.penalise(peer, reason),
      log,
      intervalMs: this.init.intervalMs ?? DEFAULT_INTERVAL_MS
    })
    this.parts = { c, store, gossip, proofs, ratings, self }
    // The ledger may start after us or not at all: its indexes fill once it runs (see proofs()).
    proofs?.ensure()
    await gossip.start()
    this.expireTimer = setInterval(() => { void this.expire() }, EXPIRE_INTERVAL_MS)
    this.expireTimer.unref()
  }

  async stop (): Promise<void> {
    clearInterval(this.expireTimer)
    const parts = this.parts
    if (parts === undefined) return
    this.parts = undefined
    await parts.gossip.stop()
    parts.proofs?.stop()
    await this.queue.catch(() => {})
    await parts.store.close()
  }

  /** One pull round now (tests, "refresh"). */
  async round (): Promise<void> { await this.parts?.gossip.round() }

  /** Drops expired posts of other authors (the author keeps their own). */
  async expire (): Promise<number> {
    const p = this.parts
    if (p === undefined) return 0
    const before = new Set(p.store.posts().map(x => x.id))
    const n = await p.store.expire(this.init.retentionMs ?? DEFAULT_RETENTION_MS, this.now)
    if (n > 0) {
      const after = new Set(p.store.posts().map(x => x.id))
      for (const id of before) if (!after.has(id)) p.gossip.forget(id)
    }
    return n
  }

  private allowance (author: string): number {
    const rep = this.safeLedger()?.reputation(author) ?? 0.5
    return rep >= REPUTATION_FOR_MORE ? (this.init.reputedPerHour ?? REPUTED_POSTS_PER_HOUR) : (this.init.freePerHour ?? FREE_POSTS_PER_HOUR)
  }

  private safeLedger (): SocialLedger | undefined {
    const l = this.init.ledger
    if (l === undefined) return undefined
    try { void l.account; return l } catch { return undefined }
  }

  private proofs (): LedgerProofs | undefined {
    const p = this.parts?.proofs
    return p?.ensure() === true ? p : undefined
  }

  /** Judges one verified item from the network (or our own): stores it or says why not. */
  async offer (check: ItemCheck & { ok: true }): Promise<'stored' | 'duplicate' | string> {
    const run = this.queue.then(async () => await this.judge(check.item))
    this.queue = run.catch(() => {})
    return await run
  }

  private async judge (item: SocialItem): Promise<string> {
    const p = this.parts
    if (p === undefined) return 'stopped'
    if (p.store.has(item.id)) return 'duplicate'
    if (item.time < this.now - (this.init.retentionMs ?? DEFAULT_RETENTION_MS) && item.author !== p.self) return 'expired'
    if (item.kind === 'post' && p.store.tombstoned(item.id, item.author)) return 'deleted'
    const load = p.store.load(item.author, item.time)
    if (load.total >= MAX_ITEMS_PER_AUTHOR) return 'author-cap'
    if (load.hour >= this.allowance(item.author)) return 'over-rate'
    if (item.kind === 'post') {
      await p.store.putPost(item)
      p.ratings.add(item)
    } else {
      const target = p.store.get(item.target)
      await p.store.putTombstone(item)
      if (target !== undefined && target.author === item.author) { p.gossip.forget(target.id); p.ratings.remove(target) }
    }
    p.gossip.record(item)
    return 'stored'
  }

  private async publishOwn (body: PostBody | Omit<Tombstone, 'id' | 'sig'>): Promise<SocialItem> {
    const p = this.p
    const item = await signItem(p.c.privateKey, body)
    const check = checkItem(item, this.now)
    if (!check.ok) throw new InvalidPostError(`Post refused: ${check.detail}`)
    const verdict = await this.offer(check)
    if (verdict === 'over-rate') throw new PostRateError(`You have used this hour's ${this.allowance(p.self)} posts: wait, or build reputation through the ledger (hosting, payments) for more`)
    if (verdict === 'author-cap') throw new PostRateError(`You already hold ${MAX_ITEMS_PER_AUTHOR} posts: delete some first`)
    if (verdict !== 'stored') throw new InvalidPostError(`Post refused: ${verdict}`)
    await p.gossip.publish(check.item)
    return check.item
  }

  private body (text: string, extra: Partial<PostBody> = {}): PostBody {
    const body: PostBody = { v: 1, kind: 'post', author: this.p.self, time: this.now, text: text.trim(), ...extra }
    const parsed = postBodySchema.safeParse(body)
    if (!parsed.success) {
      const i = parsed.error.issues[0]
      throw new InvalidPostError(`Post refused: ${i !== undefined ? `${i.path.join('.') || 'post'} ${i.message}` : 'invalid'}`)
    }
    return parsed.data
  }

  async post (text: string, options: AbortOptions & { adapters?: string[], replyTo?: string } = {}): Promise<PostView> {
    if (options.replyTo !== undefined && this.p.store.get(options.replyTo) === undefined) throw new UnknownPostError(options.replyTo)
    const body = this.body(text, {
      ...(options.adapters !== undefined && options.adapters.length > 0 ? { adapters: options.adapters } : {}),
      ...(options.replyTo !== undefined ? { replyTo: options.replyTo } : {})
    })
    const item = await this.publishOwn(body) as Post
    return this.view(item)
  }

  async remove (postId: string, _options: AbortOptions = {}): Promise<void> {
    const p = this.p
    const post = p.store.get(postId)
    if (post === undefined) throw new UnknownPostError(postId)
    if (post.author !== p.self) throw new InvalidPostError('Only the author can delete a post: mute the author to hide it')
    await this.publishOwn({ v: 1, kind: 'delete', author: p.self, time: this.now, target: postId })
  }

  private hidden (author: string): boolean { return this.p.store.mutes.has(author) }

  async search (query: string, options: AbortOptions & { limit?: number } = {}): Promise<PostView[]> {
    const p = this.p
    const q = query.trim()
    if (q === '') throw new InvalidPostError('Nothing to search for: give a few words')
    const limit = Math.min(Math.max(1, options.limit ?? DEFAULT_SEARCH_LIMIT), MAX_SEARCH_LIMIT)
    const vector = await p.c.embedder.embedOne(q.slice(0, 1000), options)
    return p.store.search(vector, q.slice(0, 1000), limit * 2)
      .filter(h => !this.hidden(h.post.author))
      .slice(0, limit)
      .map(h => ({ ...this.view(h.post), similarity: Math.round(h.similarity * 10_000) / 10_000 }))
  }

  feed (options: { following?: boolean, limit?: number, author?: string, replyTo?: string, adapter?: string } = {}): PostView[] {
    const p = this.p
    const limit = Math.min(Math.max(1, options.limit ?? DEFAULT_FEED_LIMIT), 1_000)
    return p.store.posts()
      .filter(x => !this.hidden(x.author))
      .filter(x => options.following !== true || x.author === p.self || p.store.follows.has(x.author))
      .filter(x => options.author === undefined || x.author === options.author)
      .filter(x => options.replyTo === undefined || x.replyTo === options.replyTo)
      .filter(x => options.adapter === undefined || (x.adapters ?? []).includes(options.adapter) || x.rating?.adapter === options.adapter)
      .sort((a, b) => b.time - a.time || (a.id < b.id ? -1 : 1))
      .slice(0, limit)
      .map(x => this.view(x))
  }

  get (postId: string): PostView | undefined {
    const post = this.p.store.get(postId)
    return post === undefined ? undefined : this.view(post)
  }

  private view (post: Post): PostView {
    const p = this.p
    const proofs = this.proofs()
    let replies = 0
    for (const x of p.store.posts()) if (x.replyTo === post.id && !this.hidden(x.author)) replies++
    return {
      id: post.id,
      author: post.author,
      time: post.time,
      text: post.text,
      adapters: post.adapters ?? [],
      ...(post.replyTo !== undefined ? { replyTo: post.replyTo } : {}),
      replies,
      tips: proofs?.tipsFor(post.id, post.author) ?? { total: 0, count: 0 },
      ...(post.rating !== undefined ? { rating: { adapter: post.rating.adapter, score: post.rating.score, verified: p.ratings.verified(post, proofs) } } : {}),
      own: post.author === p.self,
      following: p.store.follows.has(post.author)
    }
  }

  async tip (postId: string, units: number, options: AbortOptions & { message?: string } = {}): Promise<{ post: PostView, amount: number, balance: number }> {
    const p = this.p
    const ledger = this.safeLedger()
    if (ledger === undefined) throw new NoLedgerError()
    const post = p.store.get(postId)
    if (post === undefined) throw new UnknownPostError(postId)
    if (post.author === p.self) throw new InvalidPostError('You cannot tip your own post')
    const message = (options.message ?? '').trim()
    const memo = `${TIP_MEMO_PREFIX}${post.id}${message !== '' ? ` ${message}` : ''}`
    if (memo.length > 256) throw new InvalidPostError(`The tip message is too long: at most ${256 - TIP_MEMO_PREFIX.length - 65} characters`)
    const block = await ledger.send(post.author, units, memo, options)
    return { post: this.view(post), amount: block.amount, balance: block.balance }
  }

  async follow (peer: string, on = true): Promise<void> { await this.setPref('follow', peer, on) }
  async mute (peer: string, on = true): Promise<void> { await this.setPref('mute', peer, on) }

  private async setPref (kind: 'follow' | 'mute', peer: string, on: boolean): Promise<void> {
    const p = this.p
    if (!/^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/.test(peer)) throw new InvalidPostError(`"${peer.slice(0, 60)}" is not a peer id (12D3KooW…)`)
    if (peer === p.self) throw new InvalidPostError(`You cannot ${kind} yourself`)
    await p.store.setPreference(kind, peer, on)
  }

  following (): { follow: string[], mute: string[] } {
    const s = this.p.store
    return { follow: [...s.follows], mute: [...s.mutes] }
  }

  /** The receipt of this account's paid download of `adapter` (a CID, `<publisher>/<id>`, an id or a name). */
  private receiptFor (adapter: string, proofs: LedgerProofs): { receipt: DownloadReceipt, key?: string, name?: string } | undefined {
    const p = this.p
    const ref = adapter.trim().replace(/^ipfs:\/\//, '')
    for (const receipt of proofs.ownReceipts(p.self)) {
      const known = p.c.adapterOf?.(receipt.contentId)
      if (receipt.contentId === ref) return { receipt, key: known?.key, name: known?.name }
      if (known === undefined) continue
      const id = known.key.slice(known.key.indexOf('/') + 1)
      if (known.key === ref || id === ref || known.name.toLowerCase() === ref.toLowerCase()) return { receipt, key: known.key, name: known.name }
    }
    return undefined
  }

  async rate (adapter: string, score: number, options: AbortOptions & { review?: string } = {}): Promise<RateResult> {
    if (!Number.isInteger(score) || score < 1 || score > 5) throw new InvalidPostError('The score is a whole number from 1 to 5')
    const ledger = this.safeLedger()
    const proofs = this.proofs()
    if (ledger === undefined || proofs === undefined) throw new NoLedgerError()
    const found = this.receiptFor(adapter, proofs)
    if (found === undefined) throw new NoReceiptError(`No paid download of "${adapter.slice(0, 80)}" in this account's chain: install it first (only downloaders can rate)`)
    const key = found.key ?? (/^[1-9A-HJ-NP-Za-km-z]{40,128}\/\S+$/.test(adapter) ? adapter : undefined)
    if (key === undefined) throw new NoReceiptError(`This node does not know which adapter bundle ${found.receipt.contentId} is: rate it by <publisher>/<id>`)
    const review = (options.review ?? '').trim()
    const text = review !== '' ? review : `Rated ${found.name ?? key} ${score}/5`
    const item = await this.publishOwn(this.body(text, { adapters: [key], rating: { adapter: key, score, receipt: found.receipt } })) as Post
    let reward: RateResult['reward']
    if (found.receipt.price >= RATING_REWARD) {
      try {
        reward = { amount: (await ledger.claimRatingReward(found.receipt, score, options)).amount }
      } catch (err) {
        reward = { error: errorMessage(err) }
      }
    }
    return { post: this.view(item), ...(reward !== undefined ? { reward } : {}) }
  }

  metrics (adapterKey: string): VerifiedMetrics {
    const p = this.parts
    if (p === undefined) return { ratings: 0, downloads: 0 }
    return p.ratings.metrics(adapterKey, this.proofs(), this.safeLedger())
  }

  status (): SocialStatus {
    const p = this.parts
    if (p === undefined) return { posts: 0, own: 0, follows: 0, mutes: 0, gossip: undefined as never }
    const posts = p.store.posts()
    return {
      posts: posts.length,
      own: posts.filter(x => x.author === p.self).length,
      follows: p.store.follows.size,
      mutes: p.store.mutes.size,
      gossip: { ...p.gossip.stats, bytesOutPerSec: p.gossip.bytesOutPerSec, changeLog: p.gossip.changeLog }
    }
  }
}
