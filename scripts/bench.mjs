// Runs one benchmark: bench/<name>.ts or bench/<name>/index.ts, bundled like the product.
// Usage: npm run bench -- <name> [--json] [bench-specific flags]
import { build } from 'esbuild'
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { ensureModel } from './build-model.mjs'
import { nodeBundle, nodeExternals, workerEntryPoints } from './esbuild-options.mjs'

const root = path.resolve(import.meta.dirname, '..')
const [name, ...rest] = process.argv.slice(2)
const available = readdirSync(path.join(root, 'bench'), { withFileTypes: true })
  .filter(d => (d.isFile() && d.name.endsWith('.ts') && !d.name.startsWith('_')) || (d.isDirectory() && existsSync(path.join(root, 'bench', d.name, 'index.ts'))))
  .map(d => d.name.replace(/\.ts$/, ''))
if (!name || !available.includes(name)) {
  console.error(`Usage: npm run bench -- <name> [--json]\nAvailable benchmarks: ${available.sort().join(', ') || '(none)'}`)
  process.exit(1)
}
const entry = existsSync(path.join(root, 'bench', `${name}.ts`)) ? path.join(root, 'bench', `${name}.ts`) : path.join(root, 'bench', name, 'index.ts')
const outfile = path.join(root, 'out', 'bench', `${name}.cjs`)
// Worker bundles go next to the bench bundle (the code that starts a worker looks for it beside itself).
// LanceDB (a search-bench anchor) is a native add-on: loaded from node_modules at run time.
await build({ ...nodeBundle, external: [...nodeExternals, '@lancedb/lancedb'], entryPoints: [{ in: entry, out: name }, ...workerEntryPoints], outdir: path.dirname(outfile), outExtension: { '.js': '.cjs' } })
await ensureModel({ log: m => console.error(`build-model: ${m}`) })
const result = spawnSync(process.execPath, ['--enable-source-maps', '--expose-gc', outfile, ...rest], { stdio: 'inherit', cwd: root, env: { ...process.env, CONTINUUM_ROOT: root } })
process.exit(result.status ?? 1)
