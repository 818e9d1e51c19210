// The gossip feature: catalog sync with neighbours plus fast announcements, on a running node.
import type { MeshFeature } from '../feature'
import type { MeshNode } from '../mesh-node'
import { CatalogGossip, type CatalogGossipInit, type GossipStats } from './catalog-gossip'
import { catalogStore } from './catalog-store'
import { EXPIRE_INTERVAL_MS } from './constants'

export type GossipOptions = Pick<CatalogGossipInit, 'intervalMs' | 'fanout' | 'mode' | 'topN' | 'sortBy' | 'maxPullPerRound' | 'announce' | 'verifyMemo'>

export interface GossipFeature extends MeshFeature {
  /** Runs one round now (tests, "sync now" actions). */
  round(): Promise<void>
  status(): GossipStats & { cacheHitRate: number | null, searches: number }
}

export function gossip (options: GossipOptions = {}): GossipFeature {
  let engine: CatalogGossip | undefined
  let node: MeshNode | undefined
  let expireTimer: NodeJS.Timeout | undefined
  let known = new Set<string>()
  // A new neighbour gets an exchange right away instead of waiting for the next round.
  const onNeighbours = (e: CustomEvent<{ neighbours: string[] }>): void => {
    const now = new Set(e.detail.neighbours)
    for (const id of now) {
      if (known.has(id)) continue
      const peer = node?.neighbours.peers().find(p => p.toString() === id)
      if (peer !== undefined) void engine?.exchange(peer)
    }
    known = now
  }
  return {
    name: 'gossip',
    async start (n: MeshNode) {
      node = n
      engine = new CatalogGossip({
        ...options,
        libp2p: n.libp2p,
        store: catalogStore(n.catalog),
        neighbours: k => n.neighbours.random(k),
        isNeighbour: id => n.neighbours.has(id),
        drops: n.drops,
        penalise: (p, r) => n.penalise(p, r),
        log: n.log.child('gossip')
      })
      await engine.start()
      n.addEventListener('neighbours:change', onNeighbours)
      expireTimer = setInterval(() => {
        n.catalog.expireRemote().then(k => { if (k > 0) n.log.info(`Dropped ${k} cached adapters not re-announced for 24 h`) }, () => {})
      }, EXPIRE_INTERVAL_MS)
      expireTimer.unref()
    },
    async stop () {
      clearInterval(expireTimer)
      node?.removeEventListener('neighbours:change', onNeighbours)
      await engine?.stop()
      engine = undefined
    },
    async round () {
      await engine?.round()
    },
    status () {
      const s = engine!.status()
      const search = node!.catalog.searchStats()
      return { ...s, cacheHitRate: search.hitRate, searches: search.searches }
    }
  }
}
