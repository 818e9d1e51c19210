// Human-readable output for the CLI.
import type { MeshStatus, PeerSummary, Topology } from '..'

export function formatDuration (ms: number): string {
  const s = Math.floor(ms / 1000)
  const d = Math.floor(s / 86400)
  const h = Math.floor((s % 86400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  if (d > 0) return `${d}d ${h}h ${m}m`
  if (h > 0) return `${h}h ${m}m`
  if (m > 0) return `${m}m ${sec}s`
  return `${sec}s`
}

export function formatBytes (n: number): string {
  if (n < 1024) return `${Math.round(n)} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`
  return `${(n / 1024 / 1024).toFixed(1)} MB`
}

export function shortId (id: string): string {
  return id.length > 16 ? `${id.slice(0, 6)}…${id.slice(-6)}` : id
}

function rows (pairs: Array<[string, string]>): string {
  const w = Math.max(...pairs.map(([k]) => k.length)) + 1
  return pairs.map(([k, v]) => `${(k + ':').padEnd(w + 1)}${v}`).join('\n')
}

export function formatStatus (s: MeshStatus): string {
  const pairs: Array<[string, string]> = [
    ['Peer ID', s.peerId],
    ['Connected peers', String(s.connectedPeers)],
    ['Neighbours', `${s.neighbours.length}/${s.maxNeighbours}`],
    ['Catalog size', `${(s.catalog.local + s.catalog.remote).toLocaleString('en-US')} adapters (${s.catalog.local.toLocaleString('en-US')} local, ${s.catalog.remote.toLocaleString('en-US')} cached from peers)`],
    ['Uptime', formatDuration(s.uptimeMs)],
    ['Data dir', s.dataDir]
  ]
  const g = s.features.gossip as { cacheHitRate: number | null, searches: number, lastGossipAt: number | null, bytesInPerSec: number, bytesOutPerSec: number, intervalMs: number } | undefined
  if (g !== undefined) {
    pairs.push(['Cache hit rate', g.cacheHitRate === null ? 'no searches yet' : `${Math.round(g.cacheHitRate * 100)}% of ${g.searches} searches answered locally`])
    pairs.push(['Last gossip', g.lastGossipAt === null ? (g.intervalMs > 0 ? 'not yet' : 'off (--gossip-interval 0)') : `${formatDuration(Date.now() - g.lastGossipAt)} ago`])
    pairs.push(['Gossip bandwidth', `${formatBytes(g.bytesInPerSec)}/s in, ${formatBytes(g.bytesOutPerSec)}/s out (last minute)`])
  }
  const lines = [rows(pairs), '', 'Addresses:', ...s.addresses.map(a => `  ${a}`)]
  if (s.announce.length > 0) lines.push('Share:', ...s.announce.map(a => `  ${a}`))
  if (s.bootstrap !== null) {
    lines.push('', `Bootstrap (${formatDuration(s.bootstrap.finishedAt - s.bootstrap.startedAt)}):`)
    for (const r of s.bootstrap.strategies) {
      lines.push(`  ${r.summary}`)
      for (const p of r.problems) lines.push(`    ! ${p}`)
    }
  }
  const dropped = Object.entries(s.dropped).flatMap(([proto, reasons]) => Object.entries(reasons).map(([r, n]) => `${proto} ${r}: ${n}`))
  if (dropped.length > 0) lines.push('', 'Dropped messages:', ...dropped.map(d => `  ${d}`))
  return lines.join('\n')
}

export function formatPeers (peers: PeerSummary[]): string {
  if (peers.length === 0) return 'No connected peers. Add one with: continuum mesh connect <address>'
  return peers.map(p => `${p.neighbour ? '★' : ' '} ${p.peerId}  ${p.direction.padEnd(8)} ${p.latencyMs !== undefined ? `${p.latencyMs} ms`.padStart(7) : '      -'}  ${p.addresses[0] ?? ''}`).join('\n') +
    '\n(★ = neighbour used for gossip and search)'
}

/** An ASCII tree: this node, its neighbours, and the neighbours they report. */
export function formatTopology (t: Topology, graph: boolean): string {
  if (!graph) {
    return [`${t.self} (this node)`, ...t.neighbours.map(n => `  ${n.peerId}: ${n.neighbours === null ? `unreachable (${n.error ?? 'no answer'})` : `${n.neighbours.length} neighbours`}`)].join('\n')
  }
  const lines = [`● ${shortId(t.self)} (this node)`]
  if (t.neighbours.length === 0) lines.push('└── (no neighbours yet)')
  t.neighbours.forEach((n, i) => {
    const last = i === t.neighbours.length - 1
    lines.push(`${last ? '└' : '├'}── ${shortId(n.peerId)}${n.neighbours === null ? ' (unreachable)' : ''}`)
    const theirs = (n.neighbours ?? []).filter(id => id !== t.self)
    theirs.forEach((id, j) => {
      const mark = id === t.self ? ' (this node)' : t.neighbours.some(x => x.peerId === id) ? ' (also our neighbour)' : ''
      lines.push(`${last ? ' ' : '│'}   ${j === theirs.length - 1 ? '└' : '├'}── ${shortId(id)}${mark}`)
    })
  })
  return lines.join('\n')
}
