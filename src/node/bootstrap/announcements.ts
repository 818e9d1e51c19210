// Announcement lists: plain text, one peer per line, published anywhere (a file, a gist, a web page).
// A line is `continuum://peer:<peerId>@<host>:<port>` or a multiaddr ending in /p2p/<peerId>;
// blank lines and `#` comments are allowed; bad lines are reported with their line number.
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { isIP } from 'node:net'
import { open } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { combineSignals, type AbortOptions } from '../util/abort'
import { ANNOUNCEMENT_FETCH_TIMEOUT_MS, MAX_ANNOUNCEMENT_LIST_BYTES as MAX_LIST_BYTES } from './constants'
import { AnnouncementSourceError } from './errors'

export interface AnnouncedPeer { line: number, peerId: string, addr: Multiaddr }
export interface AnnouncementProblem { line: number, text: string, reason: string }
export interface ParsedAnnouncements { peers: AnnouncedPeer[], problems: AnnouncementProblem[] }

const CONTINUUM_URI = /^continuum:\/\/peer:([^@\s]+)@(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/
const HOSTNAME = /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,62})(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,62}))*$/

/** Formats this node's shareable address. */
export function formatContinuumUri (peerId: string, host: string, port: number): string {
  return `continuum://peer:${peerId}@${host.includes(':') ? `[${host}]` : host}:${port}`
}

/** Parses one address (either form); throws an Error whose message says what is wrong. */
export function parsePeerAddress (text: string): { peerId: string, addr: Multiaddr } {
  const trimmed = text.trim()
  const uri = CONTINUUM_URI.exec(trimmed)
  if (uri !== null) {
    const [, id, rawHost, portText] = uri
    const port = Number(portText)
    if (port < 1 || port > 65535) throw new Error(`port ${portText} is out of range 1-65535`)
    checkPeerId(id)
    const host = rawHost.replace(/^\[|\]$/g, '')
    const family = isIP(host)
    let proto: string
    if (family === 4) proto = 'ip4'
    else if (family === 6) proto = 'ip6'
    else if (HOSTNAME.test(host)) proto = 'dns'
    else throw new Error(`"${host}" is not an IP address or host name`)
    return { peerId: id, addr: multiaddr(`/${proto}/${host}/tcp/${port}/p2p/${id}`) }
  }
  if (trimmed.startsWith('continuum://')) throw new Error('expected continuum://peer:<peerId>@<host>:<port>')
  if (!trimmed.startsWith('/')) throw new Error('expected continuum://peer:<peerId>@<host>:<port> or a multiaddr like /ip4/1.2.3.4/tcp/4101/p2p/<peerId>')
  let addr: Multiaddr
  try {
    addr = multiaddr(trimmed)
  } catch (err) {
    throw new Error(`invalid multiaddr: ${(err as Error).message}`, { cause: err })
  }
  const id = addr.getComponents().findLast(c => c.name === 'p2p')?.value
  if (id === undefined) throw new Error('multiaddr has no /p2p/<peerId> part')
  checkPeerId(id)
  return { peerId: id, addr }
}

function checkPeerId (id: string): void {
  try {
    peerIdFromString(id)
  } catch {
    throw new Error(`"${id.slice(0, 60)}" is not a valid peer id`)
  }
}

export function parseAnnouncements (text: string): ParsedAnnouncements {
  const peers: AnnouncedPeer[] = []
  const problems: AnnouncementProblem[] = []
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    try {
      peers.push({ line: i + 1, ...parsePeerAddress(line) })
    } catch (err) {
      problems.push({ line: i + 1, text: line.slice(0, 200), reason: (err as Error).message })
    }
  })
  return { peers, problems }
}

/** Where an announcement list may come from: an http(s) URL, a file: URL or a file path. */
export type AnnouncementSourceKind = { kind: 'url', url: URL } | { kind: 'file', path: string }

/**
 * Classifies a source; any other scheme (ftp:, data:, javascript:, …) is refused with a one-line
 * error rather than being read as an odd relative path.
 */
export function announcementSourceKind (source: string): AnnouncementSourceKind {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(source)?.[1]?.toLowerCase()
  // A one-letter "scheme" is a Windows drive (C:\lists\peers.txt).
  if (scheme === undefined || scheme.length === 1) return { kind: 'file', path: source }
  if (scheme === 'file') {
    try {
      return { kind: 'file', path: fileURLToPath(source) }
    } catch (err) {
      throw new AnnouncementSourceError(`Announcement list ${source.slice(0, 200)} is not a valid file: URL (${(err as Error).message})`)
    }
  }
  if (scheme !== 'http' && scheme !== 'https') throw new AnnouncementSourceError(`Announcement list ${source.slice(0, 200)}: only http(s) URLs, file: URLs and file paths are read`)
  try {
    return { kind: 'url', url: new URL(source) }
  } catch {
    throw new AnnouncementSourceError(`Announcement list ${source.slice(0, 200)} is not a valid URL`)
  }
}

/** Reads a list from a file path or an http(s) URL, at most 1 MiB and (for URLs) within the timeout. */
export async function loadAnnouncementSource (source: string, options: AbortOptions & { timeoutMs?: number } = {}): Promise<string> {
  const where = announcementSourceKind(source)
  if (where.kind === 'url') {
    const signal = combineSignals([options.signal], options.timeoutMs ?? ANNOUNCEMENT_FETCH_TIMEOUT_MS)
    try {
      const res = await fetch(where.url, { signal, redirect: 'follow' })
      if (!res.ok) throw new AnnouncementSourceError(`Cannot fetch announcement list ${source}: HTTP ${res.status}`)
      if (res.body === null) return ''
      return await readCapped(res.body, source)
    } catch (err) {
      if ((err as Error).name === 'AnnouncementSourceError') throw err
      throw new AnnouncementSourceError(`Cannot fetch announcement list ${source}: ${signal.aborted && options.signal?.aborted !== true ? `no complete answer within ${Math.round((options.timeoutMs ?? ANNOUNCEMENT_FETCH_TIMEOUT_MS) / 1000)} s` : (err as Error).message}`)
    }
  }
  let fh
  try {
    fh = await open(where.path, 'r')
    const st = await fh.stat()
    // A device or FIFO (/dev/zero, a pipe) would never end.
    if (!st.isFile()) throw new AnnouncementSourceError(`Announcement list ${source} is not a regular file`)
    if (st.size > MAX_LIST_BYTES) throw tooLarge(source)
    // Read at most one byte past the cap: a file that grows while read is still bounded.
    const buf = Buffer.alloc(MAX_LIST_BYTES + 1)
    let size = 0
    for (;;) {
      options.signal?.throwIfAborted()
      const { bytesRead } = await fh.read(buf, size, buf.length - size, size)
      if (bytesRead === 0) break
      size += bytesRead
      if (size > MAX_LIST_BYTES) throw tooLarge(source)
    }
    return buf.subarray(0, size).toString('utf8')
  } catch (err) {
    if ((err as Error).name === 'AnnouncementSourceError') throw err
    throw new AnnouncementSourceError(`Cannot read announcement list ${source} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): check the path`)
  } finally {
    await fh?.close()
  }
}

/** Reads a stream as UTF-8, failing as soon as it passes the cap (never buffering more). */
async function readCapped (body: ReadableStream<Uint8Array>, source: string): Promise<string> {
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > MAX_LIST_BYTES) throw tooLarge(source)
      chunks.push(value)
    }
  } finally {
    await reader.cancel().catch(() => {})
  }
  return Buffer.concat(chunks).toString('utf8')
}

function tooLarge (source: string): AnnouncementSourceError {
  return new AnnouncementSourceError(`Announcement list ${source} is larger than ${MAX_LIST_BYTES / 1024 / 1024} MiB: it should be one address per line`)
}
