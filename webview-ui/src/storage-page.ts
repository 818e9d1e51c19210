// Storage: my stored files with the health of each replica (status per host, last proof, next payment),
// the files this node hosts for others, the hosting offer, put (a path on the node's machine) with
// progress, and get by CID.
import { LitElement, html, nothing, type TemplateResult } from 'lit'
import type { MeshClient, MeshStatusView, StorageListJson, StorageCall, StorageStreamCall } from './protocol'
import { errorText, formatBytes, formatTokens, shortId } from './format'

function field (root: HTMLElement, id: string): string {
  return (root.querySelector<HTMLInputElement>(`#${id}`)?.value ?? '').trim()
}

export class StoragePage extends LitElement {
  client!: MeshClient
  status?: MeshStatusView
  private list?: StorageListJson
  private error?: string
  private notice?: string
  private progress?: string
  private loading = false

  protected override createRenderRoot (): HTMLElement { return this }

  get available (): boolean { return this.client?.storage !== undefined && this.status?.features?.['storage-market'] !== undefined }

  private async call (c: StorageCall): Promise<unknown> {
    if (this.client.storage === undefined) throw new Error('The Storage page is not available in this host yet')
    return await this.client.storage(c)
  }

  async refresh (): Promise<void> {
    if (!this.available || this.loading) { this.requestUpdate(); return }
    this.loading = true
    try {
      this.list = await this.call({ action: 'list' }) as StorageListJson
      this.error = undefined
    } catch (err) {
      this.error = `Could not read the stored files: ${errorText(err)}`
    } finally {
      this.loading = false
      this.requestUpdate()
    }
  }

  private async offer (): Promise<void> {
    const capacityMb = Number(field(this, 'storage-capacity'))
    const pricePerMbDay = Number(field(this, 'storage-price'))
    if (!Number.isInteger(capacityMb) || capacityMb < 1) { this.error = 'Capacity must be a whole number of MB, at least 1'; this.requestUpdate(); return }
    if (!Number.isFinite(pricePerMbDay) || pricePerMbDay < 0) { this.error = 'Price per MB-day must be a number of tokens, 0 or more'; this.requestUpdate(); return }
    try {
      await this.call({ action: 'offer', capacityMb, pricePerMbDay })
      this.notice = `Offering ${capacityMb} MB at ${pricePerMbDay} tokens per MB-day.`
      this.error = undefined
    } catch (err) {
      this.error = `Could not offer storage: ${errorText(err)}`
    }
    this.requestUpdate()
  }

  private async stream (c: StorageStreamCall, label: string): Promise<void> {
    if (this.client.storageStream === undefined) return
    this.progress = `${label}…`
    this.error = undefined
    this.requestUpdate()
    try {
      await this.client.storageStream(c, r => {
        if (r.type === 'error') { this.error = `${label} failed: ${String((r as { error?: { message?: unknown } }).error?.message ?? 'unknown error')}`; return }
        if (r.type === 'done') { this.notice = c.action === 'put' ? `Stored ${String(r.name)} as ${String(r.cid)}.` : `Fetched ${String(r.cid)} to ${String(r.path)}.`; return }
        const p = r as { stage?: unknown, bytes?: unknown, totalBytes?: unknown }
        this.progress = `${label}: ${typeof p.stage === 'string' ? `${p.stage} ` : ''}${typeof p.bytes === 'number' && typeof p.totalBytes === 'number' ? `${formatBytes(p.bytes)} of ${formatBytes(p.totalBytes)}` : ''}`
        this.requestUpdate()
      })
    } catch (err) {
      this.error = `${label} failed: ${errorText(err)}`
    } finally {
      this.progress = undefined
      this.requestUpdate()
    }
    await this.refresh()
  }

  private async put (): Promise<void> {
    const path = field(this, 'storage-path')
    if (path === '') { this.error = 'Enter the path of a file on the node\'s machine'; this.requestUpdate(); return }
    const rep = field(this, 'storage-replicas')
    const replicas = rep === '' ? undefined : Number(rep)
    if (replicas !== undefined && (!Number.isInteger(replicas) || replicas < 1 || replicas > 16)) { this.error = 'Replicas must be a whole number from 1 to 16'; this.requestUpdate(); return }
    const max = field(this, 'storage-max-price')
    const maxPrice = max === '' ? undefined : Number(max)
    if (maxPrice !== undefined && (!Number.isFinite(maxPrice) || maxPrice < 0)) { this.error = 'Max price must be a number of tokens, 0 or more'; this.requestUpdate(); return }
    if (maxPrice !== undefined && maxPrice > 0 && !window.confirm(`Pay up to ${maxPrice} tokens to store this file?`)) return
    await this.stream({ action: 'put', path, ...(replicas !== undefined ? { replicas } : {}), ...(maxPrice !== undefined ? { maxPrice } : {}) }, 'Storing')
  }

  private async get (): Promise<void> {
    const cid = field(this, 'storage-cid')
    if (cid === '') { this.error = 'Enter the CID of a stored file'; this.requestUpdate(); return }
    await this.stream({ action: 'get', cid }, 'Fetching')
  }

  protected override render (): TemplateResult {
    if (!this.available) {
      return html`<section aria-labelledby="storage-title">
        <h2 id="storage-title">Storage</h2>
        <p class="note" id="storage-unavailable">Storage is not available: this node does not run the storage market${this.client?.storage === undefined ? ' (or this host does not offer it yet; use "Store File on the Mesh…")' : ''}.</p>
      </section>`
    }
    const l = this.list
    return html`
      <section aria-labelledby="storage-title">
        <div class="section-head">
          <h2 id="storage-title">Storage</h2>
          <vscode-button secondary id="refresh-storage" @click=${() => { void this.refresh() }}>Refresh</vscode-button>
        </div>
        ${this.error !== undefined ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
        ${this.notice !== undefined ? html`<p class="note" role="status" id="storage-notice">${this.notice}</p>` : nothing}
        ${this.progress !== undefined ? html`<p class="note" role="status" id="storage-progress">${this.progress}</p>` : nothing}
        <h3>My stored files</h3>
        ${l === undefined ? (this.error === undefined ? html`<p>Loading…</p>` : nothing) : l.files.length === 0 ? html`<p class="note" id="no-stored-files">No stored files yet.</p>` : html`
          <table class="stored-files" id="stored-files">
            <thead><tr><th scope="col">File</th><th scope="col">CID</th><th scope="col">Size</th><th scope="col">Health</th><th scope="col">Hosts</th><th scope="col">Paid / cost</th><th scope="col">Ends</th></tr></thead>
            <tbody>${l.files.map(f => html`<tr data-cid=${f.cid}>
              <td>${f.name}</td><td class="mono" title=${f.cid}>${shortId(f.cid)}</td><td>${formatBytes(f.size)}</td>
              <td class=${f.health === 'ok' ? 'ok' : 'error'}>${f.health} (${f.healthy}/${f.replicas})</td>
              <td><ul class="replicas">${f.hosts.map(h => html`<li><span class="mono" title=${h.host}>${shortId(h.host)}</span> ${h.status}${h.lastProof !== undefined ? `, last proof ${new Date(h.lastProof).toLocaleString()}` : ', no proof yet'}${h.nextPayment !== undefined ? `, next payment ${formatTokens(h.nextPayment)}` : ''}${h.reason !== undefined ? ` — ${h.reason}` : ''}</li>`)}</ul></td>
              <td>${formatTokens(f.paid)} / ${formatTokens(f.cost)}</td><td>${new Date(f.end).toLocaleDateString()}</td></tr>`)}</tbody>
          </table>`}
        <h3>Files this node hosts</h3>
        ${l === undefined ? nothing : l.hosting.length === 0 ? html`<p class="note" id="no-hosted-files">This node hosts no files.</p>` : html`
          <table class="hosted-files" id="hosted-files">
            <thead><tr><th scope="col">CID</th><th scope="col">Owner</th><th scope="col">Size</th><th scope="col">Earns</th><th scope="col">Ends</th></tr></thead>
            <tbody>${l.hosting.map(h => html`<tr data-cid=${h.cid}><td class="mono" title=${h.cid}>${shortId(h.cid)}</td><td class="mono" title=${h.owner}>${shortId(h.owner)}</td><td>${formatBytes(h.size)}</td><td>${formatTokens(h.total)}</td><td>${new Date(h.end).toLocaleDateString()}</td></tr>`)}</tbody>
          </table>`}
        <h3>Offer storage</h3>
        <div class="filters">
          <label>Capacity (MB) <input id="storage-capacity"></label>
          <label>Price per MB-day <input id="storage-price" placeholder="tokens"></label>
          <vscode-button id="storage-offer" @click=${() => { void this.offer() }}>Offer</vscode-button>
        </div>
        <h3>Store a file</h3>
        <div class="filters">
          <label>File path <input id="storage-path" placeholder="/path/on/the/node"></label>
          <label>Replicas <input id="storage-replicas" placeholder="3"></label>
          <label>Max price <input id="storage-max-price" placeholder="tokens"></label>
          <vscode-button id="storage-put" @click=${() => { void this.put() }}>Store</vscode-button>
        </div>
        <h3>Fetch by CID</h3>
        <div class="filters">
          <label>CID <input id="storage-cid"></label>
          <vscode-button id="storage-get" @click=${() => { void this.get() }}>Fetch</vscode-button>
        </div>
      </section>`
  }
}

customElements.define('cm-storage', StoragePage)
