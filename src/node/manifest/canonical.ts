// Canonical JSON (RFC 8785, JCS) for the data a manifest can hold: sorted keys, no whitespace,
// ECMAScript number formatting. Signatures are computed over these bytes, so two nodes that hold
// equal manifests always produce and check the same bytes.
import { LIMITS } from './constants.js'
import { CanonicalEncodingError } from './errors.js'

/**
 * Encode JSON data canonically. Object keys are sorted by UTF-16 code units (JCS §3.2.3);
 * properties whose value is `undefined` are omitted, as JSON.stringify does.
 *
 * @throws CanonicalEncodingError for non-JSON values, non-finite numbers, or nesting deeper than `maxDepth`
 */
export function canonicalize (value: unknown, maxDepth: number = LIMITS.maxDepth): string {
  return encode(value, 0, maxDepth)
}

/** UTF-8 bytes of {@link canonicalize}. */
export function canonicalBytes (value: unknown, maxDepth: number = LIMITS.maxDepth): Uint8Array {
  return new TextEncoder().encode(canonicalize(value, maxDepth))
}

function encode (value: unknown, depth: number, maxDepth: number): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false'
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalEncodingError(`Cannot encode non-finite number ${value}`)
      // ECMAScript Number::toString is exactly JCS's number format (and prints -0 as 0).
      return JSON.stringify(value)
    case 'string':
      return JSON.stringify(value)
    case 'object':
      break
    default:
      throw new CanonicalEncodingError(`Cannot encode a value of type ${typeof value}`)
  }
  if (depth >= maxDepth) throw new CanonicalEncodingError(`Nesting deeper than ${maxDepth} levels`)
  if (Array.isArray(value)) {
    const parts: string[] = []
    for (const item of value) parts.push(encode(item, depth + 1, maxDepth))
    return `[${parts.join(',')}]`
  }
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) {
    throw new CanonicalEncodingError(`Cannot encode an instance of ${(value as object).constructor?.name ?? 'unknown class'}`)
  }
  const record = value as Record<string, unknown>
  const parts: string[] = []
  // Default sort compares UTF-16 code units, which is what JCS specifies.
  for (const key of Object.keys(record).sort()) {
    const item = record[key]
    if (item === undefined) continue
    parts.push(`${JSON.stringify(key)}:${encode(item, depth + 1, maxDepth)}`)
  }
  return `{${parts.join(',')}}`
}
