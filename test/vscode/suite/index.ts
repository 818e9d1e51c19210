// Runs inside the real VS Code extension host (code-server), loaded through `extensionTestsPath`.
// A tiny sequential runner: each test prints `ok - name`, `not ok - name` or `skip - name: why`, to the
// console and to $CONTINUUM_VSCODE_RESULTS; a failure makes run() reject, so the host exits with code 1.
import { appendFileSync } from 'node:fs'
import { tests } from './extension.spec'

function report (line: string): void {
  console.log(line)
  const file = process.env.CONTINUUM_VSCODE_RESULTS
  if (file !== undefined) appendFileSync(file, `${line}\n`)
}

export async function run (): Promise<void> {
  let passed = 0
  let failed = 0
  let skipped = 0
  for (const t of tests) {
    const started = Date.now()
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([
        t.fn(),
        new Promise((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${t.timeoutMs / 1000} s`)), t.timeoutMs) })
      ])
      passed++
      report(`ok - ${t.name} (${Date.now() - started} ms)`)
    } catch (err) {
      if ((err as Error).name === 'Skip') {
        skipped++
        report(`skip - ${t.name}: ${(err as Error).message}`)
      } else {
        failed++
        report(`not ok - ${t.name}\n  ${String((err as Error).stack ?? err).split('\n').join('\n  ')}`)
      }
    } finally {
      clearTimeout(timer)
    }
  }
  report(`vscode: ${passed} passed, ${failed} failed, ${skipped} skipped`)
  if (failed > 0) throw new Error(`${failed} of ${tests.length} extension tests failed`)
}
