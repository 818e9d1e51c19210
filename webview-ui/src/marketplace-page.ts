// Marketplace: describe what you are building, watch results stream in (this node first, then peers),
// open one for its details, install it, or publish your own.
import { LitElement, html, nothing, type TemplateResult } from 'lit'
import { installRef, isCid, type AdapterResult, type MeshClient, type MeshStatusView, type PostJson, type ProgressRecord, type SearchRecord } from './protocol'
import { countOf, errorText, formatBytes, formatNumber, formatTokens, humanise, shortId } from './format'

interface SearchState {
  running: boolean
  localCount: number
  batches: number
  peersAnswered: number
  elapsedMs: number
  network: boolean | undefined
  done: boolean
  error?: string
  /** The node is still importing (e.g. the demo catalog at start): results may be missing. */
  loading?: { done: number, total: number }
}

/** The part of the page worth keeping when VS Code hides the webview: the query and what it found. */
export interface MarketState { query: string, patienceS: number, hops: number, results: AdapterResult[], selectedKey?: string }

interface JobState { running: boolean, lines: string[], error?: string, done?: string, value?: number, max?: number, stage?: string }

function inputValue (e: Event): string {
  return (e.target as HTMLInputElement).value ?? ''
}

export class MarketplacePage extends LitElement {
  client!: MeshClient
  status?: MeshStatusView
  private query = ''
  private patienceS = 5
  private hops = 3
  private results = new Map<string, AdapterResult>()
  private search?: SearchState
  /** Counts searches; exposed as data-search on the search section (tests and screen readers use the status line). */
  private searchCount = 0
  private abort?: AbortController
  private selected?: AdapterResult
  private installFolder = ''
  private install?: JobState
  private publishForm = { path: '', price: '' }
  private publishJob?: JobState

  /** Called after a search finishes or a result is opened (the host persists `snapshot()`). */
  onStateChange: () => void = () => {}

  protected override createRenderRoot (): HTMLElement { return this }

  snapshot (): MarketState {
    return { query: this.query, patienceS: this.patienceS, hops: this.hops, results: this.sorted(), ...(this.selected !== undefined ? { selectedKey: this.selected.key } : {}) }
  }

  restore (s: MarketState): void {
    this.query = typeof s.query === 'string' ? s.query : ''
    if (Number.isInteger(s.patienceS) && s.patienceS >= 1 && s.patienceS <= 30) this.patienceS = s.patienceS
    if (Number.isInteger(s.hops) && s.hops >= 1 && s.hops <= 10) this.hops = s.hops
    this.results = new Map((Array.isArray(s.results) ? s.results : []).map(r => [r.key, r]))
    this.selected = s.selectedKey !== undefined ? this.results.get(s.selectedKey) : undefined
    this.requestUpdate()
  }

  /** Review posts of the selected adapter (the social layer), loaded when it is opened. */
  private reviews?: { key: string, posts: PostJson[] }

  private async loadReviews (key: string): Promise<void> {
    if (this.status?.features?.social === undefined) return
    try {
      const posts = await this.client.social({ action: 'feed', adapter: key, limit: 20 })
      if (this.selected?.key === key) { this.reviews = { key, posts }; this.requestUpdate() }
    } catch { /* the details still show without reviews */ }
  }

  private get contentAvailable (): boolean { return this.status?.features?.content !== undefined }

  private sorted (): AdapterResult[] {
    return [...this.results.values()].sort((a, b) => b.score - a.score || b.similarity - a.similarity)
  }

  async runSearch (): Promise<void> {
    const query = this.query.trim()
    if (query === '') {
      this.search = { running: false, localCount: 0, batches: 0, peersAnswered: 0, elapsedMs: 0, network: undefined, done: true, error: 'Describe what you are building first, e.g. "debugging async race conditions in TypeScript".' }
      this.requestUpdate()
      return
    }
    this.abort?.abort()
    const abort = new AbortController()
    this.abort = abort
    this.results = new Map()
    this.selected = undefined
    this.install = undefined
    this.searchCount++
    const state: SearchState = { running: true, localCount: 0, batches: 0, peersAnswered: 0, elapsedMs: 0, network: undefined, done: false }
    this.search = state
    this.requestUpdate()
    const add = (list: AdapterResult[]): void => {
      for (const r of list) {
        const had = this.results.get(r.key)
        if (had === undefined || r.score > had.score) this.results.set(r.key, had === undefined ? r : { ...r, availableFrom: [...new Set([...had.availableFrom, ...r.availableFrom])] })
      }
    }
    try {
      await this.client.search({ query, network: true, timeoutMs: this.patienceS * 1000, hops: this.hops, k: 30 }, (rec: SearchRecord) => {
        if (abort.signal.aborted) return
        switch (rec.type) {
          case 'local': add(rec.results); state.localCount = rec.results.length; state.elapsedMs = rec.elapsedMs; state.loading = rec.loading; break
          case 'batch': add(rec.results); state.batches++; state.elapsedMs = rec.elapsedMs; break
          case 'done': state.peersAnswered = rec.peersAnswered; state.network = rec.network; state.elapsedMs = rec.elapsedMs; state.done = true; break
          case 'error': state.error = rec.error.message; break
        }
        this.requestUpdate()
      }, abort.signal)
    } catch (err) {
      if ((err as Error).name !== 'AbortError') state.error = `Search failed: ${errorText(err)}`
    } finally {
      if (this.abort === abort) {
        state.running = false
        this.requestUpdate()
        this.onStateChange()
      }
    }
  }

  private select (r: AdapterResult): void {
    if (this.selected?.key !== r.key) { this.install = undefined; this.reviews = undefined; void this.loadReviews(r.key) }
    this.selected = r
    this.requestUpdate()
    this.onStateChange()
    void this.updateComplete.then(() => this.querySelector<HTMLElement>('#details-title')?.focus())
  }

  /** Escape in the details pane closes it and puts the focus back on its result. */
  private closeDetails (): void {
    const key = this.selected?.key
    this.selected = undefined
    this.requestUpdate()
    this.onStateChange()
    void this.updateComplete.then(() => this.querySelector<HTMLElement>(`.result[data-key="${CSS.escape(key ?? '')}"]`)?.focus())
  }

  private onResultKey (e: KeyboardEvent, index: number): void {
    const items = [...this.querySelectorAll<HTMLElement>('.result')]
    let next = -1
    if (e.key === 'ArrowDown') next = Math.min(index + 1, items.length - 1)
    else if (e.key === 'ArrowUp') next = Math.max(index - 1, 0)
    else if (e.key === 'Home') next = 0
    else if (e.key === 'End') next = items.length - 1
    else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault()
      this.select(this.sorted()[index])
      return
    }
    if (next >= 0) {
      e.preventDefault()
      items[next]?.focus()
    }
  }

  private async runInstall (): Promise<void> {
    const r = this.selected
    if (r === undefined) return
    const folder = this.installFolder.trim()
    if (this.client.host === 'browser' && folder === '') {
      this.install = { running: false, lines: [], error: 'Choose a folder to install into (an absolute path on the node\'s machine).' }
      this.requestUpdate()
      return
    }
    const job: JobState = { running: true, lines: [`Installing ${r.name} ${r.version}…`] }
    this.install = job
    this.requestUpdate()
    await this.runJob(job, onRecord => this.client.install({ ref: installRef(r), maxPrice: r.price, ...(folder !== '' ? { folder } : {}) }, onRecord))
  }

  private async browse (): Promise<void> {
    try {
      const picked = await this.client.pickFolder?.('Adapter folder to publish')
      if (picked !== undefined) {
        this.publishForm.path = picked
        this.requestUpdate()
      }
    } catch (err) {
      this.publishJob = { running: false, lines: [], error: errorText(err) }
      this.requestUpdate()
    }
  }

  private async runPublish (): Promise<void> {
    const f = this.publishForm
    const job: JobState = { running: true, lines: ['Publishing…'] }
    if (f.path.trim() === '') {
      this.publishJob = { running: false, lines: [], error: 'Give the folder of the adapter to publish (a PEFT folder with adapter_config.json).' }
      this.requestUpdate()
      return
    }
    const price = f.price.trim() === '' ? undefined : Number(f.price)
    if (price !== undefined && (!Number.isInteger(price) || price < 0)) {
      this.publishJob = { running: false, lines: [], error: 'Price must be a whole number of tokens, 0 or more.' }
      this.requestUpdate()
      return
    }
    this.publishJob = job
    this.requestUpdate()
    await this.runJob(job, onRecord => this.client.publish({ path: f.path.trim(), ...(price !== undefined ? { price } : {}) }, onRecord))
  }

  private async runJob (job: JobState, start: (onRecord: (r: ProgressRecord) => void) => Promise<void>): Promise<void> {
    try {
      await start(rec => {
        if (rec.type === 'progress') {
          const p = rec as { stage?: string, bytes?: number, totalBytes?: number, providers?: number, rateBytesPerSec?: number, done?: number, total?: number, message?: string }
          if (typeof p.bytes === 'number' && typeof p.totalBytes === 'number' && p.totalBytes > 0) { job.value = p.bytes; job.max = p.totalBytes }
          else if (typeof p.done === 'number' && typeof p.total === 'number') { job.value = p.done; job.max = p.total }
          const stage = typeof p.stage === 'string' ? humanise(p.stage) : undefined
          let line = typeof p.message === 'string' ? p.message : stage ?? 'Working'
          if (typeof p.bytes === 'number' && p.bytes > 0) line += ` — ${formatBytes(p.bytes)}${typeof p.totalBytes === 'number' && p.totalBytes > 0 ? ` of ${formatBytes(p.totalBytes)}` : ''}`
          if (typeof p.providers === 'number' && p.providers > 0) line += ` from ${p.providers} provider${p.providers === 1 ? '' : 's'}`
          if (typeof p.rateBytesPerSec === 'number' && p.rateBytesPerSec > 0) line += ` (${formatBytes(p.rateBytesPerSec)}/s)`
          // One line per stage: a new stage adds a line, progress within a stage updates it.
          if (stage !== undefined && job.stage === stage) job.lines[job.lines.length - 1] = line
          else job.lines.push(line)
          job.stage = stage
        } else if (rec.type === 'done') {
          job.done = describeDone(rec)
        } else if (rec.type === 'error') {
          job.error = rec.error.message
        }
        this.requestUpdate()
      })
      if (job.done === undefined && job.error === undefined) job.done = 'Done.'
    } catch (err) {
      job.error = errorText(err)
    } finally {
      job.running = false
      this.requestUpdate()
    }
  }

  protected override updated (): void {
    // Widths are set through the CSSOM: a strict CSP (no 'unsafe-inline') blocks style attributes.
    for (const el of this.querySelectorAll<HTMLElement>('.similarity .fill')) el.style.width = `${el.dataset.pct ?? 0}%`
  }

  protected override render (): TemplateResult {
    const s = this.search
    const results = this.sorted()
    return html`
      <section class="search" aria-label="Search" data-search=${this.searchCount} data-state=${s === undefined ? 'idle' : s.running ? 'running' : 'done'}>
        <div class="search-row">
          <vscode-label for="query">Describe what you are building</vscode-label>
          <div class="query-line">
            <vscode-textfield id="query" class="query" .label=${'Describe what you are building'} placeholder="e.g. a wine pairing assistant for a restaurant menu"
              .value=${this.query}
              @input=${(e: Event) => { this.query = inputValue(e) }}
              @keydown=${(e: KeyboardEvent) => { if (e.key === 'Enter') { e.preventDefault(); void this.runSearch() } }}></vscode-textfield>
            <vscode-button id="search-button" @click=${() => { void this.runSearch() }}>Search</vscode-button>
          </div>
        </div>
        <div class="options">
          <label class="patience" for="patience">Patience <output id="patience-value" for="patience">${this.patienceS} s</output></label>
          <input id="patience" type="range" min="1" max="30" step="1" .value=${String(this.patienceS)}
            aria-valuetext=${`${this.patienceS} seconds`}
            @input=${(e: Event) => { this.patienceS = Number(inputValue(e)); this.requestUpdate() }}>
          <vscode-label for="hops">Hops</vscode-label>
          <vscode-textfield id="hops" class="hops" type="number" min="1" max="10" .label=${'Hops'} .value=${String(this.hops)}
            @input=${(e: Event) => { const n = Math.round(Number(inputValue(e))); if (n >= 1 && n <= 10) this.hops = n }}></vscode-textfield>
        </div>
        ${s?.running === true ? html`<vscode-progress-bar indeterminate aria-label="Searching"></vscode-progress-bar>` : nothing}
        <p class="search-status" role="status" aria-live="polite">${this.statusLine(results.length)}</p>
        ${s?.error !== undefined ? html`<p class="error" role="alert">${s.error}</p>` : nothing}
      </section>
      <div class="market-body">
        <section class="results-pane" aria-label="Results">
          ${results.length === 0
            ? (s?.done === true && s.error === undefined
                ? html`<p class="empty">${s.loading !== undefined
                  ? `The catalog is still loading (${s.loading.done} of ${s.loading.total} imported): search again in a moment.`
                  : 'No adapters match. Try describing the task differently, or wait for more peers.'}</p>`
                : nothing)
            : html`<ul class="results" role="listbox" aria-label="Search results">
                ${results.map((r, i) => this.renderResult(r, i))}
              </ul>`}
        </section>
        ${this.selected !== undefined ? this.renderDetails(this.selected) : nothing}
      </div>
      ${this.renderPublish()}
    `
  }

  private statusLine (count: number): string {
    const s = this.search
    if (s === undefined) return 'Search this node\'s catalog and its peers by meaning.'
    const parts: string[] = []
    parts.push(`${count} result${count === 1 ? '' : 's'}`)
    parts.push(`${s.localCount} from this node's catalog`)
    if (s.batches > 0) parts.push(`${s.batches} batch${s.batches === 1 ? '' : 'es'} from the network`)
    if (s.done) parts.push(`${s.peersAnswered} peer${s.peersAnswered === 1 ? '' : 's'} answered`)
    parts.push(`${(s.elapsedMs / 1000).toFixed(1)} s`)
    let line = parts.join(' · ')
    if (s.running) line = `Searching… ${line}`
    if (s.done) {
      const peers = this.status?.connectedPeers ?? 0
      if (peers === 0) line += '. No peers are connected: these results come from this node\'s own catalog.'
      else if (s.network === false) line += '. This node does not run network search yet: results come from its catalog (its own adapters and those learned from peers).'
    }
    return line
  }

  private renderResult (r: AdapterResult, i: number): TemplateResult {
    const pct = Math.round(Math.max(0, Math.min(1, r.similarity)) * 100)
    const selected = this.selected?.key === r.key
    return html`
      <li class="result ${selected ? 'selected' : ''}" role="option" aria-selected=${selected ? 'true' : 'false'} tabindex="0"
        data-key=${r.key} data-location=${r.location}
        @click=${() => this.select(r)} @keydown=${(e: KeyboardEvent) => this.onResultKey(e, i)}>
        <div class="result-head">
          <span class="result-name">${r.name}</span>
          <span class="version">${r.version}</span>
          <span class="badge ${r.location}">${r.location === 'local' ? 'this node' : 'from peers'}</span>
          <span class="kind">${r.kind}</span>
        </div>
        <div class="similarity" title="Similarity ${pct} %">
          <div class="bar" role="meter" aria-label="Similarity" aria-valuemin="0" aria-valuemax="100" aria-valuenow=${pct}>
            <div class="fill" data-pct=${pct}></div>
          </div>
          <span class="pct">${pct} %</span>
        </div>
        <p class="result-desc">${r.description}</p>
        <div class="result-meta">
          <span>${r.price === 0 ? 'free' : countOf(r.price, 'token')}</span>
          ${metaRating(r)}
          <span>${hostCount(r)} host${hostCount(r) === 1 ? '' : 's'}</span>
        </div>
      </li>`
  }

  private renderDetails (r: AdapterResult): TemplateResult {
    const job = this.install
    return html`
      <section class="details" aria-labelledby="details-title" @keydown=${(e: KeyboardEvent) => { if (e.key === 'Escape') { e.preventDefault(); this.closeDetails() } }}>
        <div class="details-head">
          <h2 id="details-title" tabindex="-1">${r.name} <span class="version">${r.version}</span></h2>
          <vscode-button secondary id="close-details" @click=${() => this.closeDetails()}>Close</vscode-button>
        </div>
        <h3>Model card</h3>
        <p class="model-card">${r.description}</p>
        <dl class="fields">
          <dt>Id</dt><dd>${r.id}</dd>
          <dt>Kind</dt><dd>${r.kind}</dd>
          <dt>Base model</dt><dd>${r.baseModel}</dd>
          <dt>Specializations</dt><dd>${r.specializations.length === 0 ? '—' : r.specializations.map(t => html`<span class="tag">${t}</span>`)}</dd>
          <dt>Capabilities</dt><dd>${r.capabilities.length === 0 ? '—' : r.capabilities.map(t => html`<span class="tag">${t}</span>`)}</dd>
          ${r.domain !== undefined ? html`<dt>Domain</dt><dd>${r.domain}</dd>` : nothing}
          <dt>${isCid(r.contentHash) ? 'CID' : 'Content hash'}</dt><dd class="mono">${r.contentHash}</dd>
          <dt>Publisher</dt><dd class="mono" title=${r.publisher}>${r.publisher}</dd>
          <dt>Providers</dt><dd>${hostCount(r) === 0 ? '—' : html`<ul class="providers">
            ${r.location === 'local' ? html`<li>this node</li>` : nothing}
            ${r.availableFrom.filter(p => p !== this.status?.peerId).map(p => html`<li class="mono" title=${p}>${shortId(p)}</li>`)}</ul>`}</dd>
          <dt>Price</dt><dd>${r.price === 0 ? 'free' : countOf(r.price, 'token')}</dd>
          <dt>Rating</dt><dd id="details-rating">${r.verified?.rating !== undefined
            ? html`${r.verified.rating.toFixed(1)} / 5 <span class="ok">verified</span> <span class="note">(${countOf(r.verified.ratings, 'paying rater')})</span>`
            : 'no verified ratings yet'}${r.rating !== undefined ? html` <span class="note self-reported">· publisher claims ${r.rating.toFixed(1)} (self-reported)</span>` : nothing}</dd>
          <dt>Downloads</dt><dd id="details-downloads">${r.verified !== undefined ? html`${formatNumber(r.verified.downloads)} <span class="ok">paid, proven by ledger receipts</span>` : 'unknown'}${r.downloads > 0 ? html` <span class="note self-reported">· publisher claims ${formatNumber(r.downloads)} (self-reported)</span>` : nothing}</dd>
          <dt>Similarity</dt><dd>${(r.similarity * 100).toFixed(1)} %</dd>
        </dl>
        ${this.reviews?.key === r.key ? html`<h3>Reviews and posts</h3>${this.reviews.posts.length === 0
          ? html`<p class="note" id="no-reviews">No reviews yet.</p>`
          : html`<ul class="reviews" id="reviews">${this.reviews.posts.map(p => html`<li data-post=${p.id}>
            ${p.rating !== undefined ? html`★ ${p.rating.score}/5 ${p.rating.verified ? html`<span class="ok">verified</span>` : html`<span class="note">unproven</span>`} · ` : nothing}<span class="mono" title=${p.author}>${shortId(p.author)}</span>: ${p.text}
            ${p.tips.count > 0 ? html`<span class="note">(${formatTokens(p.tips.total)} tipped)</span>` : nothing}</li>`)}</ul>`}` : nothing}
        <vscode-collapsible title="Manifest">
          <pre class="manifest">${JSON.stringify(r, null, 2)}</pre>
        </vscode-collapsible>
        <h3>Install</h3>
        ${this.contentAvailable
          ? html`
            ${this.client.host === 'browser'
              ? html`<vscode-label for="install-folder">Folder to install into</vscode-label>
                <vscode-textfield id="install-folder" class="wide" .label=${'Folder to install into'} placeholder="/path/to/your/project/adapters" .value=${this.installFolder}
                  @input=${(e: Event) => { this.installFolder = inputValue(e) }}
                  @keydown=${(e: KeyboardEvent) => { if (e.key === 'Enter') { e.preventDefault(); void this.runInstall() } }}></vscode-textfield>`
              : nothing}
            <vscode-button id="install-button" ?disabled=${job?.running === true} @click=${() => { void this.runInstall() }}>${this.client.host === 'vscode' ? 'Install into project' : 'Install'}${r.price > 0 ? ` (pay ${r.price} token${r.price === 1 ? '' : 's'})` : ''}</vscode-button>
            ${this.renderJob(job, 'install')}`
          : html`<p class="note">Install is not available on this node yet: it does not run the content feature.</p>`}
      </section>`
  }

  private renderJob (job: JobState | undefined, id: string): TemplateResult | typeof nothing {
    if (job === undefined) return nothing
    return html`<div class="job" id=${`${id}-progress`}>
      ${job.running ? html`<vscode-progress-bar aria-label="Progress" ?indeterminate=${job.max === undefined} .value=${job.value ?? 0} .max=${job.max ?? 1}></vscode-progress-bar>` : nothing}
      <ul class="job-lines" role="log" aria-live="polite">${job.lines.map(l => html`<li>${l}</li>`)}</ul>
      ${job.done !== undefined ? html`<p class="ok" role="status">${job.done}</p>` : nothing}
      ${job.error !== undefined ? html`<p class="error" role="alert">${job.error}</p>` : nothing}
    </div>`
  }

  private renderPublish (): TemplateResult | typeof nothing {
    if (!this.contentAvailable) return nothing
    const f = this.publishForm
    const field = (key: keyof typeof f, label: string, placeholder: string): TemplateResult => html`
      <vscode-label for=${`publish-${key}`}>${label}</vscode-label>
      <vscode-textfield id=${`publish-${key}`} class="wide" .label=${label} placeholder=${placeholder} .value=${f[key]}
        @input=${(e: Event) => { f[key] = inputValue(e) }}></vscode-textfield>`
    return html`
      <vscode-collapsible title="Publish an adapter" class="publish">
        <form class="publish-form" @submit=${(e: Event) => { e.preventDefault(); void this.runPublish() }}>
          <p class="note">The name, description and tags come from the folder (adapter_config.json, README.md model card).</p>
          ${field('path', 'Adapter folder (PEFT)', '/path/to/my-adapter')}
          ${this.client.pickFolder !== undefined
            ? html`<vscode-button secondary id="publish-browse" @click=${() => { void this.browse() }}>Choose folder…</vscode-button>`
            : nothing}
          ${field('price', 'Price in tokens (optional)', '0')}
          <vscode-button id="publish-button" ?disabled=${this.publishJob?.running === true} @click=${() => { void this.runPublish() }}>Publish</vscode-button>
        </form>
        ${this.renderJob(this.publishJob, 'publish')}
      </vscode-collapsible>`
  }
}

/** Peers known to hold the adapter: the peers it was learned from, plus this node for its own catalog. */
function hostCount (r: AdapterResult): number {
  return new Set([...r.availableFrom, ...(r.location === 'local' ? ['self'] : [])]).size
}

function describeDone (rec: Record<string, unknown>): string {
  // Install: { results: [{ name, version, cid, dir, alreadyInstalled }] }; publish: { name, version, cid, … }.
  if (Array.isArray(rec.results)) {
    const lines = (rec.results as Array<Record<string, unknown>>).map(r => {
      let line = `${r.alreadyInstalled === true ? 'Already installed' : 'Installed'} ${String(r.name ?? '')} ${String(r.version ?? '')} into ${String(r.dir ?? '')}`
      const pay = r.payment as { host?: string, amount?: number, priced?: boolean, balance?: number, error?: string } | undefined
      if (pay?.error !== undefined) line += ` (not paid: ${pay.error})`
      else if (typeof pay?.amount === 'number') line += `; paid ${pay.amount} token${pay.amount === 1 ? '' : 's'} to ${shortId(pay.host ?? '')}${pay.priced === false ? ' (unpriced: 1 token per MB)' : ''}, balance ${String(pay.balance)} tokens`
      return line
    })
    return lines.length > 0 ? `${lines.join('. ')}.` : 'Nothing to install.'
  }
  if (typeof rec.cid === 'string') return `Published ${String(rec.name ?? '')} ${String(rec.version ?? '')} — CID ${rec.cid}.`
  return 'Done.'
}

customElements.define('cm-marketplace', MarketplacePage)

/** A result's rating and downloads in the list: the proven figures, the publisher's numbers marked as its claim. */
function metaRating (r: AdapterResult): TemplateResult {
  const v = r.verified
  return html`
    <span class="rating">${v?.rating !== undefined ? `★ ${v.rating.toFixed(1)} verified` : r.rating !== undefined ? html`<span title="The publisher's own claim, not verified">★ ${r.rating.toFixed(1)} self-reported</span>` : 'not rated'}</span>
    <span class="downloads">${v !== undefined ? countOf(v.downloads, 'paid download') : html`<span title="The publisher's own claim, not verified">${countOf(r.downloads, 'download')} self-reported</span>`}</span>`
}
