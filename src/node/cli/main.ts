// Entry point of the `continuum` CLI bundle (dist/cli.js).
import '../polyfills'
import { CommanderError } from 'commander'
import { buildProgram } from './program'

export async function main (argv: string[] = process.argv): Promise<number> {
  const program = buildProgram().exitOverride()
  try {
    await program.parseAsync(argv)
    // A command may end with a non-zero code of its own (e.g. `genome import` that skipped lines).
    return typeof process.exitCode === 'number' ? process.exitCode : 0
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 1
    const verbose = argv.includes('--verbose')
    console.error(`error: ${(err as Error).message ?? String(err)}`)
    if (verbose && err instanceof Error && err.stack !== undefined) console.error(err.stack)
    return 1
  }
}

if (require.main === module) {
  main().then(code => { if (code !== 0) process.exitCode = code }, () => { process.exitCode = 1 })
}
