// The extension in a real VS Code (code-server), installed from its VSIX, with a second node (the CLI daemon
// with the demo catalog) as its bootstrap peer. scripts/vscode-test.mjs sets the scene and passes:
//   CONTINUUM_TEST_DAEMON_PEER   the daemon's peer id
//   CONTINUUM_TEST_PUBLISHED_FILE  where the harness writes JSON { id, cid? } of a real PEFT adapter the daemon
//                                hosts once it is published (null if publishing failed)
//   CONTINUUM_TEST_SCREENSHOT    request file: written when the workbench is ready; the harness answers with <file>.done
import * as vscode from 'vscode'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { ContinuumApi } from '../../../src/extension/extension'
import type { AdapterTreeNode } from '../../../src/extension/trees'

export interface SuiteTest { name: string, fn: () => Promise<void>, timeoutMs: number }
export const tests: SuiteTest[] = []
const test = (name: string, fn: () => Promise<void>, timeoutMs = 90_000): void => { tests.push({ name, fn, timeoutMs }) }

class Skip extends Error { override name = 'Skip' }

const EXTENSION_ID = 'continuum.continuum-mesh'
const daemonPeer = process.env.CONTINUUM_TEST_DAEMON_PEER ?? ''
interface Published { id: string, cid?: string, name?: string, version?: string }
let installedCid: string | undefined

/** The adapter the daemon published: the harness writes it (or null) once the daemon hosts it. */
async function publishedAdapter (): Promise<Published | undefined> {
  const file = process.env.CONTINUUM_TEST_PUBLISHED_FILE
  if (file === undefined) return undefined
  const text = await waitFor('the daemon to publish', () => existsSync(file) ? readFileSync(file, 'utf8') : undefined, 120_000)
  return (JSON.parse(text) as Published | null) ?? undefined
}
let api: ContinuumApi

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

async function waitFor<T> (what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v !== undefined && v !== false) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(250)
  }
}

function folder (): vscode.WorkspaceFolder {
  const f = vscode.workspace.workspaceFolders?.[0]
  assert.ok(f !== undefined, 'the sample workspace is open')
  return f
}

test('the extension activates and its node starts', async () => {
  const ext = vscode.extensions.getExtension<ContinuumApi>(EXTENSION_ID)
  assert.ok(ext !== undefined, `${EXTENSION_ID} is installed`)
  api = await ext.activate()
  assert.ok(ext.isActive)
  assert.equal(vscode.env.uiKind, vscode.UIKind.Web, 'running in the browser VS Code')
  await waitFor('the node to start', () => api.host.state.kind === 'started' || api.host.state.kind === 'failed' ? true : undefined)
  assert.equal(api.host.state.kind, 'started', api.host.state.kind === 'failed' ? api.host.state.message : '')
  const s = api.host.node!.status()
  assert.ok(s.addresses.every(a => a.includes('/127.0.0.1/')), `listens on loopback only: ${s.addresses.join(', ')}`)
})

test('every contributed command is registered', async () => {
  const ext = vscode.extensions.getExtension(EXTENSION_ID)!
  const contributed = (ext.packageJSON as { contributes: { commands: Array<{ command: string }> } }).contributes.commands.map(c => c.command)
  const all = new Set(await vscode.commands.getCommands(true))
  assert.ok(contributed.length >= 14)
  for (const c of contributed) assert.ok(all.has(c), `${c} is registered`)
})

test('the node connects to the bootstrap peer', async () => {
  assert.ok(daemonPeer !== '', 'the harness passed the daemon peer id')
  await waitFor('a connection to the daemon', () => api.host.node!.peers().some(p => p.peerId === daemonPeer) ? true : undefined)
})

test('the search command\'s provider returns the other node\'s adapters over the network', async () => {
  const node = api.host.node!
  assert.ok(node.flood !== undefined, 'the extension\'s node runs network search')
  // The daemon runs no gossip (scripts/vscode-test.mjs): only flood search can bring its adapters here.
  const update = await waitFor('results hosted by the daemon', async () => {
    const u = await api.search('I am building a vineyard management AI: grape cultivation, fermentation and wine production')
    return u.results.some(r => r.availableFrom.includes(daemonPeer)) ? u : undefined
  }, 60_000)
  const fromDaemon = update.results.filter(r => r.availableFrom.includes(daemonPeer))
  assert.ok(fromDaemon.some(r => r.id === 'viticulture-expert-v3'), `found: ${fromDaemon.map(r => r.id).join(', ')}`)
  assert.ok(fromDaemon.some(r => r.sourcePeer === daemonPeer), 'answered by the daemon in a network batch')
  assert.equal(update.phase, 'done')
})

test('Find Adapters for This Workspace builds a query from the project and finds sensible adapters', async () => {
  const query = await api.commands.workspaceQuery()
  assert.match(query, /Job queue worker for Node\.js/)
  assert.match(query, /ioredis/)
  const { results } = await api.search(query)
  const top = results.slice(0, 8).map(r => r.id)
  const sensible = ['async-debugging-v2', 'race-condition-expert', 'message-queue-patterns', 'node-express-backend', 'redis-caching-strategies']
  assert.ok(top.some(id => sensible.includes(id)), `top results: ${top.join(', ')}`)
  // The command itself opens the QuickPick with the derived query in the input.
  await vscode.commands.executeCommand('continuum.findForWorkspace')
  await sleep(500)
  await vscode.commands.executeCommand('workbench.action.closeQuickOpen')
})

test('the install command writes the adapter and the lockfile into the workspace; Install from Lockfile restores it', async () => {
  const node = api.host.node!
  if (node.content === undefined) throw new Skip('this build has no content feature')
  const adapter = await publishedAdapter()
  assert.ok(adapter !== undefined, 'the harness published an adapter on the daemon')
  const project = folder().uri
  // As from the QuickPick: the search result of the adapter the daemon hosts.
  const found = await waitFor('the published adapter in search results', async () => {
    const { results } = await api.search('viticulture notes: vineyard practices and grape growing')
    return results.find(r => r.id === adapter.id && r.availableFrom.includes(daemonPeer))
  }, 60_000)
  const outcome = await vscode.commands.executeCommand<{ folder: vscode.Uri, result: { name: string, version: string, cid: string, dir: string } }>('continuum.installAdapter', found, project)
  assert.ok(outcome !== undefined, 'the install command succeeded (a failure shows an error and returns nothing)')
  assert.equal(outcome.folder.fsPath, project.fsPath)
  const dir = path.join(project.fsPath, '.continuum', 'adapters')
  assert.ok(outcome.result.dir.startsWith(dir), `installed into ${outcome.result.dir}`)
  assert.ok(existsSync(path.join(outcome.result.dir, 'adapter_config.json')))
  assert.ok(existsSync(path.join(outcome.result.dir, 'adapter_model.safetensors')))
  if (adapter.cid !== undefined) assert.equal(outcome.result.cid, adapter.cid, 'the bundle the daemon published')
  installedCid = outcome.result.cid
  const lock = JSON.parse(readFileSync(path.join(project.fsPath, 'continuum.lock.json'), 'utf8')) as { adapters: Record<string, { cid: string }> }
  assert.ok(Object.values(lock.adapters).some(e => e.cid === outcome.result.cid), `lockfile pins ${outcome.result.cid}: ${JSON.stringify(lock)}`)
  // A fresh checkout has the lockfile but not the files: Install Adapters from Lockfile brings them back.
  rmSync(outcome.result.dir, { recursive: true, force: true })
  const restored = await vscode.commands.executeCommand<{ result: Array<{ cid: string, dir: string }> }>('continuum.installFromLockfile', project)
  assert.ok(restored !== undefined, 'Install Adapters from Lockfile succeeded')
  assert.deepEqual(restored.result.map(r => r.cid), [outcome.result.cid])
  assert.ok(existsSync(path.join(outcome.result.dir, 'adapter_model.safetensors')), 'the files are back')
}, 300_000)

test('the Adapters tree lists discovered adapters', async () => {
  const tree = api.adapters
  const groups = await waitFor('discovered adapters in the tree', async () => {
    const g = await tree.getChildren()
    const discovered = g.find(n => n.type === 'group' && n.group === 'discovered')
    return discovered !== undefined && discovered.type === 'group' && discovered.count > 0 ? g : undefined
  }, 60_000)
  const discovered = groups.find(n => n.type === 'group' && n.group === 'discovered')!
  const items = await tree.getChildren(discovered)
  const fromDaemon = items.filter((n): n is Extract<AdapterTreeNode, { type: 'adapter' }> => n.type === 'adapter' && n.result.availableFrom.includes(daemonPeer))
  assert.ok(fromDaemon.length > 0, 'adapters advertised by the daemon are listed')
  const item = tree.getTreeItem(fromDaemon[0])
  assert.equal(item.contextValue, 'adapter.remote')
  if (installedCid !== undefined) {
    const installed = await tree.getChildren(groups.find(n => n.type === 'group' && n.group === 'installed'))
    assert.ok(installed.some(n => n.type === 'installed' && n.item.cid === installedCid), 'the installed adapter is listed under "Installed in this project"')
  }
  const peers = api.peers.getChildren()
  assert.ok(peers.some(p => p.peerId === daemonPeer && p.adapters > 0), 'the Peers view shows the daemon and its adapters')
})

test('screenshot of the workbench with the Continuum sidebar open', async () => {
  const request = process.env.CONTINUUM_TEST_SCREENSHOT
  if (request === undefined) throw new Skip('no screenshot requested')
  await vscode.commands.executeCommand('workbench.view.extension.continuum')
  api.adapters.refresh()
  api.peers.refresh()
  await sleep(1_500)
  writeFileSync(request, 'ready')
  await waitFor('the screenshot', () => existsSync(`${request}.done`) ? true : undefined, 30_000)
})
