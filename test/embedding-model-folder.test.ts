// A user-supplied embedding model folder: checked before any worker starts, loaded offline through the same
// worker, with the query/passage prefixes its sentence-transformers config names. The folders are built here
// from the shipped MiniLM files (hard links or copies), renamed and broken on purpose.
import assert from 'node:assert/strict'
import { rmSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createEmbedder, inspectModelFolder, type Embedder } from '../src/node/embedding'
import { tempDir } from './helpers/mesh'
import { copyShippedModel } from './helpers/model-folder'

const dot = (a: Float32Array, b: Float32Array): number => a.reduce((s, x, i) => s + x * b[i], 0)

describe('embedding: a user-supplied model folder', () => {
  let work: string
  let standard: Embedder
  before(async () => {
    work = await tempDir('continuum-model-folder-')
    standard = createEmbedder()
  })
  after(async () => {
    await standard.close()
    rmSync(work, { recursive: true, force: true })
  })

  it('loads a model folder under another name offline, as its own space, with the prefixes its config names', async () => {
    const dir = copyShippedModel(path.join(work, 'my-e5-like-model'), { name: 'acme/minilm-prefixed', prompts: { query: 'query: ', passage: 'passage: ' } })
    const spec = inspectModelFolder(dir)
    assert.equal(spec.modelId, 'acme/minilm-prefixed')
    assert.equal(spec.dimensions, 384)
    assert.equal(spec.maxTokens, 256)
    assert.equal(spec.pooling, 'mean')
    assert.deepEqual([spec.queryPrefix, spec.passagePrefix], ['query: ', 'passage: '])
    const mine = createEmbedder({ model: spec })
    try {
      assert.equal(mine.modelId, 'acme/minilm-prefixed')
      const text = 'a sommelier that pairs wine with seafood'
      const [asQuery, asPassage, plain] = [
        await mine.embedOne(text, { role: 'query' }),
        await mine.embedOne(text, { role: 'passage' }),
        await mine.embedOne(text)
      ]
      const [refQuery, refPassage, refPlain] = await standard.embed([`query: ${text}`, `passage: ${text}`, text])
      assert.ok(dot(asQuery, refQuery) > 0.9999, 'a query is embedded with the query prefix')
      assert.ok(dot(asPassage, refPassage) > 0.9999, 'a passage is embedded with the passage prefix')
      assert.ok(dot(plain, refPlain) > 0.9999, 'no role, no prefix')
      assert.ok(dot(asQuery, refPlain) < 0.999, 'the prefix changes the vector')
    } finally {
      await mine.close()
    }
  })

  it('names a folder without a model id after the folder, and reads no prefix when the config names none', () => {
    const dir = copyShippedModel(path.join(work, 'Plain Copy'), { name: '/home/someone/models/x' })
    const spec = inspectModelFolder(dir)
    assert.equal(spec.modelId, 'local/plain-copy')
    assert.deepEqual([spec.queryPrefix, spec.passagePrefix], ['', ''])
  })

  it('refuses a folder that is not a model with one line naming what is missing', () => {
    const dir = copyShippedModel(path.join(work, 'broken'))
    rmSync(path.join(dir, 'tokenizer.json'))
    rmSync(path.join(dir, 'onnx', 'model.onnx'))
    assert.throws(() => inspectModelFolder(dir), (err: Error) => err.name === 'InvalidModelFolderError' &&
      /missing tokenizer\.json, onnx\/model\.onnx/.test(err.message) && !err.message.includes('\n'))
    assert.throws(() => inspectModelFolder(path.join(work, 'nowhere')), (err: Error) => err.name === 'InvalidModelFolderError' && /does not exist/.test(err.message))
    const notJson = copyShippedModel(path.join(work, 'bad-config'))
    writeFileSync(path.join(notJson, 'config.json'), '{ hidden_size: 384')
    assert.throws(() => inspectModelFolder(notJson), (err: Error) => err.name === 'InvalidModelFolderError' && /config\.json is not valid JSON/.test(err.message))
    writeFileSync(path.join(notJson, 'config.json'), JSON.stringify({ hidden_size: 1e9 }))
    assert.throws(() => inspectModelFolder(notJson), (err: Error) => err.name === 'InvalidModelFolderError' && /config\.json: hidden_size/.test(err.message))
  })

  it('refuses symlinks: the folder itself, and model files pointing outside it', () => {
    const real = copyShippedModel(path.join(work, 'real'))
    const link = path.join(work, 'link-to-real')
    symlinkSync(real, link)
    assert.throws(() => inspectModelFolder(link), (err: Error) => err.name === 'InvalidModelFolderError' && /symlink/.test(err.message))
    const sneaky = copyShippedModel(path.join(work, 'sneaky'))
    writeFileSync(path.join(work, 'outside.json'), JSON.stringify({ hidden_size: 384 }))
    rmSync(path.join(sneaky, 'config.json'))
    symlinkSync(path.join(work, 'outside.json'), path.join(sneaky, 'config.json'))
    assert.throws(() => inspectModelFolder(sneaky), (err: Error) => err.name === 'InvalidModelFolderError' && /config\.json is a symlink/.test(err.message))
  })

  it('refuses to load a model whose vectors are not as wide as its config says', async () => {
    const dir = copyShippedModel(path.join(work, 'liar'), { name: 'acme/liar', hiddenSize: 768 })
    const liar = createEmbedder({ model: inspectModelFolder(dir) })
    try {
      await assert.rejects(liar.embedOne('hello'), (err: Error) => err.name === 'EmbeddingWorkerError' && /384-dimension vectors.*says 768/.test(err.message))
    } finally {
      await liar.close()
    }
  })
})
