// Small display helpers. Everything the page shows from the network goes through lit's text bindings,
// which escape it; nothing here builds HTML.

export function shortId (peerId: string): string {
  return peerId.length > 14 ? `…${peerId.slice(-8)}` : peerId
}

export function formatDuration (ms: number): string {
  const s = Math.floor(ms / 1000)
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${s % 60} s`
  const h = Math.floor(m / 60)
  if (h < 48) return `${h} h ${m % 60} min`
  return `${Math.floor(h / 24)} days`
}

/** A token amount as the wallet shows it (up to 6 decimals): `1 token`, `0.5 tokens`, `1,200 tokens`. */
export function formatTokens (n: number): string {
  return `${n.toLocaleString('en-US', { maximumFractionDigits: 6 })} ${n === 1 ? 'token' : 'tokens'}`
}

/** `1 token`, `2 tokens`, `1.5 tokens`: the noun agrees with the number shown. */
export function countOf (n: number, singular: string, plural = `${singular}s`): string {
  return `${formatNumber(n)} ${n === 1 ? singular : plural}`
}

export function formatNumber (n: number): string {
  return Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 2 })
}

export function formatBytes (n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let i = 0
  let v = n
  while (v >= 1000 && i < units.length - 1) { v /= 1000; i++ }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`
}

/** "lastGossipAt" → "Last gossip at". */
export function humanise (key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').toLowerCase()
  return words.charAt(0).toUpperCase() + words.slice(1)
}

/** A feature figure as text: rates as %, byte counts as sizes, timestamps as "n s ago". */
export function formatFigure (key: string, value: unknown, now = Date.now()): string {
  if (value === null || value === undefined) return '—'
  if (typeof value === 'number') {
    if (/rate|ratio/i.test(key) && value >= 0 && value <= 1) return `${(value * 100).toFixed(1)} %`
    if (/bytes/i.test(key)) return formatBytes(value)
    if (/(At|Time)$/.test(key) && value > 1e12) return `${formatDuration(Math.max(0, now - value))} ago`
    if (/Ms$/.test(key)) return formatDuration(value)
    return formatNumber(value)
  }
  if (typeof value === 'string') {
    if (/(At|Time)$/.test(key) && !Number.isNaN(Date.parse(value))) return `${formatDuration(Math.max(0, now - Date.parse(value)))} ago`
    return value
  }
  if (typeof value === 'boolean') return value ? 'yes' : 'no'
  return JSON.stringify(value)
}

/** Flattens one level of nested figures: { bandwidth: { inBytes } } → "bandwidth.inBytes". */
export function flattenFigures (figures: unknown, prefix = ''): Array<[string, unknown]> {
  if (typeof figures !== 'object' || figures === null || Array.isArray(figures)) return prefix === '' ? [] : [[prefix, figures]]
  const out: Array<[string, unknown]> = []
  for (const [k, v] of Object.entries(figures as Record<string, unknown>)) {
    const key = prefix === '' ? k : `${prefix}.${k}`
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && prefix === '') out.push(...flattenFigures(v, key))
    else out.push([key, v])
  }
  return out
}

export function errorText (err: unknown): string {
  if (err instanceof Error) return err.message
  return String(err)
}
