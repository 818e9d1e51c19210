// Entry point of the web UI bundle (dist/webview/main.js). Picks the host: a VS Code webview
// (acquireVsCodeApi exists) or the node's local page (token in ?token= or this tab's session storage).
import '@vscode-elements/elements/dist/vscode-button/index.js'
import '@vscode-elements/elements/dist/vscode-collapsible/index.js'
import '@vscode-elements/elements/dist/vscode-label/index.js'
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js'
import '@vscode-elements/elements/dist/vscode-tab-header/index.js'
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js'
import '@vscode-elements/elements/dist/vscode-tabs/index.js'
import '@vscode-elements/elements/dist/vscode-textfield/index.js'
import './styles.css'
import './app'
import type { ContinuumApp, AppState } from './app'
import { HttpMeshClient, takeToken } from './http-client'
import { WebviewMeshClient, type VsCodeApi } from './webview-client'

declare const acquireVsCodeApi: (() => VsCodeApi) | undefined

function start (): void {
  const root = document.getElementById('app')
  if (root === null) return
  const app = document.createElement('cm-app') as ContinuumApp
  if (typeof acquireVsCodeApi === 'function') {
    const vscode = acquireVsCodeApi()
    document.documentElement.dataset.host = 'vscode'
    app.client = new WebviewMeshClient(vscode)
    const saved = vscode.getState() as AppState | undefined
    if (saved?.page !== undefined) app.page = saved.page
    if (saved?.market !== undefined) app.initialMarket = saved.market
    app.saveState = s => vscode.setState(s)
  } else {
    document.documentElement.dataset.host = 'browser'
    let theme: string | null = null
    try { theme = localStorage.getItem('continuum-theme') } catch { /* storage disabled */ }
    document.documentElement.dataset.theme = theme ?? (window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light')
    const token = takeToken()
    if (token === null) {
      root.replaceChildren(noToken())
      return
    }
    app.client = new HttpMeshClient(token)
    const page = new URL(window.location.href).hash.slice(1)
    if (page === 'marketplace' || page === 'wallet' || page === 'mesh' || page === 'community' || page === 'services' || page === 'storage') app.page = page
    app.saveState = s => { if (s.page !== undefined) window.history.replaceState(null, '', `#${s.page}`) }
  }
  root.replaceChildren(app)
}

function noToken (): HTMLElement {
  const p = document.createElement('p')
  p.className = 'banner error'
  p.setAttribute('role', 'alert')
  p.textContent = 'This page needs the node\'s access token. Open the URL that `continuum node start` (or `npm start`) printed — it ends with ?token=… — or add ?token=<token from api.json in the node\'s data dir> to this address.'
  return p
}

start()
