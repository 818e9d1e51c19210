// The CLI end to end: the real `continuum` command (dist bundle) against real nodes on loopback.
import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { writeFile, mkdir } from 'node:fs/promises'
import { createServer } from 'node:net'
import path from 'node:path'
import { parseAnnouncements } from '../src/node/bootstrap/announcements'
import { tempDir, waitFor } from './helpers/mesh'

const root = process.env.CONTINUUM_ROOT ?? path.resolve(__dirname, '..', '..')
const bin = path.join(root, 'bin', 'continuum.js')

before(() => {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--if-needed'], { encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
})

function cli (dataDir: string, ...args: string[]): { code: number, stdout: string, stderr: string } {
  const r = spawnSync(process.execPath, [bin, '--data-dir', dataDir, ...args], { encoding: 'utf8', timeout: 30_000 })
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

interface Daemon { child: ChildProcess, output: () => string, stop: () => Promise<number | null> }

function startDaemon (dataDir: string, ...args: string[]): Daemon {
  let out = ''
  const child = spawn(process.execPath, [bin, '--data-dir', dataDir, 'node', 'start', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--api-port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout!.on('data', d => { out += String(d) })
  child.stderr!.on('data', d => { out += String(d) })
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
  return {
    child,
    output: () => out,
    stop: async () => { if (child.exitCode === null) child.kill('SIGTERM'); return exited }
  }
}

test('node start, mesh status --json, mesh announce parsed back, a second node sees the first', async () => {
  const dirA = await tempDir()
  const dirB = await tempDir()
  const a = startDaemon(dirA)
  let b: Daemon | undefined
  try {
    await waitFor('node A API', () => a.output().includes('Local API:'), 20_000)
    const status = JSON.parse(cli(dirA, 'mesh', 'status', '--json').stdout) as Record<string, unknown>
    assert.match(String(status.peerId), /^12D3KooW/)
    assert.ok(Array.isArray(status.addresses) && status.addresses.length > 0)
    assert.equal(status.connectedPeers, 0)
    assert.equal(status.maxNeighbours, 8)
    assert.equal(typeof status.uptimeMs, 'number')

    const announce = cli(dirA, 'mesh', 'announce')
    assert.equal(announce.code, 0)
    const parsed = parseAnnouncements(announce.stdout)
    assert.deepEqual(parsed.problems, [])
    assert.ok(parsed.peers.length >= 2, 'a continuum:// line and a multiaddr line')
    assert.ok(parsed.peers.every(p => p.peerId === status.peerId))

    const uri = announce.stdout.split('\n').find(l => l.startsWith('continuum://'))!
    b = startDaemon(dirB, '--bootstrap', uri)
    await waitFor('node B API', () => b!.output().includes('Local API:'), 20_000)
    await waitFor('A sees B', () => (JSON.parse(cli(dirA, 'mesh', 'status', '--json').stdout) as { connectedPeers: number }).connectedPeers === 1, 20_000, 300)
    const human = cli(dirB, 'mesh', 'status')
    assert.match(human.stdout, /Connected peers:\s+1\n/)
    assert.match(human.stdout, /Found 1\/1 bootstrap nodes online/)
    const topo = cli(dirB, 'mesh', 'topology', '--graph')
    assert.match(topo.stdout, /this node/)
  } finally {
    assert.equal(await b?.stop() ?? 0, 0, 'B exits cleanly on SIGTERM')
    assert.equal(await a.stop(), 0, 'A exits cleanly on SIGTERM')
  }
})

test('bad inputs give one-line errors and exit code 1', async () => {
  const dir = await tempDir()
  // No node running for this data dir.
  const none = cli(dir, 'mesh', 'status')
  assert.equal(none.code, 1)
  assert.match(none.stderr, /^error: No node is running for data dir .*: start one with: continuum node start/)
  assert.equal(none.stderr.trim().split('\n').length, 1)

  // Invalid multiaddr.
  const badListen = cli(dir, 'node', 'start', '--listen', 'not-a-multiaddr', '--no-mdns', '--api-port', '0')
  assert.equal(badListen.code, 1)
  assert.match(badListen.stderr, /^error: Invalid --listen address "not-a-multiaddr"/)
  assert.doesNotMatch(badListen.stderr, /\n\s+at /, 'no stack trace without --verbose')

  // A port already in use.
  const blocker = createServer()
  await new Promise<void>(resolve => blocker.listen(0, '127.0.0.1', resolve))
  const port = (blocker.address() as { port: number }).port
  try {
    const busy = cli(dir, 'node', 'start', '--listen', `/ip4/127.0.0.1/tcp/${port}`, '--no-mdns', '--api-port', '0')
    assert.equal(busy.code, 1)
    assert.match(busy.stderr, /already in use/)
    assert.equal(busy.stderr.trim().split('\n').length, 1, busy.stderr)
  } finally {
    blocker.close()
  }

  // An unusable data dir (a path below a regular file).
  const file = path.join(dir, 'plain-file')
  await writeFile(file, 'x')
  const badDir = cli(path.join(file, 'sub'), 'node', 'start', '--no-mdns', '--api-port', '0')
  assert.equal(badDir.code, 1)
  assert.match(badDir.stderr, /^error: Cannot use data dir .*--data-dir/)

  // Bad --api-port value.
  const badPort = cli(dir, 'node', 'start', '--api-port', 'abc')
  assert.equal(badPort.code, 1)
  assert.match(badPort.stderr, /expected a port number/)
})

test('the local API refuses requests without the token', async () => {
  const dir = await tempDir()
  await mkdir(dir, { recursive: true })
  const d = startDaemon(dir)
  try {
    await waitFor('API', () => d.output().includes('Local API:'), 20_000)
    const url = /Local API: (\S+)/.exec(d.output())![1]
    const res = await fetch(`${url}/api/status`)
    assert.equal(res.status, 401)
    const body = await res.json() as { error: { message: string } }
    assert.match(body.error.message, /token/)
    const wrong = await fetch(`${url}/api/status`, { headers: { authorization: 'Bearer nope' } })
    assert.equal(wrong.status, 401)
  } finally {
    await d.stop()
  }
})

test('genome search over the demo catalog through the CLI: vineyard query returns viticulture first', async () => {
  const dir = await tempDir()
  const d = startDaemon(dir, '--sample-catalog')
  try {
    await waitFor('demo catalog imported', () => /Demo catalog: \d+ adapters imported/.test(d.output()), 120_000, 200)
    const query = "I'm building a vineyard management AI that needs grape cultivation, fermentation chemistry and wine production"
    const human = cli(dir, 'genome', 'search', query)
    assert.equal(human.code, 0, human.stderr)
    assert.match(human.stdout.split('\n')[0], /^ 1\. Viticulture Expert .*similarity/)

    const json = JSON.parse(cli(dir, 'genome', 'search', query, '--json', '--k', '5').stdout) as { results: Array<{ id: string, similarity: number, location: string }> }
    assert.equal(json.results.length, 5)
    assert.equal(json.results[0].id, 'viticulture-expert-v3')
    assert.equal(json.results[0].location, 'local')

    // A Spanish query finds the English adapters, and says what it was searched as.
    const es = cli(dir, 'genome', 'search', 'elaboración de cerveza artesanal en casa', '--k', '3')
    assert.equal(es.code, 0, es.stderr)
    assert.match(es.stdout.split('\n')[0], /^ 1\. .*Beer/i)
    assert.match(es.stdout, /searched in English words \(query language: es\): "beer brewing craft beer at home"/)

    const r = spawnSync(process.execPath, [bin, '--data-dir', dir, 'genome', 'search', '-', '--k', '3'], { input: 'async race conditions in javascript\n\nwine and cheese pairing\n', encoding: 'utf8' })
    assert.equal(r.status, 0, r.stderr)
    const lines = r.stdout.trim().split('\n').map(l => JSON.parse(l) as { query: string, results: unknown[] })
    assert.deepEqual(lines.map(l => l.query), ['async race conditions in javascript', 'wine and cheese pairing'])
    assert.ok(lines.every(l => l.results.length === 3))

    const list = cli(dir, 'genome', 'list', '--local')
    assert.match(list.stdout, /\d{3} adapters \(L = local/)

    const empty = cli(dir, 'genome', 'search', '  ')
    assert.equal(empty.code, 1)
    assert.match(empty.stderr, /^error: The query is empty/)

    const missing = cli(dir, 'genome', 'import', path.join(dir, 'missing.jsonl'))
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /^error: Cannot read .*missing\.jsonl \(ENOENT\)/)
  } finally {
    await d.stop()
  }
})
