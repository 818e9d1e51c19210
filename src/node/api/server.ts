// The node's local HTTP API: JSON over HTTP on 127.0.0.1 only, a random token required on every
// request, and a server-sent-events stream of live node events. The CLI, the web UI and scripts all
// use this one surface. Routes are registered by capability, so later features add their own.
import http from 'node:http'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile, rm } from 'node:fs/promises'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import { z } from 'zod'
import { writeFileAtomic } from '../storage/atomic-file'
import { errorMessage, type Logger } from '../util/logger'
import { API_INFO_FILE, API_TOKEN_FILE, LOOPBACK_HOSTS, MAX_BODY_BYTES, QUERY_TOKEN_PATHS } from './constants'
import { BadRequestError } from './errors'

export interface ApiRequest {
  url: URL
  /** Parses the JSON body with `schema`; a bad body becomes a 400 that names the problem. */
  body<T>(schema: z.ZodType<T>): Promise<T>
  signal: AbortSignal
}

export type RouteHandler = (req: ApiRequest) => Promise<unknown> | unknown
/** A streaming route writes newline-delimited JSON records; used for progressive search results. */
export type StreamHandler = (req: ApiRequest, write: (record: unknown) => void) => Promise<void>

export interface ApiInfo { url: string, token: string, pid: number, peerId: string }

export interface ApiServerInit {
  dataDir: string
  peerId: string
  /** @default 4180; 0 picks a free port */
  port?: number
  log: Logger
  /** Serves static files (the web UI) for non-API paths, if given. */
  staticHandler?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean
}

export class ApiServer {
  private readonly routes = new Map<string, RouteHandler>()
  private readonly streams = new Map<string, StreamHandler>()
  private readonly sseClients = new Set<http.ServerResponse>()
  private server?: http.Server
  private _token = ''
  private _url = ''

  constructor (private readonly init: ApiServerInit) {}

  get url (): string { return this._url }
  /** The access token: created once per data dir and kept, so open pages survive a node restart. */
  get token (): string { return this._token }

  private async loadToken (): Promise<string> {
    const file = path.join(this.init.dataDir, API_TOKEN_FILE)
    try {
      const text = (await readFile(file, 'utf8')).trim()
      if (/^[A-Za-z0-9_-]{32,}$/.test(text)) return text
    } catch { /* first start */ }
    const token = randomBytes(24).toString('base64url')
    await writeFileAtomic(file, token + '\n', { mode: 0o600 })
    return token
  }

  /** `GET /api/status` → route('GET', '/api/status', handler) */
  route (method: 'GET' | 'POST' | 'DELETE', pathname: string, handler: RouteHandler): void {
    this.routes.set(`${method} ${pathname}`, handler)
  }

  stream (method: 'GET' | 'POST', pathname: string, handler: StreamHandler): void {
    this.streams.set(`${method} ${pathname}`, handler)
  }

  /** Sends one server-sent event to every connected /api/events client. */
  broadcast (event: string, data: unknown): void {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
    for (const res of this.sseClients) res.write(frame)
  }

  async start (port: number): Promise<ApiInfo> {
    this._token = await this.loadToken()
    const server = http.createServer((req, res) => { void this.handle(req, res) })
    this.server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE') reject(new Error(`API port ${port} on 127.0.0.1 is already in use: pick another with --api-port <port> (0 = any free port)`))
        else reject(err)
      })
      server.listen(port, '127.0.0.1', () => resolve())
    })
    const { port: actual } = server.address() as AddressInfo
    this._url = `http://127.0.0.1:${actual}`
    const info: ApiInfo = { url: this._url, token: this.token, pid: process.pid, peerId: this.init.peerId }
    await writeFileAtomic(path.join(this.init.dataDir, API_INFO_FILE), JSON.stringify(info, null, 2), { mode: 0o600 })
    const keepAlive = setInterval(() => { for (const res of this.sseClients) res.write(': keep-alive\n\n') }, 15_000)
    keepAlive.unref()
    server.once('close', () => clearInterval(keepAlive))
    return info
  }

  async stop (): Promise<void> {
    for (const res of this.sseClients) res.end()
    this.sseClients.clear()
    if (this.server !== undefined) {
      this.server.closeAllConnections()
      await new Promise<void>(resolve => this.server!.close(() => resolve()))
    }
    await rm(path.join(this.init.dataDir, API_INFO_FILE), { force: true })
  }

  /**
   * The token comes in the Authorization header; `?token=` only on the event stream, because a
   * browser's EventSource cannot send headers. Anywhere else a token in the URL would end up in
   * logs and history, so it is not accepted.
   */
  private authorised (req: http.IncomingMessage, url: URL): boolean {
    const header = req.headers.authorization
    const fromQuery = req.method === 'GET' && QUERY_TOKEN_PATHS.includes(url.pathname) ? url.searchParams.get('token') ?? '' : ''
    const given = header?.startsWith('Bearer ') === true ? header.slice(7) : fromQuery
    const a = Buffer.from(given)
    const b = Buffer.from(this.token)
    return a.length === b.length && timingSafeEqual(a, b)
  }

  /** The `Host` values this server answers to: its loopback names with its port. */
  private allowedHosts (): string[] {
    const port = (this.server?.address() as AddressInfo | null)?.port
    return LOOPBACK_HOSTS.map(h => `${h}:${port ?? ''}`)
  }

  /**
   * DNS rebinding: a web page can point its own host name at 127.0.0.1 and then talk to this server
   * as "same origin"; the Host header still carries that name, so only loopback names are served.
   * Cross-origin requests (another site's page POSTing here) carry a foreign Origin and are refused.
   */
  private refusedOrigin (req: http.IncomingMessage): { status: number, name: string, message: string } | undefined {
    const hosts = this.allowedHosts()
    const host = req.headers.host?.toLowerCase()
    if (host === undefined || !hosts.includes(host)) {
      return { status: 421, name: 'MisdirectedRequest', message: `This API answers only to ${hosts[0]} (got Host "${(host ?? '').slice(0, 100)}"): use the URL in the data dir's api.json` }
    }
    const origin = req.headers.origin
    if (origin !== undefined && !hosts.some(h => origin.toLowerCase() === `http://${h}`)) {
      return { status: 403, name: 'CrossOriginRefused', message: `Requests from other origins (${origin.slice(0, 100)}) are refused: open the web UI from ${this._url}` }
    }
    return undefined
  }

  private async handle (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const refused = this.refusedOrigin(req)
    if (refused !== undefined) return sendJson(res, refused.status, { error: { name: refused.name, message: refused.message } })
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    if (!url.pathname.startsWith('/api/')) {
      if (this.init.staticHandler?.(req, res) === true) return
      return sendJson(res, 404, { error: { name: 'NotFound', message: `No such path ${url.pathname}` } })
    }
    if (!this.authorised(req, url)) {
      const inQuery = url.searchParams.has('token') && req.headers.authorization === undefined
      return sendJson(res, 401, { error: { name: 'Unauthorized', message: inQuery ? `?token= is accepted only on ${QUERY_TOKEN_PATHS.join(', ')}: send the token as Authorization: Bearer <token>` : 'Missing or wrong API token: use the token in the data dir\'s api.json (Authorization: Bearer <token>)' } })
    }
    const controller = new AbortController()
    res.on('close', () => controller.abort())
    const apiReq: ApiRequest = { url, signal: controller.signal, body: schema => readBody(req, schema) }
    const key = `${req.method ?? 'GET'} ${url.pathname}`
    if (key === 'GET /api/events') return this.openEventStream(res)
    const streamHandler = this.streams.get(key)
    if (streamHandler !== undefined) {
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' })
      try {
        await streamHandler(apiReq, record => { if (!res.writableEnded) res.write(JSON.stringify(record) + '\n') })
      } catch (err) {
        if (!res.writableEnded) res.write(JSON.stringify({ type: 'error', error: errorBody(err) }) + '\n')
      }
      res.end()
      return
    }
    const handler = this.routes.get(key)
    if (handler === undefined) {
      const known = [...this.routes.keys()].some(k => k.endsWith(` ${url.pathname}`))
      return sendJson(res, known ? 405 : 404, { error: { name: known ? 'MethodNotAllowed' : 'NotFound', message: `${known ? 'Method not allowed for' : 'No such endpoint'} ${req.method} ${url.pathname}` } })
    }
    try {
      const result = await handler(apiReq)
      sendJson(res, 200, result ?? { ok: true })
    } catch (err) {
      const status = (err as Error).name === 'BadRequestError' || (err as Error).name === 'InvalidPeerAddressError' ? 400 : 500
      if (status === 500) this.init.log.warn(`API ${key} failed: ${errorMessage(err)}`)
      sendJson(res, status, { error: errorBody(err) })
    }
  }

  private openEventStream (res: http.ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' })
    res.write('retry: 2000\n\n')
    this.sseClients.add(res)
    res.on('close', () => this.sseClients.delete(res))
  }
}

function errorBody (err: unknown): { name: string, message: string } {
  return { name: (err as Error)?.name ?? 'Error', message: errorMessage(err) }
}

function sendJson (res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) { res.end(); return }
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
  res.end(JSON.stringify(body))
}

async function readBody<T> (req: http.IncomingMessage, schema: z.ZodType<T>): Promise<T> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) throw new BadRequestError('Request body is larger than 1 MiB')
    chunks.push(chunk as Buffer)
  }
  let raw: unknown
  try {
    raw = chunks.length === 0 ? {} : JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new BadRequestError('Request body is not valid JSON')
  }
  const parsed = schema.safeParse(raw)
  if (!parsed.success) throw new BadRequestError(parsed.error.issues.map(i => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '))
  return parsed.data
}
