// The first ten minutes of a new user: `npm start` serves the web UI, Ctrl+C during start-up stops cleanly,
// `genome import` tells scripts when it skipped lines, and a search during the demo import says the catalog
// is still loading instead of "no match".
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createEmbedder } from '../src/node/embedding'
import { AdapterCatalog } from '../src/node/catalog/catalog'
import { findSampleCatalog } from '../src/node/catalog/sample'
import { createLogger } from '../src/node/util/logger'
import { formatResults, loadingNote } from '../src/node/cli/genome'
import { countOf, formatTokens } from '../webview-ui/src/format'
import semver from 'semver'
import { tempDir, waitFor } from './helpers/mesh'

const root = process.env.CONTINUUM_ROOT ?? path.resolve(__dirname, '..', '..')
const bin = path.join(root, 'bin', 'continuum.js')
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

interface Proc { child: ChildProcess, output: () => string, exited: Promise<number | null> }

function run (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  let out = ''
  // Own process group, so the test can signal npm and the node it started together, as a terminal's Ctrl+C does.
  const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  child.stdout!.on('data', d => { out += String(d) })
  child.stderr!.on('data', d => { out += String(d) })
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
  return { child, output: () => out, exited }
}

function signalGroup (p: Proc, sig: NodeJS.Signals): void {
  try { process.kill(-p.child.pid!, sig) } catch { /* already gone */ }
}

test('npm start (as the README says) prints the Web UI URL and the page and its script load', async () => {
  const home = await tempDir()
  // Loopback and any free port instead of the default 0.0.0.0:4101, so parallel test runs never collide.
  const p = run(npm, ['start', '--', '--no-mdns', '--api-port', '0', '--listen', '/ip4/127.0.0.1/tcp/0'], { CONTINUUM_HOME: home })
  try {
    await waitFor('the Web UI line', () => /Web UI:\s+http/.test(p.output()), 120_000, 200)
    const url = /Web UI:\s+(\S+)/.exec(p.output())![1]
    const page = await fetch(url)
    assert.equal(page.status, 200)
    assert.match(page.headers.get('content-type') ?? '', /text\/html/)
    const html = await page.text()
    const script = /<script[^>]+src="([^"]+)"/.exec(html)
    assert.ok(script !== null, 'the page loads its app bundle')
    const js = await fetch(new URL(script[1], url))
    assert.equal(js.status, 200)
    assert.ok((await js.text()).length > 10_000, 'the app bundle is served')
    const token = new URL(url).searchParams.get('token')!
    const status = await fetch(new URL('/api/status', url), { headers: { authorization: `Bearer ${token}` } })
    assert.equal(status.status, 200, 'the token in the printed URL opens the API')
  } finally {
    // Ctrl+C in the terminal: the whole group gets SIGINT; the node stops cleanly and npm exits with its code.
    signalGroup(p, 'SIGINT')
    await p.exited // npm itself re-raises the signal, so its own exit code says nothing about the node
    assert.match(p.output(), /Received SIGINT, stopping…/)
    assert.doesNotMatch(p.output(), /error while stopping|terminate called/)
  }
})

test('SIGTERM during start-up (demo catalog importing) stops cleanly, and the next start works', async () => {
  const dir = await tempDir()
  const args = [bin, '--data-dir', dir, 'node', 'start', '--sample-catalog', '--no-mdns', '--api-port', '0', '--listen', '/ip4/127.0.0.1/tcp/0']
  const p = run(process.execPath, args)
  // The node logs its addresses just before the demo import starts in the background.
  await waitFor('the node to listen', () => /listening on/.test(p.output()), 60_000, 20)
  p.child.kill('SIGTERM')
  const code = await p.exited
  assert.equal(code, 0, p.output().slice(-2000))
  assert.match(p.output(), /Received SIGTERM, stopping…/)
  assert.doesNotMatch(p.output(), /terminate called|Aborted|Napi::Error/)

  const again = run(process.execPath, args)
  try {
    await waitFor('the restarted node to import the demo catalog', () => /Demo catalog: \d+ adapters imported/.test(again.output()), 120_000, 200)
  } finally {
    again.child.kill('SIGTERM')
    assert.equal(await again.exited, 0, again.output().slice(-2000))
  }
})

test('genome import exits 1 when nothing was imported and 2 when some lines were skipped', async () => {
  const dir = await tempDir()
  const d = run(process.execPath, [bin, '--data-dir', dir, 'node', 'start', '--no-mdns', '--api-port', '0', '--listen', '/ip4/127.0.0.1/tcp/0'])
  try {
    await waitFor('API', () => d.output().includes('Local API:'), 60_000)
    // A valid line: the demo catalog's first entry under a new id.
    const first = JSON.parse((await readFile(findSampleCatalog(__dirname)!, 'utf8')).split('\n')[0]) as Record<string, unknown>
    const good = JSON.stringify({ ...first, id: 'import-exit-ok', name: 'Import exit test' })
    const partial = path.join(dir, 'partial.jsonl')
    await writeFile(partial, `${good}\nnot json\n{"id":"x"}\n`)
    const bad = path.join(dir, 'bad.jsonl')
    await writeFile(bad, 'not json\n{"id":"x"}\n')
    const cli = (...a: string[]): { code: number | null, stdout: string, stderr: string } => {
      const r = spawnSync(process.execPath, [bin, '--data-dir', dir, ...a], { encoding: 'utf8', timeout: 60_000 })
      return { code: r.status, stdout: r.stdout, stderr: r.stderr }
    }
    const some = cli('genome', 'import', partial)
    assert.equal(some.code, 2, some.stdout + some.stderr)
    assert.match(some.stdout, /Imported 1, .*skipped 2/)
    assert.match(some.stdout, /partial\.jsonl:2: not valid JSON/)
    const again = cli('genome', 'import', partial, '--json')
    assert.equal(again.code, 2, 'the JSON report exits the same way')
    assert.equal((JSON.parse(again.stdout) as { unchanged: number }).unchanged, 1)
    const none = cli('genome', 'import', bad)
    assert.equal(none.code, 1, none.stdout + none.stderr)
    assert.match(none.stdout, /Imported 0, .*skipped 2/)
    const empty = path.join(dir, 'empty.jsonl')
    await writeFile(empty, '\n')
    const nothing = cli('genome', 'import', empty)
    assert.equal(nothing.code, 1)
    assert.match(nothing.stderr, /^error: .*empty\.jsonl holds no adapters/)
  } finally {
    d.child.kill('SIGTERM')
    await d.exited
  }
})

test('a search while an import is running says the catalog is loading, and stops saying so when it is done', async () => {
  const embedder = createEmbedder()
  const dir = await tempDir()
  const catalog = new AdapterCatalog({ dir: path.join(dir, 'catalog'), privateKey: await generateKeyPair('Ed25519'), embedder, log: createLogger() })
  await catalog.open()
  try {
    let total = 0
    let firstProgress!: () => void
    const progressed = new Promise<void>(resolve => { firstProgress = resolve })
    const importing = catalog.import(findSampleCatalog(__dirname)!, { onProgress: (_done, t) => { total = t; firstProgress() } })
    await progressed
    const during = await catalog.search({ text: 'wine pairing for a restaurant menu' })
    assert.ok(during.loading !== undefined, 'the outcome says an import is under way')
    assert.equal(during.loading.total, total)
    assert.ok(during.loading.done < total)
    const shown = formatResults({ query: 'wine', truncated: false, elapsedMs: 1, results: [], loading: during.loading })
    assert.match(shown, /^No adapters match "wine" yet: catalog loading: \d+ of \d+ imported/)
    const report = await importing
    assert.ok(report.imported > 300)
    const after = await catalog.search({ text: 'wine pairing for a restaurant menu' })
    assert.equal(after.loading, undefined)
    assert.ok(after.hits.length > 0)
    assert.equal(loadingNote(after.loading), undefined)
  } finally {
    await catalog.close()
    await embedder.close()
  }
})

test('the web UI writes "1 token", not "1 tokens"', () => {
  assert.equal(formatTokens(1), '1 token')
  assert.equal(formatTokens(0), '0 tokens')
  assert.equal(formatTokens(1.5), '1.5 tokens')
  assert.equal(formatTokens(1200), '1,200 tokens')
  assert.equal(countOf(1, 'download'), '1 download')
  assert.equal(countOf(3, 'peer'), '3 peers')
})

test('every installed package runs on the oldest Node the project declares (no EBADENGINE on npm install)', async () => {
  const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { engines: { node: string } }
  const lock = JSON.parse(await readFile(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { engines?: unknown }> }
  const oldest = semver.minVersion(pkg.engines.node)!.version
  const refusing = Object.entries(lock.packages)
    .filter(([name, p]) => name !== '' && typeof (p.engines as { node?: unknown } | undefined)?.node === 'string')
    .filter(([, p]) => !semver.satisfies(oldest, (p.engines as { node: string }).node))
    .map(([name, p]) => `${name} (${(p.engines as { node: string }).node})`)
  assert.deepEqual(refusing, [], `these need a newer Node than ${oldest}`)
})
