// Announcing hosted bundles on the DHT: each bundle's CID, id, name and topic keys. Keys that no peer
// took (no routing table yet, say) wait in `pending` and are retried every few seconds; everything
// hosted is re-provided on a schedule so provider records do not expire.
import type { CID } from 'multiformats/cid'
import type { AdapterManifest } from '../manifest'
import { combineSignals } from '../util/abort'
import { errorMessage } from '../util/logger'
import type { ContentContext } from './context'
import { parseCid } from './dag'
import { nameKey, normalizeTag, topicKey } from './keys'

/** How long `publish` waits for DHT provider records before leaving them to the background retry. */
export const PUBLISH_PROVIDE_WAIT_MS = 15_000

export interface ProvidedBundle { cid: string, manifest: AdapterManifest }

export class BundleProvider {
  /** Bundles with DHT keys no peer has taken yet (no routing table at publish time, say). */
  readonly pending = new Map<string, ProvidedBundle>()
  private retrying = false

  constructor (private readonly ctx: ContentContext) {}

  /** DHT keys for a hosted bundle: its CID, its id and name, and each specialization tag. */
  private keysOf (b: ProvidedBundle): CID[] {
    const keys = [parseCid(b.cid), nameKey(b.manifest.id)]
    if (normalizeTag(b.manifest.name) !== normalizeTag(b.manifest.id)) keys.push(nameKey(b.manifest.name))
    for (const t of new Set(b.manifest.specializations.map(normalizeTag))) keys.push(topicKey(t))
    return keys
  }

  /**
   * Provides every key of one bundle; returns how many succeeded (0 without DHT peers). A bundle with
   * keys that no peer took is retried every few seconds until they are all out (see retryPending).
   */
  async provideBundle (b: ProvidedBundle, signal?: AbortSignal): Promise<number> {
    let ok = 0
    const keys = this.keysOf(b)
    await Promise.all(keys.map(async key => {
      try {
        await this.ctx.dht.provide(key, { signal: combineSignals([signal, this.ctx.node.shutdownSignal], 60_000) })
        ok++
      } catch (err) {
        this.ctx.log.debug(`provide ${key.toString()}: ${errorMessage(err)}`)
      }
    }))
    if (ok < keys.length) this.pending.set(b.cid, b)
    else this.pending.delete(b.cid)
    return ok
  }

  /** A new bundle: provided within PUBLISH_PROVIDE_WAIT_MS, or queued for the retry loop without DHT peers. */
  async provideNew (b: ProvidedBundle, signal: AbortSignal): Promise<number> {
    if (this.ctx.dht.snapshot().routingTable.size === 0) {
      this.pending.set(b.cid, b)
      return 0
    }
    return this.provideBundle(b, combineSignals([signal], PUBLISH_PROVIDE_WAIT_MS))
  }

  async retryPending (): Promise<void> {
    if (this.retrying || this.pending.size === 0 || this.ctx.node.state !== 'started') return
    if (this.ctx.dht.snapshot().routingTable.size === 0) return
    this.retrying = true
    try {
      for (const b of [...this.pending.values()]) await this.provideBundle(b)
    } finally {
      this.retrying = false
    }
  }

  /** Re-announces every hosted bundle's keys. */
  async reprovide (options: { signal?: AbortSignal } = {}): Promise<number> {
    if (this.ctx.node.state !== 'started') return 0
    let n = 0
    for (const b of this.ctx.hosted.list()) n += await this.provideBundle(b, options.signal)
    this.ctx.dht.lastReprovideAt = Date.now()
    if (n > 0) this.ctx.log.debug(`re-provided ${n} DHT keys for ${this.ctx.hosted.size} bundles`)
    return n
  }
}
