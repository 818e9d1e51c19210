// The extension in a real VS Code: scripts/vscode-test.mjs packs the VSIX, installs it into code-server,
// starts a CLI daemon with the demo catalog as the extension's bootstrap peer, runs test/vscode/suite inside
// the extension host from headless Chromium, and saves .test-artifacts/vscode/workbench.png.
// The first run installs code-server into .cache/vscode (a few minutes); later runs take about 1.5 min.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import path from 'node:path'

const root = process.env.CONTINUUM_ROOT ?? path.resolve(__dirname, '..', '..')

const EXPECTED = [
  'the extension activates and its node starts',
  'every contributed command is registered',
  'the node connects to the bootstrap peer',
  'the search command\'s provider returns the other node\'s adapters over the network',
  'Find Adapters for This Workspace builds a query from the project and finds sensible adapters',
  'the install command writes the adapter and the lockfile into the workspace; Install from Lockfile restores it',
  'the Adapters tree lists discovered adapters',
  'screenshot of the workbench with the Continuum sidebar open'
]

interface RunResult { exitCode: number, results: string[], screenshot?: string, log: string, vsixBytes: number }

test('the extension in a real VS Code (code-server): activation, commands, search via a second node, install, Adapters tree, screenshot', { timeout: 15 * 60_000 }, async () => {
  const child = spawn(process.execPath, [path.join(root, 'scripts', 'vscode-test.mjs')], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
  let stdout = ''
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString() })
  const code = await new Promise<number | null>(resolve => child.once('exit', resolve))
  const line = stdout.trim().split('\n').at(-1) ?? ''
  assert.ok(line.startsWith('{'), `the harness reports a result (exit ${code}); see the log above`)
  const r = JSON.parse(line) as RunResult
  const report = `\n${r.results.join('\n')}\nlog: ${r.log}`
  for (const name of EXPECTED) {
    // Every check must run: this build has network search, gossip and the content feature.
    assert.ok(r.results.some(l => l.startsWith(`ok - ${name} (`)), `"${name}" passed in the extension host${report}`)
  }
  assert.equal(r.exitCode, 0, `the extension host exited with ${r.exitCode}${report}`)
  assert.equal(code, 0)
  assert.ok(r.screenshot !== undefined && statSync(r.screenshot).size > 10_000, 'a screenshot of the workbench was saved')
  assert.ok(existsSync(r.log))
  console.log(`VSIX ${(r.vsixBytes / 1024 / 1024).toFixed(1)} MiB; screenshot ${path.relative(root, r.screenshot)}`)
})
