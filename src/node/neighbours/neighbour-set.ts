// The explicit, capped set of neighbours that gossip and flood search talk to. It is kept apart from
// "all connections" because the DHT opens many short-lived connections that are not neighbours.
// Lost neighbours are replaced: first from other connected Continuum peers, then by dialing known
// Continuum peers from the peer store, each with exponential backoff after a failed dial.
import type { PeerId } from '@libp2p/interface'
import type { MeshLibp2p } from '../transport/libp2p'
import type { Logger } from '../util/logger'
import { PEX_PROTOCOL } from '../peer-exchange/constants'
import { BACKOFF_MAX_MS, BACKOFF_MIN_MS, DEFAULT_MAX_NEIGHBOURS, MAINTAIN_INTERVAL_MS } from './constants'

export interface NeighbourSetInit {
  libp2p: MeshLibp2p
  log: Logger
  /** @default 8 */
  maxNeighbours?: number
  /** How often the set is topped up, in ms. @default 5000 */
  maintainIntervalMs?: number
  onChange?: (neighbours: string[]) => void
}

interface Backoff { until: number, delay: number }

export class NeighbourSet {
  readonly max: number
  private readonly members = new Map<string, PeerId>()
  private readonly backoff = new Map<string, Backoff>()
  private timer?: NodeJS.Timeout
  private maintaining = false
  private readonly controller = new AbortController()
  private readonly onIdentify = (evt: CustomEvent<{ peerId: PeerId, protocols: string[] }>): void => {
    if (evt.detail.protocols.includes(PEX_PROTOCOL)) this.tryAdd(evt.detail.peerId)
  }

  private readonly onDisconnect = (evt: CustomEvent<PeerId>): void => {
    const id = evt.detail.toString()
    if (this.members.delete(id)) {
      this.init.log.info(`Neighbour ${short(id)} left (${this.members.size}/${this.max})`)
      this.changed()
      void this.maintain()
    }
  }

  constructor (private readonly init: NeighbourSetInit) {
    this.max = init.maxNeighbours ?? DEFAULT_MAX_NEIGHBOURS
  }

  start (): void {
    this.init.libp2p.addEventListener('peer:identify', this.onIdentify)
    this.init.libp2p.addEventListener('peer:disconnect', this.onDisconnect)
    this.timer = setInterval(() => { void this.maintain() }, this.init.maintainIntervalMs ?? MAINTAIN_INTERVAL_MS)
    this.timer.unref()
  }

  stop (): void {
    this.controller.abort()
    clearInterval(this.timer)
    this.init.libp2p.removeEventListener('peer:identify', this.onIdentify)
    this.init.libp2p.removeEventListener('peer:disconnect', this.onDisconnect)
  }

  list (): string[] { return [...this.members.keys()] }
  peers (): PeerId[] { return [...this.members.values()] }
  has (id: string): boolean { return this.members.has(id) }
  get size (): number { return this.members.size }

  /** Up to `n` distinct neighbours in random order. */
  random (n: number): PeerId[] {
    const all = this.peers()
    for (let i = all.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1))
      ;[all[i], all[j]] = [all[j], all[i]]
    }
    return all.slice(0, n)
  }

  private tryAdd (peer: PeerId): boolean {
    const id = peer.toString()
    if (this.members.has(id) || this.members.size >= this.max) return false
    if (this.init.libp2p.getConnections(peer).length === 0) return false
    this.members.set(id, peer)
    this.backoff.delete(id)
    this.init.log.info(`Neighbour ${short(id)} joined (${this.members.size}/${this.max})`)
    this.changed()
    return true
  }

  private changed (): void { this.init.onChange?.(this.list()) }

  /** Tops the set up to its cap. Safe to call often; runs one pass at a time. */
  async maintain (): Promise<void> {
    if (this.maintaining || this.members.size >= this.max || this.controller.signal.aborted) return
    this.maintaining = true
    try {
      const { libp2p } = this.init
      // 1. Already-connected Continuum peers.
      for (const peer of libp2p.getPeers()) {
        if (this.members.size >= this.max) return
        if (this.members.has(peer.toString())) continue
        if (await this.speaksContinuum(peer)) this.tryAdd(peer)
      }
      // 2. Known Continuum peers from the peer store, respecting backoff.
      const now = Date.now()
      const known = await libp2p.peerStore.all({ filters: [p => p.protocols.includes(PEX_PROTOCOL) && p.addresses.length > 0] })
      const wanted = known.filter(p => !this.members.has(p.id.toString()) && libp2p.getConnections(p.id).length === 0 && (this.backoff.get(p.id.toString())?.until ?? 0) <= now)
      for (const p of wanted.slice(0, this.max - this.members.size)) {
        try {
          await libp2p.dial(p.id, { signal: AbortSignal.any([this.controller.signal, AbortSignal.timeout(5_000)]) })
          // identify will add it; add directly too in case identify already ran earlier.
          this.tryAdd(p.id)
        } catch {
          const prev = this.backoff.get(p.id.toString())?.delay ?? BACKOFF_MIN_MS / 2
          const delay = Math.min(prev * 2, BACKOFF_MAX_MS)
          this.backoff.set(p.id.toString(), { until: Date.now() + delay, delay })
        }
      }
    } catch (err) {
      // Maintenance is best effort (the node may be stopping under it); the next tick retries.
      if (!this.controller.signal.aborted) this.init.log.debug(`neighbour maintenance: ${(err as Error).message}`)
    } finally {
      this.maintaining = false
    }
  }

  private async speaksContinuum (peer: PeerId): Promise<boolean> {
    try {
      return (await this.init.libp2p.peerStore.get(peer)).protocols.includes(PEX_PROTOCOL)
    } catch {
      return false
    }
  }
}

function short (id: string): string { return id.slice(-8) }
