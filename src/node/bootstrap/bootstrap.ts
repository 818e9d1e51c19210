// Multi-strategy bootstrap from the design: mDNS, cached peers, configured bootstrap nodes,
// announcement lists and peer exchange. The first four run in parallel; PEX then asks the first
// connections for more. Each strategy is reported so the user sees where peers came from, and the
// network re-forms from cached peers + PEX when every configured bootstrap node is gone.
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { PeerId, PeerInfo } from '@libp2p/interface'
import type { MeshLibp2p } from '../transport/libp2p'
import type { PeerExchange } from '../peer-exchange/peer-exchange'
import type { Logger } from '../util/logger'
import { errorMessage } from '../util/logger'
import { delay } from '../util/abort'
import type { PeerCache } from './peer-cache'
import { loadAnnouncementSource, parseAnnouncements, parsePeerAddress } from './announcements'
import { dialBounded } from './dial'
import {
  CACHED_PEER_MAX_AGE_MS, CACHED_PEERS_TO_DIAL, DIAL_CONCURRENCY, DIAL_TIMEOUT_MS,
  MDNS_REPORT_WINDOW_MS, PEX_MAX_DIALS, PEX_PEERS_ASKED
} from './constants'

export type StrategyName = 'mdns' | 'cached' | 'configured' | 'announcements' | 'pex'

export interface StrategyReport {
  strategy: StrategyName
  /** Candidate peers this strategy produced. */
  found: number
  /** Of those, peers we are now connected to. */
  connected: number
  /** One line per problem (invalid announcement line, unreachable list, ...). */
  problems: string[]
  /** The human-readable line, like the design's "Found 2 peers on local network". */
  summary: string
}

export interface BootstrapReport {
  startedAt: number
  finishedAt: number
  strategies: StrategyReport[]
  connectedPeers: number
  lines: string[]
}

export interface BootstrapInit {
  libp2p: MeshLibp2p
  log: Logger
  peerCache: PeerCache
  pex: PeerExchange
  mdns: boolean
  bootstrapAddrs: string[]
  announceSources: string[]
}

export class Bootstrapper {
  private mdnsFound = new Set<string>()
  /** The mDNS line of the report stays live: discovery goes on after bootstrap. */
  private mdnsReport?: StrategyReport
  private readonly mdnsDialing = new Set<string>()
  private readonly controller = new AbortController()
  private readonly onDiscovery = (evt: CustomEvent<PeerInfo>): void => { this.discovered(evt.detail) }

  constructor (private readonly init: BootstrapInit) {}

  start (): void {
    if (this.init.mdns) this.init.libp2p.addEventListener('peer:discovery', this.onDiscovery)
  }

  stop (): void {
    this.controller.abort()
    this.init.libp2p.removeEventListener('peer:discovery', this.onDiscovery)
  }

  /** mDNS finds peers but does not dial them: dial each new one, bounded. */
  private discovered (info: PeerInfo): void {
    const id = info.id.toString()
    if (info.multiaddrs.length === 0) return
    if (!this.mdnsFound.has(id)) {
      this.mdnsFound.add(id)
      if (this.mdnsReport !== undefined) {
        this.updateMdnsReport(this.mdnsReport)
        this.init.log.info(`${this.mdnsReport.summary} (new: ${id.slice(-8)})`)
      }
    }
    const { libp2p } = this.init
    if (libp2p.getConnections(info.id).length > 0 || this.mdnsDialing.has(id) || this.mdnsDialing.size >= DIAL_CONCURRENCY) return
    this.mdnsDialing.add(id)
    libp2p.dial(info.id, { signal: AbortSignal.any([this.controller.signal, AbortSignal.timeout(DIAL_TIMEOUT_MS)]) })
      .catch(err => this.init.log.debug(`mDNS peer ${id.slice(-8)} not reachable: ${errorMessage(err)}`))
      .finally(() => this.mdnsDialing.delete(id))
  }

  /**
   * Runs every strategy once and reports; never throws. `quiet` (the periodic re-runs while the node
   * has no peers) logs at debug level unless peers were found.
   */
  async run (options: { quiet?: boolean } = {}): Promise<BootstrapReport> {
    const base = this.init.log
    const loud = options.quiet !== true
    const log = { info: (m: string) => loud ? base.info(m) : base.debug(m), warn: (m: string) => loud ? base.warn(m) : base.debug(m) }
    const startedAt = Date.now()
    log.info('Bootstrapping mesh network...')
    const first = await Promise.all([
      this.runMdns(),
      this.runCached(),
      this.runConfigured(),
      this.runAnnouncements()
    ])
    const reports = first.filter((r): r is StrategyReport => r !== null)
    for (const r of reports) {
      log.info(r.summary)
      for (const p of r.problems) log.warn(`  ${p}`)
    }
    const before = this.init.libp2p.getPeers().length
    if (before > 0) base.info(`✅ Bootstrap successful: connected to ${before} peer${before === 1 ? '' : 's'}`)
    else log.warn(`No peers yet: waiting for ${this.init.mdns ? 'mDNS or ' : ''}other nodes to connect (add one with \`continuum mesh connect <address>\`)`)
    const pex = await this.runPex()
    log.info(pex.summary)
    reports.push(pex)
    const connectedPeers = this.init.libp2p.getPeers().length
    return { startedAt, finishedAt: Date.now(), strategies: reports, connectedPeers, lines: reports.map(r => r.summary) }
  }

  private async runMdns (): Promise<StrategyReport | null> {
    if (!this.init.mdns) return null
    await delay(MDNS_REPORT_WINDOW_MS, { signal: this.controller.signal }).catch(() => {})
    this.mdnsReport ??= { strategy: 'mdns', found: 0, connected: 0, problems: [], summary: '' }
    this.updateMdnsReport(this.mdnsReport)
    return this.mdnsReport
  }

  private updateMdnsReport (r: StrategyReport): void {
    r.found = this.mdnsFound.size
    r.connected = [...this.mdnsFound].filter(id => this.isConnected(id)).length
    r.summary = `Found ${r.found} peer${r.found === 1 ? '' : 's'} on local network`
  }

  private async runCached (): Promise<StrategyReport> {
    const cached = this.init.peerCache.recent(CACHED_PEERS_TO_DIAL, CACHED_PEER_MAX_AGE_MS)
      .filter(p => p.peerId !== this.init.libp2p.peerId.toString())
    const addrs: Multiaddr[] = []
    for (const p of cached) {
      for (const a of p.addrs) {
        try { addrs.push(multiaddr(a.includes('/p2p/') ? a : `${a}/p2p/${p.peerId}`)) } catch { /* skip damaged entry */ }
      }
    }
    const outcome = await this.dial(addrs)
    const connected = cached.filter(p => outcome.includes(p.peerId) || this.isConnected(p.peerId)).length
    return { strategy: 'cached', found: cached.length, connected, problems: [], summary: `Found ${cached.length} cached peer${cached.length === 1 ? '' : 's'} (${connected} reachable)` }
  }

  private async runConfigured (): Promise<StrategyReport | null> {
    if (this.init.bootstrapAddrs.length === 0) return null
    const problems: string[] = []
    const addrs: Multiaddr[] = []
    const ids: string[] = []
    for (const text of this.init.bootstrapAddrs) {
      try {
        const { addr, peerId } = parsePeerAddress(text)
        addrs.push(addr)
        ids.push(peerId)
      } catch (err) {
        problems.push(`bootstrap address "${text}": ${(err as Error).message}`)
      }
    }
    const outcome = await this.dial(addrs)
    const online = ids.filter(id => outcome.includes(id) || this.isConnected(id)).length
    return { strategy: 'configured', found: ids.length, connected: online, problems, summary: `Found ${online}/${this.init.bootstrapAddrs.length} bootstrap nodes online` }
  }

  private async runAnnouncements (): Promise<StrategyReport | null> {
    if (this.init.announceSources.length === 0) return null
    const problems: string[] = []
    const addrs: Multiaddr[] = []
    const ids = new Set<string>()
    await Promise.all(this.init.announceSources.map(async source => {
      try {
        const parsed = parseAnnouncements(await loadAnnouncementSource(source, { signal: this.controller.signal }))
        for (const p of parsed.problems) problems.push(`${source}:${p.line}: ${p.reason} (skipped)`)
        for (const p of parsed.peers) {
          if (p.peerId === this.init.libp2p.peerId.toString()) continue
          addrs.push(p.addr)
          ids.add(p.peerId)
        }
      } catch (err) {
        problems.push(errorMessage(err))
      }
    }))
    const outcome = await this.dial(addrs)
    const connected = [...ids].filter(id => outcome.includes(id) || this.isConnected(id)).length
    return { strategy: 'announcements', found: ids.size, connected, problems, summary: `Found ${ids.size} peer${ids.size === 1 ? '' : 's'} from announcement lists (${connected} reachable)` }
  }

  /** Asks up to three connected Continuum peers for their peers and dials the new ones, bounded. */
  async runPex (): Promise<StrategyReport> {
    const { libp2p, pex } = this.init
    await this.settleIdentify(2_000)
    const asked = await this.continuumPeers(PEX_PEERS_ASKED)
    const problems: string[] = []
    const learned = new Map<string, Multiaddr[]>()
    // Every distinct peer received counts, also one another strategy (or the DHT) connected meanwhile;
    // only the ones not connected yet are dialed.
    const received = new Set<string>()
    await Promise.all(asked.map(async peer => {
      try {
        const res = await pex.ask(peer, undefined, { signal: this.controller.signal })
        for (const p of res.peers) {
          if (p.id === libp2p.peerId.toString()) continue
          received.add(p.id)
          if (this.isConnected(p.id) || learned.has(p.id)) continue
          learned.set(p.id, p.addrs.map(a => multiaddr(a)))
        }
      } catch (err) {
        problems.push(`peer exchange with ${peer.toString().slice(-8)} failed: ${errorMessage(err)}`)
      }
    }))
    const targets = [...learned.entries()].slice(0, PEX_MAX_DIALS)
    const addrs = targets.map(([, a]) => a[0]).filter((a): a is Multiaddr => a !== undefined)
    const outcome = await this.dial(addrs)
    const total = libp2p.getPeers().length
    return {
      strategy: 'pex',
      found: received.size,
      connected: outcome.length,
      problems,
      summary: `Received ${received.size} peer${received.size === 1 ? '' : 's'} via PEX from ${asked.length} peer${asked.length === 1 ? '' : 's'} (total: ${total} peer${total === 1 ? '' : 's'})`
    }
  }

  /** Right after a dial the peer store knows only identify's protocol: wait briefly for identify to finish. */
  private async settleIdentify (maxMs: number): Promise<void> {
    const deadline = Date.now() + maxMs
    while (Date.now() < deadline && !this.controller.signal.aborted) {
      let pending = 0
      // Only the first few matter: they are the ones PEX asks.
      for (const peer of this.init.libp2p.getPeers().slice(0, PEX_PEERS_ASKED * 2)) {
        try {
          if ((await this.init.libp2p.peerStore.get(peer)).protocols.length <= 1) pending++
        } catch { pending++ }
      }
      if (pending === 0) return
      await delay(100, { signal: this.controller.signal }).catch(() => {})
    }
  }

  private async continuumPeers (limit: number): Promise<PeerId[]> {
    const out: PeerId[] = []
    for (const peer of this.init.libp2p.getPeers()) {
      if (out.length >= limit) break
      try {
        if ((await this.init.libp2p.peerStore.get(peer)).protocols.includes('/continuum/pex/1.0.0')) out.push(peer)
      } catch { /* unknown yet */ }
    }
    return out
  }

  private isConnected (id: string): boolean {
    return this.init.libp2p.getPeers().some(p => p.toString() === id)
  }

  private async dial (addrs: Multiaddr[]): Promise<string[]> {
    if (addrs.length === 0) return []
    const outcome = await dialBounded(this.init.libp2p, addrs, { concurrency: DIAL_CONCURRENCY, timeoutMs: DIAL_TIMEOUT_MS, signal: this.controller.signal })
    for (const f of outcome.failed) this.init.log.debug(`dial ${f.target} failed: ${f.reason}`)
    return outcome.connected
  }
}
