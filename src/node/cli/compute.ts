// `continuum compute start-provider|stop-provider|providers` and `continuum ai generate|embed`: compute on
// the mesh through the running node (`node.market`). Prices are tokens; nothing is charged above
// --max-price, and a failed request pays nothing.
import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import { ApiError, BACKEND_NAMES, parseTokens } from '..'
import { clientFor, printJson } from './program'
import { marketCall } from './market'
import { shortId } from './format'

const collect = (value: string, previous: string[]): string[] => [...previous, value]

function parseTokenAmount (v: string): string {
  try { parseTokens(v) } catch { throw new InvalidArgumentError('expected a token amount, e.g. 1.5') }
  return v
}

function parseWhole (max: number) {
  return (v: string): number => {
    const n = Number(v)
    if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`expected a whole number 1-${max}`)
    return n
  }
}

function parseBackend (v: string): string {
  if (!(BACKEND_NAMES as readonly string[]).includes(v)) throw new InvalidArgumentError(`expected one of ${BACKEND_NAMES.join(', ')}`)
  return v
}

interface Served { provider: string, service: string, cost: number, balance?: number, failed: Array<{ provider: string, error: string }> }

const servedLine = (r: Served): string =>
  `Served by ${r.service === 'local' ? 'this node' : shortId(r.provider)} (${r.service}) for ${r.cost} token${r.cost === 1 ? '' : 's'}` +
  `${r.balance !== undefined ? `, balance ${r.balance}` : ''}${r.failed.length > 0 ? `; skipped ${r.failed.map(f => `${shortId(f.provider)} (${f.error})`).join(', ')}` : ''}`

export function registerComputeCommands (program: Command): void {
  const compute = program.command('compute').description('serve inference or embeddings to the mesh for tokens')
  compute.command('start-provider')
    .description('serve a backend to the mesh and list it (replaces a running one of the same backend)')
    .requiredOption('--backend <name>', `backend: ${BACKEND_NAMES.join(', ')}`, parseBackend)
    .requiredOption('--price-per-request <tokens>', 'price of one request in tokens', parseTokenAmount)
    .option('--model <model>', 'openai: the model name the server knows')
    .option('--url <url>', 'openai: the server\'s base URL, e.g. http://127.0.0.1:11434/v1')
    .option('--adapter <name>', 'openai: a LoRA adapter the server can apply, repeatable', collect, [])
    .option('--adapter-mode <mode>', 'openai: model (vLLM --lora-modules, Ollama ADAPTER) or llama-cpp (lora id by --adapter order)', 'model')
    .option('--max-concurrent <n>', 'requests served at once', parseWhole(256), 2)
    .option('--json', 'print JSON')
    .action(async (opts: { backend: string, pricePerRequest: string, model?: string, url?: string, adapter: string[], adapterMode: string, maxConcurrent: number, json?: boolean }, cmd: Command) => {
      if (opts.adapterMode !== 'model' && opts.adapterMode !== 'llama-cpp') throw new InvalidArgumentError('--adapter-mode must be model or llama-cpp')
      const res = await marketCall<{ service: string, price: number, model?: string, adapters: string[] }>(await clientFor(cmd), 'POST', '/api/compute/provider', {
        backend: opts.backend,
        pricePerRequest: opts.pricePerRequest,
        maxConcurrent: opts.maxConcurrent,
        adapterMode: opts.adapterMode,
        ...(opts.model !== undefined ? { model: opts.model } : {}),
        ...(opts.url !== undefined ? { url: opts.url } : {}),
        ...(opts.adapter.length > 0 ? { adapters: opts.adapter } : {})
      })
      if (opts.json === true) { printJson(res); return }
      console.log(`Providing ${res.service}${res.model !== undefined ? ` (${res.model})` : ''} at ${res.price} tokens per request${res.adapters.length > 0 ? ` with adapters ${res.adapters.join(', ')}` : ''}`)
    })
  compute.command('stop-provider')
    .description('stop serving (one backend, or all) and withdraw the listing')
    .option('--backend <name>', 'only this backend', parseBackend)
    .action(async (opts: { backend?: string }, cmd: Command) => {
      const res = await marketCall<{ stopped: string[] }>(await clientFor(cmd), 'POST', '/api/compute/provider/stop', opts.backend !== undefined ? { backend: opts.backend } : {})
      console.log(res.stopped.length === 0 ? 'No provider was running.' : `Stopped ${res.stopped.join(', ')}`)
    })
  compute.command('providers')
    .description('the backends this node serves, with requests served and tokens earned')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const res = await marketCall<{ providers: Array<{ service: string, price: number, served: number, refused: number, failed: number, paid: number, unpaid: number, earned: number, active: number }> }>(await clientFor(cmd), 'GET', '/api/compute/providers')
      if (opts.json === true) { printJson(res.providers); return }
      if (res.providers.length === 0) { console.log('Not providing anything.'); return }
      for (const p of res.providers) console.log(`${p.service}: ${p.price} tokens/request, ${p.served} served (${p.paid} paid, ${p.unpaid} unpaid), ${p.refused} refused, ${p.failed} failed, ${p.earned} tokens earned, ${p.active} running`)
    })

  const ai = program.command('ai').description('inference from the mesh: the cheapest good provider within your price')
  ai.command('generate')
    .description('generate text, streamed as it comes')
    .requiredOption('--prompt <text>', 'the prompt')
    .requiredOption('--max-price <tokens>', 'the most you pay for this request', parseTokenAmount)
    .option('--adapter <id>', 'a LoRA adapter the provider applies')
    .option('--model <model>', 'only providers of this model')
    .option('--max-tokens <n>', 'longest answer in tokens', parseWhole(4096), 256)
    .option('--prefer-local', 'use this node\'s own provider when it runs one (free)')
    .option('--json', 'print JSON (after the answer is complete)')
    .action(async (opts: { prompt: string, maxPrice: string, adapter?: string, model?: string, maxTokens: number, preferLocal?: boolean, json?: boolean }, cmd: Command) => {
      const client = await clientFor(cmd)
      const body = { prompt: opts.prompt, maxPrice: opts.maxPrice, maxTokens: opts.maxTokens, preferLocal: opts.preferLocal === true, ...(opts.adapter !== undefined ? { adapter: opts.adapter } : {}), ...(opts.model !== undefined ? { model: opts.model } : {}) }
      try {
        for await (const r of client.stream<{ type: string, text?: string, provider?: string, error?: { message?: string } | string } & Served>('POST', '/api/ai/generate', body)) {
          if (r.type === 'token' && opts.json !== true) process.stdout.write(r.text ?? '')
          else if (r.type === 'retry' && opts.json !== true) process.stderr.write(`\n[${shortId(r.provider ?? '')} failed: ${typeof r.error === 'string' ? r.error : ''}; trying the next provider]\n`)
          else if (r.type === 'error') throw new Error(typeof r.error === 'object' ? r.error?.message ?? 'generation failed' : String(r.error))
          else if (r.type === 'done') {
            if (opts.json === true) printJson(r)
            else process.stdout.write(`\n${servedLine(r)}\n`)
          }
        }
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) throw new Error('The running node has no market (its market feature is off)', { cause: err })
        throw err
      }
    })
  ai.command('embed')
    .description('sentence embeddings of one or more texts')
    .argument('<text...>', 'texts to embed')
    .requiredOption('--max-price <tokens>', 'the most you pay for this request', parseTokenAmount)
    .option('--prefer-local', 'use this node\'s own provider when it runs one (free)')
    .option('--json', 'print JSON')
    .action(async (texts: string[], opts: { maxPrice: string, preferLocal?: boolean, json?: boolean }, cmd: Command) => {
      const r = await marketCall<Served & { vectors: number[][] }>(await clientFor(cmd), 'POST', '/api/ai/embed', { texts, maxPrice: opts.maxPrice, preferLocal: opts.preferLocal === true })
      if (opts.json === true) { printJson(r); return }
      r.vectors.forEach((v, i) => console.log(`${JSON.stringify(texts[i]).slice(0, 40)}: [${v.slice(0, 4).map(x => x.toFixed(4)).join(', ')}, …] (${v.length} dimensions)`))
      console.log(servedLine(r))
    })
}
