// Request/response over one length-prefixed libp2p stream: the shape every Continuum protocol uses
// (peer exchange, catalog gossip, flood search, ledger sync). Messages are JSON validated by a schema
// at the edge; a peer that sends garbage or oversized frames is reported to `onBadMessage` and its
// stream is aborted, and the node carries on.
import { lpStream } from '@libp2p/utils'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import type { Libp2p } from 'libp2p'
import type { z } from 'zod'
import { combineSignals } from '../util/abort'
import { errorMessage } from '../util/logger'
import { ProtocolError } from './errors'

export interface RpcLimits {
  /** Largest accepted frame in bytes. */
  maxBytes: number
  /** Per-exchange timeout in ms. */
  timeoutMs: number
}

export type BadMessageReason = 'oversized' | 'malformed' | 'invalid' | 'rate-limited' | 'timeout'

/** Counts payload bytes in and out (frames only, not libp2p framing). */
export interface ByteMeter { in: (bytes: number, peer: PeerId) => void, out: (bytes: number, peer: PeerId) => void }

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

export function encodeJson (value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value))
}

/** Parses and validates one frame; throws ProtocolError with a reason on anything unexpected. */
export function decodeJson<T> (bytes: Uint8Array, schema: z.ZodType<T>): T {
  let raw: unknown
  try {
    raw = JSON.parse(decoder.decode(bytes))
  } catch {
    throw new ProtocolError('malformed', 'frame is not UTF-8 JSON')
  }
  const parsed = schema.safeParse(raw)
  if (!parsed.success) throw new ProtocolError('invalid', parsed.error.issues.slice(0, 3).map(i => `${i.path.join('.')}: ${i.message}`).join('; '))
  return parsed.data
}

// How a stream ends when the other side gives up (reset, abort, close before or within a frame, its
// connection dropping). A cancelled request is normal behaviour, not a bad message: no penalty.
const PEER_GONE_ERRORS = new Set(['StreamResetError', 'StreamAbortedError', 'StreamStateError', 'StreamClosedError', 'UnexpectedEOFError', 'ConnectionClosedError', 'MuxerClosedError'])

/** True when `err` means the remote ended the exchange early (never a reason to penalise it). */
export function isPeerGone (err: unknown): boolean {
  return PEER_GONE_ERRORS.has((err as { name?: string })?.name ?? '')
}

function classify (err: unknown): BadMessageReason {
  if (err instanceof ProtocolError) return err.reason
  const name = (err as { name?: string })?.name ?? ''
  if (name === 'InvalidDataLengthError' || name === 'InvalidMessageLengthError' || name === 'InvalidDataLengthLengthError') return 'oversized'
  if (name === 'TimeoutError' || name === 'AbortError') return 'timeout'
  return 'malformed'
}

export interface RequestOptions<Res> extends Partial<RpcLimits> {
  signal?: AbortSignal
  responseSchema: z.ZodType<Res>
  meter?: ByteMeter
}

/** Opens a stream to `peer`, sends one request and reads one validated response. */
export async function request<Res> (libp2p: Libp2p, peer: PeerId, protocol: string, body: unknown, options: RequestOptions<Res>): Promise<Res> {
  const signal = combineSignals([options.signal], options.timeoutMs ?? 10_000)
  const stream = await libp2p.dialProtocol(peer, protocol, { signal })
  try {
    const lp = lpStream(stream, { maxDataLength: options.maxBytes ?? 1024 * 1024 })
    const out = encodeJson(body)
    options.meter?.out(out.byteLength, peer)
    await lp.write(out, { signal })
    const reply = await lp.read({ signal })
    options.meter?.in(reply.byteLength, peer)
    const value = decodeJson(reply.subarray(), options.responseSchema)
    // The answer is in: close in the background rather than wait for the remote's half-close.
    void stream.close().catch(() => {})
    return value
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(errorMessage(err)))
    throw err
  }
}

export interface HandlerContext { connection: Connection, peer: PeerId }

export interface ServeOptions<Req> extends RpcLimits {
  requestSchema: z.ZodType<Req>
  /** Returns the response body, or undefined to close without answering. */
  handle: (req: Req, ctx: HandlerContext) => Promise<unknown> | unknown
  /** Checked before reading: return false to drop the request (counted as rate-limited). */
  admit?: (ctx: HandlerContext) => boolean
  onBadMessage?: (reason: BadMessageReason, ctx: HandlerContext, detail: string) => void
  maxInboundStreams?: number
  meter?: ByteMeter
}

/** Registers a request/response handler for `protocol` on the node. */
export async function serve<Req> (libp2p: Libp2p, protocol: string, options: ServeOptions<Req>): Promise<void> {
  await libp2p.handle(protocol, async (stream: Stream, connection: Connection) => {
    const ctx: HandlerContext = { connection, peer: connection.remotePeer }
    if (options.admit && !options.admit(ctx)) {
      options.onBadMessage?.('rate-limited', ctx, 'over the request rate')
      stream.abort(new ProtocolError('rate-limited', 'rate limited'))
      return
    }
    const signal = AbortSignal.timeout(options.timeoutMs)
    try {
      const lp = lpStream(stream, { maxDataLength: options.maxBytes })
      const frame = await lp.read({ signal })
      options.meter?.in(frame.byteLength, ctx.peer)
      const req = decodeJson(frame.subarray(), options.requestSchema)
      const res = await options.handle(req, ctx)
      if (res !== undefined) {
        const out = encodeJson(res)
        options.meter?.out(out.byteLength, ctx.peer)
        await lp.write(out, { signal })
      }
      await stream.close({ signal }).catch(() => {})
    } catch (err) {
      // The other side went away mid-exchange: nothing to blame it for.
      if (!isPeerGone(err)) options.onBadMessage?.(classify(err), ctx, errorMessage(err))
      stream.abort(err instanceof Error ? err : new Error(errorMessage(err)))
    }
  }, { maxInboundStreams: options.maxInboundStreams ?? 32, runOnLimitedConnection: false })
}
