// The search QuickPick: local results as you type, network results streaming in with the busy
// indicator; each item offers Install into Project, Show Details and Copy CID.
import * as vscode from 'vscode'
import { errorMessage, type MeshNode } from '../node'
import { escapeIcons } from './peer-text'
import { formatPrice, formatSimilarity, fromNetwork, hostCount, searchAdapters, type AdapterResult } from './search'
import type { SearchSettings } from './settings'

/** Typing pauses this long before a search runs. */
const DEBOUNCE_MS = 250

export type AdapterAction = 'install' | 'details' | 'copyCid'

interface AdapterPick extends vscode.QuickPickItem { result?: AdapterResult }

const BUTTONS: Array<vscode.QuickInputButton & { action: AdapterAction }> = [
  { iconPath: new vscode.ThemeIcon('cloud-download'), tooltip: 'Install into Project', action: 'install' },
  { iconPath: new vscode.ThemeIcon('info'), tooltip: 'Show Details', action: 'details' },
  { iconPath: new vscode.ThemeIcon('copy'), tooltip: 'Copy CID', action: 'copyCid' }
]

export function toPick (r: AdapterResult): AdapterPick {
  const hosts = hostCount(r)
  return {
    // Peer text: QuickPick renders `$(icon)` syntax, so it is shown literally.
    label: escapeIcons(r.name),
    description: [formatSimilarity(r.similarity), r.rating !== undefined ? `★ ${r.rating.toFixed(1)}` : undefined, formatPrice(r.price), `${hosts} ${hosts === 1 ? 'peer' : 'peers'}`].filter(Boolean).join(' · '),
    detail: `${escapeIcons(r.specializations.slice(0, 6).join(', '))}${fromNetwork(r) ? ' · from the network' : ''}`,
    // The list is ranked by meaning, not by VS Code's fuzzy match on the typed text.
    alwaysShow: true,
    buttons: BUTTONS,
    result: r
  }
}

export interface SearchQuickPickInit {
  node: () => Promise<MeshNode>
  settings: () => SearchSettings
  /** Runs an action on a chosen result (the QuickPick is closed first for install). */
  onAction: (action: AdapterAction, result: AdapterResult) => Promise<void>
  log: vscode.LogOutputChannel
  title?: string
  /** Text to start with (the derived workspace query). */
  value?: string
}

export function showSearchQuickPick (init: SearchQuickPickInit): vscode.QuickPick<AdapterPick> {
  const qp = vscode.window.createQuickPick<AdapterPick>()
  qp.title = init.title ?? 'Continuum: Search Adapters'
  qp.placeholder = 'Describe what you are building, e.g. "a vineyard management assistant"'
  qp.matchOnDescription = false
  qp.matchOnDetail = false
  qp.ignoreFocusOut = init.value !== undefined
  let controller: AbortController | undefined
  let timer: NodeJS.Timeout | undefined
  let generation = 0

  const run = (text: string): void => {
    controller?.abort()
    clearTimeout(timer)
    if (text.trim() === '') { qp.items = []; qp.busy = false; return }
    const ctl = controller = new AbortController()
    const gen = ++generation
    qp.busy = true
    timer = setTimeout(() => {
      void (async () => {
        try {
          const node = await init.node()
          await searchAdapters(node, text, init.settings(), {
            signal: ctl.signal,
            onUpdate: u => {
              if (gen !== generation) return
              const items = u.results.map(toPick)
              if (items.length === 0 && u.phase === 'done') items.push({ label: 'No adapters match', detail: u.networkAvailable ? `Asked ${u.peersAnswered} peers. Try other words, or lower continuum.search.minSimilarity.` : 'Try other words; adapters appear as peers announce them.', alwaysShow: true })
              qp.items = items
              qp.busy = u.phase !== 'done'
            }
          })
        } catch (err) {
          if (ctl.signal.aborted || gen !== generation) return
          init.log.warn(`search: ${errorMessage(err)}`)
          qp.items = [{ label: 'Search failed', detail: errorMessage(err), alwaysShow: true }]
          qp.busy = false
        }
      })()
    }, DEBOUNCE_MS)
  }

  const act = (action: AdapterAction, r: AdapterResult): void => {
    if (action === 'install') qp.hide()
    init.onAction(action, r).catch((err: unknown) => { void vscode.window.showErrorMessage(errorMessage(err)) })
  }

  qp.onDidChangeValue(run)
  qp.onDidTriggerItemButton(e => {
    const r = e.item.result
    const action = (e.button as { action?: AdapterAction }).action
    if (r !== undefined && action !== undefined) act(action, r)
  })
  qp.onDidAccept(() => {
    const r = qp.selectedItems[0]?.result
    if (r === undefined) return
    qp.hide()
    void vscode.window.showQuickPick(
      [{ label: '$(cloud-download) Install into Project', action: 'install' as const }, { label: '$(info) Show Details', action: 'details' as const }, { label: '$(copy) Copy CID', action: 'copyCid' as const }],
      { title: r.name, placeHolder: `What to do with ${r.name}` }
    ).then(choice => { if (choice !== undefined) act(choice.action, r) })
  })
  qp.onDidHide(() => {
    controller?.abort()
    clearTimeout(timer)
    qp.dispose()
  })
  if (init.value !== undefined) {
    qp.value = init.value
    run(init.value)
  }
  qp.show()
  return qp
}
