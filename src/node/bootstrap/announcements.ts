// Announcement lists: plain text, one peer per line, published anywhere (a file, a gist, a web page).
// A line is `continuum://peer:<peerId>@<host>:<port>` or a multiaddr ending in /p2p/<peerId>;
// blank lines and `#` comments are allowed; bad lines are reported with their line number.
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { isIP } from 'node:net'
import { readFile } from 'node:fs/promises'
import { combineSignals, type AbortOptions } from '../util/abort'
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

/** Largest announcement list we read; a list is a few KB of text. */
const MAX_LIST_BYTES = 1024 * 1024

/** Reads a list from a file path or an http(s) URL. */
export async function loadAnnouncementSource (source: string, options: AbortOptions & { timeoutMs?: number } = {}): Promise<string> {
  if (/^https?:\/\//i.test(source)) {
    const signal = combineSignals([options.signal], options.timeoutMs ?? 10_000)
    let res: Response
    try {
      res = await fetch(source, { signal, redirect: 'follow' })
    } catch (err) {
      throw new AnnouncementSourceError(`Cannot fetch announcement list ${source}: ${(err as Error).message}`)
    }
    if (!res.ok) throw new AnnouncementSourceError(`Cannot fetch announcement list ${source}: HTTP ${res.status}`)
    const body = await res.text()
    if (body.length > MAX_LIST_BYTES) throw new AnnouncementSourceError(`Announcement list ${source} is larger than 1 MiB`)
    return body
  }
  try {
    const body = await readFile(source, { encoding: 'utf8', signal: options.signal })
    if (body.length > MAX_LIST_BYTES) throw new AnnouncementSourceError(`Announcement list ${source} is larger than 1 MiB`)
    return body
  } catch (err) {
    if ((err as Error).name === 'AnnouncementSourceError') throw err
    throw new AnnouncementSourceError(`Cannot read announcement list ${source} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): check the path`)
  }
}
