// Shared esbuild settings: every Node-side bundle (extension, CLI, tests, benches) is built the same way,
// so tests run exactly the code paths that ship.
import path from 'node:path'

const root = path.resolve(import.meta.dirname, '..')

/**
 * Native or optional modules that must stay outside the bundle. onnxruntime-node is a native add-on: it is
 * loaded at run time from node_modules (transformers.js requires it through createRequire, which esbuild
 * leaves alone), so node_modules/onnxruntime-node (+ onnxruntime-common) must ship next to the bundles.
 */
export const nodeExternals = ['vscode', 'onnxruntime-node']

/**
 * transformers.js imports `sharp` (native, image input only) at top level and throws at load if it is falsy.
 * We embed text only: resolve it to a stub whose use fails loudly.
 * @type {import('esbuild').Plugin}
 */
const stubSharp = {
  name: 'stub-sharp',
  setup (build) {
    build.onResolve({ filter: /^sharp$/ }, () => ({ path: 'sharp', namespace: 'stub-sharp' }))
    build.onLoad({ filter: /.*/, namespace: 'stub-sharp' }, () => ({
      contents: "module.exports = function sharp () { throw new Error('sharp (image processing) is not bundled') }",
      loader: 'js'
    }))
  }
}

/**
 * Worker-thread entry points: each becomes its own bundle (`<out>.cjs`) that must sit in the same folder as the
 * bundle that starts it (found at run time relative to __dirname). Every build (dist, tests, benches) emits them.
 * @type {{ in: string, out: string }[]}
 */
export const workerEntryPoints = [
  { in: path.join(root, 'src', 'node', 'embedding', 'worker.ts'), out: 'embedding-worker' }
]

/** @type {import('esbuild').BuildOptions} */
export const nodeBundle = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
  external: nodeExternals,
  plugins: [stubSharp],
  // Several ESM-only dependencies read import.meta.url; CJS has no import.meta, so give it one.
  define: { 'import.meta.url': '__importMetaUrl' },
  banner: { js: "const __importMetaUrl = require('url').pathToFileURL(__filename).href;" },
  mainFields: ['module', 'main'],
  conditions: ['node', 'import', 'default']
}
