// Model folders built in tests from the shipped MiniLM files, under other names or broken on purpose.
import { copyFileSync, linkSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { resolveModelDir } from '../../src/node/embedding/model-dir'

const shipped = (): string => resolveModelDir(undefined, __dirname)

/** A copy of the shipped model under another name (the 90 MB graph hard-linked when the file system allows). */
export function copyShippedModel (dir: string, edit: { name?: string, prompts?: Record<string, string>, hiddenSize?: number } = {}): string {
  mkdirSync(path.join(dir, 'onnx'), { recursive: true })
  for (const f of ['tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) {
    try { linkSync(path.join(shipped(), f), path.join(dir, f)) } catch { copyFileSync(path.join(shipped(), f), path.join(dir, f)) }
  }
  const config = JSON.parse(readFileSync(path.join(shipped(), 'config.json'), 'utf8')) as Record<string, unknown>
  if (edit.name !== undefined) config._name_or_path = edit.name
  if (edit.hiddenSize !== undefined) config.hidden_size = edit.hiddenSize
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config))
  if (edit.prompts !== undefined) writeFileSync(path.join(dir, 'config_sentence_transformers.json'), JSON.stringify({ prompts: edit.prompts }))
  return dir
}
