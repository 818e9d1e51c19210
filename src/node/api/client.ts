// Client side of the local API, used by the CLI: finds the running node through the data dir's
// api.json and calls it with the token.
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import { pidAlive } from '../storage/pid'
import { API_INFO_FILE } from './constants'
import { ApiError, NodeNotRunningError } from './errors'

const ApiInfoSchema = z.object({ url: z.string().url(), token: z.string().min(1), pid: z.number().int(), peerId: z.string() })

export class ApiClient {
  constructor (readonly url: string, private readonly token: string) {}

  static async forDataDir (dataDir: string): Promise<ApiClient> {
    const file = path.join(dataDir, API_INFO_FILE)
    const hint = `start one with: continuum node start --data-dir ${JSON.stringify(dataDir)}`
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch {
      throw new NodeNotRunningError(`No node is running for data dir ${dataDir}: ${hint}`)
    }
    const parsed = ApiInfoSchema.safeParse(safeJson(text))
    if (!parsed.success || !pidAlive(parsed.data.pid)) throw new NodeNotRunningError(`No node is running for data dir ${dataDir}: ${hint}`)
    return new ApiClient(parsed.data.url, parsed.data.token)
  }

  async call<T = unknown> (method: 'GET' | 'POST' | 'DELETE', pathname: string, body?: unknown, options: { signal?: AbortSignal } = {}): Promise<T> {
    const res = await this.fetch(method, pathname, body, options.signal)
    const text = await res.text()
    const json = safeJson(text) as { error?: { name?: string, message?: string } } | undefined
    if (!res.ok) throw new ApiError(json?.error?.message ?? `HTTP ${res.status}`, res.status, json?.error?.name ?? 'Error')
    return json as T
  }

  /** Calls a streaming (NDJSON) endpoint, yielding each record as it arrives. */
  async * stream<T = unknown> (method: 'GET' | 'POST', pathname: string, body?: unknown, options: { signal?: AbortSignal } = {}): AsyncGenerator<T> {
    const res = await this.fetch(method, pathname, body, options.signal)
    if (!res.ok || res.body === null) {
      const json = safeJson(await res.text()) as { error?: { name?: string, message?: string } } | undefined
      throw new ApiError(json?.error?.message ?? `HTTP ${res.status}`, res.status, json?.error?.name ?? 'Error')
    }
    const decoder = new TextDecoder()
    let buffer = ''
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true })
      let nl: number
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim()
        buffer = buffer.slice(nl + 1)
        if (line !== '') yield JSON.parse(line) as T
      }
    }
    if (buffer.trim() !== '') yield JSON.parse(buffer) as T
  }

  private async fetch (method: string, pathname: string, body: unknown, signal?: AbortSignal): Promise<Response> {
    try {
      return await fetch(this.url + pathname, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal
      })
    } catch (err) {
      throw new NodeNotRunningError(`Cannot reach the node's API at ${this.url} (${(err as Error).message}): is the node still running?`)
    }
  }
}

function safeJson (text: string): unknown {
  try { return JSON.parse(text) } catch { return undefined }
}
