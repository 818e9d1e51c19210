/** Hugging Face id of the model the vectors come from (stored with vectors so indexes can tell models apart). */
export const MODEL_ID = 'sentence-transformers/all-MiniLM-L6-v2'
/** Folder name of the built model (scripts/build-model.mjs writes models/<MODEL_DIR_NAME>/). */
export const MODEL_DIR_NAME = 'all-MiniLM-L6-v2'
/** Length of each vector. */
export const DIMENSIONS = 384
/** Model window in word pieces, [CLS] and [SEP] included; longer texts are truncated (sentence-transformers' setting). */
export const MAX_TOKENS = 256
/** Texts per forward pass. Larger batches amortise per-call overhead but pad more and hold the worker longer. */
export const DEFAULT_BATCH_SIZE = 32
/** onnxruntime intra-op threads: one, so embedding never competes with the editor for more than one core. */
export const DEFAULT_THREADS = 1
/** Stop the worker (freeing ~200–300 MB) after this long without work; the next call reloads the model. */
export const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000
/** Environment variable that overrides where the built model is looked for. */
export const MODEL_DIR_ENV = 'CONTINUUM_MODEL_DIR'
/** File name of the bundled worker (emitted next to every bundle that uses the embedder). */
export const WORKER_FILE = 'embedding-worker.cjs'
/** Files the model folder must contain. */
export const MODEL_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']
/**
 * Cost of one forward pass beyond its tokens, in token-units: each pass streams all ~42 MB of fp32 weights, which
 * costs about as much as computing 14 tokens (measured on a 2-core AVX2 machine). Used to group texts by length.
 */
export const RUN_OVERHEAD_TOKENS = 14
/** How long close() waits for the worker to finish its batch (one batch takes well under a second) before terminating it. */
export const WORKER_CLOSE_TIMEOUT_MS = 10_000
/** Files a user-supplied model folder must hold besides its ONNX graph (onnx/model.onnx or onnx/model_quantized.onnx). */
export const MODEL_FOLDER_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json']
/** Largest config JSON read from a model folder (real ones are a few KB). */
export const MAX_MODEL_CONFIG_BYTES = 1024 * 1024
/** Widest vector a user-supplied model may produce (manifests cap extra vectors lower; see manifest/constants). */
export const MAX_MODEL_DIMENSIONS = 4096
/** Longest model window used, whatever a config claims (BERT-family position tables stop at 512). */
export const MAX_MODEL_TOKENS = 512
