// Node 20 lacks two things libp2p 3 expects from newer runtimes. Imported before libp2p.
import { WebSocket as WsWebSocket } from 'ws'

type Resolvers<T> = { promise: Promise<T>, resolve: (value: T | PromiseLike<T>) => void, reject: (reason?: unknown) => void }
const promiseCtor = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> }
if (typeof promiseCtor.withResolvers !== 'function') {
  promiseCtor.withResolvers = function withResolvers<T> (): Resolvers<T> {
    let resolve!: Resolvers<T>['resolve']
    let reject!: Resolvers<T>['reject']
    const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}

// libp2p's WebSockets dialer stops listening for 'error' once a dial is aborted (timeout, shutdown);
// the `ws` socket then reports the refused connection to nobody, which Node treats as an uncaught
// exception that would take the whole node down. Every socket gets a listener of last resort.
class QuietErrorWebSocket extends WsWebSocket {
  constructor (...args: ConstructorParameters<typeof WsWebSocket>) {
    super(...args)
    this.on('error', () => {})
  }
}

const g = globalThis as unknown as { WebSocket?: unknown }
if (typeof g.WebSocket === 'undefined') g.WebSocket = QuietErrorWebSocket
