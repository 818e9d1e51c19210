// Composition root of the VS Code extension. Activation only wires objects (fast); the mesh node starts
// in the background, and a node that cannot start leaves the extension loaded with the problem and a
// fix in the status bar, the Adapters view and the log.
import * as vscode from 'vscode'
import path from 'node:path'
import os from 'node:os'
import { NodeHost, type NodeHostState } from './node-host'
import { logToChannel } from './log'
import { NODE_SETTING_KEYS, readSettings, SECTION, type ExtensionSettings } from './settings'
import { AdaptersTreeProvider, PeersTreeProvider } from './trees'
import { MeshStatusBar } from './status-bar'
import { Commands } from './commands'
import { searchAdapters, type SearchOptions, type SearchState } from './search'
import { openMarketplace } from './marketplace'

/** What `activate` returns: for other extensions and for the integration tests. */
export interface ContinuumApi {
  readonly host: NodeHost
  readonly adapters: AdaptersTreeProvider
  readonly peers: PeersTreeProvider
  readonly commands: Commands
  /** The search behind the QuickPick: local, then network batches. */
  search(text: string, options?: SearchOptions): Promise<SearchState>
  settings(): ExtensionSettings
}

let host: NodeHost | undefined

export function activate (context: vscode.ExtensionContext): ContinuumApi {
  const disposables: vscode.Disposable[] = []
  context.subscriptions.push(new vscode.Disposable(() => { vscode.Disposable.from(...disposables).dispose() }))
  const log = vscode.window.createOutputChannel('Continuum', { log: true })
  disposables.push(log)
  const settings = (): ExtensionSettings => readSettings(vscode.workspace.getConfiguration(SECTION))

  host = new NodeHost({ dataDir: nodeDataDir(context), settings, onLog: logToChannel(log) })
  const adapters = new AdaptersTreeProvider(host)
  const peers = new PeersTreeProvider(host)
  const statusBar = new MeshStatusBar(host)
  const h = host
  const commands = new Commands({ host: h, log, settings, adapters, peers, openMarketplace: () => openMarketplace(context, h, log) })
  disposables.push(
    host, adapters, peers, statusBar, commands,
    vscode.window.createTreeView('continuum.adapters', { treeDataProvider: adapters, showCollapseAll: true }),
    vscode.window.createTreeView('continuum.peers', { treeDataProvider: peers })
  )

  // Context keys drive the views' welcome content and command enablement.
  const setContext = (state: NodeHostState): void => { void vscode.commands.executeCommand('setContext', 'continuum.nodeState', state.kind) }
  setContext(host.state)
  let notifiedFailure: string | undefined
  disposables.push(host.onDidChangeState(state => {
    setContext(state)
    if (state.kind === 'started') {
      notifiedFailure = undefined
      const s = state.node.status()
      log.info(`[extension] mesh node ${s.peerId} started; data in ${s.dataDir}`)
    }
    // One notification per distinct failure, with its fixes; the status bar keeps showing it.
    if (state.kind === 'failed' && notifiedFailure !== state.message) {
      notifiedFailure = state.message
      const buttons = [...state.fixes.map(f => f.title), 'Show Log']
      void vscode.window.showErrorMessage(state.message, ...buttons).then(async choice => {
        if (choice === 'Show Log') log.show(true)
        const fix = state.fixes.find(f => f.title === choice)
        if (fix !== undefined) await commands.applyFix(fix).catch((err: unknown) => { log.error(`[extension] ${String(err)}`) })
      })
    }
  }))

  // Node settings take effect by restarting the node (debounced: the Settings editor writes key by key).
  let restartTimer: NodeJS.Timeout | undefined
  disposables.push(vscode.workspace.onDidChangeConfiguration(e => {
    if (NODE_SETTING_KEYS.some(k => e.affectsConfiguration(`${SECTION}.${k}`))) {
      clearTimeout(restartTimer)
      restartTimer = setTimeout(() => {
        if (h.state.kind === 'stopped' && !settings().autoStart) return
        log.info('[extension] settings changed: restarting the mesh node')
        void h.restart()
      }, 500)
    } else if (e.affectsConfiguration(`${SECTION}.node.autoStart`) && settings().autoStart) {
      void h.start()
    }
  }), new vscode.Disposable(() => { clearTimeout(restartTimer) }))

  if (settings().autoStart) {
    // Not awaited: activation stays fast; the status bar shows progress.
    void host.start()
  } else {
    log.info('[extension] continuum.node.autoStart is off: the node starts with the first Continuum command')
  }

  return {
    host,
    adapters,
    peers,
    commands,
    search: async (text, options) => searchAdapters(await h.requireNode(), text, settings().search, options),
    settings
  }
}

export async function deactivate (): Promise<void> {
  // Stop the node before the extension host goes away (closes sockets, saves the peer cache).
  await host?.stop()
  host = undefined
}

/** Node data lives in the extension's global storage (identity, peers, catalog). */
function nodeDataDir (context: vscode.ExtensionContext): string {
  const uri = context.globalStorageUri
  if (uri.scheme === 'file') return path.join(uri.fsPath, 'node')
  // A non-file storage (a web host) cannot hold a node's files: use the home folder of this host.
  return path.join(os.homedir(), '.continuum-vscode')
}
