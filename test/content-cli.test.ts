// The content CLI end to end: three `continuum node start` daemons on loopback; `genome publish` on
// one, `genome install <cid> --project ./demo` on another; the printed CID equals what Debian's
// independent `ipfs_cid` tool computes for the exported bundle bytes.
import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFile, readdir } from 'node:fs/promises'
import path from 'node:path'
import { tempDir, waitFor } from './helpers/mesh'

const root = process.env.CONTINUUM_ROOT ?? path.resolve(__dirname, '..', '..')
const bin = path.join(root, 'bin', 'continuum.js')
const SAMPLE = path.join(root, 'data', 'sample-catalog', 'peft', 'viticulture-notes-lora')

before(() => {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--if-needed'], { encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
})

function cli (dataDir: string, cwd: string, ...args: string[]): { code: number, stdout: string, stderr: string } {
  const r = spawnSync(process.execPath, [bin, '--data-dir', dataDir, ...args], { encoding: 'utf8', timeout: 60_000, cwd })
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

interface Daemon { child: ChildProcess, output: () => string, stop: () => Promise<number | null> }

function startDaemon (dataDir: string, ...args: string[]): Daemon {
  let out = ''
  const child = spawn(process.execPath, [bin, '--data-dir', dataDir, 'node', 'start', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--api-port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout!.on('data', d => { out += String(d) })
  child.stderr!.on('data', d => { out += String(d) })
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
  return { child, output: () => out, stop: async () => { if (child.exitCode === null) child.kill('SIGTERM'); return exited } }
}

function multiaddrOf (dataDir: string): string {
  const a = cli(dataDir, root, 'mesh', 'announce')
  const line = a.stdout.split('\n').find(l => l.startsWith('/ip4/127.0.0.1/tcp/') && !l.includes('/ws'))
  assert.ok(line !== undefined, a.stdout + a.stderr)
  return line
}

test('three daemons: publish on A, install <cid> --project ./demo on C, CID checked with ipfs_cid', async (t) => {
  const [dirA, dirB, dirC, work] = await Promise.all([tempDir(), tempDir(), tempDir(), tempDir('continuum-cli-work-')])
  const daemons: Daemon[] = []
  try {
    const a = startDaemon(dirA)
    daemons.push(a)
    await waitFor('node A API', () => a.output().includes('Local API:'), 30_000)
    const b = startDaemon(dirB, '--bootstrap', multiaddrOf(dirA))
    daemons.push(b)
    await waitFor('node B API', () => b.output().includes('Local API:'), 30_000)
    const c = startDaemon(dirC, '--bootstrap', multiaddrOf(dirB))
    daemons.push(c)
    await waitFor('node C API', () => c.output().includes('Local API:'), 30_000)
    await waitFor('C has DHT peers', () => /Routing table:\s+[1-9]/.test(cli(dirC, root, 'dht', 'stats').stdout), 30_000, 500)

    const pub = cli(dirA, root, 'genome', 'publish', SAMPLE, '--price', '2')
    assert.equal(pub.code, 0, pub.stderr)
    const cid = /ipfs:\/\/(b[a-z2-7]+)/.exec(pub.stdout)?.[1]
    assert.ok(cid !== undefined, pub.stdout)
    assert.match(pub.stdout, /Published viticulture-notes-lora@0\.1\.0/)
    // Provider records are out once a DHT peer took them (publish retries in the background if none could).
    await waitFor('A provided the bundle', () => (JSON.parse(cli(dirA, root, 'dht', 'stats', '--json').stdout) as { recordsProvided: number }).recordsProvided >= 1, 60_000, 1000)

    // Priced at 2 tokens: without an accepted price it is refused with one line naming the price, nothing installed.
    const refused = cli(dirC, work, 'genome', 'install', `ipfs://${cid}`, '--project', './demo')
    assert.equal(refused.code, 1, refused.stdout)
    assert.match(refused.stderr, /^error: 12D3KooW\w+\/viticulture-notes-lora@0\.1\.0 costs 2 tokens \(paid to its publisher\): to accept, install again with --max-price 2\n$/)
    await assert.rejects(readFile(path.join(work, 'demo', 'continuum.lock.json')))
    const inst = cli(dirC, work, 'genome', 'install', `ipfs://${cid}`, '--project', './demo', '--max-price', '2')
    assert.equal(inst.code, 0, `${inst.stderr}${inst.stdout}\n--- C:\n${c.output().slice(-3000)}\n--- A:\n${a.output().slice(-2000)}`)
    assert.match(inst.stdout, /Installed viticulture-notes-lora@0\.1\.0 \(ipfs:\/\/b[a-z2-7]+\) into demo\/\.continuum\/adapters\/viticulture-notes-lora@0\.1\.0/)
    const installed = path.join(work, 'demo', '.continuum', 'adapters', 'viticulture-notes-lora@0.1.0')
    assert.deepEqual((await readdir(installed)).sort(), ['README.md', 'adapter_config.json', 'adapter_model.safetensors', 'manifest.json'])
    for (const f of ['README.md', 'adapter_config.json', 'adapter_model.safetensors']) {
      const h = async (p: string): Promise<string> => createHash('sha256').update(await readFile(p)).digest('hex')
      assert.equal(await h(path.join(installed, f)), await h(path.join(SAMPLE, f)), f)
    }
    const lock = JSON.parse(await readFile(path.join(work, 'demo', 'continuum.lock.json'), 'utf8')) as { adapters: Record<string, { cid: string, publisher: string }> }
    assert.equal(lock.adapters['viticulture-notes-lora'].cid, cid)
    const peerA = (JSON.parse(cli(dirA, root, 'mesh', 'status', '--json').stdout) as { peerId: string }).peerId
    assert.equal(lock.adapters['viticulture-notes-lora'].publisher, peerA)

    const again = cli(dirC, work, 'genome', 'install', '--project', 'demo')
    assert.equal(again.code, 0, again.stderr)
    assert.match(again.stdout, /viticulture-notes-lora@0\.1\.0 is already installed/)
    const list = cli(dirC, work, 'genome', 'list', '--installed', '--project', 'demo')
    assert.match(list.stdout, new RegExp(`viticulture-notes-lora@0\\.1\\.0\\s+ipfs://${cid}`))

    const topic = cli(dirC, root, 'dht', 'find-topic', 'harvest-timing')
    assert.equal(topic.code, 0, topic.stderr)
    assert.ok(topic.stdout.includes(peerA), topic.stdout)
    const stats = cli(dirC, root, 'dht', 'stats', '--json')
    assert.ok((JSON.parse(stats.stdout) as { lookups: { count: number } }).lookups.count >= 1)

    const unknown = cli(dirC, work, 'genome', 'install', 'ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi', '--project', 'demo')
    assert.equal(unknown.code, 1)
    assert.match(unknown.stderr, /^error: ipfs:\/\/bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi not found on \d+ providers after \d+\.\d s( \(nor from \d+ connected peers? over Bitswap\))?\n$/)

    // The independent check: the exported bundle's CID according to Debian's ipfs_cid.
    const tar = path.join(work, 'bundle.tar')
    const exp = cli(dirC, work, 'genome', 'export', cid, tar)
    assert.equal(exp.code, 0, exp.stderr)
    const tool = spawnSync('ipfs_cid', [tar], { encoding: 'utf8' })
    if (tool.error !== undefined) {
      t.skip('independent CID check skipped: ipfs_cid is not installed (apt-get install ipfs-cid)')
    } else {
      assert.equal((JSON.parse(tool.stdout) as { CIDv1: string }).CIDv1, cid)
    }

    const rm = cli(dirC, work, 'genome', 'remove', 'viticulture-notes-lora', '--project', 'demo')
    assert.equal(rm.code, 0, rm.stderr)
    assert.match(cli(dirC, work, 'genome', 'list', '--installed', '--project', 'demo').stdout, /No adapters installed/)
  } finally {
    for (const d of daemons.reverse()) assert.equal(await d.stop(), 0, 'daemon exits cleanly')
  }
})
