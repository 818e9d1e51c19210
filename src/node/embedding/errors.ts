/** The built model folder is missing or incomplete. */
export class ModelNotFoundError extends Error {
  static override name = 'ModelNotFoundError'
  override name = 'ModelNotFoundError'
  constructor (readonly searched: string[], detail?: string) {
    super(`Embedding model not found${detail ? ` (${detail})` : ''}; looked in: ${searched.join(', ') || '(nowhere)'}. ` +
      'Run `npm install` (or `npm run build:model`) to build it, or set CONTINUUM_MODEL_DIR.')
  }
}

/** The bundled worker script (embedding-worker.cjs) is not next to the running bundle. */
export class WorkerNotFoundError extends Error {
  static override name = 'WorkerNotFoundError'
  override name = 'WorkerNotFoundError'
  constructor (readonly searched: string[]) {
    super(`embedding-worker.cjs not found (looked in: ${searched.join(', ')}). The embedder runs from a bundle: ` +
      'build with `npm run build` (tests and benches emit it themselves), or pass `workerPath`.')
  }
}

/** A text was empty or only whitespace: it has no meaning to embed. */
export class EmptyTextError extends Error {
  static override name = 'EmptyTextError'
  override name = 'EmptyTextError'
  constructor (readonly index: number) {
    super(`text ${index} is empty`)
  }
}

/** A text was not a string. */
export class InvalidTextError extends Error {
  static override name = 'InvalidTextError'
  override name = 'InvalidTextError'
  constructor (readonly index: number, got: string) {
    super(`text ${index} is not a string (got ${got})`)
  }
}

/** The embedder was closed before or while the call ran. */
export class EmbedderClosedError extends Error {
  static override name = 'EmbedderClosedError'
  override name = 'EmbedderClosedError'
  constructor () {
    super('the embedder is closed')
  }
}

/** The model failed to load or run, or the worker thread died. */
export class EmbeddingWorkerError extends Error {
  static override name = 'EmbeddingWorkerError'
  override name = 'EmbeddingWorkerError'
}

/** The call was aborted through its AbortSignal (used when the signal carries no reason of its own). */
export class AbortError extends Error {
  static override name = 'AbortError'
  override name = 'AbortError'
  constructor (message = 'the operation was aborted') {
    super(message)
  }
}

/** A user-supplied embedding model folder (setting or --embedding-model) is not a usable model. */
export class InvalidModelFolderError extends Error {
  static override name = 'InvalidModelFolderError'
  override name = 'InvalidModelFolderError'
  constructor (readonly dir: string, readonly problem: string) {
    super(`${dir} is not an embedding model folder: ${problem} (a model folder holds config.json, tokenizer.json, ` +
      'tokenizer_config.json and onnx/model.onnx, e.g. an ONNX export of multilingual-e5-small)')
  }
}
