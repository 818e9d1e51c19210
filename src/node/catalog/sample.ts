import { existsSync } from 'node:fs'
import path from 'node:path'
import { SAMPLE_CATALOG_PATH } from './constants'

/** The bundled demo catalog, found by walking up from `from` (bundles live in dist/, out/test/, …). */
export function findSampleCatalog (from: string): string | undefined {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, SAMPLE_CATALOG_PATH)
    if (existsSync(candidate)) return candidate
    if (path.dirname(dir) === dir) return undefined
  }
}
