// A user-supplied embedding model folder (a setting or `--embedding-model DIR`, e.g. an ONNX export of
// multilingual-e5-small the user downloaded): checked before any worker starts, so a folder that is not a
// model gets one line naming what is missing. The path is user input: the folder and every file read from
// it must be real files inside it (no symlinks), and only small JSON configs are parsed here.
import { closeSync, fstatSync, lstatSync, openSync, readSync, type Stats } from 'node:fs'
import path from 'node:path'
import { z } from 'zod'
import { MAX_MODEL_CONFIG_BYTES, MAX_MODEL_DIMENSIONS, MAX_MODEL_TOKENS, MODEL_FOLDER_FILES } from './constants'
import { InvalidModelFolderError } from './errors'

/** What the embedder needs to know about a model folder, read from its configs. */
export interface ModelSpec {
  /** Absolute path of the folder. */
  dir: string
  /**
   * The embedding space: the model's Hugging Face id from config.json (`_name_or_path`), else
   * `local/<folder name>`. Vectors are compared only within one space.
   */
  modelId: string
  /** Vector length (config.json `hidden_size`). */
  dimensions: number
  /** Model window in word pieces, special tokens included. */
  maxTokens: number
  /** Token vectors → sentence vector, as the model's sentence-transformers config says (mean by default). */
  pooling: 'mean' | 'cls'
  /** Text put before a query / a passage (e5: "query: " / "passage: "), from config_sentence_transformers.json. */
  queryPrefix: string
  passagePrefix: string
  /** Which ONNX file runs: onnx/model.onnx (fp32), else onnx/model_quantized.onnx (q8). */
  dtype: 'fp32' | 'q8'
}

const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}\/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/
const PREFIX_MAX = 64

const configSchema = z.object({
  _name_or_path: z.string().max(200).optional(),
  hidden_size: z.number().int().min(1).max(MAX_MODEL_DIMENSIONS),
  max_position_embeddings: z.number().int().min(8).optional()
})
const tokenizerConfigSchema = z.object({ model_max_length: z.number().optional() })
const sentenceBertSchema = z.object({ max_seq_length: z.number().int().min(8).optional() })
const promptsSchema = z.object({
  prompts: z.record(z.string().max(32), z.string().max(PREFIX_MAX)).optional()
})
const poolingSchema = z.object({
  pooling_mode_cls_token: z.boolean().optional(),
  pooling_mode_mean_tokens: z.boolean().optional()
})

/**
 * Checks a model folder and reads its spec.
 *
 * @throws InvalidModelFolderError (one line: what is missing or wrong, and what a model folder holds)
 */
export function inspectModelFolder (folder: string): ModelSpec {
  if (typeof folder !== 'string' || folder.trim() === '' || folder.includes('\0')) {
    throw new InvalidModelFolderError(String(folder), 'the path is empty')
  }
  const dir = path.resolve(folder)
  const top = lstatOr(dir)
  if (top === undefined) throw new InvalidModelFolderError(dir, 'the folder does not exist')
  if (top.isSymbolicLink()) throw new InvalidModelFolderError(dir, 'it is a symlink; point the setting at the real folder')
  if (!top.isDirectory()) throw new InvalidModelFolderError(dir, 'it is not a folder')

  const onnx = lstatOr(path.join(dir, 'onnx'))
  if (onnx?.isSymbolicLink() === true) throw new InvalidModelFolderError(dir, 'onnx/ is a symlink')
  const missing: string[] = []
  for (const f of MODEL_FOLDER_FILES) if (!isRealFile(dir, f)) missing.push(f)
  const fp32 = isRealFile(dir, 'onnx/model.onnx')
  const q8 = !fp32 && isRealFile(dir, 'onnx/model_quantized.onnx')
  if (!fp32 && !q8) missing.push('onnx/model.onnx')
  if (missing.length > 0) throw new InvalidModelFolderError(dir, `missing ${missing.join(', ')}`)

  const config = readJson(dir, 'config.json', configSchema, true)!
  const tokenizerConfig = readJson(dir, 'tokenizer_config.json', tokenizerConfigSchema, true)!
  const sentenceBert = readJson(dir, 'sentence_bert_config.json', sentenceBertSchema, false)
  const prompts = readJson(dir, 'config_sentence_transformers.json', promptsSchema, false)?.prompts ?? {}
  const pooling = readJson(dir, '1_Pooling/config.json', poolingSchema, false)
  if (pooling !== undefined && pooling.pooling_mode_mean_tokens !== true && pooling.pooling_mode_cls_token !== true) {
    throw new InvalidModelFolderError(dir, '1_Pooling/config.json asks for a pooling other than mean or CLS, which is not supported')
  }

  const windows = [sentenceBert?.max_seq_length, tokenizerConfig.model_max_length, config.max_position_embeddings, MAX_MODEL_TOKENS]
    .filter((n): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 8)
  const named = config._name_or_path
  const modelId = named !== undefined && MODEL_ID.test(named) ? named : `local/${slug(path.basename(dir))}`
  return {
    dir,
    modelId,
    dimensions: config.hidden_size,
    maxTokens: Math.floor(Math.min(...windows)),
    pooling: pooling?.pooling_mode_mean_tokens === false && pooling.pooling_mode_cls_token === true ? 'cls' : 'mean',
    queryPrefix: prompts.query ?? '',
    passagePrefix: prompts.passage ?? prompts.document ?? '',
    dtype: fp32 ? 'fp32' : 'q8'
  }
}

function lstatOr (p: string): Stats | undefined {
  try {
    return lstatSync(p)
  } catch {
    return undefined
  }
}

/** A regular file at `dir/rel`, with no symlink on the way (rel has at most one folder level). */
function isRealFile (dir: string, rel: string): boolean {
  const parts = rel.split('/')
  let p = dir
  for (let i = 0; i < parts.length; i++) {
    p = path.join(p, parts[i])
    const st = lstatOr(p)
    if (st === undefined) return false
    if (st.isSymbolicLink()) throw new InvalidModelFolderError(dir, `${rel} is a symlink; model files must be real files inside the folder`)
    if (i < parts.length - 1 ? !st.isDirectory() : !st.isFile()) return false
  }
  return true
}

/** Reads and checks a small JSON config; undefined when an optional file is absent. */
function readJson<T> (dir: string, rel: string, schema: z.ZodType<T>, required: boolean): T | undefined {
  if (!isRealFile(dir, rel)) {
    if (required) throw new InvalidModelFolderError(dir, `missing ${rel}`)
    return undefined
  }
  const file = path.join(dir, rel)
  let text: string
  const fd = openSync(file, 'r')
  try {
    const size = fstatSync(fd).size
    if (size > MAX_MODEL_CONFIG_BYTES) throw new InvalidModelFolderError(dir, `${rel} is ${size} bytes, more than a config file holds (${MAX_MODEL_CONFIG_BYTES})`)
    const buf = Buffer.alloc(size)
    let read = 0
    while (read < size) {
      const n = readSync(fd, buf, read, size - read, read)
      if (n === 0) break
      read += n
    }
    text = buf.subarray(0, read).toString('utf8')
  } finally {
    closeSync(fd)
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new InvalidModelFolderError(dir, `${rel} is not valid JSON`)
  }
  const parsed = schema.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new InvalidModelFolderError(dir, `${rel}: ${issue.path.map(String).join('.') || 'file'} ${issue.message}`)
  }
  return parsed.data
}

function slug (name: string): string {
  const s = name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '').slice(0, 80)
  return s === '' ? 'model' : s
}
