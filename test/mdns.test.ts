// mDNS discovery between two nodes. Multicast must not leave this machine, so both nodes run in a
// private network namespace whose only interface is its own loopback (with multicast switched on).
// Where namespaces cannot be made (not root, no iproute2), the test is skipped with the reason.
import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { tempDir, waitFor } from './helpers/mesh'

const root = process.env.CONTINUUM_ROOT ?? path.resolve(__dirname, '..', '..')
const bin = path.join(root, 'bin', 'continuum.js')

function sh (...args: string[]): { ok: boolean, err: string } {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8' })
  return { ok: r.status === 0, err: (r.stderr ?? r.error?.message ?? '').trim() }
}

function makeNamespace (name: string): string | null {
  if (process.getuid?.() !== 0) return 'network namespaces need root'
  const steps = [
    ['ip', 'netns', 'add', name],
    ['ip', 'netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up'],
    ['ip', 'netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'multicast', 'on'],
    ['ip', 'netns', 'exec', name, 'ip', 'route', 'add', '224.0.0.0/4', 'dev', 'lo']
  ]
  for (const s of steps) {
    const r = sh(...s)
    if (!r.ok) { sh('ip', 'netns', 'del', name); return `cannot set up a network namespace (${s.join(' ')}: ${r.err})` }
  }
  return null
}

before(() => {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--if-needed'], { encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
})

test('two nodes find each other through mDNS on the local network', async t => {
  const ns = `continuum-${randomBytes(3).toString('hex')}`
  const problem = makeNamespace(ns)
  if (problem !== null) {
    console.log(`# mDNS test skipped: ${problem}`)
    t.skip(problem)
    return
  }
  const children: ChildProcess[] = []
  try {
    const dirs = [await tempDir(), await tempDir()]
    const outputs = ['', '']
    dirs.forEach((dir, i) => {
      const child = spawn('ip', ['netns', 'exec', ns, process.execPath, bin, '--data-dir', dir, 'node', 'start', '--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] })
      child.stdout!.on('data', d => { outputs[i] += String(d) })
      child.stderr!.on('data', d => { outputs[i] += String(d) })
      children.push(child)
    })
    interface Status { connectedPeers: number, bootstrap?: { strategies: Array<{ strategy: string, found: number }> } }
    const status = (dir: string): Status => {
      const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, bin, '--data-dir', dir, 'mesh', 'status', '--json'], { encoding: 'utf8' })
      return r.status === 0 ? JSON.parse(r.stdout) : { connectedPeers: -1 }
    }
    await waitFor('both nodes running', () => outputs.every(o => o.includes('Local API:')), 20_000)
    await waitFor('the nodes to discover and connect to each other', () => status(dirs[0]).connectedPeers === 1 && status(dirs[1]).connectedPeers === 1, 30_000, 500)
    // Nothing but mDNS could have connected them; at least the side that dialed counts the other
    // (the dialed side may see the connection before its own query is answered).
    const found = (dir: string): number => status(dir).bootstrap?.strategies.find(s => s.strategy === 'mdns')?.found ?? 0
    await waitFor('an mDNS report to count the other node', () => dirs.some(d => found(d) === 1), 30_000, 500)
    assert.ok(dirs.every(d => found(d) <= 1), 'no phantom peers')
    // The log line travels through a pipe and may arrive after the API already reports the peer.
    await waitFor('the log to say so', () => /Found 1 peer on local network/.test(outputs.join('\n')), 10_000, 100)
  } finally {
    for (const c of children) c.kill('SIGTERM')
    await Promise.all(children.map(c => new Promise(resolve => c.exitCode !== null ? resolve(null) : c.once('exit', resolve))))
    sh('ip', 'netns', 'del', ns)
  }
})
