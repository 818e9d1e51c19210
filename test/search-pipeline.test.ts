// The node's one search pipeline (`node.search`), the routes that consume it in-process (the marketplace
// panel's Router) and over HTTP, and the facade's catalog events. Two real nodes on 127.0.0.1: A has a
// few demo adapters, F (flood search only, no gossip) has one A lacks.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { createEmbedder, type Embedder } from '../src/node/embedding'
import { findSampleCatalog } from '../src/node/catalog/sample'
import { flood } from '../src/node/flood'
import { ApiServer, Router, registerNodeRoutes, type MeshNode, type SearchUpdate } from '../src/node'
import { startTestNode, stopAll, tcpAddr, tempDir, waitFor } from './helpers/mesh'
import { CARILLON, CARILLON_QUERY } from './helpers/adapters'


let embedder: Embedder
let a: MeshNode
let far: MeshNode

before(async () => {
  embedder = createEmbedder()
  const lines = (await readFile(findSampleCatalog(__dirname)!, 'utf8')).trim().split('\n')
  const dir = await tempDir()
  await writeFile(path.join(dir, 'a.jsonl'), lines.slice(0, 30).join('\n'))
  await writeFile(path.join(dir, 'far.jsonl'), JSON.stringify(CARILLON) + '\n')
  a = await startTestNode({ embedder, features: [flood()] })
  far = await startTestNode({ embedder, features: [flood()] })
  await a.catalog.import(path.join(dir, 'a.jsonl'))
  await far.catalog.import(path.join(dir, 'far.jsonl'))
  await a.connect(tcpAddr(far))
  await waitFor('F to be A\'s neighbour', () => a.neighbours.has(far.peerId.toString()), 30_000)
})

after(async () => {
  await stopAll([a, far])
  await embedder.close()
})

async function collect (updates: AsyncIterable<SearchUpdate>): Promise<SearchUpdate[]> {
  const out: SearchUpdate[] = []
  for await (const u of updates) out.push(u)
  return out
}

test('node.search: local results first, then the far adapter in a network batch, then a summary; the next search shows it once', async () => {
  const progress: SearchUpdate[] = []
  const first = await collect(a.search({ text: CARILLON_QUERY, minSimilarity: 0, network: true, timeoutMs: 10_000 }, { onProgress: u => progress.push(u) }))
  assert.deepEqual(progress, first, 'onProgress sees every update the iterator yields')
  assert.equal(first[0].type, 'local')
  assert.equal(first.at(-1)?.type, 'done')
  const local = first[0] as Extract<SearchUpdate, { type: 'local' }>
  assert.ok(!local.results.some(r => r.id === CARILLON.id), 'not in A\'s catalog')
  const network = first.flatMap(u => u.type === 'batch' ? u.results : [])
  const hit = network.find(r => r.id === CARILLON.id)
  assert.ok(hit !== undefined, 'found over the network')
  assert.equal(hit.sourcePeer, far.peerId.toString())
  assert.equal(hit.hops, 1)
  assert.equal(hit.location, 'remote')
  const done = first.at(-1) as Extract<SearchUpdate, { type: 'done' }>
  assert.equal(done.network, true)
  assert.equal(done.total, local.results.length + network.length)
  assert.ok(done.peersAnswered >= 1)

  // A cached the answer: now it is a local result, and the network does not repeat it (its key went to the flood as known).
  await waitFor('A to cache the network result', () => a.catalog.count('remote') > 0)
  const second = await collect(a.search({ text: CARILLON_QUERY, minSimilarity: 0, network: true, timeoutMs: 3_000 }))
  const keys = second.flatMap(u => u.type === 'done' ? [] : u.results.map(r => r.key))
  assert.equal(new Set(keys).size, keys.length, `no key twice: ${keys.join(', ')}`)
  assert.ok((second[0] as Extract<SearchUpdate, { type: 'local' }>).results.some(r => r.id === CARILLON.id))
  // Without `network`, the pipeline stays local and says so.
  const localOnly = await collect(a.search({ text: CARILLON_QUERY }))
  assert.deepEqual(localOnly.map(u => u.type), ['local', 'done'])
  assert.equal((localOnly[1] as Extract<SearchUpdate, { type: 'done' }>).network, false)
})

test('the in-process Router answers /api/search with the same records as the HTTP API, and refuses bad bodies and unknown routes', async () => {
  const router = new Router()
  registerNodeRoutes(router, a)
  const body = { query: 'debugging asynchronous JavaScript promises', k: 5 }
  const records: Array<Record<string, unknown>> = []
  assert.equal(await router.call('POST', '/api/search', body, { onRecord: r => records.push(r as Record<string, unknown>) }), undefined)
  assert.deepEqual(records.map(r => r.type), ['local', 'done'])
  const api = new ApiServer({ dataDir: a.dataDir, peerId: a.peerId.toString(), log: a.log.child('api') })
  registerNodeRoutes(api, a)
  const info = await api.start(0)
  try {
    const res = await fetch(`${info.url}/api/search`, { method: 'POST', headers: { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    const overHttp = (await res.text()).trim().split('\n').map(l => JSON.parse(l) as Record<string, unknown>)
    const strip = (r: Record<string, unknown>): Record<string, unknown> => ({ ...r, elapsedMs: 0 })
    // As JSON (keys whose value is undefined vanish on the wire, as they do in postMessage to a page).
    assert.deepEqual(overHttp.map(strip), (JSON.parse(JSON.stringify(records)) as Array<Record<string, unknown>>).map(strip), 'same records, same wire shape')
    const first = (records[0].results as Array<Record<string, unknown>>)[0]
    assert.deepEqual(Object.keys(first), ['key', 'id', 'name', 'version', 'description', 'kind', 'baseModel', 'specializations', 'capabilities', 'domain', 'price', 'rating', 'downloads', 'contentHash', 'publisher', 'similarity', 'score', 'location', 'availableFrom'])
  } finally {
    await api.stop()
  }
  // The page is untrusted: a body the route's schema refuses is a one-line BadRequestError, as over HTTP.
  await assert.rejects(router.call('POST', '/api/search', { query: 'x', k: 1000, evil: true }), (err: Error) => err.name === 'BadRequestError' && /k:/.test(err.message))
  // A capability this node does not run has no routes.
  await assert.rejects(router.call('GET', '/api/wallet/stats'), { name: 'NotFoundError' })
})

test('the facade re-emits catalog changes, throttled, with the new counts', async () => {
  const events: Array<{ local: number, remote: number }> = []
  const listener = (e: CustomEvent<{ local: number, remote: number }>): void => { events.push(e.detail) }
  far.addEventListener('catalog:change', listener)
  try {
    const lines = (await readFile(findSampleCatalog(__dirname)!, 'utf8')).trim().split('\n')
    const file = path.join(await tempDir(), 'more.jsonl')
    await writeFile(file, lines.slice(50, 70).join('\n'))
    const report = await far.catalog.import(file)
    assert.equal(report.imported, 20)
    await waitFor('the event with the final counts', () => events.at(-1)?.local === far.catalog.count('local'))
    assert.ok(events.length < 20, `one event per burst, not one per adapter: ${events.length}`)
  } finally {
    far.removeEventListener('catalog:change', listener)
  }
})
