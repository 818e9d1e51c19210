// Canonical JSON: the one byte string a value hashes and signs as. Keys sorted, no whitespace, only
// strings, booleans, safe integers, arrays and plain objects; `undefined` members are left out.
// Floats are refused outright, which is what keeps amounts exact across implementations.
import { createHash } from 'node:crypto'

export function canonicalJson (value: unknown): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'string': return JSON.stringify(value)
    case 'boolean': return value ? 'true' : 'false'
    case 'number':
      if (!Number.isSafeInteger(value)) throw new TypeError(`canonical JSON allows only safe integers, got ${value}`)
      return String(value)
    case 'object': {
      if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(',') + ']'
      const obj = value as Record<string, unknown>
      const keys = Object.keys(obj).filter(k => obj[k] !== undefined).sort()
      return '{' + keys.map(k => JSON.stringify(k) + ':' + canonicalJson(obj[k])).join(',') + '}'
    }
    default:
      throw new TypeError(`canonical JSON cannot encode ${typeof value}`)
  }
}

export function canonicalBytes (value: unknown): Uint8Array {
  return Buffer.from(canonicalJson(value), 'utf8')
}

export function sha256Hex (data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex')
}
