// Writes the three tiny demo PEFT adapters in data/sample-catalog/peft/ (adapter_config.json,
// adapter_model.safetensors, README.md). Deterministic: the same bytes on every run, so the
// committed files and their content hashes never drift. The weights are seeded pseudo-random
// numbers with real PEFT tensor names and shapes, a few KB each; they are demo data and do not
// teach a model anything.
// Usage: node scripts/make-sample-peft.mjs [outDir]
import { Buffer } from 'node:buffer'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'

const root = path.resolve(import.meta.dirname, '..')
const outDir = path.resolve(process.argv[2] ?? path.join(root, 'data', 'sample-catalog', 'peft'))

/** mulberry32: a small seeded PRNG, so output is identical on every machine. */
function rng (seedText) {
  let seed = 2166136261
  for (const ch of seedText) seed = Math.imul(seed ^ ch.charCodeAt(0), 16777619) >>> 0
  return () => {
    seed = (seed + 0x6D2B79F5) >>> 0
    let t = seed
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Approximately normal values (sum of uniforms), scaled. */
function values (count, seedText, scale, offset = 0) {
  const next = rng(seedText)
  const out = new Float32Array(count)
  for (let i = 0; i < count; i++) out[i] = offset + scale * (next() + next() + next() + next() - 2)
  return out
}

const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)

/** float32 → IEEE half, round to nearest even (finite inputs of modest size only). */
function toF16 (value) {
  f32[0] = value
  const x = u32[0]
  const sign = (x >>> 16) & 0x8000
  const exp = ((x >>> 23) & 0xff) - 127 + 15
  let mant = x & 0x7fffff
  if (exp <= 0) {
    if (exp < -10) return sign
    mant |= 0x800000
    const shift = 14 - exp
    let half = mant >>> shift
    const rest = mant & ((1 << shift) - 1)
    const mid = 1 << (shift - 1)
    if (rest > mid || (rest === mid && (half & 1))) half++
    return sign | half
  }
  if (exp >= 31) return sign | 0x7c00
  let half = (exp << 10) | (mant >>> 13)
  const rest = mant & 0x1fff
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1))) half++
  return sign | half
}

/** float32 → bfloat16, round to nearest even. */
function toBF16 (value) {
  f32[0] = value
  const x = u32[0]
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff
}

function encodeTensor (dtype, data) {
  if (dtype === 'F32') {
    const buf = Buffer.alloc(data.length * 4)
    data.forEach((v, i) => buf.writeFloatLE(v, i * 4))
    return buf
  }
  const buf = Buffer.alloc(data.length * 2)
  const conv = dtype === 'F16' ? toF16 : toBF16
  data.forEach((v, i) => buf.writeUInt16LE(conv(v), i * 2))
  return buf
}

/** safetensors: u64 LE header length, JSON header (space-padded to 8 bytes), then tensor bytes. */
function safetensors (tensors) {
  const header = { __metadata__: { format: 'pt' } }
  const chunks = []
  let offset = 0
  for (const t of [...tensors].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const bytes = encodeTensor(t.dtype, t.data)
    const expected = t.shape.reduce((a, b) => a * b, 1) * (t.dtype === 'F32' ? 4 : 2)
    if (bytes.length !== expected) throw new Error(`shape mismatch for ${t.name}`)
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] }
    chunks.push(bytes)
    offset += bytes.length
  }
  let json = JSON.stringify(header)
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8)
  const prefix = Buffer.alloc(8)
  prefix.writeBigUInt64LE(BigInt(Buffer.byteLength(json)))
  return Buffer.concat([prefix, Buffer.from(json), ...chunks])
}

function card (frontMatter, body) {
  // Quote number-like strings (versions) so YAML keeps them strings.
  const scalar = v => (typeof v === 'string' && /^[0-9.]+$/.test(v) ? `"${v}"` : v)
  const yaml = []
  for (const [key, value] of Object.entries(frontMatter)) {
    if (Array.isArray(value)) {
      yaml.push(`${key}:`)
      for (const item of value) yaml.push(`- ${item}`)
    } else if (typeof value === 'object') {
      yaml.push(`${key}:`)
      for (const [k, v] of Object.entries(value)) {
        if (Array.isArray(v)) {
          yaml.push(`  ${k}:`)
          for (const item of v) yaml.push(`  - ${item}`)
        } else {
          yaml.push(`  ${k}: ${scalar(v)}`)
        }
      }
    } else {
      yaml.push(`${key}: ${scalar(value)}`)
    }
  }
  return `---\n${yaml.join('\n')}\n---\n\n${body.trim()}\n`
}

const DEMO_NOTE = `## Demo data

This adapter is demo data for Continuum Mesh, written by \`scripts/make-sample-peft.mjs\`. The tensor
names, shapes and config are real PEFT format, but the weights are seeded pseudo-random numbers: loading
it works, and it does not change what the model knows.`

const adapters = [
  {
    dir: 'viticulture-notes-lora',
    config: {
      alpha_pattern: {},
      auto_mapping: null,
      base_model_name_or_path: 'HuggingFaceTB/SmolLM2-135M-Instruct',
      bias: 'none',
      fan_in_fan_out: false,
      inference_mode: true,
      init_lora_weights: true,
      layer_replication: null,
      layers_pattern: null,
      layers_to_transform: [0],
      loftq_config: {},
      lora_alpha: 4,
      lora_dropout: 0.05,
      megatron_config: null,
      megatron_core: 'megatron.core',
      modules_to_save: null,
      peft_type: 'LORA',
      r: 2,
      rank_pattern: {},
      revision: null,
      target_modules: ['v_proj', 'q_proj'],
      task_type: 'CAUSAL_LM',
      use_dora: false,
      use_rslora: false
    },
    // SmolLM2-135M: hidden 576, 3 KV heads of 64 → v_proj out 192.
    tensors: [
      { name: 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight', dtype: 'BF16', shape: [2, 576], scale: 0.02 },
      { name: 'base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight', dtype: 'BF16', shape: [576, 2], scale: 0.005 },
      { name: 'base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight', dtype: 'BF16', shape: [2, 576], scale: 0.02 },
      { name: 'base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight', dtype: 'BF16', shape: [192, 2], scale: 0.005 }
    ],
    readme: card({
      license: 'apache-2.0',
      base_model: 'HuggingFaceTB/SmolLM2-135M-Instruct',
      library_name: 'peft',
      pipeline_tag: 'text-generation',
      language: ['en'],
      tags: ['peft', 'lora', 'base_model:adapter:HuggingFaceTB/SmolLM2-135M-Instruct', 'viticulture', 'vineyard-management', 'grape-growing'],
      continuum: {
        id: 'viticulture-notes-lora',
        version: '0.1.0',
        domain: 'agriculture/viticulture',
        specializations: ['grape-growing', 'canopy-management', 'harvest-timing', 'vineyard-pests'],
        capabilities: ['question-answering', 'field-notes-summarisation'],
        price: 0
      }
    }, `# Viticulture Notes (LoRA, demo)

Demo LoRA for a small vineyard assistant: it is meant to answer questions about growing wine grapes,
such as canopy management, pruning, disease pressure from mildew, and deciding when to harvest from
sugar and acidity readings.

Rank 2 on the query and value projections of the first decoder layer only, which keeps the file a few KB.

${DEMO_NOTE}
`)
  },
  {
    dir: 'cocktail-balance-ia3',
    config: {
      auto_mapping: null,
      base_model_name_or_path: 'Qwen/Qwen2.5-0.5B-Instruct',
      fan_in_fan_out: false,
      feedforward_modules: [],
      inference_mode: true,
      init_ia3_weights: true,
      modules_to_save: null,
      peft_type: 'IA3',
      revision: null,
      // A regex restricts the adapter to layer 0's key and value projections.
      target_modules: '.*\\.layers\\.0\\.self_attn\\.(k_proj|v_proj)',
      task_type: 'CAUSAL_LM'
    },
    // Qwen2.5-0.5B: 2 KV heads of 64 → k/v out 128; IA3 scales each output feature.
    tensors: [
      { name: 'base_model.model.model.layers.0.self_attn.k_proj.ia3_l', dtype: 'F32', shape: [128, 1], scale: 0.05, offset: 1 },
      { name: 'base_model.model.model.layers.0.self_attn.v_proj.ia3_l', dtype: 'F32', shape: [128, 1], scale: 0.05, offset: 1 }
    ],
    readme: card({
      license: 'mit',
      base_model: 'Qwen/Qwen2.5-0.5B-Instruct',
      library_name: 'peft',
      pipeline_tag: 'text-generation',
      tags: ['peft', 'ia3', 'mixology', 'cocktails', 'flavor-pairing'],
      continuum: {
        id: 'cocktail-balance-ia3',
        version: '0.2.0',
        domain: 'food-drink/cocktails',
        specializations: ['cocktail-balance', 'sweet-sour-ratios', 'dilution', 'flavor-profiles'],
        capabilities: ['recipe-adjustment', 'recommendation'],
        price: 1
      }
    }, `# Cocktail Balance (IA3, demo)

Demo IA3 adapter for a bartending assistant that adjusts cocktail recipes: balancing sweet against sour,
choosing dilution and shaking or stirring, and suggesting a substitute spirit or liqueur with a similar
flavor profile.

IA3 learns one scaling vector per adapted projection; this one touches only layer 0 (selected with a
regex in \`target_modules\`).

${DEMO_NOTE}
`)
  },
  {
    dir: 'async-race-hints-prompt',
    config: {
      auto_mapping: null,
      base_model_name_or_path: 'Qwen/Qwen2.5-Coder-0.5B-Instruct',
      inference_mode: true,
      num_attention_heads: 14,
      num_layers: 24,
      num_transformer_submodules: 1,
      num_virtual_tokens: 4,
      peft_type: 'PROMPT_TUNING',
      prompt_tuning_init: 'TEXT',
      prompt_tuning_init_text: 'Find the race condition in this asynchronous code:',
      revision: null,
      task_type: 'CAUSAL_LM',
      token_dim: 896,
      tokenizer_kwargs: null,
      tokenizer_name_or_path: 'Qwen/Qwen2.5-Coder-0.5B-Instruct'
    },
    tensors: [
      { name: 'prompt_embeddings', dtype: 'F16', shape: [4, 896], scale: 0.02 }
    ],
    readme: card({
      license: 'apache-2.0',
      base_model: 'Qwen/Qwen2.5-Coder-0.5B-Instruct',
      library_name: 'peft',
      pipeline_tag: 'text-generation',
      tags: ['peft', 'prompt-tuning', 'async', 'concurrency', 'debugging'],
      continuum: {
        id: 'async-race-hints-prompt',
        version: '0.1.0',
        domain: 'software/concurrency',
        specializations: ['race-conditions', 'async-await', 'promise-ordering', 'deadlocks'],
        capabilities: ['code-review', 'debugging'],
        price: 2
      }
    }, `# Async Race Hints (prompt tuning, demo)

Demo soft prompt for a code assistant that reviews asynchronous JavaScript, TypeScript and Python code for
race conditions: unawaited promises, interleaved read-modify-write on shared state, and callbacks that
run in an unexpected order.

Four virtual tokens of width 896, initialised from a text prompt.

${DEMO_NOTE}
`)
  }
]

for (const adapter of adapters) {
  const dir = path.join(outDir, adapter.dir)
  mkdirSync(dir, { recursive: true })
  writeFileSync(path.join(dir, 'adapter_config.json'), JSON.stringify(adapter.config, null, 2) + '\n')
  const tensors = adapter.tensors.map(t => ({
    ...t,
    data: values(t.shape.reduce((a, b) => a * b, 1), `${adapter.dir}/${t.name}`, t.scale, t.offset ?? 0)
  }))
  writeFileSync(path.join(dir, 'adapter_model.safetensors'), safetensors(tensors))
  writeFileSync(path.join(dir, 'README.md'), adapter.readme)
  console.log(`wrote ${path.relative(root, dir)}`)
}
