import type { Multiaddr } from '@multiformats/multiaddr'
import type { MeshLibp2p } from '../transport/libp2p'
import { combineSignals } from '../util/abort'
import { errorMessage } from '../util/logger'

export interface DialOutcome { connected: string[], failed: Array<{ target: string, reason: string }> }

/** Dials each address with bounded concurrency and a per-dial timeout; never throws. */
export async function dialBounded (libp2p: MeshLibp2p, addrs: Multiaddr[], options: { concurrency: number, timeoutMs: number, signal?: AbortSignal }): Promise<DialOutcome> {
  const self = libp2p.peerId.toString()
  const queue = addrs.filter(a => a.getComponents().findLast(c => c.name === 'p2p')?.value !== self)
  const outcome: DialOutcome = { connected: [], failed: [] }
  const worker = async (): Promise<void> => {
    for (let addr = queue.shift(); addr !== undefined; addr = queue.shift()) {
      if (options.signal?.aborted) return
      try {
        const conn = await libp2p.dial(addr, { signal: combineSignals([options.signal], options.timeoutMs) })
        outcome.connected.push(conn.remotePeer.toString())
      } catch (err) {
        outcome.failed.push({ target: addr.toString(), reason: errorMessage(err) })
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(options.concurrency, queue.length) }, worker))
  outcome.connected = [...new Set(outcome.connected)]
  return outcome
}
