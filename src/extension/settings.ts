// The one place where `continuum.*` settings become the node's init and the search options.
// Kept free of the `vscode` module so it is tested directly.
import { isIP } from 'node:net'
import { parsePeerAddress, type FeatureOptions, type MeshNodeInit } from '../node'

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

/** Problems that would make the node fail to start, found before trying. */
export function validateSettings (s: ExtensionSettings): SettingProblem[] {
  const problems: SettingProblem[] = []
  if (isIP(s.listenAddress) === 0) {
    problems.push({ key: 'network.listenAddress', message: `"${s.listenAddress}" is not an IP address (use 0.0.0.0 for every interface or 127.0.0.1 for this machine only)` })
  }
  if (!Number.isInteger(s.listenPort) || s.listenPort < 0 || s.listenPort > 65535) {
    problems.push({ key: 'network.listenPort', message: `${s.listenPort} is not a TCP port (0–65535; 0 picks any free port)` })
  }
  for (const peer of s.bootstrapPeers) {
    try {
      parsePeerAddress(peer)
    } catch (err) {
      problems.push({ key: 'network.bootstrapPeers', message: `"${peer}" is not a peer address (${(err as Error).message}); use continuum://peer:<peerId>@<host>:<port>` })
    }
  }
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
