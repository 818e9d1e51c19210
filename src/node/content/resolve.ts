// Finding content: which peers host a CID, which bundles peers offer under a name (and of which
// publisher), and which adapters a topic's providers offer. Sources: what this node hosts, connected
// peers (one resolve round trip each), catalog hints from gossip and search, and the DHT. Also the
// serving side of the resolve protocol: what this node answers about what it hosts.
import type { PeerId, PeerInfo } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { CID } from 'multiformats/cid'
import { z } from 'zod'
import { isNewer } from '../catalog/catalog'
import { verifyManifest, type AdapterManifest } from '../manifest'
import { request, serve } from '../transport/rpc'
import { combineSignals } from '../util/abort'
import { errorMessage } from '../util/logger'
import type { TopicLookup, TopicProvider } from './api'
import { FIND_PROVIDERS_TIMEOUT_MS, MAX_PROVIDERS, RESOLVE_PROTOCOL } from './constants'
import type { ContentContext } from './context'
import { formatCid, looksLikeCid, parseCid } from './dag'
import { AmbiguousPublisherError, InvalidContentRefError } from './errors'
import type { HostedBundle } from './hosted'
import { nameKey, normalizeTag, topicKey } from './keys'
import { formatContentRef, type ContentRef } from './ref'

const ResolveRequest = z.object({ ref: z.string().min(1).max(300).optional(), topic: z.string().min(1).max(100).optional() }).strict()
  .refine(r => (r.ref === undefined) !== (r.topic === undefined), 'exactly one of ref and topic')
const ResolveResponse = z.object({ bundles: z.array(z.object({ cid: z.string().max(128), size: z.number().int().min(0), manifest: z.unknown() })).max(64) })

export interface Candidate { cid: CID, manifest?: AdapterManifest, providers: Map<string, PeerInfo | undefined> }

export class Resolver {
  constructor (private readonly ctx: ContentContext) {}

  /** Answers peers' resolve requests from what this node hosts; bad requests are dropped and counted. */
  async serve (): Promise<void> {
    const node = this.ctx.node
    await serve(node.libp2p, RESOLVE_PROTOCOL, {
      maxBytes: 4096,
      timeoutMs: 10_000,
      requestSchema: ResolveRequest,
      handle: req => ({ bundles: this.answerResolve(req).slice(0, 64).map(b => ({ cid: b.cid, size: b.size, manifest: b.manifest })) }),
      onBadMessage: reason => node.drops.add('content-resolve', reason)
    })
  }

  async unserve (): Promise<void> {
    await this.ctx.node.libp2p.unhandle(RESOLVE_PROTOCOL).catch(() => {})
  }

  private answerResolve (req: { ref?: string, topic?: string }): HostedBundle[] {
    const hosted = this.ctx.hosted
    if (req.topic !== undefined) return hosted.withTopic(normalizeTag(req.topic), normalizeTag)
    const ref = req.ref!
    if (looksLikeCid(ref)) {
      const cid = formatCid(parseCid(ref))
      const b = hosted.get(cid)
      return b === undefined ? [] : [b]
    }
    return hosted.match(ref)
  }

  private async askResolve (peer: PeerId, body: { ref?: string, topic?: string }, signal: AbortSignal): Promise<Array<{ cid: CID, size: number, manifest: AdapterManifest }>> {
    const node = this.ctx.node
    const res = await request(node.libp2p, peer, RESOLVE_PROTOCOL, body, { signal, timeoutMs: 10_000, maxBytes: 8 * 1024 * 1024, responseSchema: ResolveResponse })
    const out: Array<{ cid: CID, size: number, manifest: AdapterManifest }> = []
    for (const b of res.bundles) {
      const check = await verifyManifest(b.manifest, { signal })
      if (!check.ok) { node.drops.add('content-resolve', 'invalid'); continue }
      try { out.push({ cid: parseCid(b.cid), size: b.size, manifest: check.manifest }) } catch { node.drops.add('content-resolve', 'invalid') }
    }
    return out
  }

  /** Connected peers, neighbours first, capped: the cheap first place to ask. */
  private nearbyPeers (max = 16): PeerId[] {
    if (this.ctx.init.askConnectedPeers === false) return []
    const libp2p = this.ctx.node.libp2p
    const neighbours = new Set(this.ctx.node.neighbours.list())
    return [...libp2p.getPeers()].sort((a, b) => Number(neighbours.has(b.toString())) - Number(neighbours.has(a.toString()))).slice(0, max)
  }

  /**
   * Finds providers of a CID: connected peers that host it (one resolve round trip each) and the
   * DHT's provider records, in parallel. Returns peer ids, how many peers were asked and the time.
   */
  async findProviders (cid: CID, options: { signal?: AbortSignal, limit?: number } = {}): Promise<{ providers: PeerId[], queried: number, elapsedMs: number }> {
    const { node, init, dht, log } = this.ctx
    const started = Date.now()
    const limit = options.limit ?? init.maxProviders ?? MAX_PROVIDERS
    const signal = combineSignals([options.signal, node.shutdownSignal], init.findProvidersTimeoutMs ?? FIND_PROVIDERS_TIMEOUT_MS)
    const found = new Map<string, PeerId>()
    const bad = this.ctx.blacklist.get(formatCid(cid))
    const self = node.peerId.toString()
    const add = (p: PeerId): void => { const id = p.toString(); if (id !== self && bad?.has(id) !== true) found.set(id, p) }
    const nearby = this.nearbyPeers()
    const direct = Promise.all(nearby.map(async p => {
      try {
        const r = await this.askResolve(p, { ref: formatCid(cid) }, signal)
        if (r.some(b => b.cid.equals(cid.toV1()))) add(p)
      } catch { /* not running the protocol, or gone */ }
    }))
    let queried = nearby.length
    const viaDht = (async () => {
      try {
        const r = await dht.findProviders(cid, { signal, limit })
        queried += r.queried
        for (const info of r.providers) {
          if (info.multiaddrs.length > 0) await node.libp2p.peerStore.merge(info.id, { multiaddrs: info.multiaddrs }).catch(() => {})
          add(info.id)
        }
      } catch (err) {
        log.debug(`DHT findProviders ${cid.toString()}: ${errorMessage(err)}`)
      }
    })()
    await Promise.all([direct, viaDht])
    return { providers: [...found.values()].slice(0, limit), queried, elapsedMs: Date.now() - started }
  }

  /** Every bundle peers offer under a name/id (DHT name key + catalog hints), of any publisher and version. */
  async resolveName (base: string, signal: AbortSignal): Promise<{ candidates: Candidate[], queried: number }> {
    const { node, init, dht, log } = this.ctx
    const ref = base
    const peers = new Map<string, PeerId>()
    for (const p of this.nearbyPeers()) peers.set(p.toString(), p)
    // Catalog hints: peers that told us (by gossip/search) they have an adapter with this id or name.
    for (const hit of node.catalog.list()) {
      const m = hit.manifest
      if (m.id !== base.toLowerCase() && m.name.toLowerCase() !== base.toLowerCase()) continue
      for (const id of hit.availableFrom) { try { peers.set(id, peerIdFromString(id)) } catch { /* ignore */ } }
    }
    let queried = 0
    try {
      const r = await dht.findProviders(nameKey(base), { signal, limit: init.maxProviders ?? MAX_PROVIDERS })
      queried += r.queried
      for (const info of r.providers) {
        if (info.multiaddrs.length > 0) await node.libp2p.peerStore.merge(info.id, { multiaddrs: info.multiaddrs }).catch(() => {})
        peers.set(info.id.toString(), info.id)
      }
    } catch (err) {
      log.debug(`DHT name lookup ${ref}: ${errorMessage(err)}`)
    }
    peers.delete(node.peerId.toString())
    queried += peers.size
    const byCid = new Map<string, Candidate>()
    await Promise.all([...peers.values()].map(async p => {
      try {
        for (const b of await this.askResolve(p, { ref }, signal)) {
          const key = formatCid(b.cid)
          let c = byCid.get(key)
          if (c === undefined) byCid.set(key, c = { cid: b.cid, manifest: b.manifest, providers: new Map() })
          c.providers.set(p.toString(), undefined)
        }
      } catch { /* peer without the protocol, or gone */ }
    }))
    return { candidates: [...byCid.values()], queried }
  }

  /**
   * Picks the bundle a name reference means, or refuses. The publisher is fixed when the reference or
   * `--publisher` names one, else when the lockfile pins one for this id; a candidate of another
   * publisher is then never taken. A bare name offered by several publishers takes the one this node
   * already trusts (its own, or one whose adapter it hosts); otherwise the user must choose.
   */
  choose (ref: Extract<ContentRef, { kind: 'name' }>, candidates: Candidate[], pin: { publisher?: string, source: string }): Candidate | undefined {
    const lower = ref.id.toLowerCase()
    const fits = candidates.filter(c => c.manifest !== undefined && (c.manifest.id === lower || c.manifest.name.toLowerCase() === lower) && (ref.version === undefined || c.manifest.version === ref.version))
    if (fits.length === 0) return undefined
    const list = (cs: Candidate[]): string => [...new Set(cs.map(c => formatContentRef(c.manifest!)))].slice(0, 6).join(', ')
    const newest = (cs: Candidate[]): Candidate => cs.reduce((a, b) => isNewer(b.manifest!, a.manifest!) ? b : a)
    if (pin.publisher !== undefined) {
      const same = fits.filter(c => c.manifest!.publisher === pin.publisher)
      if (same.length > 0) return newest(same)
      throw new AmbiguousPublisherError(`"${ref.id}" from publisher ${pin.publisher} (${pin.source}) was not found; other publishers offer ${list(fits)}: install one of those refs explicitly if you trust it`)
    }
    const publishers = new Set(fits.map(c => c.manifest!.publisher))
    if (publishers.size === 1) return newest(fits)
    const trusted = new Set([this.ctx.node.peerId.toString(), ...this.ctx.hosted.list().map(b => b.manifest.publisher)])
    const known = fits.filter(c => trusted.has(c.manifest!.publisher))
    if (known.length > 0 && new Set(known.map(c => c.manifest!.publisher)).size === 1) return newest(known)
    throw new AmbiguousPublisherError(`"${ref.id}" is offered by ${publishers.size} publishers: ${list(fits)}; install one of them by its full ref (publisher/id@version)`)
  }

  /** Providers of a specialization tag (one DHT lookup), with the adapters each offers for it. */
  async findTopic (tag: string, options: { signal?: AbortSignal, limit?: number } = {}): Promise<TopicLookup> {
    const { node, init, dht, hosted } = this.ctx
    const norm = normalizeTag(tag)
    if (norm === '' || norm.length > 64) throw new InvalidContentRefError('A topic is a specialization tag of 1-64 characters, e.g. "wine pairing"')
    const signal = combineSignals([options.signal, node.shutdownSignal], init.findProvidersTimeoutMs ?? FIND_PROVIDERS_TIMEOUT_MS)
    const started = Date.now()
    const r = await dht.findProviders(topicKey(norm), { signal, limit: options.limit ?? 20, includeSelf: true })
    const providers = await Promise.all(r.providers.map(async (info): Promise<TopicProvider> => {
      const peerId = info.id.toString()
      const list = peerId === node.peerId.toString()
        ? hosted.withTopic(norm, normalizeTag).map(b => ({ cid: parseCid(b.cid), manifest: b.manifest }))
        : await (async () => {
          if (info.multiaddrs.length > 0) await node.libp2p.peerStore.merge(info.id, { multiaddrs: info.multiaddrs }).catch(() => {})
          return this.askResolve(info.id, { topic: norm }, combineSignals([signal], 5_000)).catch(() => [])
        })()
      const adapters = list.map(b => ({ id: b.manifest.id, name: b.manifest.name, version: b.manifest.version, cid: formatCid(b.cid) }))
      return { peerId, addresses: info.multiaddrs.map(a => a.toString()), adapters }
    }))
    return { tag: norm, providers, elapsedMs: Date.now() - started, hops: r.hops, queried: r.queried }
  }
}
