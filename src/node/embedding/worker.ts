// Worker-thread entry (bundled on its own as embedding-worker.cjs): loads the model once, then embeds the batches
// it is sent, one at a time. Inference is CPU-bound for milliseconds per text; running it here keeps the caller's
// event loop (the editor, the mesh node) free.
import { env, mean_pooling, pipeline, Tensor, type FeatureExtractionPipeline } from '@huggingface/transformers'
import path from 'node:path'
import { parentPort, workerData } from 'node:worker_threads'
import { groupByLength } from './batching'
import { serializeError, type CloseRequest, type EmbedRequest, type WorkerData, type WorkerMessage } from './protocol'

const port = parentPort
if (port == null) throw new Error('embedding-worker must run in a worker thread')
const { modelDir, threads, maxTokens, pooling, dtype } = workerData as WorkerData

// Local files only: nothing is ever downloaded, and nothing is written to a cache.
env.allowRemoteModels = false
env.allowLocalModels = true
env.useBrowserCache = false
env.useFSCache = false
env.localModelPath = path.dirname(modelDir) + path.sep

const send = (message: WorkerMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer)

async function load (): Promise<FeatureExtractionPipeline> {
  return await pipeline('feature-extraction', path.basename(modelDir), {
    dtype,
    device: 'cpu',
    local_files_only: true,
    session_options: {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      // Idle threads must not spin (burning a core inside VS Code between batches).
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } }
    }
  })
}

/**
 * What the feature-extraction pipeline does with `{ pooling: 'mean', normalize: true }` (tokenize, run the BERT,
 * mask-aware mean pooling, L2 normalisation), with two differences:
 * - transformers.js truncates a long text by cutting the token list, which drops the closing [SEP];
 *   sentence-transformers (the reference for this model) keeps it, so a truncated text is the first
 *   maxTokens - 2 word pieces between [CLS] and [SEP] here too;
 * - the texts are run in length-sorted groups (see groupByLength) instead of one batch padded to the longest.
 * Padding never changes a vector (masked attention, masked mean), so grouping only changes the speed.
 */
async function embed (extractor: FeatureExtractionPipeline, texts: string[]): Promise<{ vectors: Float32Array, tokens: number[] }> {
  const tokenizer = extractor.tokenizer
  const encoded = texts.map(t => tokenizer.encode(t)) // [CLS] … [SEP]
  const tokens = encoded.map(ids => ids.length)
  const windowed = encoded.map(ids => ids.length <= maxTokens ? ids : [...ids.slice(0, maxTokens - 1), ids[ids.length - 1]])
  const order = windowed.map((_, i) => i).sort((a, b) => windowed[a].length - windowed[b].length)
  let vectors: Float32Array | undefined
  for (const [start, end] of groupByLength(order.map(i => windowed[i].length))) {
    const rows = order.slice(start, end)
    const pooled = await forward(extractor, rows.map(i => windowed[i]))
    const dim = pooled.length / rows.length
    vectors ??= new Float32Array(texts.length * dim)
    rows.forEach((textIndex, k) => vectors!.set(pooled.subarray(k * dim, (k + 1) * dim), textIndex * dim))
  }
  return { vectors: vectors ?? new Float32Array(0), tokens }
}

/** Runs the model on token-id lists (padded to the longest) and returns mean-pooled, normalised vectors, row-major. */
async function forward (extractor: FeatureExtractionPipeline, batch: number[][]): Promise<Float32Array> {
  const n = batch.length
  const seq = Math.max(...batch.map(ids => ids.length))
  const padId = BigInt((extractor.tokenizer as { pad_token_id?: number }).pad_token_id ?? 0)
  const inputIds = new BigInt64Array(n * seq).fill(padId)
  const mask = new BigInt64Array(n * seq)
  batch.forEach((ids, row) => {
    for (let j = 0; j < ids.length; j++) {
      inputIds[row * seq + j] = BigInt(ids[j])
      mask[row * seq + j] = 1n
    }
  })
  const attentionMask = new Tensor('int64', mask, [n, seq])
  const inputs = {
    input_ids: new Tensor('int64', inputIds, [n, seq]),
    attention_mask: attentionMask,
    token_type_ids: new Tensor('int64', new BigInt64Array(n * seq), [n, seq])
  }
  // Models without segment ids (XLM-R based, e.g. multilingual-e5) declare no token_type_ids input.
  const wanted = (extractor.model as unknown as { sessions?: { model?: { inputNames?: string[] } } }).sessions?.model?.inputNames
  if (wanted !== undefined && !wanted.includes('token_type_ids')) delete (inputs as Partial<typeof inputs>).token_type_ids
  const outputs = await (extractor.model as unknown as (inputs: Record<string, Tensor>) => Promise<{ last_hidden_state: Tensor }>)(inputs)
  const hidden = outputs.last_hidden_state
  // CLS pooling (BGE-style models): the first token's vector; mean pooling averages the unmasked ones.
  const pooled = (pooling === 'cls' ? hidden.slice(null, 0, null) : mean_pooling(hidden, attentionMask)).normalize(2, -1)
  if (!(pooled.data instanceof Float32Array)) throw new Error(`unexpected output type ${pooled.type}`)
  return pooled.data
}

const started = performance.now()
const loading = load()
// One request at a time, in order: the caller's side already queues and batches.
let chain: Promise<unknown> = loading
port.on('message', (request: EmbedRequest | CloseRequest) => {
  if (request.type === 'close') {
    // Terminating the thread while onnxruntime runs aborts the whole process (a native exception):
    // finish the batch under way, release the session, then end the thread.
    chain = chain.catch(() => {}).then(async () => {
      await (await loading.catch(() => undefined))?.dispose().catch(() => {})
      port.close()
      process.exit(0)
    })
    return
  }
  chain = chain.then(async () => {
    const extractor = await loading
    try {
      const { vectors, tokens } = await embed(extractor, request.texts)
      send({ type: 'result', id: request.id, vectors, tokens }, [vectors.buffer as ArrayBuffer])
    } catch (err) {
      send({ type: 'error', id: request.id, error: serializeError(err) })
    }
  }, () => {})
})
// One probe text: the embedder checks the vector width against the model's config before any real work.
loading.then(async extractor => await embed(extractor, ['probe'])).then(probe => {
  send({ type: 'ready', loadMs: performance.now() - started, dimensions: probe.vectors.length })
}, (err: unknown) => {
  send({ type: 'load-error', error: serializeError(err) })
})
