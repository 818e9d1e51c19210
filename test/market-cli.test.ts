// The market from the command line: two real `continuum node start` processes on loopback. A runs
// `compute start-provider --backend embeddings`, B sees it in `market list`, `ai embed` with too low a
// --max-price is a one-line error naming the price, with enough it is served by A and paid.
import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { tempDir, waitFor } from './helpers/mesh'

const root = process.env.CONTINUUM_ROOT ?? path.resolve(__dirname, '..', '..')
const bin = path.join(root, 'bin', 'continuum.js')
const env = { ...process.env, CONTINUUM_JOIN_DIFFICULTY: '8' }

before(() => {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--if-needed'], { encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
})

function cli (dataDir: string, ...args: string[]): { code: number, stdout: string, stderr: string } {
  const r = spawnSync(process.execPath, [bin, '--data-dir', dataDir, ...args], { encoding: 'utf8', timeout: 60_000, env })
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

function json<T> (dataDir: string, ...args: string[]): T {
  const r = cli(dataDir, ...args, '--json')
  assert.equal(r.code, 0, r.stderr)
  return JSON.parse(r.stdout) as T
}

function startDaemon (dataDir: string, ...args: string[]): { child: ChildProcess, output: () => string, stop: () => Promise<void> } {
  let out = ''
  const child = spawn(process.execPath, [bin, '--data-dir', dataDir, 'node', 'start', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--api-port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env })
  child.stdout!.on('data', d => { out += String(d) })
  child.stderr!.on('data', d => { out += String(d) })
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  return { child, output: () => out, stop: async () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM'); await exited } }
}

test('compute start-provider, market list, ai embed (refused under the price, then served and paid) and stop-provider', async () => {
  const dirA = await tempDir()
  const dirB = await tempDir()
  const a = startDaemon(dirA)
  let b: ReturnType<typeof startDaemon> | undefined
  try {
    await waitFor('node A API', () => a.output().includes('Local API:'), 30_000)
    const uri = cli(dirA, 'mesh', 'announce').stdout.split('\n').find(l => l.startsWith('continuum://'))!
    b = startDaemon(dirB, '--bootstrap', uri)
    await waitFor('node B API', () => b!.output().includes('Local API:'), 30_000)
    await waitFor('both joined', () => json<{ joined: boolean }>(dirA, 'wallet', 'balance').joined && json<{ joined: boolean }>(dirB, 'wallet', 'balance').joined, 30_000, 300)
    const idA = json<{ account: string }>(dirA, 'wallet', 'balance').account

    const started = cli(dirA, 'compute', 'start-provider', '--backend', 'embeddings', '--price-per-request', '1.5')
    assert.equal(started.code, 0, started.stderr)
    assert.match(started.stdout, /^Providing embeddings \(all-MiniLM-L6-v2\) at 1\.5 tokens per request$/m)
    await waitFor('B lists A\'s offer', () => json<Array<{ provider: string }>>(dirB, 'market', 'list').some(l => l.provider === idA), 30_000, 300)
    assert.match(cli(dirB, 'market', 'list', '--type', 'inference').stdout, /1\.5 \/ request\s+inference\s+embeddings \(all-MiniLM-L6-v2\)\s+avail 50%/)
    const bad = cli(dirB, 'market', 'list', '--type', 'gpu')
    assert.equal(bad.code, 1)

    const low = cli(dirB, 'ai', 'embed', 'hello world', '--max-price', '1')
    assert.equal(low.code, 1)
    assert.match(low.stderr, /^error: No provider offers embeddings for 1 tokens or less: the cheapest asks 1\.5 tokens \(raise --max-price\)\n$/)

    const served = json<{ provider: string, cost: number, vectors: number[][] }>(dirB, 'ai', 'embed', 'hello world', 'beer brewing', '--max-price', '2')
    assert.equal(served.provider, idA)
    assert.equal(served.cost, 1.5)
    assert.deepEqual(served.vectors.map(v => v.length), [384, 384])
    await waitFor('A got 1.5 and the 0.75 reward', () => json<{ balance: number }>(dirA, 'wallet', 'balance').balance === 102.25, 30_000, 300)
    assert.equal(json<{ balance: number }>(dirB, 'wallet', 'balance').balance, 98.5)

    assert.match(cli(dirA, 'compute', 'stop-provider').stdout, /^Stopped embeddings$/m)
    await waitFor('B no longer lists A', () => !json<Array<{ provider: string }>>(dirB, 'market', 'list').some(l => l.provider === idA), 30_000, 300)
  } finally {
    await b?.stop()
    await a.stop()
  }
})
