// What a compute provider serves with. `embeddings`: the node's own MiniLM embedder (batch sentence
// embeddings, offline). `openai`: any OpenAI-compatible server the provider already runs (Ollama,
// llama.cpp server, vLLM, LM Studio), streamed over chat completions, applying a LoRA adapter by name:
// `model` mode asks for the adapter as the model (vLLM `--lora-modules name=path`, an Ollama model built
// from a Modelfile with `ADAPTER`), `llama-cpp` mode sends `lora: [{ id, scale: 1 }]` with the adapter's
// index among the server's `--lora` files (the order given to --adapter). The backend's answers are
// untrusted too: schema-checked and size-capped.
import { z } from 'zod'
import { combineSignals, type AbortOptions } from '../util/abort'
import { errorMessage } from '../util/logger'
import { BackendError, ComputeInputError } from './errors'
import { MAX_TOKEN_TEXT } from './protocol'

export type BackendName = 'embeddings' | 'openai'
export const BACKEND_NAMES: readonly BackendName[] = ['embeddings', 'openai']

export interface GenerateInput { prompt: string, maxTokens: number, adapter?: string, model?: string }

export interface ComputeBackend {
  readonly name: BackendName
  /** What the listing says this backend does. */
  readonly task: 'generate' | 'embed'
  readonly model?: string
  readonly adapters: string[]
  /** Extra listing attributes (e.g. vector dimensions). */
  readonly attributes: Record<string, string>
  generate?: (input: GenerateInput, onToken: (text: string) => Promise<void>, options: AbortOptions) => Promise<{ tokens: number }>
  embed?: (texts: string[], options: AbortOptions) => Promise<number[][]>
}

export interface BackendOptions {
  backend: BackendName
  /** openai: the server's base URL, e.g. http://127.0.0.1:11434/v1 */
  url?: string
  model?: string
  adapters?: string[]
  /** openai: how an adapter is applied. @default 'model' */
  adapterMode?: 'model' | 'llama-cpp'
  /** openai: bearer key for the server, if it wants one. */
  apiKey?: string
  /** openai: longest wait for the server. @default 120000 */
  timeoutMs?: number
}

export interface BackendDeps {
  embedder?: { embed: (texts: string[], options?: AbortOptions) => Promise<Float32Array[]> }
}

/** Largest streamed answer read from an OpenAI-compatible server. */
const MAX_UPSTREAM_BYTES = 4 * 1024 * 1024

export function createBackend (o: BackendOptions, deps: BackendDeps): ComputeBackend {
  if (o.backend === 'embeddings') {
    const embedder = deps.embedder
    if (embedder === undefined) throw new ComputeInputError('This node has no embedder to serve embeddings with')
    return {
      name: 'embeddings',
      task: 'embed',
      model: 'all-MiniLM-L6-v2',
      adapters: [],
      attributes: { task: 'embed', dimensions: '384', normalized: 'true' },
      embed: async (texts, options) => (await embedder.embed(texts, options)).map(v => Array.from(v, x => Math.round(x * 1e7) / 1e7))
    }
  }
  if (o.backend === 'openai') return openaiBackend(o)
  throw new ComputeInputError(`Unknown backend "${String(o.backend)}": use one of ${BACKEND_NAMES.join(', ')}`)
}

const ChunkSchema = z.object({
  choices: z.array(z.object({
    delta: z.object({ content: z.string().max(MAX_TOKEN_TEXT).nullable().optional() }).optional(),
    finish_reason: z.string().nullable().optional()
  })).max(8)
})

function openaiBackend (o: BackendOptions): ComputeBackend {
  let base: URL
  try {
    base = new URL(o.url ?? '')
  } catch {
    throw new ComputeInputError('The openai backend needs --url of an OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1')
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new ComputeInputError('--url must be http(s)')
  if (o.model === undefined) throw new ComputeInputError('The openai backend needs --model (the model name the server knows)')
  const adapters = o.adapters ?? []
  const endpoint = new URL(base.pathname.replace(/\/?$/, '/') + 'chat/completions', base)
  return {
    name: 'openai',
    task: 'generate',
    model: o.model,
    adapters,
    attributes: { task: 'generate' },
    generate: async (input, onToken, options) => {
      if (input.adapter !== undefined && !adapters.includes(input.adapter)) throw new ComputeInputError(`adapter ${input.adapter} is not served here`)
      const body: Record<string, unknown> = {
        model: input.adapter !== undefined && o.adapterMode !== 'llama-cpp' ? input.adapter : o.model,
        messages: [{ role: 'user', content: input.prompt }],
        max_tokens: input.maxTokens,
        stream: true
      }
      if (input.adapter !== undefined && o.adapterMode === 'llama-cpp') body.lora = [{ id: adapters.indexOf(input.adapter), scale: 1 }]
      let res: Response
      try {
        res = await fetch(endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(o.apiKey !== undefined ? { authorization: `Bearer ${o.apiKey}` } : {}) },
          body: JSON.stringify(body),
          signal: combineSignals([options.signal], o.timeoutMs ?? 120_000)
        })
      } catch (err) {
        throw new BackendError(`The inference server at ${base.origin} is not reachable: ${errorMessage(err)}`)
      }
      if (!res.ok || res.body === null) throw new BackendError(`The inference server answered HTTP ${res.status}`)
      let tokens = 0
      let bytes = 0
      let buffer = ''
      const decoder = new TextDecoder()
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        bytes += chunk.byteLength
        if (bytes > MAX_UPSTREAM_BYTES) throw new BackendError('The inference server sent more than 4 MiB')
        buffer += decoder.decode(chunk, { stream: true })
        let nl: number
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).trim()
          buffer = buffer.slice(nl + 1)
          if (!line.startsWith('data:')) continue
          const data = line.slice(5).trim()
          if (data === '[DONE]') return { tokens }
          let parsed
          try { parsed = ChunkSchema.parse(JSON.parse(data)) } catch { throw new BackendError('The inference server sent a malformed stream chunk') }
          const text = parsed.choices[0]?.delta?.content
          if (typeof text === 'string' && text !== '') {
            tokens++
            if (tokens > input.maxTokens) return { tokens: input.maxTokens }
            await onToken(text)
          }
        }
      }
      return { tokens }
    }
  }
}
