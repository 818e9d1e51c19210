// The local API's route table without the HTTP server: capabilities' routes register here the same way
// as on ApiServer, and an in-process host (the VS Code marketplace panel) calls them directly, so a
// route is written once and answers the same records over HTTP and postMessage.
import type { z } from 'zod'
import type { ApiRequest, RouteHandler, StreamHandler } from './server'
import { BadRequestError, NotFoundError } from './errors'

export type RouteMethod = 'GET' | 'POST' | 'DELETE'

/** Where routes are registered: the HTTP ApiServer or an in-process Router. */
export interface RouteRegistry {
  route(method: RouteMethod, pathname: string, handler: RouteHandler): void
  stream(method: 'GET' | 'POST', pathname: string, handler: StreamHandler): void
}

export interface RouterCallOptions {
  signal?: AbortSignal
  /** Receives each record of a streaming route. */
  onRecord?: (record: unknown) => void
}

/** Validates a request body with a route's schema; a bad body becomes a BadRequestError naming the problem. */
export function parseBody<T> (schema: z.ZodType<T>, raw: unknown): T {
  const parsed = schema.safeParse(raw ?? {})
  if (!parsed.success) throw new BadRequestError(parsed.error.issues.map(i => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '))
  return parsed.data
}

export class Router implements RouteRegistry {
  private readonly routes = new Map<string, RouteHandler>()
  private readonly streams = new Map<string, StreamHandler>()

  route (method: RouteMethod, pathname: string, handler: RouteHandler): void {
    this.routes.set(`${method} ${pathname}`, handler)
  }

  stream (method: 'GET' | 'POST', pathname: string, handler: StreamHandler): void {
    this.streams.set(`${method} ${pathname}`, handler)
  }

  /**
   * Calls a route in-process, e.g. `call('GET', '/api/wallet/history?limit=50')`. A streaming route sends its
   * records to `onRecord` and resolves with undefined; errors are thrown (not written as error records).
   */
  async call (method: RouteMethod, target: string, body?: unknown, options: RouterCallOptions = {}): Promise<unknown> {
    const url = new URL(target, 'http://127.0.0.1')
    const key = `${method} ${url.pathname}`
    const req: ApiRequest = { url, signal: options.signal ?? new AbortController().signal, body: schema => Promise.resolve(parseBody(schema, body)) }
    const stream = this.streams.get(key)
    if (stream !== undefined) {
      await stream(req, record => options.onRecord?.(record))
      return undefined
    }
    const handler = this.routes.get(key)
    if (handler === undefined) throw new NotFoundError(`No such endpoint ${method} ${url.pathname}`)
    return (await handler(req)) ?? { ok: true }
  }
}
