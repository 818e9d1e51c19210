// "Continuum: Open Marketplace" opens the web UI panel (marketplace-panel.ts, owned by the web UI work).
// The panel is bundled when its file exists; a build without it says so instead of failing to load.
import * as vscode from 'vscode'
import type { MeshNode } from '../node/mesh-node'
import type { NodeHost } from './node-host'

type OpenPanel = (context: vscode.ExtensionContext, node: MeshNode, log: vscode.LogOutputChannel) => unknown

export async function openMarketplace (context: vscode.ExtensionContext, host: NodeHost, log: vscode.LogOutputChannel): Promise<void> {
  // A template import: esbuild bundles whatever matches, and rejects at run time when nothing does.
  const file = 'panel'
  let open: OpenPanel | undefined
  try {
    const mod = await import(`./marketplace-${file}.ts`) as { openMarketplacePanel?: OpenPanel }
    open = mod.openMarketplacePanel
  } catch (err) {
    log.debug(`[marketplace] panel not bundled: ${String(err)}`)
  }
  if (open === undefined) {
    void vscode.window.showInformationMessage('The Continuum marketplace panel is not part of this build. Use "Continuum: Search Adapters…" and the Adapters view.')
    return
  }
  await open(context, await host.requireNode(), log)
}
