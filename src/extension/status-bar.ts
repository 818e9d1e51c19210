// One status bar item on the left: the mesh state (peers · catalog size), a spinner while starting,
// a warning when the node could not start. Clicking opens "Show Mesh Status".
import * as vscode from 'vscode'
import type { MeshSnapshot, NodeHost, NodeHostState } from './node-host'

export class MeshStatusBar implements vscode.Disposable {
  readonly item: vscode.StatusBarItem
  private readonly disposables: vscode.Disposable[] = []

  constructor (private readonly host: NodeHost) {
    this.item = vscode.window.createStatusBarItem('continuum.status', vscode.StatusBarAlignment.Left, 10)
    this.item.name = 'Continuum Mesh'
    this.item.command = 'continuum.showStatus'
    this.disposables.push(host.onDidChangeState(() => { this.update() }), host.onDidChangeMesh(() => { this.update() }))
    this.update()
    this.item.show()
  }

  update (): void {
    const { text, tooltip } = statusText(this.host.state, this.host.mesh)
    this.item.text = text
    this.item.tooltip = tooltip
  }

  dispose (): void {
    for (const d of this.disposables.splice(0)) d.dispose()
    this.item.dispose()
  }
}

/** The item's text and tooltip for a state (exported for tests). */
export function statusText (state: NodeHostState, mesh: MeshSnapshot): { text: string, tooltip: string } {
  switch (state.kind) {
    case 'starting': return { text: '$(sync~spin) Continuum', tooltip: 'Continuum: the mesh node is starting' }
    case 'stopped': return { text: '$(circle-slash) Continuum', tooltip: 'Continuum: the mesh node is not running. Click for actions.' }
    case 'failed': return { text: '$(warning) Continuum', tooltip: `${state.message}\nClick for details and fixes.` }
    case 'started': {
      const adapters = mesh.local + mesh.remote
      return {
        text: `$(radio-tower) ${mesh.peers} ${mesh.peers === 1 ? 'peer' : 'peers'} · ${adapters} ${adapters === 1 ? 'adapter' : 'adapters'}`,
        tooltip: `Continuum mesh: ${mesh.peers} connected peers (${mesh.neighbours} neighbours); catalog: ${mesh.local} local, ${mesh.remote} from peers. Click for mesh status.`
      }
    }
  }
}
