// Runs the test suite: bundles each test/**/*.test.ts with esbuild (the same way the product is bundled)
// and hands the bundles to Node's built-in test runner.
// Usage: npm test [-- <substring filter> ...]
import { build } from 'esbuild'
import { spawnSync } from 'node:child_process'
import { readdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { nodeBundle } from './esbuild-options.mjs'

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
rmSync(outdir, { recursive: true, force: true })
await build({ ...nodeBundle, entryPoints: entries.map(e => path.join(root, e)), outdir, outbase: path.join(root, 'test'), outExtension: { '.js': '.cjs' } })
const files = entries.map(e => path.join(outdir, e.replace(/^test[\\/]/, '').replace(/\.ts$/, '.cjs')))
const concurrency = process.env.TEST_CONCURRENCY ?? '2'
const result = spawnSync(process.execPath, ['--enable-source-maps', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=300000', ...passthrough, ...files], { stdio: 'inherit', cwd: root, env: { ...process.env, CONTINUUM_ROOT: root } })
process.exit(result.status ?? 1)
