// "Continuum: Open Marketplace" opens the web UI panel (marketplace-panel.ts) on the running node.
import type * as vscode from 'vscode'
import type { NodeHost } from './node-host'
import { openMarketplacePanel } from './webview/marketplace-panel'

export async function openMarketplace (context: vscode.ExtensionContext, host: NodeHost, log: vscode.LogOutputChannel): Promise<void> {
  openMarketplacePanel(context, await host.requireNode(), log)
}
