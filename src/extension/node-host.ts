// Owns the in-process mesh node: starts it in the background from the settings, restarts it when they
// change, stops it on deactivate, and turns start failures into a state the UI shows with a fix.
// UI classes only listen to its events; it never touches UI itself.
import * as vscode from 'vscode'
import { createMeshNode, defaultFeatures, errorMessage, type LogRecord, type MeshNode, type MeshNodeInit } from '../node'
import { featureOptionsFromSettings, nodeInitFromSettings, validateSettings, type ExtensionSettings } from './settings'

/** A way out of a failed start that the UI offers as a button. */
export interface Fix {
  title: string
  /** `setting`: open the Settings editor at `key`; `anyPort`: set the port to 0 and restart; `retry`: start again. */
  kind: 'setting' | 'anyPort' | 'retry'
  key?: string
}

export type NodeHostState =
  | { kind: 'stopped' }
  | { kind: 'starting' }
  | { kind: 'started', node: MeshNode }
  | { kind: 'failed', message: string, fixes: Fix[] }

/** Figures the trees and the status bar show; a change fires `onDidChangeMesh`. */
export interface MeshSnapshot { peers: number, neighbours: number, local: number, remote: number }

export interface NodeHostInit {
  /** Folder of the node's data (identity, peer store, catalog). */
  dataDir: string
  settings: () => ExtensionSettings
  onLog: (record: LogRecord) => void
  /** Builds the node. @default createMeshNode */
  createNode?: (init: MeshNodeInit) => MeshNode
}

/** The node is not running; the message says why and what to do. */
export class NodeUnavailableError extends Error {
  static override name = 'NodeUnavailableError'
  override name = 'NodeUnavailableError'
}

export class NodeHost implements vscode.Disposable {
  private _state: NodeHostState = { kind: 'stopped' }
  private starting?: Promise<void>
  private stopping?: Promise<void>
  private readonly _onDidChangeState = new vscode.EventEmitter<NodeHostState>()
  readonly onDidChangeState = this._onDidChangeState.event
  private readonly _onDidChangeMesh = new vscode.EventEmitter<MeshSnapshot>()
  /** Peers, neighbours or catalog counts changed (a peer came or went, gossip brought adapters, an install). */
  readonly onDidChangeMesh = this._onDidChangeMesh.event
  private snapshot: MeshSnapshot = { peers: 0, neighbours: 0, local: 0, remote: 0 }
  private readonly detach: Array<() => void> = []

  constructor (private readonly init: NodeHostInit) {}

  get state (): NodeHostState { return this._state }

  /** The running node, or undefined. */
  get node (): MeshNode | undefined { return this._state.kind === 'started' ? this._state.node : undefined }

  get mesh (): MeshSnapshot { return this.snapshot }

  private setState (state: NodeHostState): void {
    this._state = state
    this._onDidChangeState.fire(state)
  }

  /** Starts the node unless it runs or is starting; never throws (a failure becomes the `failed` state). */
  start (): Promise<void> {
    if (this._state.kind === 'started') return Promise.resolve()
    this.starting ??= this.doStart().finally(() => { this.starting = undefined })
    return this.starting
  }

  private async doStart (): Promise<void> {
    await this.stopping
    const settings = this.init.settings()
    const problems = validateSettings(settings)
    if (problems.length > 0) {
      const message = `Continuum: the mesh node cannot start: setting continuum.${problems[0].key}: ${problems[0].message}`
      this.init.onLog({ time: Date.now(), level: 'error', component: 'extension', message })
      this.setState({ kind: 'failed', message, fixes: [{ title: 'Open Settings', kind: 'setting', key: problems[0].key }] })
      return
    }
    this.setState({ kind: 'starting' })
    const create = this.init.createNode ?? createMeshNode
    const node = create({
      ...nodeInitFromSettings(settings, this.init.dataDir),
      features: defaultFeatures(featureOptionsFromSettings(settings)),
      onLog: this.init.onLog
    })
    try {
      await node.start()
    } catch (err) {
      const failure = describeStartFailure(err, settings)
      this.init.onLog({ time: Date.now(), level: 'error', component: 'extension', message: `${failure.message} (${(err as Error).name ?? 'Error'}: ${errorMessage(err)})` })
      this.setState({ kind: 'failed', ...failure })
      return
    }
    this.watch(node)
    this.setState({ kind: 'started', node })
    this.refreshSnapshot(true)
  }

  /** Resolves with the running node, starting it if needed; throws NodeUnavailableError when it cannot run. */
  async requireNode (): Promise<MeshNode> {
    if (this._state.kind !== 'started') await this.start()
    const s = this._state
    if (s.kind === 'started') return s.node
    throw new NodeUnavailableError(s.kind === 'failed' ? s.message : 'The mesh node is not running: run "Continuum: Restart Mesh Node"')
  }

  async restart (): Promise<void> {
    await this.starting
    await this.stop()
    await this.start()
  }

  async stop (): Promise<void> {
    await this.starting
    const node = this.node
    if (node === undefined) {
      if (this._state.kind !== 'stopped') this.setState({ kind: 'stopped' })
      return
    }
    this.unwatch()
    this.stopping = (async () => {
      try {
        await node.stop()
      } catch (err) {
        this.init.onLog({ time: Date.now(), level: 'warn', component: 'extension', message: `stopping the node: ${errorMessage(err)}` })
      }
    })()
    await this.stopping
    this.stopping = undefined
    this.setState({ kind: 'stopped' })
    this.refreshSnapshot(true)
  }

  /** Re-reads counts now (after an install or publish) and fires `onDidChangeMesh` if they changed. */
  refreshSnapshot (force = false): void {
    const node = this.node
    let next: MeshSnapshot = { peers: 0, neighbours: 0, local: 0, remote: 0 }
    if (node !== undefined) {
      try {
        const s = node.status()
        next = { peers: s.connectedPeers, neighbours: s.neighbours.length, local: s.catalog.local, remote: s.catalog.remote }
      } catch { /* stopping */ }
    }
    const prev = this.snapshot
    this.snapshot = next
    if (force || prev.peers !== next.peers || prev.neighbours !== next.neighbours || prev.local !== next.local || prev.remote !== next.remote) {
      this._onDidChangeMesh.fire(next)
    }
  }

  private watch (node: MeshNode): void {
    const onChange = (): void => { this.refreshSnapshot() }
    // The facade's events cover everything the snapshot shows (catalog changes arrive throttled).
    for (const type of ['peer:connect', 'peer:disconnect', 'neighbours:change', 'bootstrap', 'catalog:change'] as const) {
      node.addEventListener(type, onChange)
      this.detach.push(() => { node.removeEventListener(type, onChange) })
    }
  }

  private unwatch (): void {
    for (const off of this.detach.splice(0)) off()
  }

  dispose (): void {
    this.unwatch()
    void this.stop()
    this._onDidChangeState.dispose()
    this._onDidChangeMesh.dispose()
  }
}

/** Maps a start error to a sentence and the fixes that apply (port in use, locked data dir, bad address, …). */
export function describeStartFailure (err: unknown, s: ExtensionSettings): { message: string, fixes: Fix[] } {
  const name = (err as { name?: string } | undefined)?.name ?? ''
  const msg = errorMessage(err)
  if (name === 'ListenError' && /in use/i.test(msg)) {
    return {
      message: `Continuum: the mesh node cannot listen on port ${s.listenPort}: another program (perhaps a Continuum CLI node) uses it.`,
      fixes: [{ title: 'Use Any Free Port', kind: 'anyPort' }, { title: 'Open Settings', kind: 'setting', key: 'network.listenPort' }, { title: 'Retry', kind: 'retry' }]
    }
  }
  if (name === 'ListenError') {
    return {
      message: `Continuum: the mesh node cannot listen on ${s.listenAddress}:${s.listenPort}: ${msg}`,
      fixes: [{ title: 'Open Settings', kind: 'setting', key: 'network.listenAddress' }, { title: 'Retry', kind: 'retry' }]
    }
  }
  if (name === 'StoreLockedError') {
    return {
      message: 'Continuum: another VS Code window already runs the mesh node for this profile; this window does not start a second one.',
      fixes: [{ title: 'Retry', kind: 'retry' }]
    }
  }
  if (name === 'ModelNotFoundError' || name === 'WorkerNotFoundError') {
    return { message: `Continuum: this installation is incomplete (${msg}); reinstall the extension.`, fixes: [{ title: 'Retry', kind: 'retry' }] }
  }
  return { message: `Continuum: the mesh node could not start: ${msg}`, fixes: [{ title: 'Retry', kind: 'retry' }] }
}
