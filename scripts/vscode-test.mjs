// The extension's integration test in a real VS Code (code-server in headless Chromium), offline and on
// 127.0.0.1 only:
//   1. builds and packs the VSIX (scripts/package.mjs) and installs it into a fresh code-server profile;
//   2. starts a second node — the CLI daemon with the demo catalog and no gossip — and publishes a real PEFT adapter on it;
//   3. opens a copy of test/vscode/fixtures/sample-project with the daemon as the extension's bootstrap peer;
//   4. runs test/vscode/suite inside the extension host (the `extensionTestsPath` payload), reading the
//      result through the workbench's codeAutomationLog / codeAutomationExit hooks;
//   5. saves a screenshot of the workbench with the Continuum sidebar open.
// Usage: node scripts/vscode-test.mjs [--keep]   → prints one JSON line { exitCode, results, screenshot, log }
// Artifacts: .test-artifacts/vscode/{workbench.png,log.txt}
/* global fetch, AbortController, Buffer, clearTimeout */
import { spawn, spawnSync } from 'node:child_process'
import { build } from 'esbuild'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import path from 'node:path'
import { ensureCodeServer } from './code-server.mjs'
import { nodeBundle, workerEntryPoints } from './esbuild-options.mjs'
import { packageExtension } from './package.mjs'

const root = path.resolve(import.meta.dirname, '..')
const artifacts = path.join(root, '.test-artifacts', 'vscode')
const EXTENSION_ID = 'continuum.continuum-mesh'
const RUN_TIMEOUT_MS = 4 * 60_000
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage']

const log = m => console.error(`vscode-test: ${m}`)
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

export async function freePort () {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)) })
  })
}

export function findChromium () {
  for (const c of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']) {
    if (c !== undefined && c !== '' && existsSync(c)) return c
  }
  throw new Error('Chromium not found: install Debian\'s chromium (apt-get install chromium), or set CHROMIUM_PATH')
}

/** An isolated environment for code-server: its own HOME, XDG folders and TMPDIR under `dir`. */
export function isolatedEnv (dir, extra = {}) {
  const env = { ...process.env }
  for (const k of Object.keys(env)) if (k.startsWith('VSCODE_') || k.startsWith('ELECTRON_')) delete env[k]
  for (const d of ['home', 'tmp', 'xdg/config', 'xdg/data', 'xdg/cache']) mkdirSync(path.join(dir, d), { recursive: true })
  return {
    ...env,
    HOME: path.join(dir, 'home'),
    TMPDIR: path.join(dir, 'tmp'),
    XDG_CONFIG_HOME: path.join(dir, 'xdg/config'),
    XDG_DATA_HOME: path.join(dir, 'xdg/data'),
    XDG_CACHE_HOME: path.join(dir, 'xdg/cache'),
    // No extension gallery: nothing may leave this machine.
    EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: 'http://127.0.0.1:9/gallery', itemUrl: 'http://127.0.0.1:9/items' }),
    ...extra
  }
}

/**
 * Writes settings for a code-server profile. The extension runs on the server side, where machine-scoped
 * settings (listen address and port, mDNS) come from Machine/settings.json, not from the user's settings.
 */
export function writeSettings (userDataDir, settings) {
  for (const scope of ['User', 'Machine']) {
    mkdirSync(path.join(userDataDir, scope), { recursive: true })
    writeFileSync(path.join(userDataDir, scope, 'settings.json'), JSON.stringify(settings, null, 2))
  }
}

/** Installs a VSIX into an extensions dir; returns the installed extension's folder. */
export function installVsix (cs, vsix, { extensionsDir, userDataDir, env }) {
  const res = spawnSync(cs.node, [cs.codeServer, '--extensions-dir', extensionsDir, '--user-data-dir', userDataDir, '--install-extension', vsix, '--force'], { env, encoding: 'utf8' })
  if (res.status !== 0) throw new Error(`installing ${vsix} into code-server failed:\n${res.stdout}\n${res.stderr}`)
  const dir = readdirSync(extensionsDir).find(d => d.startsWith(`${EXTENSION_ID}-`))
  if (dir === undefined) throw new Error(`the VSIX installed, but no ${EXTENSION_ID}-* folder is in ${extensionsDir}`)
  return path.join(extensionsDir, dir)
}

/** Starts code-server on 127.0.0.1:port and waits until it answers. */
export async function startCodeServer (cs, { port, userDataDir, extensionsDir, env, folder, smokeTestDriver = false, logFile }) {
  const args = [cs.codeServer, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override']
  if (smokeTestDriver) args.push('--vscode-option', 'enable-smoke-test-driver')
  if (folder !== undefined) args.push(folder)
  const out = []
  const child = spawn(cs.node, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  const keep = chunk => { out.push(chunk.toString()); if (logFile !== undefined) writeFileSync(logFile, out.join('')) }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`code-server exited (${child.exitCode}):\n${out.join('')}`)
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`)
      if (res.ok) break
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error(`code-server did not answer on 127.0.0.1:${port} within 60 s:\n${out.join('')}`)
    await sleep(250)
  }
  return { child, output: () => out.join(''), stop: () => stopProcessGroup(child) }
}

/** Ends a child we started, and its children (it was started as a process group leader). */
export async function stopProcessGroup (child, signal = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise(resolve => child.once('exit', resolve))
  try { process.kill(-child.pid, signal) } catch { return }
  const timer = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL') } catch { /* gone */ } }, 10_000)
  await exited
  clearTimeout(timer)
}

/**
 * Starts the CLI daemon with the demo catalog on loopback; resolves with its address once it has imported it.
 * It runs no catalog gossip: its adapters reach the extension only through flood search, so the suite's
 * network checks fail when flood search is broken.
 */
function startDaemon (cli, dataDir, env) {
  const catalog = path.join(root, 'data', 'sample-catalog', 'catalog.jsonl')
  const child = spawn(process.execPath, [cli, '--data-dir', dataDir, 'node', 'start', '--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0', '--no-mdns', '--no-gossip', '--sample-catalog', catalog], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', c => { out += c.toString() })
  child.stderr.on('data', c => { out += c.toString() })
  const ready = (async () => {
    const deadline = Date.now() + 180_000
    for (;;) {
      const address = out.match(/Address:\s+(continuum:\/\/peer:(\w+)@127\.0\.0\.1:\d+)/)
      if (address !== null && /Demo catalog: \d+ adapters imported/.test(out)) return { address: address[1], peerId: address[2] }
      if (child.exitCode !== null) throw new Error(`the daemon exited (${child.exitCode}):\n${out}`)
      if (Date.now() > deadline) throw new Error(`the daemon did not start and import the demo catalog within 180 s:\n${out}`)
      await sleep(200)
    }
  })()
  return { child, ready, output: () => out }
}

/**
 * Publishes a real PEFT adapter on the daemon through its local API (the content feature). Resolves once the
 * bundle is stored and hosted (the `providing` stage): announcing it on the DHT can take minutes on a
 * two-node mesh, and the extension resolves the adapter from its connected peer meanwhile. `finished` settles
 * when the publish call ends (with the CID), or when `signal` aborts it.
 */
function publishOnDaemon (dataDir, signal) {
  const folder = path.join(root, 'data', 'sample-catalog', 'peft', 'viticulture-notes-lora')
  const { url, token } = JSON.parse(readFileSync(path.join(dataDir, 'api.json'), 'utf8'))
  let hosted
  const isHosted = new Promise(resolve => { hosted = resolve })
  const finished = (async () => {
    const res = await fetch(`${url}/api/genome/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ path: folder }),
      signal
    })
    if (!res.ok) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`)
    // NDJSON: { type: 'progress', stage } records, then { type: 'done', cid, id, name, version, … }.
    let buffered = ''
    for await (const chunk of res.body) {
      buffered += Buffer.from(chunk).toString('utf8')
      let nl
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const rec = JSON.parse(buffered.slice(0, nl))
        buffered = buffered.slice(nl + 1)
        if (rec.type === 'error') throw new Error(JSON.stringify(rec))
        if (rec.stage === 'providing') hosted({ id: 'viticulture-notes-lora' })
        if (rec.type === 'done') {
          const done = { cid: rec.cid, id: rec.id, name: rec.name, version: rec.version }
          hosted(done)
          return done
        }
      }
    }
    throw new Error('the publish stream ended without a result')
  })()
  finished.catch(err => hosted(Promise.reject(err)))
  return { hosted: isHosted, finished }
}

export async function runVsCodeTests ({ keep = false } = {}) {
  const started = Date.now()
  const cs = ensureCodeServer({ log })
  const runDir = path.join(cs.cacheDir, 'runs', `${Date.now()}-${process.pid}`)
  mkdirSync(runDir, { recursive: true })
  mkdirSync(artifacts, { recursive: true })
  const vsix = path.join(runDir, 'continuum.vsix')
  const suite = path.join(runDir, 'suite.js')
  const env = isolatedEnv(runDir)
  const daemonDir = path.join(runDir, 'daemon')
  // The daemon's bundle lives outside the repo tree when the cache does: tell it where the model and packages are.
  const cliEnv = { ...process.env, CONTINUUM_HOME: daemonDir, CONTINUUM_MODEL_DIR: path.join(root, 'models', 'all-MiniLM-L6-v2'), NODE_PATH: path.join(root, 'node_modules') }
  let daemon
  let server
  let browser
  let publishing
  const stopPublishing = new AbortController()
  const logLines = []
  const results = path.join(runDir, 'results.txt')
  const screenshot = path.join(artifacts, 'workbench.png')
  rmSync(screenshot, { force: true })
  try {
    // The daemon runs its own CLI bundle (not dist/, which other builds may be rewriting); it embeds the
    // demo catalog while the VSIX is packed.
    const cli = path.join(runDir, 'cli', 'cli.js')
    await build({ ...nodeBundle, entryPoints: [path.join(root, 'src', 'node', 'cli', 'main.ts')], outfile: cli, sourcemap: false, logLevel: 'error' })
    for (const w of workerEntryPoints) await build({ ...nodeBundle, entryPoints: [w.in], outfile: path.join(runDir, 'cli', `${w.out}.cjs`), sourcemap: false, logLevel: 'error' })
    daemon = startDaemon(cli, daemonDir, cliEnv)
    daemon.ready.catch(() => {})
    const { size } = await packageExtension({ out: vsix, log })
    // The suite runs inside the extension host: one CJS bundle, `vscode` left to the host.
    await build({ ...nodeBundle, entryPoints: [path.join(root, 'test', 'vscode', 'suite', 'index.ts')], outfile: suite, sourcemap: 'inline' })
    Object.assign(daemon, await daemon.ready)
    log(`daemon ${daemon.address} (${Math.round((Date.now() - started) / 1000)} s)`)
    // Publish in the background and hand the adapter to the suite through a file once the daemon hosts it.
    const publishedFile = path.join(runDir, 'published.json')
    publishing = publishOnDaemon(daemonDir, stopPublishing.signal)
    publishing.hosted.then(p => {
      log(`daemon hosts ${p.id}`)
      writeFileSync(publishedFile, JSON.stringify(p))
    }, err => { log(`publishing on the daemon failed: ${err.message}`); writeFileSync(publishedFile, 'null') })
    publishing.finished.then(p => log(`daemon published ${p.name} ipfs://${p.cid}`), () => {})

    const userDataDir = path.join(runDir, 'user-data')
    const extensionsDir = path.join(runDir, 'extensions')
    writeSettings(userDataDir, {
      'continuum.network.listenAddress': '127.0.0.1',
      'continuum.network.listenPort': 0,
      'continuum.network.mdns': false,
      'continuum.network.bootstrapPeers': [daemon.address],
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'telemetry.telemetryLevel': 'off',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'update.mode': 'none',
      'security.workspace.trust.enabled': false,
      'workbench.secondarySideBar.defaultVisibility': 'hidden'
    })
    const extDir = installVsix(cs, vsix, { extensionsDir, userDataDir, env })
    mkdirSync(path.join(extDir, 'out', 'test'), { recursive: true })
    cpSync(suite, path.join(extDir, 'out', 'test', 'index.js'))
    const workspace = path.join(runDir, 'sample-project')
    cpSync(path.join(root, 'test', 'vscode', 'fixtures', 'sample-project'), workspace, { recursive: true })

    const port = await freePort()
    const request = path.join(runDir, 'screenshot.request')
    server = await startCodeServer(cs, {
      port,
      userDataDir,
      extensionsDir,
      smokeTestDriver: true,
      logFile: path.join(runDir, 'code-server.log'),
      env: {
        ...env,
        CONTINUUM_TEST_DAEMON_PEER: daemon.peerId,
        CONTINUUM_TEST_PUBLISHED_FILE: publishedFile,
        CONTINUUM_TEST_SCREENSHOT: request,
        CONTINUUM_VSCODE_RESULTS: results
      }
    })
    log(`code-server on 127.0.0.1:${port} (${Math.round((Date.now() - started) / 1000)} s)`)

    const { chromium } = await import('playwright-core')
    browser = await chromium.launch({ executablePath: findChromium(), headless: true, args: CHROMIUM_ARGS })
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
    // Loopback only: the workbench must not fetch anything from elsewhere.
    await page.route('**/*', route => {
      const u = new URL(route.request().url())
      return ['127.0.0.1', 'localhost'].includes(u.hostname) || u.protocol === 'data:' || u.protocol === 'blob:' ? route.continue() : route.abort()
    })
    let exitCode
    const exited = new Promise(resolve => {
      void page.exposeFunction('codeAutomationExit', code => { exitCode = code; resolve(code) })
    })
    await page.exposeFunction('codeAutomationLog', (level, message) => { logLines.push(`${level}: ${typeof message === 'string' ? message : JSON.stringify(message)}`) })
    const remote = `vscode-remote://127.0.0.1:${port}`
    const payload = [['extensionDevelopmentPath', `${remote}${extDir}`], ['extensionTestsPath', `${remote}${extDir}/out/test/index.js`]]
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`)

    // Until the suite exits: answer its screenshot request.
    const deadline = Date.now() + RUN_TIMEOUT_MS
    let shot = false
    while (exitCode === undefined) {
      if (!shot && existsSync(request)) {
        await page.screenshot({ path: screenshot })
        writeFileSync(`${request}.done`, 'ok')
        shot = true
        log(`screenshot saved to ${path.relative(root, screenshot)}`)
      }
      if (Date.now() > deadline) throw new Error(`the extension tests did not finish within ${RUN_TIMEOUT_MS / 1000} s`)
      await Promise.race([exited, sleep(250)])
    }
    const resultLines = existsSync(results) ? readFileSync(results, 'utf8').trim().split('\n') : []
    writeFileSync(path.join(artifacts, 'log.txt'), [
      `VSIX: ${(size / 1024 / 1024).toFixed(1)} MiB`, `exit code: ${exitCode}`, '', '--- results', ...resultLines,
      '', '--- workbench log', ...logLines, '', '--- code-server', server.output(), '', '--- daemon', daemon.output()
    ].join('\n'))
    log(`done in ${Math.round((Date.now() - started) / 1000)} s, exit code ${exitCode}`)
    return { exitCode, results: resultLines, screenshot: existsSync(screenshot) ? screenshot : undefined, log: path.join(artifacts, 'log.txt'), vsixBytes: size }
  } finally {
    stopPublishing.abort()
    await publishing?.finished.catch(() => {})
    await browser?.close().catch(() => {})
    if (server !== undefined) await server.stop()
    if (daemon !== undefined) await stopProcessGroup(daemon.child)
    if (!keep) rmSync(runDir, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runVsCodeTests({ keep: process.argv.includes('--keep') }).then(r => {
    console.log(JSON.stringify(r))
    process.exit(r.exitCode === 0 ? 0 : 1)
  }, err => {
    console.error(`vscode-test: ${err.stack ?? err.message}`)
    process.exit(1)
  })
}
