// `npm start`: build if needed, then run a node on the embedded defaults (data dir in the user's home,
// default ports, no outside server). Extra arguments go to `continuum node start`.
import { spawn, spawnSync } from 'node:child_process'
import path from 'node:path'

const root = path.resolve(import.meta.dirname, '..')
const built = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--if-needed'], { stdio: 'inherit' })
if (built.status !== 0) process.exit(built.status ?? 1)
// The demo catalog is on by default here, so a first run has something to search.
const args = process.argv.slice(2)
const sample = args.some(a => a === '--sample-catalog' || a.startsWith('--sample-catalog=') || a === '--no-sample-catalog') ? [] : ['--sample-catalog']
const child = spawn(process.execPath, [path.join(root, 'bin', 'continuum.js'), 'node', 'start', ...sample, ...args.filter(a => a !== '--no-sample-catalog')], { stdio: 'inherit' })
// Ctrl+C reaches the child through the terminal's process group; forward TERM explicitly.
process.on('SIGTERM', () => child.kill('SIGTERM'))
process.on('SIGINT', () => {})
child.on('exit', code => process.exit(code ?? 0))
