import { existsSync } from 'node:fs'
import path from 'node:path'
import { MODEL_DIR_ENV, MODEL_DIR_NAME, MODEL_FILES, WORKER_FILE } from './constants'
import { ModelNotFoundError, WorkerNotFoundError } from './errors'

/** Files of MODEL_FILES that `dir` lacks. */
export function missingModelFiles (dir: string): string[] {
  return MODEL_FILES.filter(f => !existsSync(path.join(dir, f)))
}

/**
 * Where the built model is: `explicit` (init.modelDir), else $CONTINUUM_MODEL_DIR, else the first
 * `models/all-MiniLM-L6-v2` found walking up from `from` (bundles live in dist/, out/test/, out/bench/).
 * An explicitly named folder must be complete; it is never silently replaced by another.
 */
export function resolveModelDir (explicit: string | undefined, from: string, environment: NodeJS.ProcessEnv = process.env): string {
  const named = explicit ?? environment[MODEL_DIR_ENV]
  if (named != null && named !== '') {
    const dir = path.resolve(named)
    const missing = missingModelFiles(dir)
    if (missing.length > 0) throw new ModelNotFoundError([dir], `missing ${missing.join(', ')}`)
    return dir
  }
  const searched: string[] = []
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'models', MODEL_DIR_NAME)
    searched.push(candidate)
    if (missingModelFiles(candidate).length === 0) return candidate
    if (path.dirname(dir) === dir) break
  }
  throw new ModelNotFoundError(searched)
}

/** The bundled worker: `explicit`, else embedding-worker.cjs in `from` or the nearest folder above it. */
export function resolveWorkerPath (explicit: string | undefined, from: string): string {
  if (explicit != null) {
    if (!existsSync(explicit)) throw new WorkerNotFoundError([explicit])
    return path.resolve(explicit)
  }
  const searched: string[] = []
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, WORKER_FILE)
    searched.push(candidate)
    if (existsSync(candidate)) return candidate
    if (path.dirname(dir) === dir) break
  }
  throw new WorkerNotFoundError(searched)
}
