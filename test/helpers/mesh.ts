// Test helpers: real mesh nodes on 127.0.0.1 with throwaway data dirs.
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createMeshNode, type MeshNode, type MeshNodeInit } from '../../src/node/mesh-node'
import { formatLogRecord } from '../../src/node/util/logger'

export const LOOPBACK_LISTEN = ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0/ws']

export async function tempDir (prefix = 'continuum-test-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix))
}

export interface TestNode extends MeshNode { cleanup: () => Promise<void> }

const verbose = process.env.TEST_VERBOSE === '1'

/** Starts a node on loopback with mDNS off (unless asked) and a fresh data dir (unless given). */
export async function startTestNode (init: MeshNodeInit = {}): Promise<MeshNode> {
  const node = createMeshNode({
    listen: LOOPBACK_LISTEN,
    mdns: false,
    // Many nodes share 127.0.0.1 here: lift the per-host inbound connection rate limit.
    simulation: true,
    ...init,
    dataDir: init.dataDir ?? await tempDir(),
    onLog: verbose ? r => console.error(formatLogRecord(r)) : undefined
  })
  await node.start()
  return node
}

export function tcpAddr (node: MeshNode): string {
  const a = node.libp2p.getMultiaddrs().map(m => m.toString()).find(m => m.includes('/tcp/') && !m.includes('/ws'))
  if (a === undefined) throw new Error('node has no TCP address')
  return a
}

/** Polls `check` until it returns true or `timeoutMs` passes; throws with `what` on timeout. */
export async function waitFor (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise(resolve => setTimeout(resolve, intervalMs))
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)
}

export function connectedTo (a: MeshNode, b: MeshNode): boolean {
  return a.libp2p.getPeers().some(p => p.equals(b.peerId))
}

export async function stopAll (nodes: Array<MeshNode | undefined>, dirs: string[] = []): Promise<void> {
  await Promise.all(nodes.map(n => n?.stop()))
  await Promise.all(dirs.map(d => rm(d, { recursive: true, force: true, maxRetries: 5 })))
}
