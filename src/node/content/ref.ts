// Install references, one format for the CLI, the API, the extension and the web UI (which bundles
// this file, so it imports nothing from Node): `publisher/id@version`, `id@version`, `id` (or the
// adapter's display name) or a CID. A reference that names its publisher installs only that
// publisher's adapter; a bare name never silently picks another publisher's higher version.

/** CIDv0 (`Qm…`) or base32 CIDv1 (`b…`), with an optional `ipfs://` or `/ipfs/` prefix. */
const CID_TEXT = /^(?:ipfs:\/\/|\/ipfs\/)?(?:Qm[1-9A-HJ-NP-Za-km-z]{44}|b[a-z2-7]{50,120})$/
/** A PeerId as text (base58btc: `12D3KooW…` / `Qm…`). */
const PUBLISHER = /^[1-9A-HJ-NP-Za-km-z]{40,128}$/
/** `id@version`: the version part as in semver (digits first). */
const ID_AT_VERSION = /^(.+)@(\d[0-9A-Za-z.+-]*)$/

export type ContentRef =
  | { kind: 'cid', cid: string }
  /** `id` may also be the adapter's display name (matched case-insensitively). */
  | { kind: 'name', id: string, version?: string, publisher?: string }

/** Reads an install reference; throws a plain Error with a one-line message when it is empty. */
export function parseContentRef (ref: string): ContentRef {
  const r = ref.trim()
  if (r === '') throw new Error('Nothing to install: give a CID (ipfs://…), publisher/id@version, id@version or an id')
  if (CID_TEXT.test(r)) return { kind: 'cid', cid: r.replace(/^ipfs:\/\//, '').replace(/^\/ipfs\//, '') }
  let rest = r
  let publisher: string | undefined
  const slash = r.indexOf('/')
  if (slash > 0 && PUBLISHER.test(r.slice(0, slash))) {
    publisher = r.slice(0, slash)
    rest = r.slice(slash + 1)
  }
  const m = ID_AT_VERSION.exec(rest)
  const id = (m !== null ? m[1] : rest).trim()
  return { kind: 'name', id, ...(m !== null ? { version: m[2] } : {}), ...(publisher !== undefined ? { publisher } : {}) }
}

/** `publisher/id@version` (the parts that are known), the form shown in errors and sent by the UIs. */
export function formatContentRef (r: { id: string, version?: string, publisher?: string }): string {
  return `${r.publisher !== undefined && r.publisher !== '' ? `${r.publisher}/` : ''}${r.id}${r.version !== undefined && r.version !== '' ? `@${r.version}` : ''}`
}

/**
 * What the extension and the web UI ask the node to install for a search result: its CID when the
 * manifest carries one, else `publisher/id@version`, so exactly the adapter the user picked is installed.
 */
export function installRef (r: { contentHash?: string, id: string, version?: string, publisher?: string }): string {
  if (r.contentHash !== undefined && CID_TEXT.test(r.contentHash)) return r.contentHash
  return formatContentRef(r)
}
