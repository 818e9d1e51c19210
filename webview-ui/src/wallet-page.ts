// Wallet: balance, earned, spent, reputation, top earning adapter and history from the ledger feature,
// when the node runs it.
import { LitElement, html, nothing, type TemplateResult } from 'lit'
import type { MeshClient, MeshStatusView, WalletHistoryEntry, WalletView } from './protocol'
import { countOf, errorText, formatNumber, formatTokens, humanise, shortId } from './format'

const tokens = formatTokens

function describe (h: WalletHistoryEntry): string {
  const what = humanise(h.kind)
  const why = h.reason ?? h.memo
  return why !== undefined && why !== '' ? `${what} — ${why}` : what
}

export class WalletPage extends LitElement {
  client!: MeshClient
  status?: MeshStatusView
  private wallet?: WalletView
  private error?: string
  private loading = false

  protected override createRenderRoot (): HTMLElement { return this }

  get available (): boolean { return this.status?.features?.ledger !== undefined }

  private get joining (): boolean {
    const l = this.status?.features?.ledger as { joined?: boolean } | undefined
    return l !== undefined && l.joined === false
  }

  async refresh (): Promise<void> {
    if (!this.available || this.loading) { this.requestUpdate(); return }
    this.loading = true
    try {
      this.wallet = await this.client.wallet()
      this.error = undefined
    } catch (err) {
      this.error = `Could not read the wallet: ${errorText(err)}`
    } finally {
      this.loading = false
      this.requestUpdate()
    }
  }

  protected override render (): TemplateResult {
    if (!this.available) {
      return html`<section aria-labelledby="wallet-title">
        <h2 id="wallet-title">Wallet</h2>
        <p class="note" id="wallet-unavailable">The wallet is not available yet: this node does not run the ledger.</p>
      </section>`
    }
    const w = this.wallet
    const s = w?.stats
    return html`
      <section aria-labelledby="wallet-title">
        <div class="section-head">
          <h2 id="wallet-title">Wallet</h2>
          <vscode-button secondary id="refresh-wallet" @click=${() => { void this.refresh() }}>Refresh</vscode-button>
        </div>
        ${this.joining ? html`<p class="note" role="status">Joining the ledger (a one-time proof of work)…</p>` : nothing}
        ${this.error !== undefined ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
        ${s === undefined
          ? (this.error === undefined ? html`<p>Loading…</p>` : nothing)
          : html`
          <p class="mono node-id" title=${s.account}>Account ${s.account}${s.forked === true ? html` <span class="error">— this account's chain has forked</span>` : nothing}</p>
          <dl class="figures">
            <div class="figure" data-figure="balance"><dt>Balance</dt><dd>${tokens(s.balance)}</dd></div>
            <div class="figure" data-figure="earned"><dt>Earned</dt><dd>${tokens(s.earned)}</dd></div>
            <div class="figure" data-figure="spent"><dt>Spent</dt><dd>${tokens(s.spent)}</dd></div>
            <div class="figure" data-figure="reputation"><dt>Reputation</dt><dd>${s.reputation.toFixed(2)}</dd></div>
            <div class="figure" data-figure="topAdapter"><dt>Top earning adapter</dt><dd>${s.topAdapter == null
              ? 'none yet'
              : html`${s.topAdapter.name ?? shortId(s.topAdapter.contentId)} <span class="note">(${tokens(s.topAdapter.earned)}${s.topAdapter.downloads !== undefined ? `, ${countOf(s.topAdapter.downloads, 'download')}` : ''})</span>`}</dd></div>
          </dl>
          <h3>History</h3>
          ${w!.history.length === 0 ? html`<p class="note">No transactions yet.</p>` : html`
            <table class="history">
              <thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Amount</th><th scope="col">Balance</th><th scope="col">With</th></tr></thead>
              <tbody>${[...w!.history].reverse().map(h => html`<tr data-seq=${h.seq}>
                <td>${new Date(h.time).toLocaleString()}</td>
                <td>${describe(h)}</td>
                <td class=${h.delta < 0 ? 'error' : 'ok'}>${h.delta > 0 ? '+' : ''}${formatNumber(h.delta)}</td>
                <td>${formatNumber(h.balance)}</td>
                <td class="mono" title=${h.counterparty ?? ''}>${h.counterparty !== undefined ? shortId(h.counterparty) : '—'}</td></tr>`)}</tbody>
            </table>`}`}
      </section>`
  }
}

customElements.define('cm-wallet', WalletPage)
