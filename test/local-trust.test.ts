// The node's local trust boundaries: the data dir and its secrets are private to the user, and the
// local HTTP API answers only to this machine's pages and scripts (no DNS rebinding, no cross-origin
// requests, no token in URLs except where EventSource needs it). Real files, a real HTTP server on 127.0.0.1.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { chmod, readdir, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import { ApiServer } from '../src/node/api/server'
import { createLogger, type LogRecord } from '../src/node/util/logger'
import { createMeshNode } from '../src/node/mesh-node'
import { LOOPBACK_LISTEN, startTestNode, tempDir } from './helpers/mesh'

const posix = process.platform !== 'win32'
const modeOf = async (p: string): Promise<number> => (await stat(p)).mode & 0o777

async function keyFiles (dataDir: string): Promise<string[]> {
  const dir = path.join(dataDir, 'datastore', 'pkcs8')
  return (await readdir(dir)).map(f => path.join(dir, f))
}

test('data dir: created 0700, the private key, api.json and api-token 0600; a 0644 key left by an older version is tightened on start', { skip: !posix }, async () => {
  const parent = await tempDir()
  const dataDir = path.join(parent, 'home')
  const logs: LogRecord[] = []
  let node = await startTestNode({ dataDir })
  const peerId = node.peerId.toString()
  const api = new ApiServer({ dataDir, peerId: node.peerId.toString(), log: createLogger() })
  try {
    await api.start(0)
    assert.equal(await modeOf(dataDir), 0o700, 'the data dir is private')
    const keys = await keyFiles(dataDir)
    assert.ok(keys.length > 0, 'the key store holds the node key')
    for (const k of keys) assert.equal(await modeOf(k), 0o600, `${k} is private`)
    assert.equal(await modeOf(path.join(dataDir, 'api.json')), 0o600)
    assert.equal(await modeOf(path.join(dataDir, 'api-token')), 0o600)
  } finally {
    await api.stop()
    await node.stop()
  }
  // What an older version left behind: everything readable by everyone.
  await chmod(dataDir, 0o755)
  for (const k of await keyFiles(dataDir)) await chmod(k, 0o644)
  await chmod(path.join(dataDir, 'api-token'), 0o644)
  node = createMeshNode({ dataDir, listen: LOOPBACK_LISTEN, mdns: false, onLog: r => logs.push(r) })
  await node.start()
  try {
    assert.equal(node.peerId.toString(), peerId, 'the same identity after the restart')
    assert.equal(await modeOf(dataDir), 0o700)
    for (const k of await keyFiles(dataDir)) assert.equal(await modeOf(k), 0o600, `${k} was tightened`)
    assert.equal(await modeOf(path.join(dataDir, 'api-token')), 0o600)
    assert.ok(logs.some(r => r.level === 'warn' && /readable by other users/.test(r.message)), 'the node says it tightened them')
  } finally {
    await node.stop()
    await rm(parent, { recursive: true, force: true })
  }
})

interface Answer { status: number, body: string, json: () => { error?: { name: string, message: string } } }

function request (port: number, opts: { method?: string, path: string, headers?: Record<string, string>, body?: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers }, res => {
      let body = ''
      // The event stream never ends: its status and first bytes are enough.
      if (String(res.headers['content-type']).startsWith('text/event-stream')) {
        res.once('data', d => { body += String(d); req.destroy(); resolve({ status: res.statusCode ?? 0, body, json: () => JSON.parse(body) }) })
        return
      }
      res.on('data', d => { body += String(d) })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, json: () => JSON.parse(body) }))
    })
    req.on('error', reject)
    req.end(opts.body)
  })
}

test('local API: refuses a foreign Host (DNS rebinding), cross-origin requests, and ?token= anywhere but the event stream', async () => {
  const dataDir = await tempDir()
  const api = new ApiServer({
    dataDir,
    peerId: 'test',
    log: createLogger(),
    staticHandler: (_req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<!doctype html>'); return true }
  })
  const posted: string[] = []
  api.route('GET', '/api/status', () => ({ ok: true }))
  api.route('POST', '/api/connect', async req => { const { address } = await req.body(z.object({ address: z.string() })); posted.push(address); return { ok: true } })
  const info = await api.start(0)
  const port = Number(new URL(info.url).port)
  const bearer = { authorization: `Bearer ${info.token}` }
  try {
    // The legitimate clients: the CLI (127.0.0.1), a browser on localhost, the page's own same-origin POST.
    assert.equal((await request(port, { path: '/api/status', headers: bearer })).status, 200)
    assert.equal((await request(port, { path: '/api/status', headers: { ...bearer, host: `localhost:${port}` } })).status, 200)
    assert.equal((await request(port, { path: '/api/status', headers: { ...bearer, host: `[::1]:${port}` } })).status, 200)
    const same = await request(port, { method: 'POST', path: '/api/connect', headers: { ...bearer, origin: `http://127.0.0.1:${port}`, 'content-type': 'application/json' }, body: JSON.stringify({ address: 'same-origin' }) })
    assert.equal(same.status, 200)
    assert.equal((await request(port, { path: '/?token=abc' })).status, 200, 'the web UI page loads from the URL the node prints')

    // DNS rebinding: evil.example resolves to 127.0.0.1; the browser sends its own name as Host.
    for (const p of ['/api/status', '/', '/index.html']) {
      const r = await request(port, { path: p, headers: { ...bearer, host: `evil.example:${port}` } })
      assert.equal(r.status, 421, p)
      assert.equal(r.json().error?.name, 'MisdirectedRequest')
      assert.match(r.json().error?.message ?? '', /127\.0\.0\.1/)
    }
    assert.equal((await request(port, { path: '/api/status', headers: { ...bearer, host: 'evil.example' } })).status, 421)
    assert.equal((await request(port, { path: '/api/status', headers: { ...bearer, host: '127.0.0.1:1' } })).status, 421, 'another port is another origin')

    // Another site's page POSTing here (a "simple" request needs no preflight).
    const cross = await request(port, { method: 'POST', path: '/api/connect', headers: { ...bearer, origin: 'http://evil.example', 'content-type': 'text/plain' }, body: JSON.stringify({ address: 'cross-origin' }) })
    assert.equal(cross.status, 403)
    assert.equal(cross.json().error?.name, 'CrossOriginRefused')
    assert.equal((await request(port, { method: 'POST', path: '/api/connect', headers: { ...bearer, origin: 'null' }, body: '{"address":"null-origin"}' })).status, 403)
    assert.deepEqual(posted, ['same-origin'], 'no refused request reached a route')

    // ?token= works only where EventSource needs it.
    const q = await request(port, { path: `/api/status?token=${info.token}` })
    assert.equal(q.status, 401)
    assert.match(q.json().error?.message ?? '', /Authorization: Bearer/)
    const viaQuery = await request(port, { method: 'POST', path: `/api/connect?token=${info.token}`, headers: { 'content-type': 'application/json' }, body: '{"address":"query"}' })
    assert.equal(viaQuery.status, 401)
    const events = await request(port, { path: `/api/events?token=${encodeURIComponent(info.token)}` })
    assert.equal(events.status, 200, 'the event stream still takes the token from the URL')
    assert.match(events.body, /retry:/)
    assert.deepEqual(posted, ['same-origin'])
  } finally {
    await api.stop()
    await rm(dataDir, { recursive: true, force: true })
  }
})
