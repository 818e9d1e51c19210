// `npm run vscode`: opens the extension in a browser VS Code (code-server) for a quick look.
// Packs the VSIX, installs it into a profile under .cache/vscode/profile, opens a folder (default: a copy of
// the sample project) and prints the URL. Runs until Ctrl+C.
// Usage: npm run vscode [-- --port 8080] [--folder DIR] [--bootstrap continuum://peer:…@127.0.0.1:4101] [--no-mdns]
import { cpSync, existsSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { ensureCodeServer } from './code-server.mjs'
import { packageExtension } from './package.mjs'
import { installVsix, isolatedEnv, startCodeServer, writeSettings } from './vscode-test.mjs'

const root = path.resolve(import.meta.dirname, '..')
const args = process.argv.slice(2)
const opt = name => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined }
const log = m => console.error(`vscode: ${m}`)

const cs = ensureCodeServer({ log })
const profile = path.join(cs.cacheDir, 'profile')
const vsix = path.join(cs.cacheDir, 'continuum-mesh.vsix')
await packageExtension({ out: vsix, log })
const env = isolatedEnv(profile)
const userDataDir = path.join(profile, 'user-data')
const extensionsDir = path.join(profile, 'extensions')
const settings = { 'workbench.startupEditor': 'none', 'telemetry.telemetryLevel': 'off', 'extensions.autoCheckUpdates': false, 'update.mode': 'none' }
if (opt('--bootstrap') !== undefined) settings['continuum.network.bootstrapPeers'] = [opt('--bootstrap')]
if (args.includes('--no-mdns')) settings['continuum.network.mdns'] = false
writeSettings(userDataDir, settings)
installVsix(cs, vsix, { extensionsDir, userDataDir, env })
let folder = opt('--folder')
if (folder === undefined) {
  folder = path.join(cs.cacheDir, 'sample-project')
  if (!existsSync(folder)) {
    mkdirSync(folder, { recursive: true })
    cpSync(path.join(root, 'test', 'vscode', 'fixtures', 'sample-project'), folder, { recursive: true })
  }
}
const port = Number(opt('--port') ?? 8080)
const server = await startCodeServer(cs, { port, userDataDir, extensionsDir, env, folder: path.resolve(folder) })
console.log(`\nContinuum in VS Code: http://127.0.0.1:${port}/?folder=${encodeURIComponent(path.resolve(folder))}`)
console.log('Open it in a browser; Ctrl+C stops code-server.\n')
const stop = () => { server.stop().then(() => process.exit(0)) }
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
