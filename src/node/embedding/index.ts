// Offline sentence embeddings (all-MiniLM-L6-v2, 384 dimensions, mean-pooled, L2-normalised) computed in a worker
// thread with transformers.js + onnxruntime-node. The model is built locally by scripts/build-model.mjs; nothing is
// downloaded. Cosine similarity of two vectors is their dot product.
import { Worker } from 'node:worker_threads'
import { DEFAULT_BATCH_SIZE, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_THREADS, DIMENSIONS, MAX_TOKENS, MODEL_ID, WORKER_CLOSE_TIMEOUT_MS } from './constants'
import { AbortError, EmbedderClosedError, EmbeddingWorkerError, EmptyTextError, InvalidTextError, ModelNotFoundError } from './errors'
import { resolveModelDir, resolveWorkerPath } from './model-dir'
import type { ModelSpec } from './model-folder'
import type { CloseRequest, EmbedRequest, SerializedError, WorkerData, WorkerMessage } from './protocol'

export * from './errors'
export { DIMENSIONS, MAX_TOKENS, MODEL_ID } from './constants'
export { inspectModelFolder, type ModelSpec } from './model-folder'

export interface EmbedderInit {
  /**
   * A user-supplied model folder checked by `inspectModelFolder` (its id, width, window, pooling and
   * query/passage prefixes); overrides `modelDir`.
   * @default the shipped all-MiniLM-L6-v2
   */
  model?: ModelSpec
  /**
   * Folder of the built model (config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx).
   * @default $CONTINUUM_MODEL_DIR, else the nearest `models/all-MiniLM-L6-v2` above this bundle
   */
  modelDir?: string
  /**
   * The bundled worker script.
   * @default `embedding-worker.cjs` in this bundle's folder (or the nearest folder above it)
   */
  workerPath?: string
  /**
   * Texts per forward pass; a call with more texts is split, and other calls' batches interleave with it.
   * @default 32
   */
  batchSize?: number
  /**
   * onnxruntime intra-op threads.
   * @default 1
   */
  threads?: number
  /**
   * Stop the worker after this long without work, giving back its memory (~200–300 MB); the next call loads the
   * model again (~0.5–1 s). 0 keeps it loaded until close().
   * @default 300000 (5 minutes)
   */
  idleTimeoutMs?: number
}

/** 'unloaded': no worker (not started yet, or stopped after idleTimeoutMs); the next call loads the model. */
export type EmbedderState = 'unloaded' | 'loading' | 'ready' | 'closed'

export interface EmbedOptions {
  signal?: AbortSignal
  /** Called after each batch with the number of texts embedded so far. */
  onProgress?: (done: number, total: number) => void
  /**
   * What the texts are, for models trained with prefixes (e5: "query: " / "passage: "); the model's
   * sentence-transformers config says which. No prefix for models without one (the shipped MiniLM).
   * @default none
   */
  role?: 'query' | 'passage'
}

export interface EmbedResult {
  /** One vector per text, in input order: `dimensions` floats, unit length. */
  vectors: Float32Array[]
  /** Word pieces per text, [CLS] and [SEP] included, before truncation. */
  tokens: number[]
  /** Whether the text was longer than the model window (`maxTokens`) and only its start was embedded. */
  truncated: boolean[]
}

export interface Embedder {
  /** Which model the vectors come from; vectors of different models must not be compared. */
  readonly modelId: string
  readonly dimensions: number
  /** Model window in word pieces ([CLS] and [SEP] included); the rest of a longer text is ignored. */
  readonly maxTokens: number
  readonly state: EmbedderState
  /**
   * Starts the worker and loads the model (otherwise done by the first embed call). Rejects with
   * ModelNotFoundError, WorkerNotFoundError or EmbeddingWorkerError.
   * @returns the model load time in the worker, in ms
   */
  load(options?: { signal?: AbortSignal }): Promise<number>
  /** Embeds texts in order. Rejects with EmptyTextError for an empty or whitespace-only text. */
  embed(texts: string[], options?: EmbedOptions): Promise<Float32Array[]>
  /** Like embed, and also says which texts were truncated to the model window. */
  embedDetailed(texts: string[], options?: EmbedOptions): Promise<EmbedResult>
  embedOne(text: string, options?: { signal?: AbortSignal, role?: 'query' | 'passage' }): Promise<Float32Array>
  /** Stops the worker. Pending calls reject with EmbedderClosedError; so do later ones. Idempotent. */
  close(): Promise<void>
}

export function createEmbedder (init: EmbedderInit = {}): Embedder {
  return new WorkerEmbedder(init)
}

/** A caller's request, split into batches that are sent to the worker one at a time. */
interface Job {
  texts: string[]
  batches: number[][] // indices into texts
  result: EmbedResult
  done: number
  options: EmbedOptions
  resolve: (result: EmbedResult) => void
  reject: (err: unknown) => void
  cleanup: () => void
}

class WorkerEmbedder implements Embedder {
  readonly modelId: string
  readonly dimensions: number
  readonly maxTokens: number
  private readonly batchSize: number
  private readonly threads: number
  private readonly idleTimeoutMs: number
  private idleTimer: NodeJS.Timeout | undefined
  private loaded = false // the current worker has loaded the model
  private worker: Worker | undefined
  private ready: Promise<number> | undefined
  private rejectReady: ((err: Error) => void) | undefined
  /** Jobs with batches still to send, served round-robin so a short query is not stuck behind a bulk job. */
  private readonly jobs: Job[] = []
  private readonly inFlight = new Map<number, { job: Job, indices: number[] }>()
  private nextId = 0
  private closed = false
  private loads = 0 // load() calls waiting; they keep the worker referenced

  constructor (private readonly init: EmbedderInit) {
    this.modelId = init.model?.modelId ?? MODEL_ID
    this.dimensions = init.model?.dimensions ?? DIMENSIONS
    this.maxTokens = init.model?.maxTokens ?? MAX_TOKENS
    this.batchSize = Math.max(1, Math.floor(init.batchSize ?? DEFAULT_BATCH_SIZE))
    this.threads = Math.max(1, Math.floor(init.threads ?? DEFAULT_THREADS))
    this.idleTimeoutMs = Math.max(0, init.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS)
  }

  get state (): EmbedderState {
    if (this.closed) return 'closed'
    if (this.worker == null) return 'unloaded'
    return this.loaded ? 'ready' : 'loading'
  }

  async load (options: { signal?: AbortSignal } = {}): Promise<number> {
    if (this.closed) throw new EmbedderClosedError()
    this.loads++
    try {
      const ready = this.start()
      this.updateRef()
      return await raceAbort(ready, options.signal)
    } finally {
      this.loads--
      this.updateRef()
    }
  }

  async embed (texts: string[], options?: EmbedOptions): Promise<Float32Array[]> {
    return (await this.embedDetailed(texts, options)).vectors
  }

  async embedOne (text: string, options?: { signal?: AbortSignal, role?: 'query' | 'passage' }): Promise<Float32Array> {
    return (await this.embedDetailed([text], options)).vectors[0]
  }

  async embedDetailed (input: string[], options: EmbedOptions = {}): Promise<EmbedResult> {
    if (!Array.isArray(input)) throw new InvalidTextError(-1, typeof input)
    input.forEach((t, i) => {
      if (typeof t !== 'string') throw new InvalidTextError(i, t === null ? 'null' : typeof t)
      if (t.trim() === '') throw new EmptyTextError(i)
    })
    const prefix = options.role === 'query' ? this.init.model?.queryPrefix : options.role === 'passage' ? this.init.model?.passagePrefix : undefined
    const texts = prefix === undefined || prefix === '' ? input : input.map(t => prefix + t)
    if (this.closed) throw new EmbedderClosedError()
    options.signal?.throwIfAborted()
    const result: EmbedResult = { vectors: new Array(texts.length), tokens: new Array(texts.length), truncated: new Array(texts.length) }
    if (texts.length === 0) return result
    await raceAbort(this.start(), options.signal)
    if (this.closed) throw new EmbedderClosedError()

    // Batch texts of similar length together so little compute goes to padding (length in characters is a
    // good enough proxy for length in word pieces).
    const order = texts.map((_, i) => i).sort((a, b) => texts[a].length - texts[b].length)
    const batches: number[][] = []
    for (let i = 0; i < order.length; i += this.batchSize) batches.push(order.slice(i, i + this.batchSize))

    return await new Promise<EmbedResult>((resolve, reject) => {
      const job: Job = { texts, batches, result, done: 0, options, resolve, reject, cleanup: () => {} }
      const signal = options.signal
      if (signal != null) {
        const onAbort = (): void => this.fail(job, abortReason(signal))
        signal.addEventListener('abort', onAbort, { once: true })
        job.cleanup = () => signal.removeEventListener('abort', onAbort)
      }
      this.jobs.push(job)
      this.updateRef()
      this.pump()
    })
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    clearTimeout(this.idleTimer)
    const err = new EmbedderClosedError()
    for (const job of [...this.jobs, ...[...this.inFlight.values()].map(b => b.job)]) this.fail(job, err)
    this.inFlight.clear()
    this.rejectReady?.(err) // a call still waiting for the model to load
    const worker = this.worker
    this.worker = undefined
    if (worker != null) await stopWorker(worker)
  }

  /** Starts the worker once; resolves when the model is loaded (with its load time in ms). */
  private start (): Promise<number> {
    if (this.ready != null) return this.ready
    const ready = new Promise<number>((resolve, reject) => {
      this.rejectReady = reject
      // Resolved here, not in createEmbedder, so that a missing model surfaces as a rejected call.
      const spec = this.init.model
      const modelDir = spec?.dir ?? resolveModelDir(this.init.modelDir, __dirname)
      const workerPath = resolveWorkerPath(this.init.workerPath, __dirname)
      const workerData: WorkerData = { modelDir, threads: this.threads, maxTokens: this.maxTokens, pooling: spec?.pooling ?? 'mean', dtype: spec?.dtype ?? 'fp32' }
      const worker = new Worker(workerPath, { workerData, stdout: false, stderr: false })
      this.worker = worker
      this.loaded = false
      let loaded = false
      worker.on('message', (message: WorkerMessage) => {
        switch (message.type) {
          case 'ready':
            if (message.dimensions !== this.dimensions) {
              // A model whose vectors are not as wide as its config says would corrupt every index it feeds.
              const err = new EmbeddingWorkerError(`embedding model in ${modelDir} gives ${message.dimensions}-dimension vectors, but its config.json says ${this.dimensions}`)
              reject(err)
              void this.crashed(worker, err)
              break
            }
            loaded = true
            this.loaded = true
            resolve(message.loadMs)
            this.updateRef()
            this.pump()
            break
          case 'load-error':
            reject(loadError(message.error, modelDir))
            void this.crashed(worker, loadError(message.error, modelDir))
            break
          case 'result':
            this.onResult(message.id, message.vectors, message.tokens)
            break
          case 'error':
            this.onBatchError(message.id, message.error)
            break
        }
      })
      worker.on('error', (err) => {
        const wrapped = new EmbeddingWorkerError(`embedding worker failed: ${err.message}`, { cause: err })
        if (!loaded) reject(wrapped)
        void this.crashed(worker, wrapped)
      })
      worker.on('exit', (code) => {
        if (this.worker !== worker) return // closed or replaced
        const err = new EmbeddingWorkerError(`embedding worker exited unexpectedly (code ${code})`)
        if (!loaded) reject(err)
        void this.crashed(worker, err)
      })
    })
    this.ready = ready
    // A failed load is not cached: the next call tries again (e.g. after `npm run build:model`).
    // (This handler also keeps a rejection nobody awaits from being reported as unhandled.)
    ready.then(() => { this.rejectReady = undefined }, () => {
      this.rejectReady = undefined
      if (this.ready === ready) this.ready = undefined
    })
    return ready
  }

  /** The worker died or could not load: fail everything pending; the next call starts a fresh worker. */
  private async crashed (worker: Worker, err: Error): Promise<void> {
    if (this.worker !== worker) return
    this.worker = undefined
    this.ready = undefined
    this.loaded = false
    for (const job of [...this.jobs, ...[...this.inFlight.values()].map(b => b.job)]) this.fail(job, err)
    this.inFlight.clear()
    await worker.terminate()
  }

  /** Sends the next batch if the worker is idle. */
  private pump (): void {
    if (this.inFlight.size > 0 || this.jobs.length === 0 || this.closed) return
    const worker = this.worker
    if (worker == null || !this.loaded) {
      // Unloaded (idle timeout) or crashed with work queued: load again; 'ready' pumps.
      this.start().catch((err: unknown) => { for (const job of [...this.jobs]) this.fail(job, err) })
      return
    }
    const job = this.jobs.shift() as Job
    const indices = job.batches.shift() as number[]
    if (job.batches.length > 0) this.jobs.push(job) // round-robin
    const id = this.nextId++
    this.inFlight.set(id, { job, indices })
    const request: EmbedRequest = { type: 'embed', id, texts: indices.map(i => job.texts[i]) }
    worker.postMessage(request)
  }

  private onResult (id: number, vectors: Float32Array, tokens: number[]): void {
    const batch = this.inFlight.get(id)
    this.inFlight.delete(id)
    if (batch != null) {
      const { job, indices } = batch
      if (!isSettled(job)) {
        indices.forEach((textIndex, k) => {
          job.result.vectors[textIndex] = vectors.slice(k * this.dimensions, (k + 1) * this.dimensions)
          job.result.tokens[textIndex] = tokens[k]
          job.result.truncated[textIndex] = tokens[k] > this.maxTokens
        })
        job.done += indices.length
        try {
          job.options.onProgress?.(job.done, job.texts.length)
        } catch (err) {
          this.fail(job, err)
        }
        if (!isSettled(job) && job.done === job.texts.length) {
          settle(job)
          job.resolve(job.result)
        }
      }
    }
    this.updateRef()
    this.pump()
  }

  private onBatchError (id: number, error: SerializedError): void {
    const batch = this.inFlight.get(id)
    this.inFlight.delete(id)
    if (batch != null) {
      this.fail(batch.job, new EmbeddingWorkerError(`embedding failed: ${error.name}: ${error.message}`))
    }
    this.updateRef()
    this.pump()
  }

  /** Rejects a job and drops its unsent batches (a batch already in the worker finishes and is discarded). */
  private fail (job: Job, err: unknown): void {
    if (isSettled(job)) return
    settle(job)
    const at = this.jobs.indexOf(job)
    if (at >= 0) this.jobs.splice(at, 1)
    job.batches.length = 0
    job.reject(err)
    this.updateRef()
  }

  /**
   * Keep the process alive only while there is work (an idle embedder must not prevent exit), and stop the worker
   * after idleTimeoutMs without work.
   */
  private updateRef (): void {
    const worker = this.worker
    if (worker == null) return
    clearTimeout(this.idleTimer)
    this.idleTimer = undefined
    if (this.jobs.length > 0 || this.inFlight.size > 0 || this.loads > 0) {
      worker.ref()
      return
    }
    worker.unref()
    if (this.idleTimeoutMs > 0 && this.loaded) {
      this.idleTimer = setTimeout(() => this.unload(worker), this.idleTimeoutMs)
      this.idleTimer.unref()
    }
  }

  private unload (worker: Worker): void {
    if (this.worker !== worker || this.jobs.length > 0 || this.inFlight.size > 0 || this.loads > 0) return
    this.worker = undefined
    this.ready = undefined
    this.loaded = false
    void worker.terminate()
  }
}

/**
 * Ends a worker without aborting the process: `terminate()` during an onnxruntime run throws a native
 * exception that kills the whole process (seen on Ctrl+C while the demo catalog was embedding). The worker
 * is asked to finish its batch and exit; terminate only if it does not within WORKER_CLOSE_TIMEOUT_MS.
 */
async function stopWorker (worker: Worker): Promise<void> {
  const exited = new Promise<void>(resolve => worker.once('exit', () => resolve()))
  try {
    worker.postMessage({ type: 'close' } satisfies CloseRequest)
  } catch {
    await worker.terminate()
    return
  }
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'late'>(resolve => { timer = setTimeout(() => resolve('late'), WORKER_CLOSE_TIMEOUT_MS) })
  const outcome = await Promise.race([exited, late])
  clearTimeout(timer)
  if (outcome === 'late') await worker.terminate()
}

const settledJobs = new WeakSet<Job>()
function isSettled (job: Job): boolean {
  return settledJobs.has(job)
}
function settle (job: Job): void {
  settledJobs.add(job)
  job.cleanup()
}

function abortReason (signal: AbortSignal): unknown {
  return signal.reason ?? new AbortError()
}

/** Resolves like `promise`, or rejects as soon as `signal` aborts (the underlying work is not cancelled). */
async function raceAbort<T> (promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal == null) return await promise
  signal.throwIfAborted()
  let onAbort: (() => void) | undefined
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => {
      onAbort = () => reject(abortReason(signal))
      signal.addEventListener('abort', onAbort, { once: true })
    })])
  } finally {
    if (onAbort != null) signal.removeEventListener('abort', onAbort)
  }
}

function loadError (error: SerializedError, modelDir: string): Error {
  // transformers.js reports a missing local file as a plain Error; tell the user how to get the model.
  if (/could not locate file|no such file|ENOENT/i.test(error.message)) return new ModelNotFoundError([modelDir], error.message)
  return new EmbeddingWorkerError(`embedding model failed to load from ${modelDir}: ${error.message}`)
}
