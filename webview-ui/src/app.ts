// The app shell: connection banner, theme toggle (browser only), and the three pages as tabs.
// Status is read once here and handed to every page; live events refresh it.
import { LitElement, html, nothing, type TemplateResult } from 'lit'
import type { ConnectionState, MeshClient, MeshStatusView } from './protocol'
import type { MarketplacePage, MarketState } from './marketplace-page'
import type { MeshPage } from './mesh-page'
import type { WalletPage } from './wallet-page'
import type { CommunityPage } from './community-page'
import type { ServicesPage } from './services-page'
import type { StoragePage } from './storage-page'
import { errorText } from './format'
import './marketplace-page'
import './mesh-page'
import './wallet-page'
import './community-page'
import './services-page'
import './storage-page'

const PAGES = ['marketplace', 'wallet', 'mesh', 'community', 'services', 'storage'] as const
type Page = typeof PAGES[number]

/** What survives the webview being hidden (VS Code drops hidden webviews' pages; getState/setState keep this). */
export interface AppState { page?: Page, market?: MarketState }

export class ContinuumApp extends LitElement {
  client!: MeshClient
  /** Persists the open page (VS Code's getState/setState, or session storage). */
  saveState: (s: AppState) => void = () => {}
  page: Page = 'marketplace'
  /** Restored into the marketplace page on first render. */
  initialMarket?: MarketState
  private status?: MeshStatusView
  private statusError?: string
  private connection: ConnectionState = { state: 'connecting' }
  private pollTimer?: ReturnType<typeof setInterval>
  private statusTimer?: ReturnType<typeof setTimeout>

  protected override createRenderRoot (): HTMLElement { return this }

  override connectedCallback (): void {
    super.connectedCallback()
    this.client.onConnection(s => {
      const wasDown = this.connection.state !== 'open'
      this.connection = s
      this.requestUpdate()
      // After a reconnect the node may have restarted: read everything again.
      if (s.state === 'open' && wasDown) this.refreshAll()
    })
    this.client.onEvent(e => {
      this.mesh()?.onNodeEvent(e)
      if (e.type !== 'log') this.scheduleStatus()
    })
    this.refreshAll()
    // Figures without events (uptime, gossip counters) still move: poll while the page is visible.
    this.pollTimer = setInterval(() => { if (document.visibilityState === 'visible') void this.refreshStatus() }, 5000)
  }

  override disconnectedCallback (): void {
    super.disconnectedCallback()
    clearInterval(this.pollTimer)
  }

  private market (): MarketplacePage | null { return this.querySelector('cm-marketplace') }
  private mesh (): MeshPage | null { return this.querySelector('cm-mesh') }
  private walletPage (): WalletPage | null { return this.querySelector('cm-wallet') }
  private community (): CommunityPage | null { return this.querySelector('cm-community') }
  private services (): ServicesPage | null { return this.querySelector('cm-services') }
  private storagePage (): StoragePage | null { return this.querySelector('cm-storage') }

  private refreshAll (): void {
    void this.refreshStatus().then(() => {
      if (this.page === 'wallet') void this.walletPage()?.refresh()
      if (this.page === 'community') void this.community()?.refresh()
      if (this.page === 'services') void this.services()?.refresh()
      if (this.page === 'storage') void this.storagePage()?.refresh()
    })
    const mesh = this.mesh()
    if (mesh !== null) void mesh.refreshTopology()
  }

  private scheduleStatus (): void {
    clearTimeout(this.statusTimer)
    this.statusTimer = setTimeout(() => { void this.refreshStatus() }, 250)
  }

  async refreshStatus (): Promise<void> {
    try {
      this.status = await this.client.status()
      this.statusError = undefined
    } catch (err) {
      this.statusError = `Cannot read the node's status: ${errorText(err)}`
    }
    this.requestUpdate()
  }

  private showPage (page: Page): void {
    this.page = page
    this.saveState({ page, market: this.market()?.snapshot() })
    this.requestUpdate()
    if (page === 'mesh') void this.updateComplete.then(() => { void this.mesh()?.refreshTopology() })
    if (page === 'wallet') void this.updateComplete.then(() => { void this.walletPage()?.refresh() })
    if (page === 'community') void this.updateComplete.then(() => { void this.community()?.refresh() })
    if (page === 'services') void this.updateComplete.then(() => { void this.services()?.refresh() })
    if (page === 'storage') void this.updateComplete.then(() => { void this.storagePage()?.refresh() })
  }

  protected override render (): TemplateResult {
    const c = this.connection
    const banner = c.state === 'lost' || c.state === 'unauthorised' ? c.message : this.statusError
    const index = PAGES.indexOf(this.page)
    return html`
      <header class="app-header">
        <h1>Continuum Mesh</h1>
        <span class="conn conn-${c.state}" role="status">${c.state === 'open' ? `${this.status?.connectedPeers ?? 0} peer${this.status?.connectedPeers === 1 ? '' : 's'}` : c.state === 'connecting' ? 'connecting…' : 'offline'}</span>
        ${this.client.host === 'browser'
          ? html`<vscode-button secondary id="theme-toggle" aria-label="Switch between light and dark theme" @click=${() => toggleTheme()}>Theme: ${document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light'}</vscode-button>`
          : nothing}
      </header>
      ${banner !== undefined ? html`<p class="banner error" role="alert" id="connection-banner">${banner}</p>` : nothing}
      <vscode-tabs selected-index=${index} @vsc-tabs-select=${(e: CustomEvent<{ selectedIndex: number }>) => this.showPage(PAGES[e.detail.selectedIndex] ?? 'marketplace')}>
        <vscode-tab-header slot="header" id="tab-marketplace">Marketplace</vscode-tab-header>
        <vscode-tab-panel>
          <cm-marketplace .client=${this.client} .status=${this.status}></cm-marketplace>
        </vscode-tab-panel>
        <vscode-tab-header slot="header" id="tab-wallet">Wallet</vscode-tab-header>
        <vscode-tab-panel>
          <cm-wallet .client=${this.client} .status=${this.status}></cm-wallet>
        </vscode-tab-panel>
        <vscode-tab-header slot="header" id="tab-mesh">Mesh</vscode-tab-header>
        <vscode-tab-panel>
          <cm-mesh .client=${this.client} .status=${this.status}></cm-mesh>
        </vscode-tab-panel>
        <vscode-tab-header slot="header" id="tab-community">Community</vscode-tab-header>
        <vscode-tab-panel>
          <cm-community .client=${this.client} .status=${this.status}></cm-community>
        </vscode-tab-panel>
        <vscode-tab-header slot="header" id="tab-services">Services</vscode-tab-header>
        <vscode-tab-panel>
          <cm-services .client=${this.client} .status=${this.status}></cm-services>
        </vscode-tab-panel>
        <vscode-tab-header slot="header" id="tab-storage">Storage</vscode-tab-header>
        <vscode-tab-panel>
          <cm-storage .client=${this.client} .status=${this.status}></cm-storage>
        </vscode-tab-panel>
      </vscode-tabs>`
  }

  protected override firstUpdated (): void {
    const market = this.market()
    if (market === null) return
    if (this.initialMarket !== undefined) market.restore(this.initialMarket)
    market.onStateChange = () => this.saveState({ page: this.page, market: market.snapshot() })
  }

  protected override updated (): void {
    // Pages are plain (non-reactive) elements: pass the new status down and let them re-render.
    for (const el of [this.market(), this.mesh(), this.walletPage(), this.community(), this.services(), this.storagePage()]) {
      if (el === null) continue
      el.status = this.status
      el.requestUpdate()
    }
  }
}

export function toggleTheme (): void {
  const root = document.documentElement
  const next = root.dataset.theme === 'dark' ? 'light' : 'dark'
  root.dataset.theme = next
  try { localStorage.setItem('continuum-theme', next) } catch { /* storage disabled */ }
  document.querySelector<ContinuumApp>('cm-app')?.requestUpdate()
}

customElements.define('cm-app', ContinuumApp)
