// A small in-memory stand-in for the `vscode` module, for unit tests of the extension glue outside VS Code.
// Importing this file first makes `require('vscode')` (left external by the bundler) return it.
// It records what the extension shows (messages, status bar, registered commands) so tests can assert on it.
import Module from 'node:module'
import path from 'node:path'

type Listener<T> = (e: T) => unknown

export class EventEmitter<T> {
  private listeners = new Set<Listener<T>>()
  readonly event = (listener: Listener<T>, thisArg?: unknown, disposables?: Disposable[]): Disposable => {
    const bound: Listener<T> = e => listener.call(thisArg, e)
    this.listeners.add(bound)
    const d = new Disposable(() => { this.listeners.delete(bound) })
    disposables?.push(d)
    return d
  }

  fire (e: T): void { for (const l of [...this.listeners]) l(e) }
  dispose (): void { this.listeners.clear() }
}

export class Disposable {
  constructor (private readonly fn: () => void) {}
  static from (...ds: Array<{ dispose: () => unknown }>): Disposable { return new Disposable(() => { for (const d of ds) d.dispose() }) }
  dispose (): void { this.fn() }
}

export class CancellationError extends Error { override name = 'Canceled' }

export enum TreeItemCollapsibleState { None = 0, Collapsed = 1, Expanded = 2 }
export enum StatusBarAlignment { Left = 1, Right = 2 }
export enum QuickPickItemKind { Separator = -1, Default = 0 }
export enum ProgressLocation { SourceControl = 1, Window = 10, Notification = 15 }
export enum ConfigurationTarget { Global = 1, Workspace = 2, WorkspaceFolder = 3 }

export class ThemeIcon { constructor (readonly id: string) {} }

export class MarkdownString {
  value = ''
  supportHtml = false
  isTrusted: boolean | { enabledCommands: string[] } = false
  constructor (value = '', readonly supportThemeIcons = false) { this.value = value }
  appendMarkdown (s: string): this { this.value += s; return this }
  /** As VS Code does: markdown syntax characters are escaped. */
  appendText (s: string): this { this.value += s.replace(/[\\`*_{}[\]()#+\-!~]/g, '\\$&').replace(/\n/g, '\n\n'); return this }
}

export class TreeItem {
  id?: string
  description?: string
  tooltip?: string | MarkdownString
  contextValue?: string
  iconPath?: ThemeIcon
  command?: { command: string, title: string, arguments?: unknown[] }
  constructor (readonly label: string, readonly collapsibleState: TreeItemCollapsibleState = TreeItemCollapsibleState.None) {}
}

export class Uri {
  private constructor (readonly scheme: string, readonly path: string) {}
  static file (p: string): Uri { return new Uri('file', path.resolve(p)) }
  static from (c: { scheme: string, path: string }): Uri { return new Uri(c.scheme, c.path) }
  static joinPath (base: Uri, ...parts: string[]): Uri { return new Uri(base.scheme, path.posix.join(base.path, ...parts)) }
  get fsPath (): string { return this.path }
  toString (): string { return `${this.scheme}://${this.path}` }
}

/** What the extension showed, for assertions. */
export const shown = {
  errors: [] as string[],
  infos: [] as string[],
  clipboard: '',
  statusBarItems: [] as Array<{ text: string, tooltip?: unknown, command?: unknown, visible: boolean }>,
  outputLines: [] as string[],
  contextKeys: new Map<string, unknown>(),
  /** Warnings with their options and buttons (modal confirmations); `answerWarning` picks the button (none by default). */
  warnings: [] as Array<{ message: string, modal: boolean, items: string[] }>,
  answerWarning: undefined as ((message: string, items: string[]) => string | undefined) | undefined,
  /** Text documents the extension opened (virtual ones with the text its content provider gave). */
  documents: [] as Array<{ uri: Uri, text: string, languageId: string }>,
  /** URIs opened with `markdown.showPreview`. */
  previews: [] as Uri[]
}

type ContentProvider = { provideTextDocumentContent: (uri: Uri) => string | undefined | Promise<string | undefined> }
const contentProviders = new Map<string, ContentProvider>()

const commands = new Map<string, (...args: unknown[]) => unknown>()
const configChange = new EventEmitter<{ affectsConfiguration: (key: string) => boolean }>()
/** Settings the stub's configuration returns (`continuum.network.mdns` → false, …). */
export const settings = new Map<string, unknown>()

function configuration (section: string): { get: <T>(key: string) => T | undefined, update: (key: string, value: unknown) => Promise<void> } {
  return {
    get: <T>(key: string): T | undefined => settings.get(`${section}.${key}`) as T | undefined,
    update: async (key: string, value: unknown) => {
      settings.set(`${section}.${key}`, value)
      configChange.fire({ affectsConfiguration: k => `${section}.${key}`.startsWith(k) })
    }
  }
}

export const workspace = {
  workspaceFolders: undefined as Array<{ uri: Uri, name: string, index: number }> | undefined,
  isTrusted: true,
  getConfiguration: configuration,
  onDidChangeConfiguration: configChange.event,
  onDidChangeWorkspaceFolders: new EventEmitter<unknown>().event,
  registerTextDocumentContentProvider: (scheme: string, provider: ContentProvider) => {
    contentProviders.set(scheme, provider)
    return new Disposable(() => { if (contentProviders.get(scheme) === provider) contentProviders.delete(scheme) })
  },
  openTextDocument: async (uri: Uri) => {
    const provider = contentProviders.get(uri.scheme)
    const text = provider !== undefined ? await provider.provideTextDocumentContent(uri) ?? '' : await (await import('node:fs/promises')).readFile(uri.fsPath, 'utf8')
    const doc = { uri, text, languageId: 'plaintext', getText: () => text }
    shown.documents.push(doc)
    return doc
  },
  getWorkspaceFolder: () => undefined,
  asRelativePath: (p: Uri | string) => typeof p === 'string' ? p : p.path,
  fs: { readFile: async (uri: Uri) => new Uint8Array(await (await import('node:fs/promises')).readFile(uri.fsPath)) }
}

function outputChannel (name: string): Record<string, unknown> {
  const line = (level: string) => (msg: string) => { shown.outputLines.push(`${level} ${msg}`) }
  return { name, trace: line('trace'), debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error'), appendLine: line('info'), show: () => {}, dispose: () => {} }
}

/** A QuickPick the test drives: set `value` through `type()`, press buttons, read `items` and `busy`. */
export class FakeQuickPick<T> {
  items: T[] = []
  selectedItems: T[] = []
  busy = false
  value = ''
  title?: string
  placeholder?: string
  matchOnDescription = true
  matchOnDetail = true
  ignoreFocusOut = false
  visible = false
  private readonly changeValue = new EventEmitter<string>()
  private readonly triggerButton = new EventEmitter<{ item: T, button: unknown }>()
  private readonly accept = new EventEmitter<void>()
  private readonly hideEmitter = new EventEmitter<void>()
  readonly onDidChangeValue = this.changeValue.event
  readonly onDidTriggerItemButton = this.triggerButton.event
  readonly onDidAccept = this.accept.event
  readonly onDidHide = this.hideEmitter.event
  show (): void { this.visible = true }
  hide (): void { this.visible = false; this.hideEmitter.fire() }
  dispose (): void {}
  type (value: string): void { this.value = value; this.changeValue.fire(value) }
  pressButton (item: T, button: unknown): void { this.triggerButton.fire({ item, button }) }
}
export const quickPicks: Array<FakeQuickPick<unknown>> = []

export const window = {
  activeTextEditor: undefined,
  createQuickPick: () => { const qp = new FakeQuickPick(); quickPicks.push(qp); return qp },
  createOutputChannel: outputChannel,
  createStatusBarItem: () => {
    const item = { text: '', tooltip: undefined as unknown, command: undefined as unknown, name: '', visible: false, show () { item.visible = true }, hide () { item.visible = false }, dispose () {} }
    shown.statusBarItems.push(item)
    return item
  },
  createTreeView: () => new Disposable(() => {}),
  showErrorMessage: async (msg: string) => { shown.errors.push(msg); return undefined },
  showInformationMessage: async (msg: string) => { shown.infos.push(msg); return undefined },
  showWarningMessage: async (msg: string, ...rest: unknown[]) => {
    shown.infos.push(msg)
    const modal = typeof rest[0] === 'object' && rest[0] !== null && (rest[0] as { modal?: boolean }).modal === true
    const items = rest.filter((x): x is string => typeof x === 'string')
    shown.warnings.push({ message: msg, modal, items })
    return shown.answerWarning?.(msg, items)
  },
  showQuickPick: async () => undefined,
  showInputBox: async () => undefined,
  showWorkspaceFolderPick: async () => undefined,
  setStatusBarMessage: () => new Disposable(() => {}),
  withProgress: async <R>(_o: unknown, task: (p: { report: (v: unknown) => void }, token: { onCancellationRequested: (l: () => void) => Disposable }) => Promise<R>): Promise<R> =>
    task({ report: () => {} }, { onCancellationRequested: () => new Disposable(() => {}) })
}

export const commandsApi = {
  registerCommand: (id: string, fn: (...args: unknown[]) => unknown) => {
    if (commands.has(id)) throw new Error(`command ${id} already registered`)
    commands.set(id, fn)
    return new Disposable(() => { commands.delete(id) })
  },
  executeCommand: async (id: string, ...args: unknown[]) => {
    if (id === 'setContext') { shown.contextKeys.set(String(args[0]), args[1]); return undefined }
    if (id === 'markdown.showPreview') { shown.previews.push(args[0] as Uri); return undefined }
    const fn = commands.get(id)
    if (fn === undefined) throw new Error(`command ${id} not found`)
    return fn(...args)
  },
  getCommands: async () => [...commands.keys()]
}

export const env = { clipboard: { writeText: async (s: string) => { shown.clipboard = s } } }
export const languages = { setTextDocumentLanguage: async (d: { languageId: string }, languageId: string) => { d.languageId = languageId; return d } }

const vscodeStub = {
  EventEmitter, Disposable, CancellationError, TreeItem, TreeItemCollapsibleState, StatusBarAlignment, QuickPickItemKind,
  ProgressLocation, ConfigurationTarget, ThemeIcon, MarkdownString, Uri, workspace, window, commands: commandsApi, env, languages
}

// Serve the stub to the bundle's `require('vscode')`.
const mod = Module as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown }
const originalLoad = mod._load
mod._load = function (request: string, parent: unknown, isMain: boolean): unknown {
  if (request === 'vscode') return vscodeStub
  return originalLoad.call(this, request, parent, isMain)
}

/** A fake ExtensionContext whose global storage is `dir`. */
export function fakeContext (dir: string): { subscriptions: Array<{ dispose: () => unknown }>, globalStorageUri: Uri, extensionUri: Uri } {
  return { subscriptions: [], globalStorageUri: Uri.file(dir), extensionUri: Uri.file(process.cwd()) }
}

export function resetShown (): void {
  shown.errors.length = 0
  shown.infos.length = 0
  shown.clipboard = ''
  shown.outputLines.length = 0
  shown.documents.length = 0
  shown.previews.length = 0
}
