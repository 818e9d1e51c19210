import type { BadMessageReason } from './rpc'

/** A peer broke a protocol's rules (bad frame, schema violation, over its rate). */
export class ProtocolError extends Error {
  static override name = 'ProtocolError'
  override name = 'ProtocolError'
  constructor (readonly reason: BadMessageReason, message: string) {
    super(message)
  }
}

/** The node could not listen on a requested address (usually: the port is taken). */
export class ListenError extends Error {
  static override name = 'ListenError'
  override name = 'ListenError'
}
