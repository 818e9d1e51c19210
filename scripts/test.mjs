// Runs the test suite: bundles each test/**/*.test.ts with esbuild (the same way the product is bundled)
// and hands the bundles to Node's built-in test runner.
// Usage: npm test [-- <substring filter> ...]
import { build } from 'esbuild'
import { spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { ensureModel } from './build-model.mjs'
import { nodeBundle, workerEntryPoints } from './esbuild-options.mjs'

const filters = process.argv.slice(2).filter(a => !a.startsWith('--'))
const passthrough = process.argv.slice(2).filter(a => a.startsWith('--'))
const root = path.resolve(import.meta.dirname, '..')
const outdir = path.join(root, 'out', 'test')
const entries = readdirSync(path.join(root, 'test'), { recursive: true })
  .map(f => path.join('test', String(f)))
  .filter(f => f.endsWith('.test.ts'))
  .filter(f => filters.length === 0 || filters.some(s => f.includes(s)))
  .sort()
if (entries.length === 0) {
  console.error(`No test files match ${filters.join(', ')}`)
  process.exit(1)
}
// Worker bundles go next to the test bundles (the code that starts a worker looks for it beside itself).
// Several people run tests in this checkout at once: out/test is not wiped (that deleted bundles other runs
// were executing), and each file is replaced atomically, and only when it changed.
const built = await build({ ...nodeBundle, entryPoints: [...entries.map(e => ({ in: path.join(root, e), out: e.replace(/^test[\\/]/, '').replace(/\.ts$/, '') })), ...workerEntryPoints], outdir, outExtension: { '.js': '.cjs' }, write: false })
for (const file of built.outputFiles) {
  let same = false
  try { same = readFileSync(file.path).equals(file.contents) } catch { /* not built yet */ }
  if (same) continue
  mkdirSync(path.dirname(file.path), { recursive: true })
  const tmp = `${file.path}.${process.pid}.tmp`
  writeFileSync(tmp, file.contents)
  renameSync(tmp, file.path)
}
// The embedding model is built at npm install (postinstall); rebuild it here if it is missing or stale.
await ensureModel({ log: m => console.error(`build-model: ${m}`) })
const files = entries.map(e => path.join(outdir, e.replace(/^test[\\/]/, '').replace(/\.ts$/, '.cjs')))
const concurrency = process.env.TEST_CONCURRENCY ?? '2'
// Nodes started by tests join the ledger with a cheap proof of work (the economy tests set their own).
const result = spawnSync(process.execPath, ['--enable-source-maps', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=300000', ...passthrough, ...files], { stdio: 'inherit', cwd: root, env: { ...process.env, CONTINUUM_ROOT: root, CONTINUUM_JOIN_DIFFICULTY: process.env.CONTINUUM_JOIN_DIFFICULTY ?? '8' } })
process.exit(result.status ?? 1)
