// The wallet end to end: two real `continuum node start` processes on loopback, the `continuum wallet`
// commands and the local API; then kill -9 in the middle of a stream of payments.
import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { tempDir, waitFor } from './helpers/mesh'

const root = process.env.CONTINUUM_ROOT ?? path.resolve(__dirname, '..', '..')
const bin = path.join(root, 'bin', 'continuum.js')
const SAMPLE = path.join(root, 'data', 'sample-catalog', 'peft', 'viticulture-notes-lora')
// A local test network: joins cost 2^8 hashes instead of ~1 s.
const env = { ...process.env, CONTINUUM_JOIN_DIFFICULTY: '8' }

before(() => {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--if-needed'], { encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
})

function cli (dataDir: string, ...args: string[]): { code: number, stdout: string, stderr: string } {
  const r = spawnSync(process.execPath, [bin, '--data-dir', dataDir, ...args], { encoding: 'utf8', timeout: 30_000, env })
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

function json<T> (dataDir: string, ...args: string[]): T {
  const r = cli(dataDir, ...args, '--json')
  assert.equal(r.code, 0, r.stderr)
  return JSON.parse(r.stdout) as T
}

interface Daemon { child: ChildProcess, output: () => string, stop: () => Promise<number | null>, kill9: () => Promise<void> }

function startDaemon (dataDir: string, ...args: string[]): Daemon {
  let out = ''
  const child = spawn(process.execPath, [bin, '--data-dir', dataDir, 'node', 'start', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--api-port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env })
  child.stdout!.on('data', d => { out += String(d) })
  child.stderr!.on('data', d => { out += String(d) })
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
  return {
    child,
    output: () => out,
    stop: async () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM'); return await exited },
    kill9: async () => { child.kill('SIGKILL'); await exited }
  }
}

async function api (dataDir: string): Promise<(method: string, pathname: string, body?: unknown) => Promise<{ status: number, body: unknown }>> {
  const info = JSON.parse(await readFile(path.join(dataDir, 'api.json'), 'utf8')) as { url: string, token: string }
  return async (method, pathname, body) => {
    const res = await fetch(info.url + pathname, { method, headers: { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
    return { status: res.status, body: await res.json() }
  }
}

interface Balance { account: string, balance: number, joined: boolean }

test('two nodes: wallet send moves tokens and both nodes show the same balances; bad sends are one-line errors; an install pays the host', async () => {
  const dirA = await tempDir()
  const dirB = await tempDir()
  const a = startDaemon(dirA)
  let b: Daemon | undefined
  try {
    await waitFor('node A API', () => a.output().includes('Local API:'), 30_000)
    const uri = cli(dirA, 'mesh', 'announce').stdout.split('\n').find(l => l.startsWith('continuum://'))!
    b = startDaemon(dirB, '--bootstrap', uri)
    await waitFor('node B API', () => b!.output().includes('Local API:'), 30_000)
    await waitFor('both joined', () => json<Balance>(dirA, 'wallet', 'balance').joined && json<Balance>(dirB, 'wallet', 'balance').joined, 30_000, 300)
    const idA = json<Balance>(dirA, 'wallet', 'balance').account
    const idB = json<Balance>(dirB, 'wallet', 'balance').account
    assert.match(cli(dirA, 'wallet', 'balance').stdout, /^Balance: 100 tokens$/m)
    const status = json<{ features: { ledger?: { joined: boolean, difficulty: number } } }>(dirA, 'mesh', 'status')
    assert.equal(status.features.ledger?.difficulty, 8)

    // A must know B's join before paying it: heads exchange on connect brings it.
    await waitFor('A holds B\'s chain', async () => ((await (await api(dirA))('GET', '/api/wallet/accounts')).body as Array<{ account: string }>).some((x: { account: string }) => x.account === idB), 30_000, 300)
    const sent = cli(dirA, 'wallet', 'send', idB, '10', '--memo', 'for the adapter')
    assert.equal(sent.code, 0, sent.stderr)
    assert.match(sent.stdout, /^Sent 10 tokens to 12D3KooW\w+\. Balance: 90 tokens$/m)

    const balancesOn = async (dir: string): Promise<[number, number]> => {
      const accounts = (await (await api(dir))('GET', '/api/wallet/accounts')).body as Array<{ account: string, balance: number }>
      return [accounts.find(x => x.account === idA)?.balance ?? -1, accounts.find(x => x.account === idB)?.balance ?? -1]
    }
    await waitFor('90/110 on both nodes', async () => {
      const [onA, onB] = [await balancesOn(dirA), await balancesOn(dirB)]
      return onA[0] === 90 && onA[1] === 110 && onB[0] === 90 && onB[1] === 110
    }, 30_000, 300)
    assert.match(cli(dirB, 'wallet', 'balance').stdout, /^Balance: 110 tokens$/m)
    const stats = cli(dirB, 'wallet', 'stats')
    assert.match(stats.stdout, /^Balance: 110 tokens\nEarned \(total\): 110 tokens\nSpent \(total\): 0 tokens\nReputation: 0\.\d\d\nTop earning adapter: none yet$/m)
    const history = json<{ entries: Array<{ kind: string, delta: number, counterparty?: string, memo?: string }> }>(dirB, 'wallet', 'history')
    assert.deepEqual(history.entries.map(e => e.kind), ['receive', 'join'])
    assert.equal(history.entries[0].delta, 10)
    assert.equal(history.entries[0].counterparty, idA)
    assert.equal(history.entries[0].memo, 'for the adapter')
    const verified = json<{ valid: boolean, balance: number, source: string, blocks: number }>(dirB, 'wallet', 'verify', idA)
    assert.equal(verified.valid, true)
    assert.equal(verified.balance, 90)
    assert.equal(verified.source, idA)
    assert.match(cli(dirB, 'wallet', 'verify', idA).stdout, /^Account 12D3KooW\w+: valid$/m)

    // Bad sends: one line on stderr, exit 1, nothing written.
    const stranger = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const cases: Array<[string[], RegExp]> = [
      [[stranger, '1'], /^error: unknown peer 12D3KooW\w+: no join block from it is known to this node\n$/],
      [[idB, '1000'], /^error: insufficient balance: 1000 tokens needed, 90 available\n$/],
      [[idB, '1.2345678'], /^error: "1.2345678" is not a token amount \(up to 6 decimals\)\n$/],
      [['nobody', '1'], /^error: unknown peer nobody: .*\n$/]
    ]
    for (const [args, message] of cases) {
      const r = cli(dirA, 'wallet', 'send', ...args)
      assert.equal(r.code, 1, r.stdout)
      assert.match(r.stderr, message)
    }
    assert.equal(json<{ entries: unknown[] }>(dirA, 'wallet', 'history').entries.length, 2)
    assert.equal(json<Balance>(dirA, 'wallet', 'balance').balance, 90)

    // A download between them: A publishes a 2-token adapter, B installs it; B pays A after the bundle
    // verifies, A receives it and claims 0.1 for hosting plus the 50-token first-adapter grant.
    const published = cli(dirA, 'genome', 'publish', SAMPLE, '--price', '2', '--json')
    assert.equal(published.code, 0, published.stderr)
    const cid = (JSON.parse(published.stdout) as { cid: string }).cid
    const project = path.join(dirB, 'project')
    // Nothing is charged without an accepted price: the first try names the price, the second accepts it.
    const refused = cli(dirB, 'genome', 'install', `ipfs://${cid}`, '--project', project)
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /costs 2 tokens \(paid to its publisher\): to accept, install again with --max-price 2/)
    const installed = cli(dirB, 'genome', 'install', `ipfs://${cid}`, '--project', project, '--max-price', '2')
    assert.equal(installed.code, 0, installed.stderr)
    assert.match(installed.stdout, /^ {2}paid 2 tokens to \w{8} \(the publisher, the accepted price\); balance 108 tokens$/m)
    await waitFor('142.1/108 on both nodes', async () => {
      const [onA, onB] = [await balancesOn(dirA), await balancesOn(dirB)]
      return onA[0] === 142.1 && onA[1] === 108 && onB[0] === 142.1 && onB[1] === 108
    }, 30_000, 300)
    const statsA = json<{ earned: number, topAdapter: { name?: string, downloads: number, earned: number } | null }>(dirA, 'wallet', 'stats')
    assert.equal(statsA.earned, 152.1)
    assert.deepEqual([statsA.topAdapter?.downloads, statsA.topAdapter?.earned], [1, 2.1])
    assert.match(cli(dirA, 'wallet', 'stats').stdout, /^Top earning adapter: .+ \(1 download, 2\.1 tokens\)$/m)
  } finally {
    assert.equal(await b?.stop() ?? 0, 0, 'B exits cleanly on SIGTERM')
    assert.equal(await a.stop(), 0, 'A exits cleanly on SIGTERM')
  }
})

test('kill -9 during a stream of payments loses none that the API acknowledged', async () => {
  const dirA = await tempDir()
  const dirB = await tempDir()
  let a = startDaemon(dirA)
  const b = startDaemon(dirB)
  try {
    await waitFor('APIs up', () => a.output().includes('Local API:') && b.output().includes('Local API:'), 30_000)
    const uriB = cli(dirB, 'mesh', 'announce').stdout.split('\n').find(l => l.startsWith('continuum://'))!
    assert.equal(cli(dirA, 'mesh', 'connect', uriB).code, 0)
    await waitFor('both joined', () => json<Balance>(dirA, 'wallet', 'balance').joined && json<Balance>(dirB, 'wallet', 'balance').joined, 30_000, 300)
    const idB = json<Balance>(dirB, 'wallet', 'balance').account
    const callA = await api(dirA)
    await waitFor('A holds B\'s chain', async () => ((await callA('GET', '/api/wallet/accounts')).body as Array<{ account: string }>).some((x: { account: string }) => x.account === idB), 30_000, 300)

    // Four concurrent writers; kill -9 the node once 40 payments are acknowledged, with more in flight.
    const acked: string[] = []
    let killed = false
    const writer = async (): Promise<void> => {
      while (!killed) {
        try {
          const r = await callA('POST', '/api/wallet/send', { to: idB, amount: '0.01' })
          if (r.status === 200) acked.push((r.body as { hash: string }).hash)
        } catch {
          return // the node is gone
        }
      }
    }
    const writers = [writer(), writer(), writer(), writer()]
    await waitFor('40 payments acknowledged', () => acked.length >= 40, 60_000, 20)
    killed = true
    await a.kill9()
    await Promise.all(writers)

    a = startDaemon(dirA)
    await waitFor('A back', () => a.output().includes('Local API:'), 30_000)
    const history = json<{ entries: Array<{ hash: string, kind: string }> }>(dirA, 'wallet', 'history')
    const stored = new Set(history.entries.map(e => e.hash))
    const lost = acked.filter(h => !stored.has(h))
    assert.deepEqual(lost, [], `${lost.length} of ${acked.length} acknowledged payments lost`)
    const sends = history.entries.filter(e => e.kind === 'send').length
    assert.ok(sends >= acked.length)
    assert.equal(json<Balance>(dirA, 'wallet', 'balance').balance, Number((100 - sends * 0.01).toFixed(2)))
  } finally {
    await a.stop()
    await b.stop()
  }
})
