// Services: the mesh's service listings (filters; the node's order — cheapest, then best reputation),
// starting/stopping this node's own providers, and a small embedding playground that pays at most a
// confirmed max price and shows who served it and what it cost.
import { LitElement, html, nothing, type TemplateResult } from 'lit'
import type { MeshClient, MeshStatusView, ServiceListing, ServicesCall } from './protocol'
import { errorText, formatTokens, shortId } from './format'

interface EmbedAnswer { provider: string, service: string, cost: number, balance?: number, vectors: number[][] }

function field (root: HTMLElement, id: string): string {
  return (root.querySelector<HTMLInputElement>(`#${id}`)?.value ?? '').trim()
}

export class ServicesPage extends LitElement {
  client!: MeshClient
  status?: MeshStatusView
  private listings?: ServiceListing[]
  private error?: string
  private notice?: string
  private answer?: EmbedAnswer
  private busy = false

  protected override createRenderRoot (): HTMLElement { return this }

  get available (): boolean { return this.client?.services !== undefined && this.status?.features?.market !== undefined }

  private async call (c: ServicesCall): Promise<unknown> {
    if (this.client.services === undefined) throw new Error('The Services page is not available in this host yet')
    return await this.client.services(c)
  }

  async refresh (): Promise<void> {
    if (!this.available || this.busy) { this.requestUpdate(); return }
    this.busy = true
    try {
      const min = Number(field(this, 'svc-min-availability') || '0')
      if (!Number.isFinite(min) || min < 0 || min > 1) throw new Error('Minimum availability must be a number from 0 to 1')
      const r = await this.call({ action: 'listings', type: field(this, 'svc-type'), model: field(this, 'svc-model'), minAvailability: min }) as { listings: ServiceListing[] }
      this.listings = r.listings
      this.error = undefined
    } catch (err) {
      this.error = `Could not read the listings: ${errorText(err)}`
    } finally {
      this.busy = false
      this.requestUpdate()
    }
  }

  private async provide (): Promise<void> {
    const backend = field(this, 'svc-backend') === 'openai' ? 'openai' : 'embeddings'
    const price = field(this, 'svc-price')
    if (price === '') { this.error = 'Enter a price per request in tokens (0 for free)'; this.requestUpdate(); return }
    const url = field(this, 'svc-url')
    const model = field(this, 'svc-provide-model')
    const adapterMode = field(this, 'svc-adapter-mode') === 'llama-cpp' ? 'llama-cpp' : 'model'
    try {
      await this.call(backend === 'openai'
        ? { action: 'provide', backend, pricePerRequest: price, ...(url !== '' ? { url } : {}), ...(model !== '' ? { model } : {}), adapterMode }
        : { action: 'provide', backend, pricePerRequest: price })
      this.notice = `Providing ${backend} at ${price} tokens a request.`
      this.error = undefined
    } catch (err) {
      this.error = `Could not start providing: ${errorText(err)}`
    }
    await this.refresh()
  }

  private async stop (): Promise<void> {
    try {
      await this.call({ action: 'stop' })
      this.notice = 'Stopped providing.'
      this.error = undefined
    } catch (err) {
      this.error = `Could not stop providing: ${errorText(err)}`
    }
    await this.refresh()
  }

  private async embed (): Promise<void> {
    const text = field(this, 'svc-text')
    const maxPrice = field(this, 'svc-max-price')
    if (text === '') { this.error = 'Enter a text to embed'; this.requestUpdate(); return }
    if (maxPrice === '') { this.error = 'Enter the most you will pay, in tokens (0 for free providers only)'; this.requestUpdate(); return }
    // Paying is a choice the user confirms, as with tips.
    if (Number(maxPrice) > 0 && !window.confirm(`Pay up to ${maxPrice} tokens for this request?`)) return
    try {
      this.answer = await this.call({ action: 'embed', texts: [text], maxPrice }) as EmbedAnswer
      this.error = undefined
    } catch (err) {
      this.error = `The request failed: ${errorText(err)}`
    }
    this.requestUpdate()
  }

  protected override render (): TemplateResult {
    if (!this.available) {
      return html`<section aria-labelledby="services-title">
        <h2 id="services-title">Services</h2>
        <p class="note" id="services-unavailable">Services are not available: this node does not run the market${this.client?.services === undefined ? ' (or this host does not offer it yet)' : ''}.</p>
      </section>`
    }
    const a = this.answer
    return html`
      <section aria-labelledby="services-title">
        <div class="section-head">
          <h2 id="services-title">Services</h2>
          <vscode-button secondary id="refresh-services" @click=${() => { void this.refresh() }}>Refresh</vscode-button>
        </div>
        ${this.error !== undefined ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
        ${this.notice !== undefined ? html`<p class="note" role="status">${this.notice}</p>` : nothing}
        <div class="filters">
          <label>Type <input id="svc-type" placeholder="inference, embedding…"></label>
          <label>Model <input id="svc-model"></label>
          <label>Min availability <input id="svc-min-availability" placeholder="0–1"></label>
          <vscode-button id="apply-service-filters" @click=${() => { void this.refresh() }}>Filter</vscode-button>
        </div>
        ${this.listings === undefined
          ? (this.error === undefined ? html`<p>Loading…</p>` : nothing)
          : this.listings.length === 0 ? html`<p class="note" id="no-listings">No listings match.</p>` : html`
          <table class="listings" id="service-listings">
            <thead><tr><th scope="col">Provider</th><th scope="col">Type</th><th scope="col">Service</th><th scope="col">Model</th><th scope="col">Price</th><th scope="col">Reputation</th><th scope="col">Availability</th></tr></thead>
            <tbody>${this.listings.map(l => html`<tr data-provider=${l.provider} data-service=${l.service}>
              <td class="mono" title=${l.provider}>${l.own ? 'this node' : shortId(l.provider)}</td>
              <td>${l.serviceType}</td><td>${l.service}</td><td>${l.model ?? '—'}</td>
              <td>${formatTokens(l.price)} / ${l.unit}</td><td>${l.reputation.toFixed(2)}</td><td>${Math.round(l.availability * 100)}%</td></tr>`)}</tbody>
          </table>`}
        <h3>Provide a service</h3>
        <div class="filters">
          <label>Backend <select id="svc-backend"><option value="embeddings">embeddings</option><option value="openai">openai</option></select></label>
          <label>Price per request <input id="svc-price" placeholder="tokens"></label>
          <label>URL (openai) <input id="svc-url" placeholder="http://127.0.0.1:8080/v1"></label>
          <label>Model (openai) <input id="svc-provide-model"></label>
          <label>Adapters (openai) <select id="svc-adapter-mode"><option value="model">as model name</option><option value="llama-cpp">llama.cpp</option></select></label>
          <vscode-button id="start-providing" @click=${() => { void this.provide() }}>Start providing</vscode-button>
          <vscode-button secondary id="stop-providing" @click=${() => { void this.stop() }}>Stop providing</vscode-button>
        </div>
        <h3>Playground: embed a text from the mesh</h3>
        <div class="filters">
          <label>Text <input id="svc-text"></label>
          <label>Max price <input id="svc-max-price" placeholder="tokens"></label>
          <vscode-button id="run-embed" @click=${() => { void this.embed() }}>Embed</vscode-button>
        </div>
        ${a !== undefined ? html`<p id="embed-answer">Served by <span class="mono" title=${a.provider}>${shortId(a.provider)}</span> (${a.service}) for ${formatTokens(a.cost)} tokens: ${a.vectors.length} vector${a.vectors.length === 1 ? '' : 's'} of ${a.vectors[0]?.length ?? 0} dimensions.</p>` : nothing}
      </section>`
  }
}

customElements.define('cm-services', ServicesPage)
