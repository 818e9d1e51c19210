// The one place where `continuum.*` settings become the node's init and the search options.
// Kept free of the `vscode` module so it is tested directly.
import { isIP } from 'node:net'
import path from 'node:path'
import { z } from 'zod'
import { announcementSourceKind, parsePeerAddress, type FeatureOptions, type MeshNodeInit } from '../node'

export const SECTION = 'continuum'

export interface SearchSettings {
  /** How long network search waits, ms. */
  timeoutMs: number
  hops: number
  minSimilarity: number
  maxResults: number
}

export interface ExtensionSettings {
  autoStart: boolean
  listenAddress: string
  listenPort: number
  bootstrapPeers: string[]
  announcementLists: string[]
  mdns: boolean
  gossipIntervalSeconds: number
  cacheSize: number
  search: SearchSettings
  seedInstalled: boolean
}

/** Defaults; the same values as package.json `contributes.configuration` (a unit test checks they agree). */
export const DEFAULT_SETTINGS: ExtensionSettings = {
  autoStart: true,
  listenAddress: '0.0.0.0',
  listenPort: 4111,
  bootstrapPeers: [],
  announcementLists: [],
  mdns: true,
  gossipIntervalSeconds: 30,
  cacheSize: 10_000,
  search: { timeoutMs: 5_000, hops: 3, minSimilarity: 0.2, maxResults: 20 },
  seedInstalled: true
}

/** Keys (under `continuum.`) whose change needs the node restarted. */
export const NODE_SETTING_KEYS = [
  'network.listenAddress', 'network.listenPort', 'network.bootstrapPeers', 'network.announcementLists',
  'network.mdns', 'gossip.intervalSeconds', 'cache.maxAdapters', 'seedInstalledAdapters'
]

/** What `WorkspaceConfiguration` offers that this file needs. */
export interface ConfigReader { get<T>(key: string): T | undefined }

export function readSettings (cfg: ConfigReader): ExtensionSettings {
  const d = DEFAULT_SETTINGS
  const num = (key: string, fallback: number): number => {
    const v = cfg.get<unknown>(key)
    return typeof v === 'number' && Number.isFinite(v) ? v : fallback
  }
  const bool = (key: string, fallback: boolean): boolean => {
    const v = cfg.get<unknown>(key)
    return typeof v === 'boolean' ? v : fallback
  }
  const list = (key: string): string[] => {
    const v = cfg.get<unknown>(key)
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').map(s => s.trim()).filter(s => s !== '') : []
  }
  const str = cfg.get<unknown>('network.listenAddress')
  return {
    autoStart: bool('node.autoStart', d.autoStart),
    listenAddress: typeof str === 'string' && str.trim() !== '' ? str.trim() : d.listenAddress,
    listenPort: num('network.listenPort', d.listenPort),
    bootstrapPeers: list('network.bootstrapPeers'),
    announcementLists: list('network.announcementLists'),
    mdns: bool('network.mdns', d.mdns),
    gossipIntervalSeconds: num('gossip.intervalSeconds', d.gossipIntervalSeconds),
    cacheSize: num('cache.maxAdapters', d.cacheSize),
    search: {
      timeoutMs: Math.round(clamp(num('search.timeoutSeconds', d.search.timeoutMs / 1000), 1, 30) * 1000),
      hops: Math.round(clamp(num('search.maxHops', d.search.hops), 1, 10)),
      minSimilarity: clamp(num('search.minSimilarity', d.search.minSimilarity), 0, 1),
      maxResults: Math.round(clamp(num('search.maxResults', d.search.maxResults), 1, 100))
    },
    seedInstalled: bool('seedInstalledAdapters', d.seedInstalled)
  }
}

/** A setting that stops the node from starting, with the key the user should fix. */
export interface SettingProblem { key: string, message: string }

/** At most this many entries per list setting (a list is a handful of addresses). */
export const MAX_SETTING_LIST = 64
const MAX_SETTING_TEXT = 2048

const listenAddressSchema = z.string().superRefine((a, ctx) => {
  if (isIP(a) === 0) ctx.addIssue({ code: 'custom', message: `"${a.slice(0, 100)}" is not an IP address (use 0.0.0.0 for every interface or 127.0.0.1 for this machine only)` })
})

const bootstrapPeerSchema = z.string().max(MAX_SETTING_TEXT, 'is too long for a peer address').superRefine((peer, ctx) => {
  try {
    parsePeerAddress(peer)
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `"${peer.slice(0, 200)}" is not a peer address (${(err as Error).message}); use continuum://peer:<peerId>@<host>:<port>` })
  }
})

/** An http(s) URL, a file: URL or an absolute path: the extension host's working directory is no place to resolve a relative one. */
const announcementListSchema = z.string().max(MAX_SETTING_TEXT, 'is too long for a URL or path').superRefine((source, ctx) => {
  try {
    const where = announcementSourceKind(source)
    if (where.kind === 'file' && !path.isAbsolute(where.path)) {
      ctx.addIssue({ code: 'custom', message: `"${source.slice(0, 200)}" is a relative path: give an absolute path, a file:// URL or an https:// URL` })
    }
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message })
  }
})

const listOf = (item: z.ZodType<string>, what: string) => z.array(item).max(MAX_SETTING_LIST, `at most ${MAX_SETTING_LIST} ${what}`)

/** The settings that reach the node's network edge, checked with zod before the node is built. */
const networkSettingsSchema = z.object({
  listenAddress: listenAddressSchema,
  bootstrapPeers: listOf(bootstrapPeerSchema, 'bootstrap peers'),
  announcementLists: listOf(announcementListSchema, 'announcement lists')
})

const SETTING_KEYS: Record<string, string> = {
  listenAddress: 'network.listenAddress',
  bootstrapPeers: 'network.bootstrapPeers',
  announcementLists: 'network.announcementLists'
}

/** Problems that would make the node fail to start (or read what it should not), found before trying. */
export function validateSettings (s: ExtensionSettings): SettingProblem[] {
  const problems: SettingProblem[] = []
  const network = networkSettingsSchema.safeParse({ listenAddress: s.listenAddress, bootstrapPeers: s.bootstrapPeers, announcementLists: s.announcementLists })
  const networkProblems = network.success ? [] : network.error.issues.map(i => ({ key: SETTING_KEYS[String(i.path[0])] ?? String(i.path[0]), message: i.message }))
  problems.push(...networkProblems.filter(p => p.key === 'network.listenAddress'))
  if (!Number.isInteger(s.listenPort) || s.listenPort < 0 || s.listenPort > 65535) {
    problems.push({ key: 'network.listenPort', message: `${s.listenPort} is not a TCP port (0–65535; 0 picks any free port)` })
  }
  problems.push(...networkProblems.filter(p => p.key !== 'network.listenAddress'))
  if (!Number.isInteger(s.cacheSize) || s.cacheSize < 100 || s.cacheSize > 100_000) {
    problems.push({ key: 'cache.maxAdapters', message: `${s.cacheSize} is out of range (100–100000)` })
  }
  if (s.gossipIntervalSeconds < 0) problems.push({ key: 'gossip.intervalSeconds', message: 'must not be negative' })
  return problems
}

export function listenMultiaddr (s: Pick<ExtensionSettings, 'listenAddress' | 'listenPort'>): string {
  return `/${isIP(s.listenAddress) === 6 ? 'ip6' : 'ip4'}/${s.listenAddress}/tcp/${s.listenPort}`
}

/** The feature options the settings ask for (gossip timer, seeding installed adapters). */
export function featureOptionsFromSettings (s: ExtensionSettings): FeatureOptions & { seedInstalled: boolean } {
  return { gossipIntervalSeconds: s.gossipIntervalSeconds, seedInstalled: s.seedInstalled }
}

/** Node init from settings; features and logging are added by the caller. */
export function nodeInitFromSettings (s: ExtensionSettings, dataDir: string): MeshNodeInit {
  return {
    dataDir,
    listen: [listenMultiaddr(s)],
    bootstrap: s.bootstrapPeers,
    announceFiles: s.announcementLists,
    mdns: s.mdns,
    remoteCapacity: s.cacheSize
  }
}

function clamp (x: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, x))
}
