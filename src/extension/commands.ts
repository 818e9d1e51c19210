// Every "Continuum:" command. One wrapper (`register`) turns failures into a short message with a
// "Show Log" button and ignores cancellation, so users never see a stack trace.
import * as vscode from 'vscode'
import { errorMessage, parsePeerAddress, type MeshNode } from '../node'
import { installRef, isCid, refusedPrice, requireContent } from './content'
import type { Fix, NodeHost } from './node-host'
import { escapeIcons, escapeMarkdown, escapeMarkdownParagraphs, escapeNotification } from './peer-text'
import { formatPrice, formatSimilarity, hostCount, type AdapterResult } from './search'
import { showSearchQuickPick, type AdapterAction } from './search-quick-pick'
import { SECTION, type ExtensionSettings } from './settings'
import type { AdaptersTreeProvider, AdapterTreeNode, PeersTreeProvider } from './trees'
import { buildWorkspaceQuery, SOURCE_FILES, type WorkspaceSources } from './workspace-query'

export const DETAILS_SCHEME = 'continuum-adapter'

export interface CommandsInit {
  host: NodeHost
  log: vscode.LogOutputChannel
  settings: () => ExtensionSettings
  adapters: AdaptersTreeProvider
  peers: PeersTreeProvider
  openMarketplace: () => Promise<void>
}

/** What an install returns to a caller (the tests use it). */
export interface InstallOutcome { folder: vscode.Uri, result: unknown }

export class Commands implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = []
  /** Markdown shown by "Show Details", by URI path. */
  private readonly details = new Map<string, string>()
  private readonly _onDidChangeDetails = new vscode.EventEmitter<vscode.Uri>()

  constructor (private readonly init: CommandsInit) {
    const r = this.register.bind(this)
    this.disposables.push(
      r('continuum.searchAdapters', async (value?: unknown) => { this.openSearch(typeof value === 'string' ? value : undefined) }),
      r('continuum.findForWorkspace', async () => { this.openSearch(await this.workspaceQuery(), 'Continuum: Adapters for This Workspace') }),
      r('continuum.installAdapter', async (target?: unknown, folder?: unknown) => this.install(target, folder instanceof vscode.Uri ? folder : undefined)),
      r('continuum.installFromLockfile', async (folder?: unknown) => this.installFromLockfile(folder instanceof vscode.Uri ? folder : undefined)),
      r('continuum.publishAdapter', async (folder?: unknown) => this.publish(folder instanceof vscode.Uri ? folder : undefined)),
      r('continuum.storeFile', async (file?: unknown) => this.storeFile(file instanceof vscode.Uri ? file : undefined)),
      r('continuum.showStatus', async () => this.showStatus()),
      r('continuum.copyPeerAddress', async () => this.copyPeerAddress()),
      r('continuum.addPeer', async (address?: unknown) => this.addPeer(typeof address === 'string' ? address : undefined)),
      r('continuum.showLog', async () => { this.init.log.show(true) }),
      r('continuum.restartNode', async () => this.init.host.restart()),
      r('continuum.openMarketplace', async () => this.init.openMarketplace()),
      r('continuum.refresh', async () => { this.init.host.refreshSnapshot(true) }),
      r('continuum.showAdapterDetails', async (target?: unknown) => this.showDetails(target)),
      r('continuum.copyCid', async (target?: unknown) => this.copyCid(target)),
      r('continuum.rateAdapter', async (target?: unknown) => this.rateAdapter(target)),
      vscode.workspace.registerTextDocumentContentProvider(DETAILS_SCHEME, {
        onDidChange: this._onDidChangeDetails.event,
        provideTextDocumentContent: uri => this.details.get(uri.path) ?? ''
      }),
      this._onDidChangeDetails
    )
  }

  private register (id: string, handler: (...args: unknown[]) => Promise<unknown>): vscode.Disposable {
    return vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await handler(...args)
      } catch (err) {
        if (isCancellation(err)) return undefined
        this.init.log.error(`${id}: ${(err as Error).name ?? 'Error'}: ${errorMessage(err)}`)
        void vscode.window.showErrorMessage(errorMessage(err), 'Show Log').then(choice => {
          if (choice === 'Show Log') this.init.log.show(true)
        })
        // Not rethrown: the palette would show a second, generic notification. Callers get undefined.
        return undefined
      }
    })
  }

  private openSearch (value?: string, title?: string): void {
    showSearchQuickPick({
      node: () => this.init.host.requireNode(),
      settings: () => this.init.settings().search,
      onAction: (action, result) => this.runAction(action, result),
      log: this.init.log,
      title,
      value
    })
  }

  private async runAction (action: AdapterAction, r: AdapterResult): Promise<void> {
    if (action === 'install') await vscode.commands.executeCommand('continuum.installAdapter', r)
    else if (action === 'details') await this.showDetails(r)
    else await this.copyCid(r)
  }

  /** Reads the files that describe each workspace folder and the active editor, and builds the query. */
  async workspaceQuery (): Promise<string> {
    const folders = vscode.workspace.workspaceFolders ?? []
    const editor = vscode.window.activeTextEditor
    const active = editor !== undefined ? vscode.workspace.getWorkspaceFolder(editor.document.uri) : undefined
    const folder = active ?? folders[0]
    const src: WorkspaceSources = { folderName: folder?.name }
    if (folder !== undefined) {
      for (const [field, names] of Object.entries(SOURCE_FILES) as Array<[keyof typeof SOURCE_FILES, readonly string[]]>) {
        for (const name of names) {
          const text = await readText(vscode.Uri.joinPath(folder.uri, name))
          if (text !== undefined) { src[field] = text; break }
        }
      }
    }
    if (editor !== undefined) {
      src.language = editor.document.languageId
      if (!editor.selection.isEmpty) src.selection = editor.document.getText(editor.selection)
      // Its comments and identifiers say what the code is about (only the start of a huge file is read).
      if (editor.document.uri.scheme === 'file' || editor.document.uri.scheme === 'untitled') src.activeFile = editor.document.getText().slice(0, 20_000)
    }
    const query = buildWorkspaceQuery(src)
    if (query === '') throw new Error('Nothing in this workspace describes it yet (no README, package.json, pyproject.toml or Cargo.toml): use "Continuum: Search Adapters…" and describe what you are building')
    this.init.log.info(`[workspace] query: ${query.slice(0, 300)}${query.length > 300 ? '…' : ''}`)
    return query
  }

  private async pickFolder (given: vscode.Uri | undefined, purpose: string): Promise<vscode.Uri> {
    if (given !== undefined) return given
    const folders = (vscode.workspace.workspaceFolders ?? []).filter(f => f.uri.scheme === 'file')
    if (folders.length === 0) throw new Error(`${purpose} needs an open folder: open your project first (File › Open Folder…)`)
    if (folders.length === 1) return folders[0].uri
    const picked = await vscode.window.showWorkspaceFolderPick({ placeHolder: `${purpose}: which project?` })
    if (picked === undefined) throw new vscode.CancellationError()
    return picked.uri
  }

  /** Installs by CID, id, name, search result or tree node, into `folder` (asked when several are open). */
  async install (target: unknown, folder?: vscode.Uri): Promise<InstallOutcome | undefined> {
    if (!vscode.workspace.isTrusted) throw new Error('Installing adapters writes into the project: trust this workspace first')
    let ref: string | undefined
    let name: string | undefined
    const r = resultOf(target)
    if (r !== undefined) { ref = installRef(r); name = r.name } else if (typeof target === 'string' && target.trim() !== '') ref = name = target.trim()
    if (ref === undefined) {
      ref = (await vscode.window.showInputBox({ title: 'Continuum: Install Adapter into Project', prompt: 'CID, id or name of the adapter', placeHolder: 'bafy… or async-debugging-v2', ignoreFocusOut: true }))?.trim()
      if (ref === undefined || ref === '') return undefined
      name = ref
    }
    // Never charge without a price the user accepted: ask before a priced adapter is installed.
    let maxPrice = 0
    if (r !== undefined && r.price > 0) {
      if (!(await confirmPrice(name ?? ref, r.price))) return undefined
      maxPrice = r.price
    }
    const node = await this.init.host.requireNode()
    const content = requireContent(node, 'Installing adapters')
    const project = await this.pickFolder(folder, 'Installing an adapter')
    const run = async (accepted: number): Promise<unknown> => withCancellableProgress(`Installing ${name ?? ref}`, async (signal, report) =>
      content.install(ref, { project: project.fsPath, signal, onProgress: report, seed: this.init.settings().seedInstalled, maxPrice: accepted }))
    const result = await this.withPriceConsent(name ?? ref, maxPrice, run)
    if (result === undefined) return undefined
    this.afterContentChange()
    const lockfile = vscode.Uri.joinPath(project, 'continuum.lock.json')
    void vscode.window.showInformationMessage(`Installed ${escapeNotification(name ?? ref)} into ${vscode.workspace.asRelativePath(project, true)}/.continuum/adapters.`, 'Open Lockfile').then(choice => {
      if (choice === 'Open Lockfile') void vscode.window.showTextDocument(lockfile)
    })
    return { folder: project, result }
  }

  /**
   * Runs an install at the accepted price; when the node refuses a priced adapter (its price was not
   * known here, e.g. an install by CID), asks with the price it names and runs again once accepted.
   * Undefined when the user declines.
   */
  private async withPriceConsent<T> (what: string, accepted: number, run: (maxPrice: number) => Promise<T>): Promise<T | undefined> {
    try {
      return await run(accepted)
    } catch (err) {
      const price = refusedPrice(err)
      if (price === undefined || price <= accepted) throw err
      if (!(await confirmPrice(what, price))) return undefined
      return await run(price)
    }
  }

  async installFromLockfile (folder?: vscode.Uri): Promise<InstallOutcome> {
    if (!vscode.workspace.isTrusted) throw new Error('Installing adapters writes into the project: trust this workspace first')
    const node = await this.init.host.requireNode()
    const content = requireContent(node, 'Installing adapters')
    const project = await this.pickFolder(folder, 'Installing from the lockfile')
    const result = await this.withPriceConsent('an adapter of continuum.lock.json', 0, async accepted => withCancellableProgress('Installing adapters from continuum.lock.json', async (signal, report) =>
      content.installFromLockfile(project.fsPath, { signal, onProgress: report, seed: this.init.settings().seedInstalled, maxPrice: accepted })))
    if (result === undefined) throw new vscode.CancellationError()
    this.afterContentChange()
    void vscode.window.showInformationMessage('Adapters from continuum.lock.json are installed.')
    return { folder: project, result }
  }

  async publish (folder?: vscode.Uri): Promise<unknown> {
    const node = await this.init.host.requireNode()
    const content = requireContent(node, 'Publishing adapters')
    const dir = folder ?? (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Publish', title: 'Continuum: pick a PEFT adapter folder (adapter_config.json + weights)' }))?.[0]
    if (dir === undefined) return undefined
    const priceText = await vscode.window.showInputBox({
      title: 'Continuum: Publish Adapter',
      prompt: 'Price in mesh tokens (0 = free)',
      value: '0',
      validateInput: v => /^\d+(\.\d+)?$/.test(v.trim()) ? undefined : 'Enter a number, e.g. 0 or 5'
    })
    if (priceText === undefined) return undefined
    const result = await withCancellableProgress(`Publishing ${dir.path.split('/').pop() ?? 'adapter'}`, async (signal, report) =>
      content.publish(dir.fsPath, { price: Number(priceText.trim()), signal, onProgress: p => { report({ bytes: p.bytes ?? 0, providers: 0, stage: p.stage }) } }))
    this.afterContentChange()
    void vscode.window.showInformationMessage('Published: peers learn about it with the next gossip round.')
    return result
  }

  /** Explorer › Store File on the Mesh…: 3 paid replicas for 30 days, the price confirmed in a modal first. */
  async storeFile (file?: vscode.Uri): Promise<unknown> {
    const node = await this.init.host.requireNode()
    const storage = node.storage
    if (storage === undefined) throw new Error('Storing files needs the storage market, which this node does not run')
    const uri = file ?? (await vscode.window.showOpenDialog({ canSelectFiles: true, canSelectFolders: false, canSelectMany: false, openLabel: 'Store', title: 'Continuum: pick a file to keep on the mesh' }))?.[0]
    if (uri === undefined) return undefined
    const name = uri.path.split('/').pop() ?? 'file'
    const put = async (maxPrice: number): Promise<unknown> => withCancellableProgress(`Storing ${name} on the mesh`, async (signal, report) =>
      storage.put(uri.fsPath, { replicas: 3, days: 30, maxPrice, signal, onProgress: p => { report({ bytes: p.bytes, totalBytes: p.totalBytes, providers: p.hosts, stage: p.stage }) } }))
    let result: unknown
    try {
      result = await put(0)
    } catch (err) {
      if ((err as Error).name !== 'StoragePriceError') throw err
      const tokens = (err as Error & { cost: number }).cost / 1_000_000
      const pay = `Pay up to ${tokens} tokens and Store`
      const choice = await vscode.window.showWarningMessage(`Store ${name} on 3 peers for 30 days? It costs ${tokens} tokens, paid from your wallet to the hosts in parts, each after it proves it holds the file.`, { modal: true }, pay)
      if (choice !== pay) return undefined
      result = await put(tokens)
    }
    const view = result as { cid: string, healthy: number, replicas: number }
    void vscode.window.showInformationMessage(`Stored ${name} as ipfs://${view.cid} on ${view.healthy} of ${view.replicas} peers.`, 'Copy CID').then(c => { if (c === 'Copy CID') void vscode.env.clipboard.writeText(`ipfs://${view.cid}`) })
    return result
  }

  private afterContentChange (): void {
    this.init.host.refreshSnapshot(true)
    this.init.adapters.refresh()
  }

  async showStatus (): Promise<void> {
    const host = this.init.host
    const state = host.state
    type Item = vscode.QuickPickItem & { run?: () => Promise<unknown> | unknown }
    const items: Item[] = []
    const info = (label: string, detail?: string): void => { items.push({ label, detail }) }
    if (state.kind === 'failed') {
      info('$(warning) The mesh node could not start', state.message)
      for (const fix of state.fixes) items.push({ label: `$(tools) ${fix.title}`, run: () => this.applyFix(fix) })
    } else if (state.kind === 'starting') {
      info('$(sync~spin) The mesh node is starting')
    } else if (state.kind === 'stopped') {
      items.push({ label: '$(play) Start Mesh Node', run: () => host.start() })
    } else {
      const s = state.node.status()
      info(`$(radio-tower) ${s.connectedPeers} connected peers, ${s.neighbours.length}/${s.maxNeighbours} neighbours`, `Up ${formatDuration(s.uptimeMs)} · peer ${s.peerId}`)
      info(`$(library) ${s.catalog.local} local adapters, ${s.catalog.remote} from peers`)
      for (const a of s.announce.length > 0 ? s.announce : s.addresses.slice(0, 3)) info(`$(globe) ${a}`)
      for (const line of s.bootstrap?.lines ?? []) info(`$(debug-start) ${line}`)
      const dropped = Object.values(s.dropped).reduce((n, byReason) => n + Object.values(byReason).reduce((a, b) => a + b, 0), 0)
      if (dropped > 0) info(`$(circle-slash) ${dropped} dropped messages`)
      const features = Object.keys(s.features)
      info(`$(extensions) Features: ${features.length > 0 ? features.join(', ') : 'none'}`, s.dataDir)
    }
    items.push({ label: '', kind: vscode.QuickPickItemKind.Separator })
    if (state.kind === 'started') {
      items.push({ label: '$(copy) Copy My Peer Address', run: () => this.copyPeerAddress() })
      items.push({ label: '$(plug) Add Peer…', run: () => this.addPeer() })
    }
    items.push({ label: '$(debug-restart) Restart Mesh Node', run: () => host.restart() })
    items.push({ label: '$(output) Show Log', run: () => { this.init.log.show(true) } })
    items.push({ label: '$(settings-gear) Open Settings', run: () => vscode.commands.executeCommand('workbench.action.openSettings', `@ext:${EXTENSION_ID}`) })
    const choice = await vscode.window.showQuickPick(items, { title: 'Continuum: Mesh Status', placeHolder: 'Mesh status and node actions' })
    await choice?.run?.()
  }

  /** Applies a fix offered for a failed start. */
  async applyFix (fix: Fix): Promise<void> {
    if (fix.kind === 'setting') {
      await vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.${fix.key ?? ''}`)
    } else if (fix.kind === 'anyPort') {
      // The configuration listener restarts the node.
      await vscode.workspace.getConfiguration(SECTION).update('network.listenPort', 0, vscode.ConfigurationTarget.Global)
    } else {
      await this.init.host.restart()
    }
  }

  async copyPeerAddress (): Promise<string> {
    const node = await this.init.host.requireNode()
    const share = node.announceAddresses()
    const candidates = [...share.continuum, ...share.multiaddrs.filter(a => a.includes('/tcp/') && !a.includes('/ws'))]
    if (candidates.length === 0) throw new Error('This node has no TCP address to share yet')
    // Prefer an address other machines can reach.
    const sorted = [...candidates].sort((a, b) => Number(isLoopback(a)) - Number(isLoopback(b)))
    const address = sorted.length > 1 && !isLoopback(sorted[1])
      ? (await vscode.window.showQuickPick(sorted, { title: 'Continuum: Copy My Peer Address', placeHolder: 'Which address? (the others must be able to reach it)' }))
      : sorted[0]
    if (address === undefined) throw new vscode.CancellationError()
    await vscode.env.clipboard.writeText(address)
    void vscode.window.showInformationMessage(`Copied ${address}. Another node connects with "Continuum: Add Peer…" or continuum mesh connect.`)
    return address
  }

  async addPeer (given?: string): Promise<string> {
    const address = given ?? (await vscode.window.showInputBox({
      title: 'Continuum: Add Peer',
      prompt: 'Peer address: continuum://peer:<peerId>@<host>:<port> or a multiaddr ending in /p2p/<peerId>',
      ignoreFocusOut: true,
      validateInput: v => {
        if (v.trim() === '') return undefined
        try { parsePeerAddress(v.trim()); return undefined } catch (err) { return errorMessage(err) }
      }
    }))?.trim()
    if (address === undefined || address === '') throw new vscode.CancellationError()
    const node: MeshNode = await this.init.host.requireNode()
    const { peerId } = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Continuum: connecting…' }, () => node.connect(address))
    this.init.host.refreshSnapshot(true)
    if (given === undefined) {
      void vscode.window.showInformationMessage(`Connected to peer …${peerId.slice(-12)}.`, 'Connect at Every Start').then(async choice => {
        if (choice !== 'Connect at Every Start') return
        const cfg = vscode.workspace.getConfiguration(SECTION)
        const peers = cfg.get<string[]>('network.bootstrapPeers') ?? []
        if (!peers.includes(address)) await cfg.update('network.bootstrapPeers', [...peers, address], vscode.ConfigurationTarget.Global)
      })
    }
    return peerId
  }

  async showDetails (target: unknown): Promise<void> {
    const r = resultOf(target)
    if (r === undefined) return
    const path = `/${r.key.replace(/[^A-Za-z0-9._/-]/g, '_')}.md`
    this.details.set(path, detailsMarkdown(r))
    const uri = vscode.Uri.from({ scheme: DETAILS_SCHEME, path })
    this._onDidChangeDetails.fire(uri)
    const doc = await vscode.workspace.openTextDocument(uri)
    await vscode.languages.setTextDocumentLanguage(doc, 'markdown')
    // A rendered preview when the markdown extension is there, the text otherwise.
    await vscode.commands.executeCommand('markdown.showPreview', uri).then(undefined, async () => vscode.window.showTextDocument(doc, { preview: true }))
  }

  /**
   * "Rate Installed Adapter…": a score (1–5) and an optional review for an installed adapter. The node
   * signs it with this account's download receipt (only a paid download can be rated) and gossips it; the
   * first rating of an adapter earns the ledger's 1-token rating reward.
   */
  async rateAdapter (target: unknown): Promise<void> {
    const node = await this.init.host.requireNode()
    const social = node.social
    if (social === undefined) throw new Error('Rating is not available: this node does not run the social layer')
    let cid: string
    let name: string
    if (typeof target === 'object' && target !== null && (target as Partial<AdapterTreeNode>).type === 'installed') {
      const t = target as Extract<AdapterTreeNode, { type: 'installed' }>
      cid = t.item.cid
      name = t.item.name
    } else {
      const content = node.content
      const installed = content === undefined ? [] : (await Promise.all((vscode.workspace.workspaceFolders ?? []).filter(f => f.uri.scheme === 'file').map(async f => await content.listInstalled(f.uri.fsPath).catch(() => [])))).flat()
      if (installed.length === 0) throw new Error('No installed adapters to rate: install one first')
      const pick = await vscode.window.showQuickPick(installed.map(i => ({ label: escapeIcons(i.name), description: `${i.name}@${i.version}`, cid: i.cid })), { title: 'Rate Installed Adapter', placeHolder: 'Which adapter?' })
      if (pick === undefined) return
      cid = pick.cid
      name = pick.label
    }
    const score = await vscode.window.showQuickPick([5, 4, 3, 2, 1].map(n => ({ label: '★'.repeat(n) + '☆'.repeat(5 - n), description: `${n} / 5`, n })), { title: `Rate ${escapeIcons(name)}`, placeHolder: 'Your score' })
    if (score === undefined) return
    const review = await vscode.window.showInputBox({ title: `Review of ${escapeIcons(name)} (optional)`, prompt: 'Posted with your rating: searchable and tippable. Leave empty for a score only.', validateInput: v => v.length > 1000 ? 'At most 1000 characters' : undefined })
    if (review === undefined) return
    const r = await social.rate(cid, score.n, { review })
    const reward = r.reward === undefined ? '' : 'amount' in r.reward ? ' You earned the 1-token rating reward.' : ''
    void vscode.window.showInformationMessage(`Rated ${escapeIcons(name)} ${score.n}/5.${reward}`)
    this.init.host.refreshSnapshot(true)
  }

  /** Copies the bundle CID when known (installed adapters, CID manifests), else the manifest's content hash. */
  async copyCid (target: unknown): Promise<string | undefined> {
    const installed = typeof target === 'object' && target !== null && (target as Partial<AdapterTreeNode>).type === 'installed'
      ? (target as Extract<AdapterTreeNode, { type: 'installed' }>)
      : undefined
    const r = resultOf(target)
    const value = installed?.item.cid ?? r?.contentHash
    if (value === undefined) return undefined
    await vscode.env.clipboard.writeText(value)
    const what = installed?.item.cid !== undefined || isCid(value) ? 'CID' : 'content hash'
    vscode.window.setStatusBarMessage(`$(copy) Copied the ${what} of ${escapeIcons(installed?.item.name ?? r?.name ?? value)}`, 3_000)
    return value
  }

  dispose (): void {
    for (const d of this.disposables.splice(0)) d.dispose()
  }
}

export const EXTENSION_ID = 'continuum.continuum-mesh'

/** The adapter behind a command argument: a search result or an Adapters tree node. */
function resultOf (target: unknown): AdapterResult | undefined {
  if (typeof target !== 'object' || target === null) return undefined
  const t = target as Partial<AdapterTreeNode> & Partial<AdapterResult>
  if (t.type === 'adapter' && 'result' in t) return t.result
  if (t.type === 'installed' && 'result' in t) return t.result
  if (typeof t.key === 'string' && typeof t.contentHash === 'string' && typeof t.name === 'string') return target as AdapterResult
  return undefined
}

/**
 * The "Show Details" page. Everything from the manifest is peer-supplied and escaped (peer-text.ts):
 * the preview renders it as text, never as images, links or HTML.
 */
export function detailsMarkdown (r: AdapterResult): string {
  const hosts = hostCount(r)
  const md = escapeMarkdown
  const lines = [
    `# ${md(r.name)}`,
    '',
    escapeMarkdownParagraphs(r.description),
    '',
    '| | |',
    '| --- | --- |',
    `| Version | ${md(r.version)} |`,
    `| Kind | ${md(r.kind)} |`,
    `| Base model | ${md(r.baseModel)} |`,
    `| Specializations | ${md(r.specializations.join(', '))} |`,
    `| Price | ${formatPrice(r.price)} |`,
    `| Rating | ${r.verified?.rating !== undefined ? `★ ${r.verified.rating.toFixed(1)}, verified (${r.verified.ratings} paying rater${r.verified.ratings === 1 ? '' : 's'})` : 'no verified ratings'}${r.rating !== undefined ? ` · publisher claims ★ ${r.rating.toFixed(1)} (self-reported)` : ''} |`,
    `| Downloads | ${r.verified !== undefined ? `${r.verified.downloads} paid (ledger receipts)` : 'unknown'}${r.downloads > 0 ? ` · publisher claims ${r.downloads} (self-reported)` : ''} |`,
    r.similarity > 0 ? `| Similarity to your query | ${formatSimilarity(r.similarity)} |` : undefined,
    `| Hosted by | ${hosts} ${hosts === 1 ? 'peer' : 'peers'}${r.location === 'local' ? ' (including this node)' : ''} |`,
    `| CID | ${md(r.contentHash)} |`,
    `| Publisher | ${md(r.publisher)} |`,
    `| Catalog key | ${md(r.key)} |`,
    '',
    'Install it with **Continuum: Install Adapter into Project…** (or the Adapters view\'s context menu).'
  ]
  return lines.filter((l): l is string => l !== undefined).join('\n')
}

/** What an install or publish reports while it runs (the node's InstallProgress, or publish's stage and bytes). */
interface TaskProgress { bytes: number, totalBytes?: number, providers: number, stage?: string }

/** Runs a cancellable install/publish in a notification that shows bytes and providers. */
/** A modal confirmation that names the price and who is paid; true only when the user accepts. */
export async function confirmPrice (what: string, price: number): Promise<boolean> {
  const pay = `Pay ${formatPrice(price)} and Install`
  const choice = await vscode.window.showWarningMessage(`Install ${what}? It costs ${formatPrice(price)}, paid from your wallet to its publisher once the download verifies.`, { modal: true }, pay)
  return choice === pay
}

async function withCancellableProgress<T> (title: string, task: (signal: AbortSignal, report: (p: TaskProgress) => void) => Promise<T>): Promise<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const ctl = new AbortController()
    const sub = token.onCancellationRequested(() => { ctl.abort(new vscode.CancellationError()) })
    let lastPct = 0
    try {
      return await task(ctl.signal, p => {
        const pct = p.totalBytes !== undefined && p.totalBytes > 0 ? Math.min(100, (p.bytes / p.totalBytes) * 100) : undefined
        const stage = p.stage !== undefined && p.stage !== 'downloading' ? `${p.stage}… ` : ''
        const bytes = p.bytes > 0 || (p.totalBytes ?? 0) > 0 ? `${formatBytes(p.bytes)}${p.totalBytes !== undefined && p.totalBytes > 0 ? ` of ${formatBytes(p.totalBytes)}` : ''}` : ''
        const message = `${stage}${bytes}${p.providers > 0 ? ` from ${p.providers} ${p.providers === 1 ? 'peer' : 'peers'}` : ''}`
        progress.report({ message, increment: pct !== undefined ? Math.max(0, pct - lastPct) : undefined })
        if (pct !== undefined) lastPct = Math.max(lastPct, pct)
      })
    } catch (err) {
      if (ctl.signal.aborted) throw new vscode.CancellationError()
      throw err
    } finally {
      sub.dispose()
    }
  })
}

export function formatBytes (n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KiB', 'MiB', 'GiB']
  let v = n / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++ }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`
}

function formatDuration (ms: number): string {
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.round(s / 60)} min`
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`
}

function isLoopback (address: string): boolean {
  return /(^|[/@])(127\.\d+\.\d+\.\d+|::1|localhost)([/:]|$)/.test(address)
}

function isCancellation (err: unknown): boolean {
  const name = (err as { name?: string } | undefined)?.name
  return name === 'Canceled' || name === 'CancellationError' || name === 'AbortError'
}

async function readText (uri: vscode.Uri): Promise<string | undefined> {
  try {
    const bytes = await vscode.workspace.fs.readFile(uri)
    // Only the start matters for a query; a huge README is not read whole into the query builder.
    return new TextDecoder().decode(bytes.subarray(0, 64 * 1024))
  } catch {
    return undefined
  }
}
