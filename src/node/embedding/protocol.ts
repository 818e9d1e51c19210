// Messages between the embedder (caller's thread) and its worker thread.

export interface WorkerData {
  modelDir: string
  threads: number
  /** Model window in word pieces, [CLS] and [SEP] included. */
  maxTokens: number
  /** Token vectors → sentence vector. */
  pooling: 'mean' | 'cls'
  /** fp32: onnx/model.onnx; q8: onnx/model_quantized.onnx. */
  dtype: 'fp32' | 'q8'
}

export interface EmbedRequest {
  type: 'embed'
  id: number
  texts: string[]
}

/** Finish the batch under way, release the model and end the thread. */
export interface CloseRequest {
  type: 'close'
}

export type WorkerMessage =
  /** dimensions: the width of a probe vector, checked against what the config promised. */
  | { type: 'ready', loadMs: number, dimensions: number }
  | { type: 'load-error', error: SerializedError }
  /** vectors: texts.length × dimensions, row-major; tokens: word pieces per text before truncation. */
  | { type: 'result', id: number, vectors: Float32Array, tokens: number[] }
  | { type: 'error', id: number, error: SerializedError }

export interface SerializedError {
  name: string
  message: string
  stack?: string
}

export function serializeError (err: unknown): SerializedError {
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack }
  return { name: 'Error', message: String(err) }
}
