// MeshClient inside a VS Code webview: requests go to the extension host by postMessage, which answers
// with `response`, streams `record`s, or sends `error`; live events and connection state are pushed.
import {
  ClientError,
  type ConnectionState, type HostMessage, type InstallRequest, type MeshClient, type MeshStatusView, type NodeEvent,
  type PeerView, type ProgressRecord, type PublishRequest, type RequestMap, type RequestMessage, type RequestMethod,
  type SearchRecord, type SearchRequest, type TopologyView, type WalletView, type WebviewMessage
} from './protocol'

export interface VsCodeApi {
  postMessage(message: unknown): void
  getState(): unknown
  setState(state: unknown): void
}

interface Pending { resolve: (v: unknown) => void, reject: (e: Error) => void, onRecord?: (r: unknown) => void }

export class WebviewMeshClient implements MeshClient {
  readonly host = 'vscode'
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  private readonly eventListeners = new Set<(e: NodeEvent) => void>()
  private readonly connectionListeners = new Set<(s: ConnectionState) => void>()
  private connection: ConnectionState = { state: 'open' }

  constructor (private readonly vscode: VsCodeApi) {
    window.addEventListener('message', (e: MessageEvent<HostMessage>) => this.receive(e.data))
    this.post({ type: 'ready' })
  }

  status (signal?: AbortSignal): Promise<MeshStatusView> { return this.call('status', undefined, undefined, signal) }
  peers (signal?: AbortSignal): Promise<PeerView[]> { return this.call('peers', undefined, undefined, signal) }
  topology (signal?: AbortSignal): Promise<TopologyView> { return this.call('topology', undefined, undefined, signal) }
  wallet (signal?: AbortSignal): Promise<WalletView> { return this.call('wallet', undefined, undefined, signal) }

  async search (req: SearchRequest, onRecord: (r: SearchRecord) => void, signal?: AbortSignal): Promise<void> {
    await this.call('search', req, onRecord, signal)
  }

  async install (req: InstallRequest, onRecord: (r: ProgressRecord) => void, signal?: AbortSignal): Promise<void> {
    await this.call('install', req, onRecord, signal)
  }

  async publish (req: PublishRequest, onRecord: (r: ProgressRecord) => void, signal?: AbortSignal): Promise<void> {
    await this.call('publish', req, onRecord, signal)
  }

  async pickFolder (_title: string): Promise<string | undefined> {
    // The host shows its own dialog (the page cannot see the file system); the title is the host's too.
    const r = await this.call('pickFolder', undefined, undefined)
    return typeof r?.path === 'string' ? r.path : undefined
  }

  onEvent (listener: (e: NodeEvent) => void): () => void {
    this.eventListeners.add(listener)
    return () => { this.eventListeners.delete(listener) }
  }

  onConnection (listener: (s: ConnectionState) => void): () => void {
    this.connectionListeners.add(listener)
    listener(this.connection)
    return () => { this.connectionListeners.delete(listener) }
  }

  private post (m: WebviewMessage): void { this.vscode.postMessage(m) }

  /** Sends one request; its records go to `onRecord`, its response resolves the promise with the paired type. */
  private call<M extends RequestMethod> (method: M, params: RequestMap[M]['params'], onRecord: ((r: RequestMap[M]['record']) => void) | undefined, signal?: AbortSignal): Promise<RequestMap[M]['result']> {
    if (signal?.aborted === true) return Promise.reject(new DOMException('Aborted', 'AbortError'))
    const id = this.nextId++
    return new Promise<RequestMap[M]['result']>((resolve, reject) => {
      this.pending.set(id, { resolve: v => resolve(v as RequestMap[M]['result']), reject, onRecord: onRecord as ((r: unknown) => void) | undefined })
      signal?.addEventListener('abort', () => {
        if (!this.pending.delete(id)) return
        this.post({ type: 'cancel', id })
        reject(new DOMException('Aborted', 'AbortError'))
      }, { once: true })
      this.post({ type: 'request', id, method, ...(params !== undefined ? { params } : {}) } as RequestMessage)
    })
  }

  private receive (m: HostMessage): void {
    if (typeof m !== 'object' || m === null) return
    switch (m.type) {
      case 'response': {
        const p = this.pending.get(m.id)
        this.pending.delete(m.id)
        p?.resolve(m.result)
        break
      }
      case 'record':
        this.pending.get(m.id)?.onRecord?.(m.record)
        break
      case 'error': {
        const p = this.pending.get(m.id)
        this.pending.delete(m.id)
        p?.reject(new ClientError(m.error.message, 0, m.error.name))
        break
      }
      case 'event':
        for (const l of this.eventListeners) l(m.event)
        break
      case 'connection':
        this.connection = m.connection
        for (const l of this.connectionListeners) l(m.connection)
        break
    }
  }
}
