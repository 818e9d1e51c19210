// Builds the web UI: one browser ESM bundle (main.js + main.css) for the VS Code webview and the node's
// local page, plus the local page's index.html. Everything is bundled: the page loads nothing remote.
import { build } from 'esbuild'
import { copyFileSync, mkdirSync } from 'node:fs'
import path from 'node:path'

const here = import.meta.dirname

/** @param {string} outdir e.g. dist/webview */
export async function buildWebview (outdir, { minify = true } = {}) {
  mkdirSync(outdir, { recursive: true })
  await build({
    entryPoints: [{ in: path.join(here, 'src', 'main.ts'), out: 'main' }],
    outdir,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify,
    sourcemap: 'linked',
    logLevel: 'warning',
    legalComments: 'linked',
    // Fonts and images are inlined so no file outside the bundle folder is ever requested.
    loader: { '.ttf': 'dataurl', '.woff2': 'dataurl', '.svg': 'dataurl', '.png': 'dataurl' }
  })
  copyFileSync(path.join(here, 'index.html'), path.join(outdir, 'index.html'))
}
