// MeshClient over the node's local HTTP API (the page served at http://127.0.0.1:<port>/):
// fetch for JSON, NDJSON streams for search/install/publish, EventSource (with reconnect) for live events.
import {
  ClientError, NODE_EVENT_TYPES,
  type ConnectionState, type InstallRequest, type MeshClient, type MeshStatusView, type NodeEvent, type PeerView,
  type ProgressRecord, type PublishRequest, type SearchRecord, type SearchRequest, type TopologyView,
  type WalletHistoryEntry, type WalletStats, type WalletView, type SocialCall, type SocialResults, socialRoute, type ServicesCall, servicesRoute, type StorageCall, type StorageStreamCall, storageRoute
} from './protocol'

const TOKEN_KEY = 'continuum-api-token'

/** Takes the token from `?token=` (then removes it from the address bar) or from this tab's session storage. */
export function takeToken (): string | null {
  const url = new URL(window.location.href)
  const fromUrl = url.searchParams.get('token')
  if (fromUrl !== null && fromUrl !== '') {
    try { sessionStorage.setItem(TOKEN_KEY, fromUrl) } catch { /* storage disabled: keep it in memory only */ }
    url.searchParams.delete('token')
    // Keeps the token out of screenshots, history sync and copied links.
    window.history.replaceState(null, '', url.pathname + url.search + url.hash)
    return fromUrl
  }
  try { return sessionStorage.getItem(TOKEN_KEY) } catch { return null }
}

export class HttpMeshClient implements MeshClient {
  readonly host = 'browser'
  private readonly eventListeners = new Set<(e: NodeEvent) => void>()
  private readonly connectionListeners = new Set<(s: ConnectionState) => void>()
  private source?: EventSource
  private retryTimer?: ReturnType<typeof setTimeout>
  private retryDelay = 1000
  private connection: ConnectionState = { state: 'connecting' }

  constructor (private readonly token: string, private readonly base = window.location.origin) {}

  status (signal?: AbortSignal): Promise<MeshStatusView> { return this.getJson('/api/status', signal) }
  peers (signal?: AbortSignal): Promise<PeerView[]> { return this.getJson('/api/peers', signal) }
  topology (signal?: AbortSignal): Promise<TopologyView> { return this.getJson('/api/topology', signal) }
  async wallet (signal?: AbortSignal): Promise<WalletView> {
    const [stats, history] = await Promise.all([
      this.getJson<WalletStats>('/api/wallet/stats', signal),
      this.getJson<{ entries: WalletHistoryEntry[] }>('/api/wallet/history?limit=50', signal)
    ])
    return { stats, history: history.entries }
  }

  async social<C extends SocialCall> (call: C, signal?: AbortSignal): Promise<SocialResults[C['action']]> {
    const r = socialRoute(call)
    const res = await this.request(r.path, r.method === 'GET'
      ? { headers: this.headers(false), signal }
      : { method: 'POST', headers: this.headers(true), body: JSON.stringify(r.body ?? {}), signal })
    return await res.json() as SocialResults[C['action']]
  }

  async services (call: ServicesCall, signal?: AbortSignal): Promise<unknown> {
    const r = servicesRoute(call)
    const res = await this.request(r.path, r.method === 'GET'
      ? { headers: this.headers(false), signal }
      : { method: 'POST', headers: this.headers(true), body: JSON.stringify(r.body ?? {}), signal })
    return await res.json()
  }

  async storage (call: StorageCall, signal?: AbortSignal): Promise<unknown> {
    const r = storageRoute(call)
    const res = await this.request(r.path, r.method === 'GET'
      ? { headers: this.headers(false), signal }
      : { method: 'POST', headers: this.headers(true), body: JSON.stringify(r.body ?? {}), signal })
    return await res.json()
  }

  storageStream (call: StorageStreamCall, onRecord: (r: Record<string, unknown>) => void, signal?: AbortSignal): Promise<void> {
    const r = storageRoute(call)
    return this.postStream(r.path, r.body, rec => onRecord(rec as Record<string, unknown>), signal)
  }

  search (req: SearchRequest, onRecord: (r: SearchRecord) => void, signal?: AbortSignal): Promise<void> {
    return this.postStream('/api/search', req, r => onRecord(r as SearchRecord), signal)
  }

  install (req: InstallRequest, onRecord: (r: ProgressRecord) => void, signal?: AbortSignal): Promise<void> {
    if (req.folder === undefined || req.folder === '') return Promise.reject(new ClientError('Choose a folder to install into'))
    return this.postStream('/api/genome/install', { ref: req.ref, project: req.folder, ...(req.maxPrice !== undefined ? { maxPrice: req.maxPrice } : {}) }, r => onRecord(r as ProgressRecord), signal)
  }

  publish (req: PublishRequest, onRecord: (r: ProgressRecord) => void, signal?: AbortSignal): Promise<void> {
    return this.postStream('/api/genome/publish', req, r => onRecord(r as ProgressRecord), signal)
  }

  onEvent (listener: (e: NodeEvent) => void): () => void {
    this.eventListeners.add(listener)
    this.ensureEventStream()
    return () => { this.eventListeners.delete(listener) }
  }

  onConnection (listener: (s: ConnectionState) => void): () => void {
    this.connectionListeners.add(listener)
    listener(this.connection)
    this.ensureEventStream()
    return () => { this.connectionListeners.delete(listener) }
  }

  private setConnection (s: ConnectionState): void {
    this.connection = s
    for (const l of this.connectionListeners) l(s)
  }

  private ensureEventStream (): void {
    if (this.source !== undefined || this.retryTimer !== undefined) return
    const es = new EventSource(`${this.base}/api/events?token=${encodeURIComponent(this.token)}`)
    this.source = es
    es.onopen = () => {
      this.retryDelay = 1000
      this.setConnection({ state: 'open' })
    }
    es.onerror = () => {
      if (es.readyState === EventSource.CONNECTING) {
        // The browser retries by itself (the server asks for 2 s): say so meanwhile.
        if (this.connection.state === 'open') this.setConnection({ state: 'lost', message: 'Lost the connection to the node; reconnecting…' })
        return
      }
      // CLOSED: the server answered with an error (a new token: api-token was deleted) or refused outright.
      es.close()
      this.source = undefined
      void this.diagnoseAndRetry()
    }
    for (const type of NODE_EVENT_TYPES) {
      es.addEventListener(type, (msg: MessageEvent<string>) => {
        let data: unknown
        try { data = JSON.parse(msg.data) } catch { return }
        const event = { type, data } as NodeEvent
        for (const l of this.eventListeners) l(event)
      })
    }
  }

  private async diagnoseAndRetry (): Promise<void> {
    try {
      await this.getJson('/api/status')
      this.setConnection({ state: 'lost', message: 'The node\'s event stream closed; reconnecting…' })
    } catch (err) {
      const e = err as ClientError
      if (e.status === 401) {
        this.setConnection({ state: 'unauthorised', message: 'The node no longer accepts this page\'s access token (its api-token file was replaced). Open the URL the node printed at start, or read the token from api.json in its data dir.' })
      } else {
        this.setConnection({ state: 'lost', message: `Cannot reach the node at ${this.base}: ${e.message}. Retrying…` })
      }
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      this.ensureEventStream()
    }, this.retryDelay)
    this.retryDelay = Math.min(this.retryDelay * 2, 10_000)
  }

  private headers (json: boolean): Record<string, string> {
    return { authorization: `Bearer ${this.token}`, ...(json ? { 'content-type': 'application/json' } : {}) }
  }

  private async request (path: string, init: RequestInit): Promise<Response> {
    let res: Response
    try {
      res = await fetch(this.base + path, init)
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err
      throw new ClientError(`Cannot reach the node (${(err as Error).message})`)
    }
    if (!res.ok) throw await errorFromResponse(res)
    return res
  }

  private async getJson<T> (path: string, signal?: AbortSignal): Promise<T> {
    const res = await this.request(path, { headers: this.headers(false), signal })
    return await res.json() as T
  }

  private async postStream (path: string, body: unknown, onRecord: (r: unknown) => void, signal?: AbortSignal): Promise<void> {
    const res = await this.request(path, { method: 'POST', headers: this.headers(true), body: JSON.stringify(body), signal })
    if (res.body === null) throw new ClientError(`Empty answer from ${path}`)
    await readNdjson(res.body, onRecord)
  }
}

async function errorFromResponse (res: Response): Promise<ClientError> {
  let name = 'HttpError'
  let message = `${res.status} ${res.statusText}`
  try {
    const body = await res.json() as { error?: { name?: string, message?: string } }
    if (typeof body.error?.message === 'string') message = body.error.message
    if (typeof body.error?.name === 'string') name = body.error.name
  } catch { /* not JSON: keep the status line */ }
  return new ClientError(message, res.status, name)
}

/** Reads newline-delimited JSON, calling `onRecord` for each complete line as it arrives. */
export async function readNdjson (body: ReadableStream<Uint8Array>, onRecord: (r: unknown) => void): Promise<void> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let buffered = ''
  for (;;) {
    const { value, done } = await reader.read()
    buffered += done ? decoder.decode() : decoder.decode(value, { stream: true })
    let nl: number
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim()
      buffered = buffered.slice(nl + 1)
      if (line !== '') onRecord(JSON.parse(line))
    }
    if (done) break
  }
  if (buffered.trim() !== '') onRecord(JSON.parse(buffered))
}
