// Builds dist/: the CLI and the VS Code extension as CJS bundles (vscode external), plus worker bundles.
// The web UI (webview-ui/) is built into dist/webview by its own build step (webview-ui/build.mjs).
// Usage: npm run build [-- --if-needed]   (--if-needed skips the build when dist/ is newer than every source)
import { build } from 'esbuild'
import { existsSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { nodeBundle, workerEntryPoints } from './esbuild-options.mjs'
import { buildWebview } from '../webview-ui/build.mjs'

const root = path.resolve(import.meta.dirname, '..')
const dist = path.join(root, 'dist')
const entries = [{ in: path.join(root, 'src', 'node', 'cli', 'main.ts'), out: 'cli' }]
const extensionEntry = path.join(root, 'src', 'extension', 'extension.ts')
if (existsSync(extensionEntry)) entries.push({ in: extensionEntry, out: 'extension' })

function newestMtime (dir) {
  let newest = 0
  for (const f of readdirSync(dir, { recursive: true })) {
    const p = path.join(dir, String(f))
    const st = statSync(p)
    if (st.isFile()) newest = Math.max(newest, st.mtimeMs)
  }
  return newest
}

if (process.argv.includes('--if-needed') && existsSync(path.join(dist, 'cli.js'))) {
  const built = statSync(path.join(dist, 'cli.js')).mtimeMs
  const webview = path.join(dist, 'webview', 'main.js')
  const sources = Math.max(newestMtime(path.join(root, 'src')), newestMtime(path.join(root, 'webview-ui')), statSync(path.join(root, 'package-lock.json')).mtimeMs)
  if (built >= sources && existsSync(webview) && statSync(webview).mtimeMs >= sources) process.exit(0)
}

const started = Date.now()
await build({
  ...nodeBundle,
  entryPoints: entries,
  outdir: dist,
  outExtension: { '.js': '.js' },
  minify: process.env.NODE_ENV === 'production'
})
// Worker bundles are looked up as <name>.cjs next to the bundle that starts them.
for (const w of workerEntryPoints) {
  await build({ ...nodeBundle, entryPoints: [w.in], outfile: path.join(dist, `${w.out}.cjs`) })
}
await buildWebview(path.join(dist, 'webview'))
console.log(`Built ${[...entries.map(e => `dist/${e.out}.js`), 'dist/webview'].join(', ')} in ${Date.now() - started} ms`)
