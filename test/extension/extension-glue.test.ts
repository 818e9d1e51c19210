// Unit tests of the extension glue with a stub of the `vscode` module: settings → node init, the node host's
// start/failure/fix states, status bar text, trees, search merging, the workspace query and activation.
// Real mesh nodes on 127.0.0.1 with mDNS off; nothing leaves this machine.
import { settings as stubSettings, shown, commandsApi, fakeContext, resetShown, workspace as stubWorkspace, window as stubWindow, Uri, quickPicks, type FakeQuickPick } from './vscode-stub'
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:net'
import { readFile, writeFile, mkdir } from 'node:fs/promises'
import path from 'node:path'
import { createEmbedder, type Embedder } from '../../src/node/embedding'
import { findSampleCatalog } from '../../src/node/catalog/sample'
import { createMeshNode } from '../../src/node/mesh-node'
import { flood } from '../../src/node/flood'
import { DEFAULT_SETTINGS, readSettings, validateSettings, nodeInitFromSettings, type ExtensionSettings } from '../../src/extension/settings'
import { NodeHost, type NodeHostState } from '../../src/extension/node-host'
import { statusText } from '../../src/extension/status-bar'
import { AdaptersTreeProvider, PeersTreeProvider, type AdapterTreeNode } from '../../src/extension/trees'
import { searchAdapters, fromNetwork, type AdapterResult, type SearchState } from '../../src/extension/search'
import { toPick, showSearchQuickPick, type AdapterAction } from '../../src/extension/search-quick-pick'
import { buildWorkspaceQuery, parseCargoToml, parsePyproject } from '../../src/extension/workspace-query'
import { activate, deactivate, type ContinuumApi } from '../../src/extension/extension'
import { Commands } from '../../src/extension/commands'
import { startTestNode, tcpAddr, tempDir, waitFor } from '../helpers/mesh'
import { CARILLON, CARILLON_QUERY } from '../helpers/adapters'

const root = process.env.CONTINUUM_ROOT ?? path.resolve(__dirname, '..', '..', '..')
let embedder: Embedder
let lines: string[]

before(async () => {
  embedder = createEmbedder()
  lines = (await readFile(findSampleCatalog(__dirname)!, 'utf8')).trim().split('\n')
})
after(async () => { await embedder.close() })

const loopback = (over: Partial<ExtensionSettings> = {}): ExtensionSettings => ({ ...DEFAULT_SETTINGS, listenAddress: '127.0.0.1', listenPort: 0, mdns: false, ...over })

function hostFor (dir: string, s: ExtensionSettings): NodeHost {
  return new NodeHost({
    dataDir: dir,
    settings: () => s,
    onLog: () => {},
    // Share one embedder between the tests' nodes; the node runs the extension's default features.
    createNode: init => createMeshNode({ ...init, embedder })
  })
}

test('settings: package.json declares every setting with the defaults the code uses', async () => {
  const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, { default: unknown, description?: string, markdownDescription?: string, scope?: string }> } } }
  const props = pkg.contributes.configuration.properties
  const fromManifest = new Map(Object.entries(props).map(([k, v]) => [k.replace(/^continuum\./, ''), v.default]))
  assert.deepEqual(readSettings({ get: <T>(k: string) => fromManifest.get(k) as T }), DEFAULT_SETTINGS)
  assert.deepEqual(readSettings({ get: () => undefined }), DEFAULT_SETTINGS)
  for (const [key, p] of Object.entries(props)) {
    const text = p.description ?? p.markdownDescription ?? ''
    assert.ok(text.endsWith('.'), `${key}: the description should be a sentence ending with a period`)
    assert.ok(p.scope !== undefined, `${key}: has a scope`)
  }
})

test('settings: bad values are reported with the key to fix; good ones become the node init', () => {
  const problems = validateSettings({ ...DEFAULT_SETTINGS, listenAddress: 'my-laptop', listenPort: 70000, bootstrapPeers: ['not an address'] })
  assert.deepEqual(problems.map(p => p.key), ['network.listenAddress', 'network.listenPort', 'network.bootstrapPeers'])
  const s = loopback({ listenPort: 4999, bootstrapPeers: ['continuum://peer:12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK@127.0.0.1:4101'], cacheSize: 500 })
  assert.deepEqual(validateSettings(s), [])
  const init = nodeInitFromSettings(s, '/tmp/x')
  assert.deepEqual(init.listen, ['/ip4/127.0.0.1/tcp/4999'])
  assert.equal(init.mdns, false)
  assert.equal(init.remoteCapacity, 500)
  assert.equal(init.bootstrap?.length, 1)
  // Out-of-range search settings are clamped rather than breaking search.
  const clamped = readSettings({ get: <T>(k: string) => ({ 'search.timeoutSeconds': 999, 'search.maxHops': 0, 'search.minSimilarity': 2 } as Record<string, unknown>)[k] as T })
  assert.deepEqual([clamped.search.timeoutMs, clamped.search.hops, clamped.search.minSimilarity], [30_000, 1, 1])
})

test('settings: announcement lists must be http(s) URLs, file: URLs or absolute paths; list settings are capped', () => {
  const abs = path.resolve('/srv/lists/peers.txt')
  const ok = loopback({ announcementLists: ['https://example.org/peers.txt', 'http://127.0.0.1:8080/peers.txt', abs, 'file:///srv/lists/peers.txt'] })
  assert.deepEqual(validateSettings(ok), [])
  const bad = validateSettings(loopback({ announcementLists: ['ftp://example.org/peers.txt', 'javascript:alert(1)', 'peers.txt', '../../.ssh/id_ed25519'] }))
  assert.deepEqual(bad.map(p => p.key), Array(4).fill('network.announcementLists'))
  assert.match(bad[0].message, /only http\(s\) URLs, file: URLs and file paths/)
  assert.match(bad[2].message, /relative path: give an absolute path/)
  const peer = 'continuum://peer:12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK@127.0.0.1:4101'
  const many = validateSettings(loopback({ bootstrapPeers: Array(1000).fill(peer), announcementLists: Array(1000).fill(abs) }))
  assert.deepEqual(many.map(p => p.key), ['network.bootstrapPeers', 'network.announcementLists'])
  assert.match(many[0].message, /at most 64 bootstrap peers/)
})

test('node host: starts in the background, reports mesh figures, stops cleanly', async () => {
  const dir = await tempDir()
  const host = hostFor(dir, loopback())
  const states: string[] = []
  host.onDidChangeState(s => states.push(s.kind))
  await host.start()
  assert.deepEqual(states, ['starting', 'started'])
  const node = host.node!
  assert.equal(node.status().connectedPeers, 0)
  assert.match(statusText(host.state, host.mesh).text, /0 peers · 0 adapters/)
  await host.stop()
  assert.equal(host.state.kind, 'stopped')
  assert.equal(node.state, 'stopped')
})

test('node host: a port in use leaves the host failed with "Use Any Free Port", and that fix works', async () => {
  const server: Server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  const s = loopback({ listenPort: port })
  const host = hostFor(await tempDir(), s)
  try {
    await host.start()
    const state = host.state as Extract<NodeHostState, { kind: 'failed' }>
    assert.equal(state.kind, 'failed')
    assert.match(state.message, new RegExp(`port ${port}.*uses it`))
    assert.deepEqual(state.fixes.map(f => f.kind), ['anyPort', 'setting', 'retry'])
    assert.match(statusText(host.state, host.mesh).text, /warning/)
    await assert.rejects(host.requireNode(), { name: 'NodeUnavailableError' })
    // The fix: port 0, then a restart.
    s.listenPort = 0
    await host.restart()
    assert.equal(host.state.kind, 'started')
  } finally {
    await host.stop()
    server.close()
  }
})

test('node host: a bad setting fails before any node is built and points at the setting', async () => {
  let built = 0
  const host = new NodeHost({ dataDir: await tempDir(), settings: () => loopback({ listenAddress: 'nowhere' }), onLog: () => {}, createNode: init => { built++; return createMeshNode(init) } })
  await host.start()
  const state = host.state as Extract<NodeHostState, { kind: 'failed' }>
  assert.equal(state.kind, 'failed')
  assert.match(state.message, /continuum\.network\.listenAddress/)
  assert.deepEqual(state.fixes, [{ title: 'Open Settings', kind: 'setting', key: 'network.listenAddress' }])
  assert.equal(built, 0)
})

test('node host: a second window on the same data dir says another window runs the node', async () => {
  const dir = await tempDir()
  const a = hostFor(dir, loopback())
  const b = hostFor(dir, loopback())
  try {
    await a.start()
    await b.start()
    assert.equal(b.state.kind, 'failed')
    assert.match((b.state as { message: string }).message, /another VS Code window/)
  } finally {
    await a.stop()
  }
})

test('search: local results first, then a far node\'s adapter that only the flood can find (it runs no gossip), ranked without duplicates', async () => {
  const dir = await tempDir()
  const file = path.join(dir, 'few.jsonl')
  await writeFile(file, lines.slice(0, 40).join('\n'))
  const farFile = path.join(dir, 'far.jsonl')
  await writeFile(farFile, JSON.stringify(CARILLON) + '\n' + lines.slice(0, 3).join('\n'))
  const host = hostFor(dir, loopback())
  // The far node runs flood search only: no catalog gossip, so nothing but a network search can bring its adapter.
  const far = await startTestNode({ embedder, features: [flood()] })
  try {
    await host.start()
    const node = host.node!
    await node.catalog.import(file)
    await far.catalog.import(farFile)
    await node.connect(tcpAddr(far))
    await waitFor('the far node to be a neighbour', () => node.neighbours.has(far.peerId.toString()), 30_000)
    const settings = { ...DEFAULT_SETTINGS.search, minSimilarity: 0, timeoutMs: 10_000 }
    // Local only: the far node's adapter is not in this node's catalog.
    const local = await searchAdapters(node, CARILLON_QUERY, settings, { localOnly: true })
    assert.equal(local.networkAvailable, false)
    assert.ok(local.results.length > 0 && local.results.every(r => r.location === 'local'))
    assert.ok(!local.results.some(r => r.id === CARILLON.id), 'not known locally')

    const states: SearchState[] = []
    const final = await searchAdapters(node, CARILLON_QUERY, settings, { onUpdate: u => states.push(u) })
    assert.equal(states[0].phase, 'local', 'local results come first')
    assert.ok(!states[0].results.some(r => r.id === CARILLON.id))
    assert.equal(states.at(-1)?.phase, 'done')
    assert.ok(states.some(u => u.phase === 'network'), 'then network batches')
    assert.equal(final.networkAvailable, true)
    assert.ok(final.peersAnswered >= 1)
    const hit = final.results.find(r => r.id === CARILLON.id)
    assert.ok(hit !== undefined, `the far node's adapter is found over the network: ${final.results.map(r => r.id).join(', ')}`)
    assert.equal(hit.location, 'remote')
    assert.ok(fromNetwork(hit))
    assert.deepEqual(hit.availableFrom, [far.peerId.toString()])
    assert.equal(final.results[0].id, CARILLON.id, 'the most similar result ranks first')
    assert.equal(new Set(final.results.map(r => r.key)).size, final.results.length, 'no key twice')
    const pick = toPick(hit)
    assert.match(pick.description ?? '', /^\d+% · ★ 4\.2 · 3 tokens · 1 peer$/)
    assert.match(pick.detail ?? '', /from the network/)
    assert.equal(pick.alwaysShow, true)
  } finally {
    await host.stop()
    await far.stop()
  }
})

test('search QuickPick: results as you type (busy until the network is done), the newest query wins, item buttons run actions', async () => {
  const dir = await tempDir()
  const file = path.join(dir, 'few.jsonl')
  await writeFile(file, lines.slice(0, 40).join('\n'))
  const host = hostFor(dir, loopback())
  try {
    await host.start()
    await host.node!.catalog.import(file)
    const actions: Array<[AdapterAction, string]> = []
    const qp = showSearchQuickPick({
      node: () => host.requireNode(),
      settings: () => ({ ...DEFAULT_SETTINGS.search, minSimilarity: 0 }),
      onAction: async (action, r) => { actions.push([action, r.id]) },
      log: { warn: () => {} } as never
    }) as unknown as FakeQuickPick<{ label: string, alwaysShow?: boolean, buttons?: unknown[], result?: AdapterResult }>
    assert.equal(qp, quickPicks.at(-1))
    assert.ok(qp.visible)
    qp.type('wine')
    qp.type('race conditions and deadlocks in concurrent code')
    assert.equal(qp.busy, true, 'busy while searching')
    await waitFor('results', () => !qp.busy && qp.items.length > 0, 30_000)
    assert.ok(qp.items.every(i => i.alwaysShow === true), 'ranked by meaning, not filtered by the typed words')
    assert.ok(['race-condition-expert', 'async-debugging-v2'].includes(qp.items[0].result!.id), `first: ${qp.items[0].result?.id}`)
    qp.pressButton(qp.items[0], qp.items[0].buttons![2])
    await waitFor('the action', () => actions.length === 1)
    assert.deepEqual(actions[0], ['copyCid', qp.items[0].result!.id])
    qp.type('')
    assert.deepEqual(qp.items, [])
    qp.hide()
  } finally {
    await host.stop()
  }
})

// What a hostile publisher can sign into a manifest: a tracking image, raw HTML, a command link, icon syntax.
const HOSTILE = '![x](http://127.0.0.1:1/track.png) <img src=x onerror=alert(1)> [click](command:evil) $(alert) **bold**'
/** Every CommonMark-active character escaped: the text renders literally, whatever it holds. */
const INERT = /^(?:[^!-/:-@[-`{-~]|\\[!-/:-@[-`{-~])*$/

test('peer text: Show Details, the Adapters tooltip and the QuickPick show markdown, HTML and links from a manifest as text', async () => {
  resetShown()
  const hostile: AdapterResult = {
    key: 'remote/12D3KooWevil/evil-lora', id: 'evil-lora', name: `Evil ${HOSTILE}`, version: '1.0.0', description: `${HOSTILE}\n# heading\n\n| a | b |\n${HOSTILE}`,
    kind: 'lora', baseModel: 'x`y](http://127.0.0.1:1/)', specializations: ['[tag](http://127.0.0.1:1/)'], price: 0, contentHash: 'sha256-<img>', publisher: '12D3KooW<b>',
    capabilities: [], downloads: 0, score: 0.5, similarity: 0.5, location: 'remote', availableFrom: []
  }
  const host = hostFor(await tempDir(), loopback())
  const adapters = new AdaptersTreeProvider(host)
  const peers = new PeersTreeProvider(host)
  const commands = new Commands({ host, log: stubWindow.createOutputChannel('test') as never, settings: () => DEFAULT_SETTINGS, adapters, peers, openMarketplace: async () => {} })
  try {
    await commandsApi.executeCommand('continuum.showAdapterDetails', hostile)
    const doc = shown.documents.at(-1)!
    assert.equal(doc.languageId, 'markdown')
    assert.equal(shown.previews.at(-1), doc.uri, 'shown as a markdown preview')
    const text = doc.text
    const heading = text.split('\n')[0]
    assert.ok(heading.startsWith('# '))
    assert.match(heading.slice(2), INERT, 'the name cannot open an image, link or tag')
    // The description's lines are peer text from start to end: none of them may carry live syntax.
    const description = text.split('\n').slice(2, text.split('\n').indexOf('| | |') - 1).filter(l => l !== '')
    assert.ok(description.length >= 1)
    for (const line of description) assert.match(line, INERT, line)
    assert.equal(description.join(' ').replace(/\\(.)/g, '$1'), `${HOSTILE} # heading | a | b | ${HOSTILE}`, 'and every word is still there')
    for (const row of text.split('\n').filter(l => /^\| (Kind|Base model|Specializations|CID|Publisher|Catalog key) \|/.test(l))) {
      assert.match(row.replace(/^\| [A-Za-z ]+ \| /, '').replace(/ \|$/, ''), INERT, row)
    }
    assert.doesNotMatch(text, /(?<!\\)<img|(?<!\\)!(?<!\\)\[x|(?<!\\)\[click(?<!\\)\]/)

    // The tooltip: escaped, no HTML, not trusted (so no command: links).
    const item = adapters.getTreeItem({ type: 'adapter', group: 'discovered', result: hostile })
    const tip = item.tooltip as unknown as { value: string, supportHtml: boolean, isTrusted: unknown }
    assert.equal(tip.supportHtml, false)
    assert.equal(tip.isTrusted, false)
    assert.doesNotMatch(tip.value, /(?<!\\)<img|(?<!\\)!(?<!\\)\[x|(?<!\\)\[click(?<!\\)\]|(?<!\\)\[tag/)
    assert.ok(tip.value.includes('\\<img src\\=x onerror\\=alert\\(1\\)\\>'), tip.value)

    // QuickPick renders $(icon) in labels: shown literally.
    const pick = toPick(hostile)
    assert.ok(pick.label.includes('\\$(alert)'), pick.label)
    assert.ok(!/(?<!\\)\$\(alert\)/.test(pick.label))
  } finally {
    commands.dispose()
    adapters.dispose()
    peers.dispose()
  }
})

test('trees: Adapters groups own and discovered adapters with counts; Peers lists connected peers with their adapters', async () => {
  const dirA = await tempDir()
  const dirB = await tempDir()
  const fileA = path.join(dirA, 'a.jsonl')
  await writeFile(fileA, lines.slice(0, 5).join('\n'))
  const a = hostFor(dirA, loopback())
  const b = hostFor(dirB, loopback())
  try {
    await a.start()
    await b.start()
    const tree = new AdaptersTreeProvider(a)
    assert.deepEqual(await tree.getChildren(), [], 'empty: the welcome content shows')
    await a.node!.catalog.import(fileA)
    // An adapter b published, as gossip would cache it on a.
    const [m] = await b.node!.catalog.publishFields([JSON.parse(lines[100]) as never])
    await a.node!.catalog.put(m, 'remote', b.node!.peerId.toString())
    const groups = await tree.getChildren()
    assert.deepEqual(groups.map(g => g.type === 'group' ? [g.group, g.count] : []), [['installed', 0], ['mine', 5], ['discovered', 1]])
    const discovered = await tree.getChildren(groups[2])
    const item = tree.getTreeItem(discovered[0])
    assert.equal(item.label, m.name)
    assert.equal(item.contextValue, 'adapter.remote')
    assert.match(String(item.description), /1 peer/)
    const installed = await tree.getChildren(groups[0])
    if (a.node!.content === undefined) assert.match((installed[0] as Extract<AdapterTreeNode, { type: 'info' }>).label, /not available in this build/)
    else assert.deepEqual(installed, [], 'no workspace folder open: nothing installed')
    const peers = new PeersTreeProvider(a)
    assert.deepEqual(peers.getChildren(), [])
    await a.node!.connect(b.node!.announceAddresses().multiaddrs.find(x => x.includes('/tcp/'))!)
    await waitFor('a to see b', () => peers.getChildren().length === 1)
    const p = peers.getChildren()[0]
    assert.equal(p.peerId, b.node!.peerId.toString())
    assert.equal(p.adapters, 1)
    assert.match(String(peers.getTreeItem(p).description), /1 adapter/)
  } finally {
    await a.stop()
    await b.stop()
  }
})

test('workspace query: descriptions, keywords, language, selection and dependencies, most telling first', () => {
  const q = buildWorkspaceQuery({
    folderName: 'vineyard',
    packageJson: JSON.stringify({ name: 'vineyard-ai', description: 'Vineyard management assistant for grape growers', keywords: ['viticulture', 'wine'], dependencies: { express: '1', '@types/node': '1' } }),
    readme: '# Vineyard AI\n\n[![build](https://x/badge.svg)](https://x)\n\nTracks **grape ripeness** and fermentation.\n\n```sh\nnpm start\n```\n',
    language: 'typescript',
    selection: 'function brixToPotentialAlcohol (brix: number)'
  })
  assert.match(q, /^Vineyard management assistant for grape growers\. Topics: viticulture, wine\. Working on: function brixToPotentialAlcohol/)
  // Infrastructure dependencies (express) and the programming language say nothing about the domain.
  assert.doesNotMatch(q, /express|TypeScript|@types|badge|npm start|\*\*/)
  // The README's telling words are weighed in.
  assert.match(q, /About: .*ripeness.*fermentation/)
  assert.equal(buildWorkspaceQuery({}), '')
  assert.equal(buildWorkspaceQuery({ folderName: 'x' }), 'A project named x.')
  const py = parsePyproject('[project]\nname = "cellar"\ndescription = "Wine cellar inventory"\ndependencies = [\n  "fastapi>=0.100",\n  "sqlalchemy[asyncio] ~= 2.0",\n]\n[tool.other]\ndescription = "no"\n')
  assert.deepEqual([py.description, py.dependencies], ['Wine cellar inventory', ['fastapi', 'sqlalchemy']])
  const rs = parseCargoToml('[package]\nname = "tokio-app"\ndescription = "Async job runner"\n\n[dependencies]\ntokio = { version = "1" }\nserde = "1"\n[dev-dependencies]\nproptest = "1"\n')
  assert.deepEqual([rs.description, rs.dependencies], ['Async job runner', ['tokio', 'serde']])
})

test('activation: registers every contributed command, shows the status bar, starts the node, stops on deactivate', async () => {
  const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { contributes: { commands: Array<{ command: string, category: string }> }, activationEvents: string[] }
  resetShown()
  stubSettings.clear()
  stubSettings.set('continuum.network.listenAddress', '127.0.0.1')
  stubSettings.set('continuum.network.listenPort', 0)
  stubSettings.set('continuum.network.mdns', false)
  const dir = await tempDir()
  const folder = path.join(dir, 'project')
  await mkdir(folder)
  stubWorkspace.workspaceFolders = [{ uri: Uri.file(folder), name: 'project', index: 0 }]
  const context = fakeContext(dir)
  const api = activate(context as never) as ContinuumApi
  try {
    const registered = await commandsApi.getCommands()
    for (const c of pkg.contributes.commands) {
      assert.ok(registered.includes(c.command), `${c.command} is registered`)
      assert.equal(c.category, 'Continuum')
    }
    assert.deepEqual(pkg.activationEvents, ['onStartupFinished'])
    await waitFor('the node to start', () => api.host.state.kind === 'started' || api.host.state.kind === 'failed', 60_000)
    assert.equal(api.host.state.kind, 'started', api.host.state.kind === 'failed' ? api.host.state.message : '')
    assert.equal(shown.contextKeys.get('continuum.nodeState'), 'started')
    assert.ok(api.host.node!.dataDir.startsWith(dir), 'data dir under the global storage')
    const bar = shown.statusBarItems.at(-1)!
    assert.ok(bar.visible)
    assert.equal(bar.command, 'continuum.showStatus')
    assert.match(bar.text, /\$\(radio-tower\) 0 peers/)
    // A failing command shows one short message (with "Show Log") instead of throwing at the user.
    assert.equal(await commandsApi.executeCommand('continuum.addPeer', 'not a peer address'), undefined)
    assert.match(shown.errors.at(-1) ?? '', /^Invalid peer address "not a peer address"/)
    assert.ok(shown.outputLines.some(l => l.startsWith('error continuum.addPeer: InvalidPeerAddressError')), 'and logs it')
    // Copy My Peer Address: a loopback continuum:// address (the only one here).
    const address = await commandsApi.executeCommand('continuum.copyPeerAddress') as string
    assert.match(address, /^continuum:\/\/peer:\w+@127\.0\.0\.1:\d+$/)
    assert.equal(shown.clipboard, address)
    // A priced search result: a modal confirmation names the price before anything is installed; declined,
    // nothing is installed (and so nothing charged).
    const priced = {
      key: 'k', id: 'paid-notes', name: 'Paid Notes', version: '1.0.0', description: '', kind: 'lora', baseModel: 'm', specializations: [], capabilities: [],
      price: 42, downloads: 0, contentHash: 'sha256-' + 'a'.repeat(64), publisher: api.host.node!.peerId.toString(), similarity: 1, score: 1, location: 'remote', availableFrom: []
    }
    shown.warnings.length = 0
    assert.equal(await commandsApi.executeCommand('continuum.installAdapter', priced), undefined)
    assert.equal(shown.warnings.length, 1)
    assert.ok(shown.warnings[0].modal, 'a modal confirmation')
    assert.match(shown.warnings[0].message, /Install Paid Notes\? It costs 42 tokens, paid .* to its publisher/)
    assert.deepEqual(shown.warnings[0].items, ['Pay 42 tokens and Install'])
    await assert.rejects(readFile(path.join(folder, 'continuum.lock.json')), 'nothing installed')
    // A node setting changes: the node restarts with it.
    const before = api.host.node!
    await stubWorkspace.getConfiguration('continuum').update('network.bootstrapPeers', [])
    await waitFor('the restart', () => api.host.node !== undefined && api.host.node !== before, 30_000)
  } finally {
    await deactivate()
    for (const d of context.subscriptions) d.dispose()
  }
  assert.equal(api.host.state.kind, 'stopped')
})
