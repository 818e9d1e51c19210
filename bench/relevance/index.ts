// Search relevance: how well each system ranks the judged dev set (bench/relevance/judgments.ts) over the demo
// catalog plus the public-derived descriptions (631 adapters), in one run:
//   - bm25: MiniSearch BM25 with its default settings over each adapter's search text (name, description,
//     specializations, capabilities, domain);
//   - cosine: plain all-MiniLM-L6-v2 cosine between the query and the same manifest embeddings;
//   - continuum: AdapterCatalog.search, i.e. what `continuum search` and the extension rank with.
// Figures per query group and part (dev / held-out): nDCG@10, Recall@10, MRR; for near-miss queries also the
// near-miss adapters in the top 3; and the latency of our local search.
// With --dictionary es=/usr/share/dictd/freedict-spa-eng (repeatable; fr=, de=), a fourth system
// "continuum+dict" also consults those user-installed dictionaries for words the glossary lacks.
// Usage: npm run bench -- relevance [--json] [--verbose] [--dictionary LANG=BASE]…
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import MiniSearch from 'minisearch'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createEmbedder } from '../../src/node/embedding'
import { AdapterCatalog } from '../../src/node/catalog/catalog'
import { manifestEmbedding, manifestSearchText } from '../../src/node/manifest'
import { createLogger } from '../../src/node/util/logger'
import { loadDictionary, type Dictionaries, type ForeignLanguage } from '../../src/node/language'
import { BenchReport, note, percentile } from '../_report'
import { buildWorkspaceQuery } from '../../src/extension/workspace-query'
import { loadCorpus } from './corpus'
import { loadWorkspaces } from './workspaces'
import { JUDGMENTS, partsOf, type Group, type Part } from './judgments'
import { mean, ndcgAt, recallAt, reciprocalRank, trapsAt } from './metrics'

const K = 10
const verbose = process.argv.includes('--verbose')
const root = process.env.CONTINUUM_ROOT ?? process.cwd()
const report = new BenchReport('relevance')

async function main (): Promise<void> {
const { lines } = loadCorpus(root)
const known = new Set(lines.map(l => l.id))
const judged = partsOf(JUDGMENTS)
for (const j of judged) {
  for (const id of [...Object.keys(j.rel), ...(j.traps ?? [])]) if (!known.has(id)) throw new Error(`judgments: unknown adapter id ${id} (query "${j.q}")`)
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'continuum-relevance-'))
let withDict: AdapterCatalog | undefined
const embedder = createEmbedder({ idleTimeoutMs: 0 })
const catalog = new AdapterCatalog({ dir: path.join(dir, 'catalog'), privateKey: await generateKeyPair('Ed25519'), embedder, log: createLogger() })
try {
  await catalog.open()
  const imported = await catalog.importJsonl(lines.map(l => l.line).join('\n'), 'bench corpus')
  if (imported.skipped.length > 0) throw new Error(`corpus lines rejected: ${JSON.stringify(imported.skipped.slice(0, 3))}`)
  const dictionaries: Dictionaries = {}
  for (let i = 0; i < process.argv.length; i++) {
    if (process.argv[i] !== '--dictionary') continue
    const [lang, base] = (process.argv[i + 1] ?? '').split('=')
    if (!['es', 'fr', 'de'].includes(lang) || base === undefined) throw new Error('--dictionary takes LANG=BASE, e.g. es=/usr/share/dictd/freedict-spa-eng')
    dictionaries[lang as ForeignLanguage] = await loadDictionary(base, lang as ForeignLanguage)
  }
  withDict = Object.keys(dictionaries).length > 0
    ? new AdapterCatalog({ dir: path.join(dir, 'catalog-dict'), privateKey: await generateKeyPair('Ed25519'), embedder, log: createLogger(), dictionaries })
    : undefined
  if (withDict !== undefined) {
    await withDict.open()
    await withDict.importJsonl(lines.map(l => l.line).join('\n'), 'bench corpus')
  }
  const entries = catalog.list()
  note(`corpus: ${entries.length} adapters, ${judged.length} judged queries`)

  const bm25 = new MiniSearch<{ id: string, text: string }>({ fields: ['text'], idField: 'id' })
  bm25.addAll(entries.map(e => ({ id: e.manifest.id, text: manifestSearchText(e.manifest) })))
  const vectors = entries.map(e => ({ id: e.manifest.id, v: manifestEmbedding(e.manifest) }))

  type System = 'bm25' | 'cosine' | 'continuum' | 'continuum+dict'
  const systems: System[] = withDict !== undefined ? ['bm25', 'cosine', 'continuum', 'continuum+dict'] : ['bm25', 'cosine', 'continuum']
  const rankings = new Map<string, Record<System, string[]>>()
  const latencies: number[] = []
  const rankLatencies: number[] = []
  for (const j of judged) {
    const qv = await embedder.embedOne(j.q)
    const cosine = vectors.map(({ id, v }) => ({ id, s: dot(qv, v) })).sort((a, b) => b.s - a.s).slice(0, K).map(x => x.id)
    const keyword = bm25.search(j.q).slice(0, K).map(r => r.id as string)
    const started = performance.now()
    const outcome = await catalog.search({ text: j.q, k: K })
    latencies.push(performance.now() - started)
    const ours = outcome.hits.map(h => h.manifest.id)
    // The ranking alone (vector scans, BM25, fusion, feedback), without embedding the query.
    const rankStarted = performance.now()
    catalog.searchVector(outcome.vector, j.q, { k: K })
    rankLatencies.push(performance.now() - rankStarted)
    const dict = withDict !== undefined ? (await withDict.search({ text: j.q, k: K })).hits.map(h => h.manifest.id) : []
    rankings.set(j.q, { bm25: keyword, cosine, continuum: ours, 'continuum+dict': dict })
  }

  const groups: Array<Group | 'all'> = ['intent', 'exact', 'near-miss', 'multilingual', 'all']
  for (const part of ['dev', 'held-out', 'fresh', 'all'] as Array<Part | 'all'>) {
    for (const group of groups) {
      const qs = judged.filter(j => (group === 'all' || j.group === group) && (part === 'all' || j.part === part))
      if (qs.length === 0) continue
      for (const system of systems) {
        const ranked = qs.map(j => rankings.get(j.q)![system])
        const c = `${group} (${part}, ${qs.length})`
        report.add({ case: c, system, metric: 'nDCG@10', value: round(mean(qs.map((j, i) => ndcgAt(ranked[i], j.rel, K)))), unit: '' })
        report.add({ case: c, system, metric: 'Recall@10', value: round(mean(qs.map((j, i) => recallAt(ranked[i], j.rel, K)))), unit: '' })
        report.add({ case: c, system, metric: 'MRR', value: round(mean(qs.map((j, i) => reciprocalRank(ranked[i], j.rel)))), unit: '' })
        if (group === 'near-miss' || group === 'multilingual') {
          report.add({ case: c, system, metric: 'near misses in top 3', value: round(mean(qs.map((j, i) => trapsAt(ranked[i], j.traps, 3)))), unit: 'per query' })
        }
      }
    }
  }
  // Workspace fixtures: the derived query for ours; the raw files for the baselines.
  const workspaces = loadWorkspaces(root)
  for (const j of workspaces) for (const id of [...Object.keys(j.rel), ...j.traps ?? []]) if (!known.has(id)) throw new Error(`workspaces: unknown adapter id ${id}`)
  const ws: Record<System, Array<{ ndcg: number, traps: number }>> = { bm25: [], cosine: [], continuum: [], 'continuum+dict': [] }
  for (const j of workspaces) {
    const query = buildWorkspaceQuery(j.sources)
    const qv = await embedder.embedOne(`${j.raw.manifests}\n${j.raw.file}`)
    const ranked: Record<System, string[]> = {
      bm25: bm25.search(j.raw.manifests).slice(0, K).map(r => r.id as string),
      cosine: vectors.map(({ id, v }) => ({ id, s: dot(qv, v) })).sort((a, b) => b.s - a.s).slice(0, K).map(x => x.id),
      continuum: (await catalog.search({ text: query, k: K })).hits.map(h => h.manifest.id),
      'continuum+dict': withDict !== undefined ? (await withDict.search({ text: query, k: K })).hits.map(h => h.manifest.id) : []
    }
    for (const system of systems) ws[system].push({ ndcg: ndcgAt(ranked[system], j.rel, K), traps: trapsAt(ranked[system], j.traps, 3) })
    if (verbose) console.log(`\n[workspace] ${j.fixture}: ${query}\n  ${systems.map(s => `${s.padEnd(9)} ${ranked[s].slice(0, 5).map(id => (j.traps ?? []).includes(id) ? `!${id}` : id).join(' ')}`).join('\n  ')}`)
  }
  for (const system of systems) {
    const c = `workspace fixtures (${workspaces.length})`
    report.add({ case: c, system, metric: 'nDCG@10', value: round(mean(ws[system].map(x => x.ndcg))), unit: '' })
    report.add({ case: c, system, metric: 'near misses in top 3', value: round(mean(ws[system].map(x => x.traps))), unit: 'per query' })
  }
  report.add({ case: 'local search (embed + rank)', system: 'continuum', metric: 'p50', value: round(percentile(latencies, 50)), unit: 'ms' })
  report.add({ case: 'local search (embed + rank)', system: 'continuum', metric: 'p95', value: round(percentile(latencies, 95)), unit: 'ms' })
  report.add({ case: 'ranking only (no embedding)', system: 'continuum', metric: 'p50', value: round(percentile(rankLatencies, 50)), unit: 'ms' })
  report.add({ case: 'ranking only (no embedding)', system: 'continuum', metric: 'p95', value: round(percentile(rankLatencies, 95)), unit: 'ms' })
  report.print()
  if (verbose) {
    for (const j of judged) {
      const r = rankings.get(j.q)!
      const line = (s: System): string => `${s.padEnd(9)} ${ndcgAt(r[s], j.rel, K).toFixed(2)}  ${r[s].slice(0, 5).map(id => (j.traps ?? []).includes(id) ? `!${id}` : (j.rel[id] !== undefined ? `${id}(${j.rel[id]})` : id)).join(' ')}`
      console.log(`\n[${j.group}/${j.part}] ${j.q}\n  ${systems.map(line).join('\n  ')}`)
    }
  }
} finally {
  await catalog.close()
  await withDict?.close()
  await embedder.close()
  await rm(dir, { recursive: true, force: true })
}
}

main().catch((err: unknown) => { console.error(err); process.exit(1) })

function dot (a: Float32Array, b: Float32Array): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i] * b[i]
  return s
}

function round (x: number): number {
  return Math.round(x * 1000) / 1000
}
