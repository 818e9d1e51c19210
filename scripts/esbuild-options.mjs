// Shared esbuild settings: every Node-side bundle (extension, CLI, tests, benches) is built the same way,
// so tests run exactly the code paths that ship.

/** Native or optional modules that must stay outside the bundle. */
export const nodeExternals = ['vscode', 'onnxruntime-node', 'sharp', '@huggingface/transformers']

/** @type {import('esbuild').BuildOptions} */
export const nodeBundle = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
  external: nodeExternals,
  // Several ESM-only dependencies read import.meta.url; CJS has no import.meta, so give it one.
  define: { 'import.meta.url': '__importMetaUrl' },
  banner: { js: "const __importMetaUrl = require('url').pathToFileURL(__filename).href;" },
  mainFields: ['module', 'main'],
  conditions: ['node', 'import', 'default']
}
