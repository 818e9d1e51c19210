// The sidebar trees. They only read the node (through NodeHost) and refresh on its events.
import * as vscode from 'vscode'
import type { NodeHost } from './node-host'
import { installedView, type InstalledView } from './content'
import { formatPrice, hostCount, type AdapterResult } from './search'
import { errorMessage, resultFromHit } from '../node'
import { escapeMarkdown, escapeMarkdownParagraphs } from './peer-text'

/** Entries listed per group; the rest are reached through search. */
const MAX_GROUP_ITEMS = 300

export type AdapterGroup = 'installed' | 'mine' | 'discovered'

export type AdapterTreeNode =
  | { type: 'group', group: AdapterGroup, label: string, count: number }
  | { type: 'adapter', group: AdapterGroup, result: AdapterResult }
  | { type: 'installed', item: InstalledView, folder: vscode.WorkspaceFolder, result?: AdapterResult }
  | { type: 'info', label: string, tooltip?: string }

const GROUP_LABELS: Record<AdapterGroup, string> = {
  installed: 'Installed in this project',
  mine: 'My adapters',
  discovered: 'Discovered on the mesh'
}

export class AdaptersTreeProvider implements vscode.TreeDataProvider<AdapterTreeNode>, vscode.Disposable {
  private readonly _onDidChangeTreeData = new vscode.EventEmitter<AdapterTreeNode | undefined>()
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event
  private readonly disposables: vscode.Disposable[] = []

  constructor (private readonly host: NodeHost) {
    this.disposables.push(
      host.onDidChangeState(() => { this.refresh() }),
      host.onDidChangeMesh(() => { this.refresh() }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => { this.refresh() })
    )
  }

  refresh (): void { this._onDidChangeTreeData.fire(undefined) }

  getTreeItem (n: AdapterTreeNode): vscode.TreeItem {
    switch (n.type) {
      case 'group': {
        const item = new vscode.TreeItem(n.label, n.count > 0 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed)
        item.id = `group:${n.group}`
        item.description = String(n.count)
        item.contextValue = `group.${n.group}`
        item.iconPath = new vscode.ThemeIcon(n.group === 'installed' ? 'package' : n.group === 'mine' ? 'account' : 'globe')
        return item
      }
      case 'adapter': return adapterItem(n.result, n.group)
      case 'installed': {
        const item = n.result !== undefined ? adapterItem(n.result, 'installed') : new vscode.TreeItem(n.item.name)
        item.id = `installed:${n.folder.uri.toString()}:${n.item.id}`
        item.contextValue = 'adapter.installed'
        item.iconPath = new vscode.ThemeIcon('package')
        const where = (vscode.workspace.workspaceFolders?.length ?? 0) > 1 ? ` · ${n.folder.name}` : ''
        item.description = `v${n.item.version}${where}`
        return item
      }
      case 'info': {
        const item = new vscode.TreeItem(n.label)
        item.tooltip = n.tooltip
        item.iconPath = new vscode.ThemeIcon('info')
        return item
      }
    }
  }

  async getChildren (n?: AdapterTreeNode): Promise<AdapterTreeNode[]> {
    const node = this.host.node
    // Empty while the node is not running: the view's welcome content explains the next step.
    if (node === undefined) return []
    if (n === undefined) {
      const installed = await this.installed()
      const mine = this.mine()
      // Counted, not listed: the remote catalog can hold 10k entries.
      const discovered = node.catalog.count('remote')
      const installedCount = installed.filter(x => x.type === 'installed').length
      // Nothing at all: the view's welcome content says what to do next.
      if (installedCount + mine.length + discovered === 0) return []
      return [
        { type: 'group', group: 'installed', label: GROUP_LABELS.installed, count: installedCount },
        { type: 'group', group: 'mine', label: GROUP_LABELS.mine, count: mine.length },
        { type: 'group', group: 'discovered', label: GROUP_LABELS.discovered, count: discovered }
      ]
    }
    if (n.type !== 'group') return []
    if (n.group === 'installed') return this.installed()
    const list = n.group === 'mine' ? this.mine() : this.discovered()
    const total = n.group === 'mine' ? list.length : node.catalog.count('remote')
    const shown: AdapterTreeNode[] = list.slice(0, MAX_GROUP_ITEMS).map(result => ({ type: 'adapter', group: n.group, result }))
    if (total > MAX_GROUP_ITEMS) shown.push({ type: 'info', label: `${total - MAX_GROUP_ITEMS} more — use Search Adapters to find them` })
    return shown
  }

  /** Adapters this node published (signed with its key). */
  mine (): AdapterResult[] {
    const node = this.host.node
    if (node === undefined) return []
    return node.catalog.list('local').filter(h => h.manifest.publisher === node.catalog.publisher).map(resultFromHit)
  }

  /** The newest adapters learned from peers (gossip, search answers): the first page the tree shows. */
  discovered (): AdapterResult[] {
    const node = this.host.node
    if (node === undefined) return []
    return node.catalog.list('remote', { limit: MAX_GROUP_ITEMS }).map(resultFromHit)
  }

  /** Adapters installed into the open workspace folders, or a line saying why none can be. */
  async installed (): Promise<AdapterTreeNode[]> {
    const node = this.host.node
    if (node === undefined) return []
    const content = node.content
    if (content === undefined) return [{ type: 'info', label: 'Installing is not available in this build', tooltip: 'This build of the node runs without the content feature (adapter files over the mesh).' }]
    const out: AdapterTreeNode[] = []
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      if (folder.uri.scheme !== 'file') continue
      try {
        for (const entry of await content.listInstalled(folder.uri.fsPath)) {
          const item = installedView(entry)
          const hit = node.catalog.list('local').find(h => h.manifest.id === item.id || h.manifest.contentHash === item.cid)
          out.push({ type: 'installed', item, folder, result: hit !== undefined ? resultFromHit(hit) : undefined })
        }
      } catch (err) {
        out.push({ type: 'info', label: `${folder.name}: cannot read installed adapters`, tooltip: errorMessage(err) })
      }
    }
    return out
  }

  dispose (): void {
    for (const d of this.disposables.splice(0)) d.dispose()
    this._onDidChangeTreeData.dispose()
  }
}

function adapterItem (r: AdapterResult, group: AdapterGroup): vscode.TreeItem {
  const item = new vscode.TreeItem(r.name, vscode.TreeItemCollapsibleState.None)
  item.id = `${group}:${r.key}`
  const hosts = hostCount(r)
  item.description = [r.rating !== undefined ? `★ ${r.rating.toFixed(1)}` : undefined, formatPrice(r.price), `${hosts} ${hosts === 1 ? 'peer' : 'peers'}`].filter(Boolean).join(' · ')
  // Peer text, escaped; no icons, no HTML, no trusted (command) links.
  const md = new vscode.MarkdownString(undefined, false)
  md.supportHtml = false
  md.isTrusted = false
  md.appendMarkdown(`**${escapeMarkdown(r.name)}** v${escapeMarkdown(r.version)} · ${escapeMarkdown(r.kind)} for ${escapeMarkdown(r.baseModel)}\n\n`)
  md.appendMarkdown(escapeMarkdownParagraphs(r.description))
  md.appendMarkdown(`\n\n${escapeMarkdown(r.specializations.join(', '))}\n\nCID ${escapeMarkdown(r.contentHash)}`)
  item.tooltip = md
  item.contextValue = group === 'mine' ? 'adapter.mine' : group === 'installed' ? 'adapter.installed' : 'adapter.remote'
  item.iconPath = new vscode.ThemeIcon(group === 'mine' ? 'account' : 'symbol-misc')
  item.command = { command: 'continuum.showAdapterDetails', title: 'Show Details', arguments: [r] }
  return item
}

export type PeerTreeNode = { peerId: string, latencyMs?: number, neighbour: boolean, adapters: number, direction: string, address?: string }

export class PeersTreeProvider implements vscode.TreeDataProvider<PeerTreeNode>, vscode.Disposable {
  private readonly _onDidChangeTreeData = new vscode.EventEmitter<PeerTreeNode | undefined>()
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event
  private readonly disposables: vscode.Disposable[] = []

  constructor (private readonly host: NodeHost) {
    this.disposables.push(host.onDidChangeState(() => { this.refresh() }), host.onDidChangeMesh(() => { this.refresh() }))
  }

  refresh (): void { this._onDidChangeTreeData.fire(undefined) }

  getTreeItem (p: PeerTreeNode): vscode.TreeItem {
    const item = new vscode.TreeItem(`…${p.peerId.slice(-12)}`)
    item.id = `peer:${p.peerId}`
    item.description = [p.latencyMs !== undefined ? `${p.latencyMs} ms` : undefined, `${p.adapters} ${p.adapters === 1 ? 'adapter' : 'adapters'}`, p.neighbour ? 'neighbour' : undefined].filter(Boolean).join(' · ')
    item.tooltip = `${p.peerId}\n${p.direction}${p.address !== undefined ? ` · ${p.address}` : ''}`
    item.iconPath = new vscode.ThemeIcon(p.neighbour ? 'star-full' : 'vm-connect')
    item.contextValue = 'peer'
    return item
  }

  getChildren (p?: PeerTreeNode): PeerTreeNode[] {
    const node = this.host.node
    if (p !== undefined || node === undefined) return []
    // How many cached adapters each peer advertised (counted in place, not listed).
    const counts = node.catalog.hostCounts()
    return node.peers()
      .map(s => ({ peerId: s.peerId, latencyMs: s.latencyMs, neighbour: s.neighbour, adapters: counts.get(s.peerId) ?? 0, direction: s.direction, address: s.addresses[0] }))
      .sort((a, b) => Number(b.neighbour) - Number(a.neighbour) || (a.latencyMs ?? Infinity) - (b.latencyMs ?? Infinity))
  }

  dispose (): void {
    for (const d of this.disposables.splice(0)) d.dispose()
    this._onDidChangeTreeData.dispose()
  }
}
