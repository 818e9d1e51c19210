// "Continuum: Open Marketplace": the web UI (dist/webview) in a webview panel, talking to the in-process
// node. One panel at a time; a strict CSP (default-src 'none', nonce scripts, styles/fonts from the
// extension only); every message from the page is validated before it reaches the node. Requests the
// local API answers (status, search, wallet, …) go to the same routes in-process (one Router), so the
// page gets the same records from VS Code as from the node's HTTP API.
import * as vscode from 'vscode'
import { Router, registerNodeRoutes, type MeshNode, type MeshNodeEvents } from '../../node'
import type {
  HostMessage, InstallRequest, NodeEvent, ProgressRecord, PublishRequest, RequestMap, RequestMessage, RequestMethod, WalletView
} from '../../../webview-ui/src/protocol'
import { createNonce, parseWebviewMessage, webviewHtml, WEBVIEW_BUNDLE_DIR } from './host'
import { requireContent } from '../content'
import { confirmPrice } from '../commands'

const VIEW_TYPE = 'continuum.marketplace'
const NODE_EVENTS = ['peer:connect', 'peer:disconnect', 'neighbours:change', 'bootstrap'] as const

let current: MarketplacePanel | undefined

export function openMarketplacePanel (context: vscode.ExtensionContext, node: MeshNode, log: vscode.LogOutputChannel): vscode.WebviewPanel {
  if (current !== undefined && current.node === node) {
    current.panel.reveal()
    return current.panel
  }
  current?.panel.dispose()
  current = new MarketplacePanel(context, node, log)
  return current.panel
}

class MarketplacePanel {
  readonly panel: vscode.WebviewPanel
  private readonly disposables: vscode.Disposable[] = []
  private readonly running = new Map<number, AbortController>()
  private readonly router = new Router()

  constructor (context: vscode.ExtensionContext, readonly node: MeshNode, private readonly log: vscode.LogOutputChannel) {
    registerNodeRoutes(this.router, node)
    const bundle = vscode.Uri.joinPath(context.extensionUri, ...WEBVIEW_BUNDLE_DIR)
    this.panel = vscode.window.createWebviewPanel(VIEW_TYPE, 'Continuum Marketplace', vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [bundle],
      // The page keeps its open tab with getState/setState instead.
      retainContextWhenHidden: false
    })
    const webview = this.panel.webview
    webview.html = webviewHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(bundle, 'main.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(bundle, 'main.css')).toString(),
      nonce: createNonce()
    })
    webview.onDidReceiveMessage(raw => { void this.receive(raw) }, null, this.disposables)
    this.panel.onDidDispose(() => this.dispose(), null, this.disposables)
    for (const type of NODE_EVENTS) {
      const listener = (e: MeshNodeEvents[typeof type]): void => this.post({ type: 'event', event: { type, data: e.detail } as NodeEvent })
      node.addEventListener(type, listener)
      this.disposables.push({ dispose: () => node.removeEventListener(type, listener) })
    }
  }

  private dispose (): void {
    if (current === this) current = undefined
    for (const c of this.running.values()) c.abort()
    this.running.clear()
    for (const d of this.disposables.splice(0)) d.dispose()
  }

  private post (m: HostMessage): void {
    void this.panel.webview.postMessage(m).then(undefined, () => { /* panel closed meanwhile */ })
  }

  private async receive (raw: unknown): Promise<void> {
    const checked = parseWebviewMessage(raw)
    if (!checked.ok) {
      this.log.warn(`[marketplace] ${checked.error}`)
      if (checked.id !== undefined) this.post({ type: 'error', id: checked.id, error: { name: 'BadRequestError', message: checked.error } })
      return
    }
    const m = checked.message
    if (m.type === 'ready') {
      this.post({ type: 'connection', connection: this.node.state === 'started' ? { state: 'open' } : { state: 'lost', message: 'The Continuum node is not running: start it with "Continuum: Start Node".' } })
      return
    }
    if (m.type === 'cancel') {
      this.running.get(m.id)?.abort()
      return
    }
    const controller = new AbortController()
    this.running.set(m.id, controller)
    try {
      const result = await this.handle(m, controller.signal, record => this.post({ type: 'record', id: m.id, record }))
      this.post({ type: 'response', id: m.id, result })
    } catch (err) {
      const e = err as Error
      if (!controller.signal.aborted) this.log.warn(`[marketplace] ${m.method} failed: ${e.message}`)
      this.post({ type: 'error', id: m.id, error: { name: e.name ?? 'Error', message: e.message ?? String(err) } })
    } finally {
      this.running.delete(m.id)
    }
  }

  private async handle (m: RequestMessage, signal: AbortSignal, write: (r: RequestMap[RequestMethod]['record']) => void): Promise<RequestMap[RequestMethod]['result']> {
    const api = <T>(method: 'GET' | 'POST', target: string, body?: unknown): Promise<T> =>
      this.router.call(method, target, body, { signal, onRecord: r => write(r as RequestMap[RequestMethod]['record']) }) as Promise<T>
    switch (m.method) {
      case 'status': return api('GET', '/api/status')
      case 'peers': return api('GET', '/api/peers')
      case 'topology': return api('GET', '/api/topology')
      case 'wallet': return this.wallet(api)
      case 'pickFolder': {
        const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Publish', title: 'Adapter folder to publish (PEFT: adapter_config.json, weights, README.md)' })
        return picked?.[0] !== undefined ? { path: picked[0].fsPath } : null
      }
      case 'search': {
        const { query, k, network, timeoutMs, hops } = m.params
        await api('POST', '/api/search', { query, k, network, timeoutMs, hops })
        return undefined
      }
      case 'install': await this.install(m.params, signal, write); return undefined
      case 'publish': await this.publish(m.params, signal, write); return undefined
    }
  }

  private async install (req: InstallRequest, signal: AbortSignal, write: (r: ProgressRecord) => void): Promise<void> {
    const content = requireContent(this.node, 'Installing an adapter')
    if (!vscode.workspace.isTrusted) throw new Error('Installing adapters writes into the project: trust this workspace first')
    const folders = (vscode.workspace.workspaceFolders ?? []).filter(f => f.uri.scheme === 'file')
    if (folders.length === 0) throw new Error('Installing needs an open folder: open your project first (File › Open Folder…)')
    // The page never chooses the path in VS Code: the project is one of the open workspace folders.
    const project = folders.length === 1 ? folders[0] : await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Install the adapter into which project?' })
    if (project === undefined) throw new Error('Install cancelled: no project chosen')
    // The price the page showed on its install button, confirmed here in a modal (the page cannot accept
    // a price on the user's behalf); anything else from the page means "accept nothing".
    const maxPrice = typeof req.maxPrice === 'number' && Number.isFinite(req.maxPrice) && req.maxPrice > 0 ? req.maxPrice : 0
    if (maxPrice > 0 && !(await confirmPrice(req.ref, maxPrice))) throw new Error('Install cancelled: the price was not accepted')
    const result = await content.install(req.ref, { project: project.uri.fsPath, signal, maxPrice, onProgress: p => write({ type: 'progress', ...p }) })
    write({ type: 'done', results: [result] })
  }

  private async publish (req: PublishRequest, signal: AbortSignal, write: (r: ProgressRecord) => void): Promise<void> {
    const content = requireContent(this.node, 'Publishing an adapter')
    const result = await content.publish(req.path, { price: req.price, signal, onProgress: p => write({ type: 'progress', ...p }) })
    write({ type: 'done', cid: result.cid, name: result.manifest.name, version: result.manifest.version })
  }

  /** The wallet page's figures: `GET /api/wallet/stats` and the last 50 history entries, as over HTTP. */
  private async wallet (api: <T>(method: 'GET', target: string) => Promise<T>): Promise<WalletView> {
    try {
      const [stats, history] = await Promise.all([
        api<WalletView['stats']>('GET', '/api/wallet/stats'),
        api<{ entries: WalletView['history'] }>('GET', '/api/wallet/history?limit=50')
      ])
      return { stats, history: history.entries }
    } catch (err) {
      // No wallet routes: the node runs without the ledger.
      if ((err as Error).name === 'NotFoundError') throw new Error('The wallet is not available yet: this node does not run the ledger', { cause: err })
      throw err
    }
  }
}
