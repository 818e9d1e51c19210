// The marketplace panel in a real VS Code (code-server, headless chromium), offline and on 127.0.0.1:
// the VSIX is installed into a fresh profile, a CLI daemon with the demo catalog (and no gossip) is the
// extension's bootstrap peer, "Continuum: Open Marketplace" is run from the command palette, and the page inside the
// webview searches, opens details and shows the mesh. Reuses the helpers of scripts/vscode-test.mjs.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { cpSync, mkdirSync, rmSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { createRequire } from 'node:module'
import type { Browser, BrowserType, FrameLocator, Page } from 'playwright-core'
import { waitFor } from './helpers/mesh'

const root = process.env.CONTINUUM_ROOT ?? path.resolve(__dirname, '..', '..')
const artifacts = path.join(root, '.test-artifacts', 'webview-ui')

interface CodeServer { node: string, codeServer: string, cacheDir: string }
interface Harness {
  freePort(): Promise<number>
  findChromium(): string
  isolatedEnv(dir: string, extra?: Record<string, string>): NodeJS.ProcessEnv
  writeSettings(userDataDir: string, settings: Record<string, unknown>): void
  installVsix(cs: CodeServer, vsix: string, o: { extensionsDir: string, userDataDir: string, env: NodeJS.ProcessEnv }): string
  startCodeServer(cs: CodeServer, o: { port: number, userDataDir: string, extensionsDir: string, env: NodeJS.ProcessEnv, logFile?: string }): Promise<{ output: () => string, stop: () => Promise<void> }>
  stopProcessGroup(child: ChildProcess): Promise<void>
}

// The harness is ESM that reads import.meta: load it at run time instead of bundling it into this test.
const importEsm = new Function('url', 'return import(url)') as (url: string) => Promise<unknown>
const load = async <T>(rel: string): Promise<T> => await importEsm(pathToFileURL(path.join(root, rel)).href) as T

function startDaemon (dir: string): { child: ChildProcess, output: () => string } {
  let out = ''
  const child = spawn(process.execPath, [path.join(root, 'bin', 'continuum.js'), '--data-dir', dir, 'node', 'start', '--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0', '--no-mdns', '--no-gossip', '--sample-catalog'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout!.on('data', d => { out += String(d) })
  child.stderr!.on('data', d => { out += String(d) })
  return { child, output: () => out }
}

test('"Continuum: Open Marketplace" in code-server: the webview page searches the mesh, shows details and the mesh page', { timeout: 25 * 60_000 }, async () => {
  const h = await load<Harness>('scripts/vscode-test.mjs')
  const { ensureCodeServer } = await load<{ ensureCodeServer: (o: { log: (m: string) => void }) => CodeServer }>('scripts/code-server.mjs')
  const { packageExtension } = await load<{ packageExtension: (o: { out: string, skipBuild: boolean, log: (m: string) => void }) => Promise<{ size: number }> }>('scripts/package.mjs')
  const log = (m: string): void => { if (process.env.TEST_VERBOSE === '1') console.error(`webview-ui-vscode: ${m}`) }

  const built = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--if-needed'], { encoding: 'utf8' })
  assert.equal(built.status, 0, built.stderr)
  // ensureCodeServer holds a lock while it installs, so the VS Code integration test running alongside is safe.
  const cs = ensureCodeServer({ log })
  const runDir = await mkdtemp(path.join(os.tmpdir(), 'continuum-panel-'))
  mkdirSync(artifacts, { recursive: true })
  const env = h.isolatedEnv(runDir)
  const daemon = startDaemon(path.join(runDir, 'daemon'))
  let server: { output: () => string, stop: () => Promise<void> } | undefined
  let browser: Browser | undefined
  let page: Page | undefined
  try {
    const vsix = path.join(runDir, 'continuum.vsix')
    await packageExtension({ out: vsix, skipBuild: true, log })
    await waitFor('the daemon imported the demo catalog', () => /Demo catalog: \d+ adapters imported/.test(daemon.output()), 240_000, 250)
    const address = /Address:\s+(continuum:\/\/peer:\w+@127\.0\.0\.1:\d+)/.exec(daemon.output())![1]

    const userDataDir = path.join(runDir, 'user-data')
    const extensionsDir = path.join(runDir, 'extensions')
    h.writeSettings(userDataDir, {
      'continuum.network.listenAddress': '127.0.0.1',
      'continuum.network.listenPort': 0,
      'continuum.network.mdns': false,
      'continuum.network.bootstrapPeers': [address],
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'telemetry.telemetryLevel': 'off',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'update.mode': 'none',
      'security.workspace.trust.enabled': false,
      'workbench.secondarySideBar.defaultVisibility': 'hidden'
    })
    h.installVsix(cs, vsix, { extensionsDir, userDataDir, env })
    const workspace = path.join(runDir, 'sample-project')
    cpSync(path.join(root, 'test', 'vscode', 'fixtures', 'sample-project'), workspace, { recursive: true })
    const port = await h.freePort()
    server = await h.startCodeServer(cs, { port, userDataDir, extensionsDir, env, logFile: path.join(runDir, 'code-server.log') })

    const { chromium } = createRequire(__filename)('playwright-core') as { chromium: BrowserType }
    browser = await chromium.launch({ executablePath: h.findChromium(), headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'] })
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
    const p = page
    const outside: string[] = []
    const cspViolations: string[] = []
    // Only the webview's own page counts here (the workbench has a CSP of its own).
    p.on('console', m => { if (/Content Security Policy/i.test(m.text()) && /webview/.test(m.location().url)) cspViolations.push(`${m.text()} (${m.location().url})`) })
    // Loopback only: the workbench and the webview must fetch nothing from elsewhere.
    await p.route('**/*', route => {
      const u = new URL(route.request().url())
      if (['127.0.0.1', 'localhost'].includes(u.hostname) || ['data:', 'blob:'].includes(u.protocol)) return route.continue()
      outside.push(u.href)
      return route.abort()
    })
    await p.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`)
    await p.locator('.monaco-workbench').waitFor({ timeout: 120_000 })

    // The command palette, as a user would.
    // The command palette, as a user would (retried: contributions appear once the extension host is up).
    await waitFor('the marketplace panel opens', async () => {
      try {
        await p.keyboard.press('F1')
        const input = p.locator('.quick-input-widget input')
        await input.waitFor({ timeout: 10_000 })
        await input.fill('>Continuum: Open Marketplace')
        await p.locator('.quick-input-list .monaco-list-row', { hasText: 'Continuum: Open Marketplace' }).first().waitFor({ timeout: 5_000 })
        await p.keyboard.press('Enter')
        await p.locator('.tab', { hasText: 'Continuum Marketplace' }).first().waitFor({ timeout: 20_000 })
        return true
      } catch {
        await p.keyboard.press('Escape')
        return false
      }
    }, 180_000, 2000)

    const webview: FrameLocator = p.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame')
    const query = webview.getByLabel('Describe what you are building')
    await query.waitFor({ timeout: 60_000 })
    // The daemon runs no gossip: the page finds its adapters only by flood search, through the panel's
    // in-process /api/search route.
    await waitFor('the webview finds the daemon\'s wine adapters', async () => {
      const before = Number(await webview.locator('section.search').getAttribute('data-search'))
      await query.fill('pairing wine with food for a restaurant menu')
      await query.press('Enter')
      await webview.locator(`section.search[data-search="${before + 1}"][data-state="done"]`).waitFor({ timeout: 60_000 })
      return await webview.locator('.result', { hasText: /Wine|Sommelier/ }).count() > 0
    }, 240_000, 3000)
    assert.match(await webview.locator('.search-status').innerText(), /peers? answered/)
    await webview.locator('.result').first().click()
    await webview.locator('section.details').waitFor()
    assert.match(await webview.locator('section.details').innerText(), /Model card[\s\S]*Base model/)
    // In VS Code the install goes into the open project: no folder field, an "Install into project" button.
    assert.equal(await webview.locator('#install-folder').count(), 0)
    assert.equal(await webview.getByRole('button', { name: 'Install into project' }).count(), 1)
    await p.screenshot({ path: path.join(artifacts, 'vscode-marketplace.png') })
    // Publishing picks the folder with VS Code's own dialog (the page cannot browse the file system).
    await webview.locator('vscode-collapsible.publish').click()
    await webview.locator('#publish-browse').click()
    await p.locator('.quick-input-widget').filter({ hasText: /Adapter folder to publish|Publish/ }).first().waitFor({ timeout: 30_000 })
    await p.keyboard.press('Escape')

    // Hidden and shown again (VS Code reloads a hidden webview): the query, results and details come back.
    const shown = await webview.locator('.result').count()
    await p.keyboard.press('Control+P')
    await p.locator('.quick-input-widget input').fill('README.md')
    await p.locator('.quick-input-list .monaco-list-row', { hasText: 'README.md' }).first().waitFor({ timeout: 20_000 })
    await p.keyboard.press('Enter')
    await p.locator('.tab.active', { hasText: 'README.md' }).waitFor({ timeout: 20_000 })
    await p.locator('.tab', { hasText: 'Continuum Marketplace' }).first().click()
    await webview.locator('section.details').waitFor({ timeout: 30_000 })
    assert.equal(await webview.locator('.result').count(), shown)
    assert.equal(await query.inputValue().catch(async () => await webview.locator('#query').evaluate(el => (el as HTMLInputElement).value)), 'pairing wine with food for a restaurant menu')

    await webview.getByRole('tab', { name: 'Mesh' }).click()
    const peers = webview.locator('[data-figure="Peers"] dd')
    await waitFor('the mesh page shows the daemon as a peer', async () => Number(await peers.innerText().catch(() => '0')) >= 1, 60_000, 500)
    await waitFor('the topology graph is drawn', async () => Number(await webview.locator('#topology-graph').getAttribute('data-nodes')) >= 2, 30_000, 500)
    await p.screenshot({ path: path.join(artifacts, 'vscode-mesh.png') })

    assert.deepEqual(outside, [], 'no request left 127.0.0.1')
    assert.deepEqual(cspViolations, [], 'the page runs under the panel\'s CSP without violations')
  } catch (err) {
    await page?.screenshot({ path: path.join(artifacts, 'vscode-failure.png') }).catch(() => {})
    throw new Error(`${(err as Error).message}\n--- daemon\n${daemon.output().slice(-2000)}\n--- code-server\n${server?.output().slice(-2000) ?? ''}`, { cause: err })
  } finally {
    await browser?.close().catch(() => {})
    await server?.stop()
    await h.stopProcessGroup(daemon.child)
    rmSync(runDir, { recursive: true, force: true })
  }
})
