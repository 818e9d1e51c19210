// The block exchange protocol: the asker sends one length-prefixed JSON frame `{ want: [cid…] }`
// (at most 64), the server answers with one length-prefixed frame per CID in the same order: the
// block's bytes, or an empty frame when it does not have it. Blocks are binary (no base64), and the
// asker verifies each against its CID; the server only reads them from its verified blockstore.
import { lpStream } from '@libp2p/utils'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import type { Libp2p } from 'libp2p'
import { CID } from 'multiformats/cid'
import { z } from 'zod'
import { decodeJson, encodeJson, isPeerGone } from '../transport/rpc'
import { combineSignals, delay } from '../util/abort'
import { errorMessage } from '../util/logger'
import type { FsBlockstore } from './blockstore'
import { BLOCK_REQUEST_TIMEOUT_MS, BLOCKS_PROTOCOL, MAX_BLOCK_BYTES } from './constants'

const MAX_WANT = 64
const WantSchema = z.object({ want: z.array(z.string().min(8).max(128)).min(1).max(MAX_WANT) }).strict()

export interface BlockServerInit {
  libp2p: Libp2p
  blocks: FsBlockstore
  /** Cap on upload bytes per second over all peers (0 = unlimited). */
  maxUploadBytesPerSec?: number
  onBadMessage?: (peer: PeerId, reason: string, detail: string) => void
}

/** Simple token bucket so a seeding node can cap its upload. */
class RateLimiter {
  private allowance: number
  private last = Date.now()
  /** Burst: a tenth of a second of upload, at least one block. */
  private readonly burst: number
  constructor (private readonly rate: number) {
    this.burst = Math.max(rate / 10, MAX_BLOCK_BYTES)
    this.allowance = this.burst
  }

  async take (n: number, signal: AbortSignal): Promise<void> {
    if (this.rate <= 0) return
    for (;;) {
      const now = Date.now()
      this.allowance = Math.min(this.burst, this.allowance + (now - this.last) * this.rate / 1000)
      this.last = now
      if (this.allowance >= n) { this.allowance -= n; return }
      await delay(Math.ceil((n - this.allowance) * 1000 / this.rate), { signal })
    }
  }
}

export class BlockServer {
  bytesServed = 0
  blocksServed = 0
  requests = 0
  private readonly limiter: RateLimiter

  constructor (private readonly init: BlockServerInit) {
    this.limiter = new RateLimiter(init.maxUploadBytesPerSec ?? 0)
  }

  async start (): Promise<void> {
    await this.init.libp2p.handle(BLOCKS_PROTOCOL, (stream: Stream, connection: Connection) => {
      void this.serveStream(stream, connection)
    }, { maxInboundStreams: 32, runOnLimitedConnection: false })
  }

  async stop (): Promise<void> {
    await this.init.libp2p.unhandle(BLOCKS_PROTOCOL).catch(() => {})
  }

  private async serveStream (stream: Stream, connection: Connection): Promise<void> {
    const signal = AbortSignal.timeout(BLOCK_REQUEST_TIMEOUT_MS * 2)
    try {
      const lp = lpStream(stream, { maxDataLength: 16 * 1024 })
      const req = decodeJson((await lp.read({ signal })).subarray(), WantSchema)
      this.requests++
      const cids = req.want.map(s => { try { return CID.parse(s) } catch { return undefined } })
      for (const cid of cids) {
        const bytes = cid === undefined ? undefined : await this.init.blocks.get(cid)
        if (bytes !== undefined) {
          await this.limiter.take(bytes.length, signal)
          this.bytesServed += bytes.length
          this.blocksServed++
        }
        await lp.write(bytes ?? new Uint8Array(0), { signal })
      }
      await stream.close({ signal }).catch(() => {})
    } catch (err) {
      if (!isPeerGone(err)) this.init.onBadMessage?.(connection.remotePeer, (err as Error).name === 'ProtocolError' ? 'invalid' : 'error', errorMessage(err))
      stream.abort(err instanceof Error ? err : new Error(errorMessage(err)))
    }
  }
}

/**
 * Asks `peer` for `cids`; returns what it sent, in order (undefined = it does not have it). The
 * bytes are NOT verified here: the caller checks each against its CID.
 */
export async function requestBlocks (libp2p: Libp2p, peer: PeerId, cids: CID[], options: { signal?: AbortSignal } = {}): Promise<Array<Uint8Array | undefined>> {
  const signal = combineSignals([options.signal], BLOCK_REQUEST_TIMEOUT_MS)
  const stream = await libp2p.dialProtocol(peer, BLOCKS_PROTOCOL, { signal })
  try {
    const lp = lpStream(stream, { maxDataLength: MAX_BLOCK_BYTES })
    await lp.write(encodeJson({ want: cids.map(c => c.toString()) }), { signal })
    const out: Array<Uint8Array | undefined> = []
    for (let i = 0; i < cids.length; i++) {
      const frame = await lp.read({ signal })
      out.push(frame.byteLength === 0 ? undefined : frame.subarray())
    }
    void stream.close().catch(() => {})
    return out
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(errorMessage(err)))
    throw err
  }
}
