// Mesh: the node's figures, kept live by the event stream, its peers, and a graph of the topology
// (this node, its neighbours and the neighbours they report).
import { LitElement, html, nothing, type TemplateResult } from 'lit'
import cytoscape, { type Core, type ElementDefinition } from 'cytoscape'
import type { MeshClient, MeshStatusView, NodeEvent, PeerView, TopologyView } from './protocol'
import { countOf, errorText, flattenFigures, formatBytes, formatDuration, formatFigure, formatNumber, humanise, shortId } from './format'

export interface GraphData { nodes: Array<{ id: string, role: 'self' | 'neighbour' | 'peer' | 'remote' }>, edges: Array<{ source: string, target: string }> }

/** Nodes and undirected links from the topology, plus connected peers that are not neighbours. */
export function graphFromTopology (topo: TopologyView, peers: PeerView[]): GraphData {
  const roles = new Map<string, GraphData['nodes'][number]['role']>([[topo.self, 'self']])
  const edges = new Map<string, { source: string, target: string }>()
  const link = (a: string, b: string): void => {
    if (a === b) return
    const [x, y] = a < b ? [a, b] : [b, a]
    edges.set(`${x} ${y}`, { source: x, target: y })
  }
  for (const n of topo.neighbours) {
    roles.set(n.peerId, 'neighbour')
    link(topo.self, n.peerId)
  }
  for (const p of peers) {
    if (!roles.has(p.peerId)) roles.set(p.peerId, 'peer')
    link(topo.self, p.peerId)
  }
  for (const n of topo.neighbours) {
    for (const m of n.neighbours ?? []) {
      if (!roles.has(m)) roles.set(m, 'remote')
      link(n.peerId, m)
    }
  }
  return { nodes: [...roles].map(([id, role]) => ({ id, role })), edges: [...edges.values()] }
}

interface RecentEvent { time: number, text: string }

/**
 * Cytoscape injects a <style> tag for its container unless an element with this id exists; a strict CSP
 * blocks that tag, and styles.css carries the same rule.
 */
function preventCytoscapeStyleTag (): void {
  const id = '__________cytoscape_stylesheet'
  if (document.getElementById(id) !== null) return
  const marker = document.createElement('meta')
  marker.id = id
  document.head.append(marker)
}

export class MeshPage extends LitElement {
  client!: MeshClient
  status?: MeshStatusView
  private peers: PeerView[] = []
  private topology?: TopologyView
  private graph?: GraphData
  private error?: string
  private topologyError?: string
  private recent: RecentEvent[] = []
  private cy?: Core
  private refreshTimer?: ReturnType<typeof setTimeout>
  private topologyTimer?: ReturnType<typeof setTimeout>
  private themeObserver?: MutationObserver

  protected override createRenderRoot (): HTMLElement { return this }

  override connectedCallback (): void {
    super.connectedCallback()
    // VS Code swaps theme classes on <body>; the browser page sets data-theme on <html>.
    this.themeObserver = new MutationObserver(() => this.styleGraph())
    this.themeObserver.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme', 'style', 'class'] })
    this.themeObserver.observe(document.body, { attributes: true, attributeFilter: ['class'] })
  }

  override disconnectedCallback (): void {
    super.disconnectedCallback()
    this.themeObserver?.disconnect()
    this.cy?.destroy()
    this.cy = undefined
  }

  /** Called by the app with every live event. */
  onNodeEvent (e: NodeEvent): void {
    if (e.type === 'log') return
    const text = e.type === 'peer:connect' ? `Connected to ${shortId(e.data.peerId)}`
      : e.type === 'peer:disconnect' ? `Disconnected from ${shortId(e.data.peerId)}`
        : e.type === 'neighbours:change' ? `Neighbours: ${e.data.neighbours.length}`
          : `Bootstrap finished: ${countOf(e.data.connectedPeers, 'peer')}`
    this.recent = [{ time: Date.now(), text }, ...this.recent].slice(0, 20)
    this.requestUpdate()
    this.scheduleRefresh(300, true)
  }

  /** Debounced: a burst of events gives one refresh. */
  scheduleRefresh (delayMs = 300, topology = true): void {
    clearTimeout(this.refreshTimer)
    this.refreshTimer = setTimeout(() => { void this.refreshPeers() }, delayMs)
    if (topology) {
      clearTimeout(this.topologyTimer)
      // Neighbours answer PEX a moment after they connect; ask a little later.
      this.topologyTimer = setTimeout(() => { void this.refreshTopology() }, delayMs + 700)
    }
  }

  async refreshPeers (): Promise<void> {
    try {
      this.peers = await this.client.peers()
      this.error = undefined
    } catch (err) {
      this.error = `Could not read the peers: ${errorText(err)}`
    }
    this.requestUpdate()
  }

  async refreshTopology (): Promise<void> {
    try {
      const [topo, peers] = await Promise.all([this.client.topology(), this.client.peers()])
      this.topology = topo
      this.peers = peers
      this.graph = graphFromTopology(topo, peers)
      this.topologyError = undefined
    } catch (err) {
      this.topologyError = `Could not read the topology: ${errorText(err)}`
    }
    this.requestUpdate()
    await this.updateComplete
    this.drawGraph()
  }

  private drawGraph (): void {
    const container = this.querySelector<HTMLElement>('#topology-graph')
    // A hidden tab has no size to lay out in: draw when the page is shown.
    if (container === null || this.graph === undefined || container.offsetWidth === 0) return
    const elements: ElementDefinition[] = [
      ...this.graph.nodes.map(n => ({ group: 'nodes' as const, data: { id: n.id, label: n.role === 'self' ? 'this node' : shortId(n.id), role: n.role } })),
      ...this.graph.edges.map(e => ({ group: 'edges' as const, data: { id: `${e.source}-${e.target}`, source: e.source, target: e.target } }))
    ]
    if (this.cy === undefined || this.cy.container() !== container) {
      preventCytoscapeStyleTag()
      this.cy?.destroy()
      this.cy = cytoscape({ container, elements, userZoomingEnabled: true, boxSelectionEnabled: false, wheelSensitivity: 0.3 })
    } else {
      this.cy.json({ elements })
    }
    this.cy.resize()
    this.styleGraph()
    this.cy.layout({ name: 'cose', animate: false, padding: 30, randomize: false, nodeRepulsion: () => 8000, idealEdgeLength: () => 90 }).run()
    this.cy.fit(undefined, 30)
    // A small mesh would be blown up to fill the box: keep nodes and labels at a readable size.
    if (this.cy.zoom() > 1.2) {
      this.cy.zoom(1.2)
      this.cy.center()
    }
    container.dataset.nodes = String(this.cy.nodes().length)
    container.dataset.edges = String(this.cy.edges().length)
  }

  /** Canvas colours come from the theme's CSS variables (cytoscape cannot read var()). */
  private styleGraph (): void {
    if (this.cy === undefined) return
    const css = getComputedStyle(document.body)
    const v = (name: string, fallback: string): string => css.getPropertyValue(name).trim() || fallback
    const fg = v('--vscode-foreground', '#333')
    const accent = v('--vscode-button-background', '#0e639c')
    const muted = v('--vscode-descriptionForeground', '#888')
    const remote = v('--vscode-charts-purple', '#8f5fbf')
    const peer = v('--vscode-charts-green', '#388a34')
    this.cy.style([
      { selector: 'node', style: { 'background-color': muted, label: 'data(label)', color: fg, 'font-size': 11, 'text-valign': 'bottom', 'text-margin-y': 4, width: 18, height: 18 } },
      { selector: 'node[role = "self"]', style: { 'background-color': accent, width: 28, height: 28, 'font-weight': 'bold' } },
      { selector: 'node[role = "neighbour"]', style: { 'background-color': peer, width: 22, height: 22 } },
      { selector: 'node[role = "remote"]', style: { 'background-color': remote } },
      { selector: 'edge', style: { width: 1.5, 'line-color': muted, 'curve-style': 'straight', opacity: 0.8 } }
    ])
  }

  protected override render (): TemplateResult {
    const s = this.status
    const gossip = (s?.features?.gossip ?? undefined) as Record<string, unknown> | undefined
    const num = (v: unknown): number | undefined => typeof v === 'number' && Number.isFinite(v) ? v : undefined
    const figures: Array<[string, string]> = []
    if (s !== undefined) {
      figures.push(['Peers', formatNumber(s.connectedPeers)], ['Neighbours', `${s.neighbours.length} / ${s.maxNeighbours}`],
        ['Catalog (local)', formatNumber(s.catalog.local)], ['Catalog (remote)', formatNumber(s.catalog.remote)])
      // Gossip's headline figures, when the node runs gossip; everything else is under "All figures".
      const hit = num(gossip?.cacheHitRate)
      if (hit !== undefined) figures.push(['Cache hit rate', formatFigure('cacheHitRate', hit)])
      const bin = num(gossip?.bytesInPerSec)
      const bout = num(gossip?.bytesOutPerSec)
      if (bin !== undefined || bout !== undefined) figures.push(['Bandwidth (in / out)', `${formatBytes(bin ?? 0)}/s / ${formatBytes(bout ?? 0)}/s`])
      if (gossip !== undefined && 'lastGossipAt' in gossip) figures.push(['Last gossip', gossip.lastGossipAt == null ? 'not yet' : formatFigure('lastGossipAt', gossip.lastGossipAt)])
      figures.push(['Uptime', formatDuration(s.uptimeMs)])
    }
    const featureFigures = s === undefined ? [] : Object.entries(s.features ?? {})
    const dropped = s === undefined ? [] : Object.entries(s.dropped ?? {}).flatMap(([proto, reasons]) => Object.entries(reasons).map(([r, n]) => `${proto}: ${r} ${n}`))
    return html`
      ${this.error !== undefined ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      <section aria-labelledby="figures-title">
        <h2 id="figures-title">This node</h2>
        ${s === undefined ? html`<p>Loading…</p>` : html`
          <p class="mono node-id" title=${s.peerId}>${s.peerId}</p>
          <dl class="figures">
            ${figures.map(([k, v]) => html`<div class="figure" data-figure=${k}><dt>${k}</dt><dd>${v}</dd></div>`)}
          </dl>
          ${featureFigures.map(([name, f]) => html`<details class="feature-figures" data-feature=${name}>
            <summary>${humanise(name)}: all figures</summary>
            <dl class="small-figures">${flattenFigures(f).map(([k, val]) => html`<dt>${humanise(k.split('.').join(' '))}</dt><dd>${formatFigure(k.split('.').pop() ?? k, val)}</dd>`)}</dl>
          </details>`)}
          ${dropped.length > 0 ? html`<p class="note">Dropped messages — ${dropped.join(', ')}</p>` : nothing}`}
      </section>
      <div class="mesh-columns">
        <section class="graph-section" aria-labelledby="graph-title">
          <div class="section-head">
            <h2 id="graph-title">Topology</h2>
            <vscode-button secondary id="refresh-topology" @click=${() => { void this.refreshTopology() }}>Refresh</vscode-button>
          </div>
          ${this.topologyError !== undefined ? html`<p class="error" role="alert">${this.topologyError}</p>` : nothing}
          <div id="topology-graph" class="graph" role="img" aria-label=${this.graphLabel()}></div>
          <p class="legend"><span class="dot self"></span> this node <span class="dot neighbour"></span> neighbour <span class="dot peer"></span> other connection <span class="dot remote"></span> reported by a neighbour</p>
        </section>
        <section aria-labelledby="peers-title">
          <h2 id="peers-title">Connected peers (${this.peers.length})</h2>
          ${this.peers.length === 0
            ? html`<p class="note">No peers connected. The node keeps trying its bootstrap sources, cached peers and mDNS.</p>`
            : html`<table class="peers">
                <thead><tr><th scope="col">Peer</th><th scope="col">Neighbour</th><th scope="col">Direction</th><th scope="col">Latency</th></tr></thead>
                <tbody>${this.peers.map(p => html`<tr data-peer=${p.peerId}><td class="mono" title=${p.peerId}>${shortId(p.peerId)}</td><td>${p.neighbour ? 'yes' : 'no'}</td><td>${p.direction}</td><td>${p.latencyMs !== undefined ? `${p.latencyMs} ms` : '—'}</td></tr>`)}</tbody>
              </table>`}
          <h2>Bootstrap</h2>
          ${s?.bootstrap == null ? html`<p class="note">Bootstrap has not finished yet.</p>` : html`<ul class="bootstrap">${s.bootstrap.lines.map(l => html`<li>${l}</li>`)}</ul>`}
          <h2>Recent events</h2>
          ${this.recent.length === 0 ? html`<p class="note">None since this page opened.</p>` : html`<ul class="events" aria-live="polite">${this.recent.map(e => html`<li><time>${new Date(e.time).toLocaleTimeString()}</time> ${e.text}</li>`)}</ul>`}
        </section>
      </div>`
  }

  private graphLabel (): string {
    const g = this.graph
    if (g === undefined) return 'Topology graph: loading'
    const links = g.edges.map(e => `${e.source === this.topology?.self ? 'this node' : shortId(e.source)} to ${e.target === this.topology?.self ? 'this node' : shortId(e.target)}`)
    return `Topology graph: ${g.nodes.length} nodes, ${g.edges.length} links${links.length > 0 ? `: ${links.join('; ')}` : ''}`
  }
}

customElements.define('cm-mesh', MeshPage)
