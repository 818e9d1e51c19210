// PROCESS EDGE: a small OpenAI-compatible inference server on 127.0.0.1, standing in for the Ollama /
// llama.cpp / vLLM server a provider runs. It streams chat completions as server-sent events, one piece
// per chunk, and records each request so tests can see which model or LoRA adapter was asked for.
import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface FakeInferenceServer {
  url: string
  requests: Array<Record<string, unknown>>
  /** Pieces sent after the first one wait for this (tests release it once the first piece arrived). */
  release: () => void
  close: () => Promise<void>
}

/** Answers `[<model or lora id>] <words…>` piece by piece; `garbage` answers a stream that is not JSON. */
export async function startInferenceServer (words: string[], opts: { holdAfterFirst?: boolean, garbage?: boolean } = {}): Promise<FakeInferenceServer> {
  const requests: Array<Record<string, unknown>> = []
  let release!: () => void
  let released = new Promise<void>(resolve => { release = resolve })
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', c => { body += String(c) })
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') { res.writeHead(404).end(); return }
      const parsed = JSON.parse(body) as Record<string, unknown>
      requests.push(parsed)
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      if (opts.garbage === true) { res.end('data: {not json\n\n'); return }
      const lora = parsed.lora as Array<{ id: number }> | undefined
      const tag = lora !== undefined ? `lora#${lora[0].id}` : String(parsed.model)
      const pieces = [`[${tag}]`, ...words.map(w => ` ${w}`)]
      const chunk = (text: string): string => `data: ${JSON.stringify({ choices: [{ delta: { content: text }, finish_reason: null }] })}\n\n`
      void (async () => {
        res.write(chunk(pieces[0]))
        if (opts.holdAfterFirst === true) await released
        for (const p of pieces.slice(1)) res.write(chunk(p))
        res.end('data: [DONE]\n\n')
      })()
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    release: () => { release(); released = Promise.resolve() },
    close: async () => { server.closeAllConnections(); await new Promise<void>(resolve => server.close(() => resolve())) }
  }
}
