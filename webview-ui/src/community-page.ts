// Community: the feed, semantic post search, compose and reply, tips, follow and mute, when the node runs
// the social layer. Posts are other people's words: rendered as text only (lit escapes them).
import { LitElement, html, nothing, type TemplateResult } from 'lit'
import type { MeshClient, MeshStatusView, PostJson } from './protocol'
import { countOf, errorText, formatTokens, shortId } from './format'

const MAX_CHARS = 1000

function inputValue (e: Event): string { return (e.target as HTMLInputElement).value }

export class CommunityPage extends LitElement {
  client!: MeshClient
  status?: MeshStatusView
  private posts: PostJson[] = []
  /** The search that produced `posts`; undefined: the feed. */
  private searched?: string
  private query = ''
  private following = false
  private draft = ''
  private replyTo?: PostJson
  private tipFor?: string
  private tipAmount = '1'
  private tipMessage = ''
  private error?: string
  private notice?: string
  private busy = false

  protected override createRenderRoot (): HTMLElement { return this }

  get available (): boolean { return this.status?.features?.social !== undefined }

  private async run (what: string, fn: () => Promise<void>): Promise<void> {
    this.busy = true
    this.error = undefined
    this.requestUpdate()
    try {
      await fn()
    } catch (err) {
      this.error = `${what}: ${errorText(err)}`
    } finally {
      this.busy = false
      this.requestUpdate()
    }
  }

  async refresh (): Promise<void> {
    if (!this.available) { this.requestUpdate(); return }
    await this.run('Could not read the feed', async () => {
      this.posts = await this.client.social({ action: 'feed', following: this.following, limit: 50 })
      this.searched = undefined
    })
  }

  private async search (): Promise<void> {
    const q = this.query.trim()
    if (q === '') { await this.refresh(); return }
    await this.run('Search failed', async () => {
      this.posts = await this.client.social({ action: 'search', query: q, limit: 20 })
      this.searched = q
    })
  }

  private async submit (): Promise<void> {
    if (this.busy) return
    const text = this.draft.trim()
    if (text === '') { this.error = 'Write something first'; this.requestUpdate(); return }
    await this.run('Could not post', async () => {
      const p = await this.client.social({ action: 'post', text, ...(this.replyTo !== undefined ? { replyTo: this.replyTo.id } : {}) })
      this.notice = this.replyTo !== undefined ? 'Reply posted.' : 'Posted: it spreads to your peers now.'
      this.draft = ''
      this.replyTo = undefined
      this.posts = [p, ...this.posts.filter(x => x.id !== p.id)]
      if (this.searched === undefined) this.posts = await this.client.social({ action: 'feed', following: this.following, limit: 50 })
    })
  }

  private async tip (p: PostJson): Promise<void> {
    const amount = Number(this.tipAmount)
    if (!Number.isFinite(amount) || amount <= 0) { this.error = 'The tip is a number of tokens above 0, e.g. 5'; this.requestUpdate(); return }
    // In the browser the page asks; in VS Code the extension asks again in a modal before it pays.
    if (this.client.host === 'browser' && !window.confirm(`Tip ${amount} token${amount === 1 ? '' : 's'} to ${shortId(p.author)}?`)) return
    await this.run('Tip failed', async () => {
      const r = await this.client.social({ action: 'tip', post: p.id, amount, message: this.tipMessage.trim() })
      this.notice = `Tipped ${formatTokens(r.amount)} to ${shortId(p.author)}; your balance: ${formatTokens(r.balance)}.`
      this.tipFor = undefined
      this.tipMessage = ''
      this.posts = this.posts.map(x => x.id === p.id ? r.post : x)
    })
  }

  private async setPref (kind: 'follow' | 'mute', p: PostJson, on: boolean): Promise<void> {
    await this.run(`Could not ${kind}`, async () => {
      await this.client.social({ action: kind, peer: p.author, on })
      this.notice = `${on ? (kind === 'follow' ? 'Following' : 'Muted') : (kind === 'follow' ? 'Unfollowed' : 'Unmuted')} ${shortId(p.author)}.`
      if (kind === 'mute' && on) this.posts = this.posts.filter(x => x.author !== p.author)
      else this.posts = this.posts.map(x => x.author === p.author ? { ...x, following: kind === 'follow' ? on : x.following } : x)
    })
  }

  protected override render (): TemplateResult {
    if (!this.available) {
      return html`<section aria-labelledby="community-title">
        <h2 id="community-title">Community</h2>
        <p class="note" id="community-unavailable">The community is not available: this node does not run the social layer.</p>
      </section>`
    }
    return html`
      <section aria-labelledby="community-title" class="community">
        <div class="section-head">
          <h2 id="community-title">Community</h2>
          <vscode-button secondary id="refresh-feed" ?disabled=${this.busy} @click=${() => { this.query = ''; void this.refresh() }}>Feed</vscode-button>
        </div>
        <div class="compose">
          <vscode-label for="compose-text">${this.replyTo !== undefined ? `Reply to ${shortId(this.replyTo.author)}` : 'New post'}</vscode-label>
          ${this.replyTo !== undefined ? html`<p class="note reply-context">↳ ${this.replyTo.text.slice(0, 140)} <a href="#" id="cancel-reply" @click=${(e: Event) => { e.preventDefault(); this.replyTo = undefined; this.requestUpdate() }}>cancel</a></p>` : nothing}
          <textarea id="compose-text" class="wide" rows="3" maxlength=${MAX_CHARS} placeholder="Share an adapter, ask a question… (Ctrl+Enter posts)" aria-label=${this.replyTo !== undefined ? 'Reply' : 'New post'} .value=${this.draft}
            @input=${(e: Event) => { this.draft = inputValue(e); this.requestUpdate() }}
            @keydown=${(e: KeyboardEvent) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); void this.submit() } }}></textarea>
          <div class="compose-foot">
            <span class="note">${this.draft.length} / ${MAX_CHARS}</span>
            <vscode-button id="post-button" ?disabled=${this.busy} @click=${() => { void this.submit() }}>${this.replyTo !== undefined ? 'Reply' : 'Post'}</vscode-button>
          </div>
        </div>
        <div class="search-row">
          <vscode-textfield id="post-search" class="wide" .label=${'Search posts'} placeholder="Search posts by meaning, e.g. LoRA adapters for bartending" .value=${this.query}
            @input=${(e: Event) => { this.query = inputValue(e) }}
            @keydown=${(e: KeyboardEvent) => { if (e.key === 'Enter') { e.preventDefault(); void this.search() } }}></vscode-textfield>
          <vscode-button id="post-search-button" ?disabled=${this.busy} @click=${() => { void this.search() }}>Search</vscode-button>
          <label class="check"><input type="checkbox" id="following-only" .checked=${this.following} @change=${(e: Event) => { this.following = (e.target as HTMLInputElement).checked; void this.refresh() }}> Following only</label>
        </div>
        ${this.error !== undefined ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
        ${this.notice !== undefined ? html`<p class="ok" role="status" id="community-notice">${this.notice}</p>` : nothing}
        <h3>${this.searched !== undefined ? `Posts about “${this.searched}”` : this.following ? 'From peers you follow' : 'Recent posts'}</h3>
        ${this.posts.length === 0
          ? html`<p class="note" id="no-posts">${this.searched !== undefined ? 'No posts match.' : 'No posts yet: write the first one.'}</p>`
          : html`<ul class="posts" id="posts">${this.posts.map(p => this.renderPost(p))}</ul>`}
      </section>`
  }

  private renderPost (p: PostJson): TemplateResult {
    return html`<li class="post" data-post=${p.id} data-author=${p.author}>
      <div class="post-head">
        <span class="mono" title=${p.author}>${p.own ? 'you' : shortId(p.author)}</span>
        ${p.following ? html`<span class="badge">following</span>` : nothing}
        <span class="note">${new Date(p.time).toLocaleString()}</span>
        ${p.similarity !== undefined ? html`<span class="note">${Math.round(p.similarity * 100)} % match</span>` : nothing}
      </div>
      ${p.replyTo !== undefined ? html`<p class="note">↳ reply</p>` : nothing}
      ${p.rating !== undefined ? html`<p class="rating" data-verified=${p.rating.verified ? 'yes' : 'no'}>★ ${p.rating.score}/5 for <span class="mono">${p.rating.adapter.slice(p.rating.adapter.indexOf('/') + 1)}</span> ${p.rating.verified ? html`<span class="ok">paid download, verified</span>` : html`<span class="note">receipt not proven here</span>`}</p>` : nothing}
      <p class="post-text">${p.text}</p>
      <div class="post-meta">
        <span class="tips">${p.tips.count > 0 ? `${formatTokens(p.tips.total)} tipped (${countOf(p.tips.count, 'tip')})` : 'no tips yet'}</span>
        <span>${countOf(p.replies, 'reply', 'replies')}</span>
      </div>
      <div class="post-actions">
        <vscode-button secondary class="reply" @click=${() => { this.replyTo = p; this.requestUpdate(); void this.updateComplete.then(() => this.querySelector<HTMLTextAreaElement>('#compose-text')?.focus()) }}>Reply</vscode-button>
        ${p.own ? nothing : html`
          <vscode-button secondary class="tip" @click=${() => { this.tipFor = this.tipFor === p.id ? undefined : p.id; this.requestUpdate() }}>Tip</vscode-button>
          <vscode-button secondary class="follow" @click=${() => { void this.setPref('follow', p, !p.following) }}>${p.following ? 'Unfollow' : 'Follow'}</vscode-button>
          <vscode-button secondary class="mute" @click=${() => { void this.setPref('mute', p, true) }}>Mute</vscode-button>`}
      </div>
      ${this.tipFor === p.id ? html`<div class="tip-form">
        <vscode-textfield class="tip-amount" .label=${'Tokens'} .value=${this.tipAmount} @input=${(e: Event) => { this.tipAmount = inputValue(e) }}></vscode-textfield>
        <vscode-textfield class="tip-message" .label=${'Message'} placeholder="Great work!" .value=${this.tipMessage} @input=${(e: Event) => { this.tipMessage = inputValue(e) }}></vscode-textfield>
        <vscode-button class="send-tip" ?disabled=${this.busy} @click=${() => { void this.tip(p) }}>Send ${this.tipAmount} token${this.tipAmount === '1' ? '' : 's'}</vscode-button>
      </div>` : nothing}
    </li>`
  }
}

customElements.define('cm-community', CommunityPage)
