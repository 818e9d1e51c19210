// Test fixture: a valid LoRA PEFT folder of a chosen size, with its own id and tags.
import { cp, mkdir, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import path from 'node:path'

const root = process.env.CONTINUUM_ROOT ?? path.resolve(__dirname, '..', '..')
const SAMPLE = path.join(root, 'data', 'sample-catalog', 'peft', 'viticulture-notes-lora')

/** A valid LoRA PEFT folder of about `bytes` bytes (random float32 weights), with its own id and tags. */
export async function makePeftFolder (dir: string, id: string, bytes: number, tags: string[] = ['canopy-management'], purpose = 'content-addressed installs'): Promise<string> {
  await mkdir(dir, { recursive: true })
  await cp(path.join(SAMPLE, 'adapter_config.json'), path.join(dir, 'adapter_config.json'))
  const r = 2
  const d = 4096
  const perTensor = r * d * 4
  const layers = Math.max(1, Math.ceil(bytes / (perTensor * 2)))
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } }
  let off = 0
  for (let l = 0; l < layers; l++) {
    header[`base_model.model.model.layers.${l}.self_attn.q_proj.lora_A.weight`] = { dtype: 'F32', shape: [r, d], data_offsets: [off, off + perTensor] }
    off += perTensor
    header[`base_model.model.model.layers.${l}.self_attn.q_proj.lora_B.weight`] = { dtype: 'F32', shape: [d, r], data_offsets: [off, off + perTensor] }
    off += perTensor
  }
  const json = Buffer.from(JSON.stringify(header))
  const len = Buffer.alloc(8)
  len.writeBigUInt64LE(BigInt(json.length))
  await writeFile(path.join(dir, 'adapter_model.safetensors'), Buffer.concat([len, json, randomBytes(off)]))
  await writeFile(path.join(dir, 'README.md'), [
    '---', 'license: apache-2.0', 'base_model: HuggingFaceTB/SmolLM2-135M-Instruct', 'library_name: peft', 'pipeline_tag: text-generation',
    'continuum:', `  id: ${id}`, '  version: "1.0.0"', '  domain: agriculture/viticulture', '  specializations:', ...tags.map(t => `  - ${t}`), '---', '',
    `# ${id}`, '', `Test adapter ${id} for ${purpose}.`, ''
  ].join('\n'))
  return dir
}
