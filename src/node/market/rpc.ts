// The compute protocol's stream handling (/continuum/compute/1.0.0): one stream per exchange, length-
// prefixed JSON frames each checked against its schema. A listings request gets one answer; a compute
// request gets streamed frames and ends with the requester's settle frame. Requests over a peer's rate
// are refused; malformed, invalid or oversized frames are dropped, counted ('compute' in the drop
// counters) and the sender is penalised; the node carries on.
import { lpStream, type LengthPrefixedStream } from '@libp2p/utils'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import { decodeJson, encodeJson, isPeerGone } from '../transport/rpc'
import { combineSignals, type AbortOptions } from '../util/abort'
import { errorMessage } from '../util/logger'
import { PeerRateLimit } from '../util/peer-rate'
import { COMPUTE_PROTOCOL } from './constants'
import { COMPUTE_MAX_FRAME_BYTES, ComputeFrame, ComputeRequest, ListingsAnswer, SettleFrame } from './protocol'
import type { MarketComponents } from './components'

/** One compute exchange as the provider sees it: the validated request, a writer, and the settle frame. */
export interface ComputeExchange {
  peer: PeerId
  request: Extract<ComputeRequest, { type: 'generate' | 'embed' }>
  send: (frame: ComputeFrame) => Promise<void>
  /** Reads the requester's settle frame (undefined when it sent none in time or a bad one). */
  settle: (timeoutMs: number) => Promise<SettleFrame | undefined>
  signal: AbortSignal
}

export interface ServeHandlers {
  listings: (limit: number) => unknown[]
  compute: (x: ComputeExchange) => Promise<void>
}

export interface ComputeRpcInit {
  ratePerSecond: number
  /** Longest exchange (request to settle frame). */
  timeoutMs: number
}

export class ComputeRpc {
  private readonly limit: PeerRateLimit

  constructor (private readonly components: MarketComponents, private readonly init: ComputeRpcInit) {
    this.limit = new PeerRateLimit(init.ratePerSecond)
  }

  private bad (reason: string, peer: PeerId, detail: string): void {
    this.components.drops.add('compute', reason)
    this.components.log.debug(`Dropped ${reason} compute frame from ${peer.toString().slice(-8)}: ${detail}`)
    if (reason === 'malformed' || reason === 'invalid' || reason === 'oversized') this.components.penalise(peer, `${reason} compute message`)
  }

  async serve (handlers: ServeHandlers): Promise<void> {
    await this.components.libp2p.handle(COMPUTE_PROTOCOL, async (stream: Stream, connection: Connection) => {
      const peer = connection.remotePeer
      if (!this.limit.admit(peer)) {
        this.components.drops.add('compute', 'rate-limited')
        stream.abort(new Error('rate limited'))
        return
      }
      const signal = combineSignals([this.components.shutdownSignal], this.init.timeoutMs)
      const lp = lpStream(stream, { maxDataLength: COMPUTE_MAX_FRAME_BYTES })
      let req: ComputeRequest
      try {
        req = decodeJson((await lp.read({ signal })).subarray(), ComputeRequest)
      } catch (err) {
        if (!isPeerGone(err)) this.bad(reasonOf(err), peer, errorMessage(err))
        stream.abort(err instanceof Error ? err : new Error(errorMessage(err)))
        return
      }
      try {
        if (req.type === 'listings') {
          await lp.write(encodeJson({ listings: handlers.listings(req.limit) }), { signal })
        } else {
          await handlers.compute({
            peer,
            request: req,
            signal,
            send: async frame => { await lp.write(encodeJson(frame), { signal }) },
            settle: async timeoutMs => await this.readSettle(lp, peer, combineSignals([signal], timeoutMs))
          })
        }
        await stream.close({ signal }).catch(() => {})
      } catch (err) {
        if (!isPeerGone(err)) this.components.log.debug(`compute exchange with ${peer.toString().slice(-8)}: ${errorMessage(err)}`)
        stream.abort(err instanceof Error ? err : new Error(errorMessage(err)))
      }
    }, { maxInboundStreams: 64, runOnLimitedConnection: false })
  }

  private async readSettle (lp: LengthPrefixedStream<Stream>, peer: PeerId, signal: AbortSignal): Promise<SettleFrame | undefined> {
    try {
      return decodeJson((await lp.read({ signal })).subarray(), SettleFrame)
    } catch (err) {
      const name = (err as Error)?.name
      if (!isPeerGone(err) && name !== 'AbortError' && name !== 'TimeoutError') this.bad(reasonOf(err), peer, errorMessage(err))
      return undefined
    }
  }

  async unhandle (): Promise<void> {
    await this.components.libp2p.unhandle(COMPUTE_PROTOCOL).catch(() => {})
  }

  /** Asks `peer` for the listings it holds (each still to be checked by the caller). */
  async askListings (peer: PeerId, limit: number, options: AbortOptions = {}): Promise<unknown[]> {
    const signal = combineSignals([options.signal, this.components.shutdownSignal], 10_000)
    const stream = await this.components.libp2p.dialProtocol(peer, COMPUTE_PROTOCOL, { signal })
    try {
      const lp = lpStream(stream, { maxDataLength: COMPUTE_MAX_FRAME_BYTES })
      await lp.write(encodeJson({ type: 'listings', limit }), { signal })
      const answer = decodeJson((await lp.read({ signal })).subarray(), ListingsAnswer)
      void stream.close().catch(() => {})
      return answer.listings
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(errorMessage(err)))
      throw err
    }
  }

  /**
   * Opens a compute exchange with `peer`: sends the request, then `frames()` yields the provider's frames
   * (schema-checked; a bad one throws ProtocolError) and `settle()` sends the last frame and closes.
   */
  async open (peer: PeerId, request: ComputeRequest, options: AbortOptions = {}): Promise<ComputeClientExchange> {
    const signal = combineSignals([options.signal, this.components.shutdownSignal], this.init.timeoutMs)
    const stream = await this.components.libp2p.dialProtocol(peer, COMPUTE_PROTOCOL, { signal })
    const lp = lpStream(stream, { maxDataLength: COMPUTE_MAX_FRAME_BYTES })
    try {
      await lp.write(encodeJson(request), { signal })
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(errorMessage(err)))
      throw err
    }
    return {
      async * frames () {
        while (true) {
          const frame = decodeJson((await lp.read({ signal })).subarray(), ComputeFrame)
          yield frame
          if (frame.type === 'done' || frame.type === 'refused') return
        }
      },
      async settle (frame: SettleFrame) {
        try {
          await lp.write(encodeJson(frame), { signal })
          await stream.close({ signal }).catch(() => {})
        } catch (err) {
          stream.abort(err instanceof Error ? err : new Error(errorMessage(err)))
        }
      },
      abort (err: Error) { stream.abort(err) }
    }
  }
}

export interface ComputeClientExchange {
  frames: () => AsyncGenerator<ComputeFrame>
  settle: (frame: SettleFrame) => Promise<void>
  abort: (err: Error) => void
}

function reasonOf (err: unknown): string {
  const name = (err as { name?: string, reason?: string })?.name ?? ''
  if (name === 'ProtocolError') return (err as { reason: string }).reason
  if (name === 'InvalidDataLengthError' || name === 'InvalidMessageLengthError' || name === 'InvalidDataLengthLengthError') return 'oversized'
  if (name === 'TimeoutError' || name === 'AbortError') return 'timeout'
  return 'malformed'
}

