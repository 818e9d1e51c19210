// Which neighbours a request goes to. `smart` ranks neighbours by how close what they lead to is to
// the query (the best cosine between the query and a sample of embeddings known for that neighbour:
// its adapters cached from gossip, and results that came back through it earlier), keeping a small
// share of random picks so unexplored regions still get traffic. `keyword` is the design's rule
// (overlap of the query's keywords with the neighbour's specializations), `random` picks at random,
// and `naive` forwards to every neighbour (plain flooding). The last three are for comparison.
import { EXPLORE_SHARE, PROFILE_VECTORS_PER_PEER } from './constants'

export type ForwardingStrategy = 'smart' | 'keyword' | 'random' | 'naive'

interface Profile {
  vectors: Float32Array[]
  tags: Set<string>
}

/** What this node knows about each neighbour's region of the mesh. */
export class NeighbourProfiles {
  private readonly learned = new Map<string, Profile>()
  private fromCatalog = new Map<string, Profile>()

  constructor (private readonly perPeer = PROFILE_VECTORS_PER_PEER) {}

  /** Replaces what the catalog says each neighbour holds (its cached remote entries by `availableFrom`). */
  setCatalogProfiles (profiles: Map<string, { vectors: Float32Array[], tags: Iterable<string> }>): void {
    const next = new Map<string, Profile>()
    for (const [peer, p] of profiles) next.set(peer, { vectors: sample(p.vectors, this.perPeer), tags: new Set([...p.tags].flatMap(words)) })
    this.fromCatalog = next
  }

  /** Results came back through `peer`: that direction leads to adapters like these. */
  learn (peer: string, vectors: Float32Array[], tags: Iterable<string>): void {
    let p = this.learned.get(peer)
    if (p === undefined) {
      // Bounded: forget the oldest peer when too many are tracked.
      if (this.learned.size >= 256) this.learned.delete(this.learned.keys().next().value!)
      p = { vectors: [], tags: new Set() }
      this.learned.set(peer, p)
    }
    for (const v of vectors) {
      if (p.vectors.length >= this.perPeer) p.vectors.splice(Math.floor(Math.random() * p.vectors.length), 1)
      p.vectors.push(v)
    }
    for (const t of tags) for (const w of words(t)) { if (p.tags.size < 1024) p.tags.add(w) }
  }

  forget (peer: string): void { this.learned.delete(peer) }

  /** Forgets everything learned from responses (benchmarks compare strategies from the same start). */
  resetLearned (): void { this.learned.clear() }

  known (peer: string): boolean {
    return (this.learned.get(peer)?.vectors.length ?? 0) > 0 || (this.fromCatalog.get(peer)?.vectors.length ?? 0) > 0
  }

  /** Best cosine between the query and anything known behind `peer`; undefined when nothing is known. */
  score (peer: string, query: Float32Array): number | undefined {
    let best: number | undefined
    for (const p of [this.learned.get(peer), this.fromCatalog.get(peer)]) {
      if (p === undefined) continue
      for (const v of p.vectors) {
        const s = dot(query, v)
        if (best === undefined || s > best) best = s
      }
    }
    return best
  }

  keywordScore (peer: string, keywords: string[]): number {
    let n = 0
    for (const k of keywords) if (this.learned.get(peer)?.tags.has(k) === true || this.fromCatalog.get(peer)?.tags.has(k) === true) n++
    return n
  }

  get size (): number { return new Set([...this.learned.keys(), ...this.fromCatalog.keys()]).size }
}

export interface ChooseInit {
  strategy: ForwardingStrategy
  candidates: string[]
  fanout: number
  query: Float32Array
  keywords: string[]
  profiles: NeighbourProfiles
  exploreShare?: number
  random?: () => number
}

/** Picks the neighbours a request is forwarded to. */
export function chooseTargets (init: ChooseInit): string[] {
  const { strategy, candidates, fanout, profiles } = init
  const rnd = init.random ?? Math.random
  if (strategy === 'naive' || candidates.length <= fanout) return [...candidates]
  const pool = shuffle([...candidates], rnd)
  if (strategy === 'random') return pool.slice(0, fanout)
  // Shuffled first, so ties (e.g. neighbours we know nothing about) break at random.
  const scored = pool.map(peer => ({
    peer,
    score: strategy === 'keyword' ? profiles.keywordScore(peer, init.keywords) : profiles.score(peer, init.query)
  }))
  if (strategy === 'keyword') return scored.sort((a, b) => (b.score ?? 0) - (a.score ?? 0)).slice(0, fanout).map(s => s.peer)
  // Neighbours we know nothing about rank like a middling known one: worth trying before clear misses.
  const knownScores = scored.map(s => s.score).filter((s): s is number => s !== undefined).sort((a, b) => a - b)
  const prior = knownScores.length === 0 ? 0 : knownScores[Math.floor(knownScores.length / 2)]
  const ranked = scored.map(s => ({ peer: s.peer, score: s.score ?? prior })).sort((a, b) => b.score - a.score)
  const explore = init.exploreShare ?? EXPLORE_SHARE
  const out: string[] = []
  while (out.length < fanout && ranked.length > 0) {
    const i = rnd() < explore ? Math.floor(rnd() * ranked.length) : 0
    out.push(ranked.splice(i, 1)[0].peer)
  }
  return out
}

function shuffle<T> (a: T[], rnd: () => number): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1))
    ;[a[i], a[j]] = [a[j], a[i]]
  }
  return a
}

function sample<T> (a: T[], n: number): T[] {
  return a.length <= n ? a : shuffle([...a], Math.random).slice(0, n)
}

export function dot (a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) s += a[i] * b[i]
  return s
}

/** A similarity clamped to [0, 1] (a peer's claim, or a dot product with rounding error). */
export function clamp01 (x: number): number { return x < 0 ? 0 : x > 1 ? 1 : x }

const STOPWORDS = new Set(['a', 'an', 'and', 'are', 'as', 'at', 'be', 'by', 'for', 'from', 'has', 'in', 'into', 'is', 'it', 'its', 'of', 'on', 'or', 'that', 'the', 'to', 'with', 'my', 'me', 'i', 'im', 'we', 'our', 'you', 'your', 'this', 'these', 'needs', 'need', 'help', 'building', 'build', 'ai', 'assistant', 'bot', 'which', 'what', 'who', 'can', 'will', 'must', 'should', 'do', 'does'])

/** Lower-case words of a tag or a query, without stopwords. */
export function words (text: string): string[] {
  return text.toLowerCase().split(/[^a-z0-9]+/).filter(w => w.length > 1 && !STOPWORDS.has(w))
}

/** A query's keywords for the wire: distinct words, in order, at most `max`. */
export function extractKeywords (text: string, max: number): string[] {
  return [...new Set(words(text))].filter(w => w.length <= 40).slice(0, max)
}
