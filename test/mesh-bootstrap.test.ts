import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { loadAnnouncementSource } from '../src/node/bootstrap/announcements'
import type { MeshNode } from '../src/node/mesh-node'
import { startTestNode, stopAll, tcpAddr, tempDir, waitFor, connectedTo } from './helpers/mesh'

test('two nodes connect through --bootstrap and become neighbours', async () => {
  const nodes: MeshNode[] = []
  try {
    const a = await startTestNode()
    nodes.push(a)
    const b = await startTestNode({ bootstrap: [tcpAddr(a)] })
    nodes.push(b)
    const report = await b.bootstrapped
    const configured = report.strategies.find(s => s.strategy === 'configured')
    assert.equal(configured?.summary, 'Found 1/1 bootstrap nodes online')
    await waitFor('neighbours on both sides', () => a.neighbours.has(b.peerId.toString()) && b.neighbours.has(a.peerId.toString()))
    assert.equal(b.status().connectedPeers, 1)
  } finally {
    await stopAll(nodes)
  }
})

test('two nodes connect through an announcement file; invalid lines are reported with their line numbers', async () => {
  const nodes: MeshNode[] = []
  const dir = await tempDir()
  try {
    const a = await startTestNode()
    nodes.push(a)
    const uri = a.announceAddresses().continuum[0]
    assert.match(uri, /^continuum:\/\/peer:\w+@127\.0\.0\.1:\d+$/)
    const file = path.join(dir, 'peers.txt')
    await writeFile(file, ['# community list', '', 'continuum://peer:not-a-peer@1.2.3.4:80', uri, 'garbage line'].join('\n'))
    const b = await startTestNode({ announceFiles: [file] })
    nodes.push(b)
    const report = await b.bootstrapped
    const ann = report.strategies.find(s => s.strategy === 'announcements')
    assert.ok(ann)
    assert.equal(ann.found, 1)
    assert.equal(ann.connected, 1)
    assert.equal(ann.problems.length, 2)
    assert.match(ann.problems[0], /peers\.txt:3: .*not a valid peer id/)
    assert.match(ann.problems[1], /peers\.txt:5: /)
    assert.ok(connectedTo(b, a))
  } finally {
    await stopAll(nodes, [dir])
  }
})

test('three nodes through PEX: A knows B, B knows C, so A connects to C', async () => {
  const nodes: MeshNode[] = []
  try {
    const c = await startTestNode()
    nodes.push(c)
    const b = await startTestNode({ bootstrap: [tcpAddr(c)] })
    nodes.push(b)
    await waitFor('B connected to C', () => connectedTo(b, c))
    const a = await startTestNode({ bootstrap: [tcpAddr(b)] })
    nodes.push(a)
    const report = await a.bootstrapped
    const pex = report.strategies.find(s => s.strategy === 'pex')
    assert.ok(pex)
    assert.ok(pex.found >= 1, `PEX should report C: ${pex.summary}`)
    await waitFor('A connected to C', () => connectedTo(a, c))
  } finally {
    await stopAll(nodes)
  }
})

test('a restarted node keeps its PeerId and reconnects from cached peers alone', async () => {
  const nodes: Array<MeshNode | undefined> = []
  const dirA = await tempDir()
  try {
    const b = await startTestNode()
    nodes.push(b)
    // B must listen on the same port after A restarts, so A's cache stays valid: keep B running.
    let a: MeshNode | undefined = await startTestNode({ dataDir: dirA, bootstrap: [tcpAddr(b)] })
    const firstId = a.peerId.toString()
    await a.bootstrapped
    await waitFor('A connected to B', () => connectedTo(a!, b))
    await a.stop()
    a = await startTestNode({ dataDir: dirA })
    nodes.push(a)
    assert.equal(a.peerId.toString(), firstId)
    const report = await a.bootstrapped
    const cached = report.strategies.find(s => s.strategy === 'cached')
    assert.equal(cached?.connected, 1, cached?.summary)
    assert.equal(report.strategies.find(s => s.strategy === 'configured'), undefined)
    assert.ok(connectedTo(a, b))
  } finally {
    await stopAll(nodes, [dirA])
  }
})

test('an aborted WebSockets dial to a dead peer does not crash the node', async () => {
  const nodes: MeshNode[] = []
  try {
    const gone = await startTestNode()
    const wsAddr = gone.libp2p.getMultiaddrs().map(String).find(a => a.includes('/ws'))!
    await gone.stop()
    const b = await startTestNode()
    nodes.push(b)
    const { multiaddr } = await import('@multiformats/multiaddr')
    for (let i = 0; i < 5; i++) {
      await assert.rejects(b.libp2p.dial(multiaddr(wsAddr), { signal: AbortSignal.timeout(1) }))
    }
    // The refused sockets report their errors after the dials gave up; the node must still be here.
    await new Promise(resolve => setTimeout(resolve, 500))
    assert.equal(b.state, 'started')
  } finally {
    await stopAll(nodes)
  }
})

test('announcement lists: an endless or oversized answer, a device file and other schemes fail with one line; file: URLs work', async () => {
  const valid = 'continuum://peer:12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK@127.0.0.1:4101\n'
  // A server that answers a valid line, then streams forever and never ends the response.
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    if (req.url === '/small') { res.end(valid); return }
    res.write(valid)
    const chunk = Buffer.alloc(64 * 1024, '#')
    const pump = (): void => { while (!res.destroyed && res.write(chunk)); if (!res.destroyed) res.once('drain', pump) }
    pump()
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const dir = await tempDir()
  try {
    assert.equal(await loadAnnouncementSource(`${base}/small`), valid)
    await assert.rejects(loadAnnouncementSource(`${base}/endless`, { timeoutMs: 120_000 }), (err: Error) => err.name === 'AnnouncementSourceError' && /larger than 1 MiB/.test(err.message))
    if (process.platform !== 'win32') {
      await assert.rejects(loadAnnouncementSource('/dev/zero'), (err: Error) => err.name === 'AnnouncementSourceError' && /not a regular file/.test(err.message))
    }
    const big = path.join(dir, 'big.txt')
    await writeFile(big, Buffer.alloc(2 * 1024 * 1024, '#'))
    await assert.rejects(loadAnnouncementSource(big), (err: Error) => err.name === 'AnnouncementSourceError' && /larger than 1 MiB/.test(err.message))
    for (const bad of ['ftp://127.0.0.1/peers.txt', 'data:text/plain,peers', 'javascript:alert(1)']) {
      await assert.rejects(loadAnnouncementSource(bad), (err: Error) => err.name === 'AnnouncementSourceError' && /only http\(s\) URLs, file: URLs and file paths/.test(err.message), bad)
    }
    const list = path.join(dir, 'peers.txt')
    await writeFile(list, valid)
    assert.equal(await loadAnnouncementSource(pathToFileURL(list).href), valid, 'a file: URL is read as the file')
  } finally {
    server.closeAllConnections()
    server.close()
    await rm(dir, { recursive: true, force: true })
  }
})
