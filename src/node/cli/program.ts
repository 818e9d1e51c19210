// The `continuum` command line. Every command but `node start` talks to the running node through
// its local API; errors print one line (a stack trace only with --verbose) and exit 1.
import { Command, InvalidArgumentError } from 'commander'
import type { DictionaryOption } from '..'
import path from 'node:path'
import { ApiClient, defaultDataDir, type MeshStatus, type PeerSummary, type Topology } from '..'
import { formatPeers, formatStatus, formatTopology } from './format'
import { runNodeForeground } from './node-start'
import { registerGenomeCommands } from './genome'
import { registerContentCommands } from './content'
import { registerWalletCommands } from './wallet'
import { registerSocialCommands } from './social'
import { registerMarketCommands } from './market'
import { registerComputeCommands } from './compute'
import { registerStorageCommands } from './storage'

export interface GlobalOptions { dataDir?: string, verbose?: boolean }

const collect = (value: string, previous: string[]): string[] => [...previous, value]

function collectDictionary (value: string, previous: DictionaryOption[]): DictionaryOption[] {
  const m = value.match(/^(es|fr|de)=(.+)$/)
  if (m === null) throw new InvalidArgumentError('expected LANG=PATH with LANG es, fr or de, e.g. es=/usr/share/dictd/freedict-spa-eng')
  return [...previous, { language: m[1] as DictionaryOption['language'], base: m[2].replace(/\.(?:index|dict|dict\.dz)$/, '') }]
}

export function parsePort (value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number 0-65535 (0 = any free port)')
  return n
}

export function parseSeconds (value: string): number {
  const n = Number(value.replace(/s$/, ''))
  if (!Number.isFinite(n) || n < 0 || n > 86_400) throw new InvalidArgumentError('expected seconds, 0-86400 (e.g. 30 or 30s)')
  return n
}

function parseCacheSize (value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 100_000) throw new InvalidArgumentError('expected a whole number 0-100000')
  return n
}

export function dataDirOf (cmd: Command): string {
  const opts = cmd.optsWithGlobals<GlobalOptions>()
  return path.resolve(opts.dataDir ?? defaultDataDir())
}

export async function clientFor (cmd: Command): Promise<ApiClient> {
  return ApiClient.forDataDir(dataDirOf(cmd))
}

export function printJson (value: unknown): void {
  console.log(JSON.stringify(value, null, 2))
}

export function buildProgram (): Command {
  const program = new Command('continuum')
    .description('Continuum Mesh: find and share AI adapters over a peer-to-peer mesh')
    .option('--data-dir <dir>', 'node data directory (env CONTINUUM_HOME, default ~/.continuum)')
    .option('--verbose', 'print debug logs and stack traces')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (str, write) => write(str) })

  const node = program.command('node').description('run a mesh node')
  node.command('start')
    .description('run a node in the foreground (stop with Ctrl+C)')
    .option('--listen <multiaddr>', 'listen address, repeatable (default: TCP 4101 and WebSockets 4102 on all interfaces)', collect, [])
    .option('--bootstrap <address>', 'bootstrap peer (multiaddr with /p2p/ or continuum://), repeatable', collect, [])
    .option('--announce-file <file|url>', 'announcement list: a file or an http(s) URL, repeatable', collect, [])
    .option('--no-mdns', 'do not discover peers on the local network')
    .option('--api-port <port>', 'local API port on 127.0.0.1 (0 = any free port)', parsePort, 4180)
    .option('--sample-catalog [file]', 'import the demo catalog (or this JSONL file) on start')
    .option('--gossip-interval <seconds>', 'seconds between catalog gossip rounds (0 disables)', parseSeconds, 30)
    .option('--no-gossip', 'do not exchange catalogs with neighbours: peers find this node\'s adapters by network search only')
    .option('--cache-size <n>', 'adapters cached from peers, at most 100000', parseCacheSize, 10_000)
    .option('--dictionary <lang=path>', 'a bilingual dictionary you installed (dictd, e.g. es=/usr/share/dictd/freedict-spa-eng) for es/fr/de queries, repeatable', collectDictionary, [])
    .option('--embedding-model <dir>', 'an embedding model folder you downloaded (ONNX, e.g. multilingual-e5-small): adapters with vectors in its space are searched there')
    .action(async (opts: { listen: string[], bootstrap: string[], announceFile: string[], mdns: boolean, apiPort: number, sampleCatalog?: boolean | string, gossipInterval: number, gossip: boolean, cacheSize: number, dictionary: DictionaryOption[], embeddingModel?: string }, cmd: Command) => {
      await runNodeForeground({ ...opts, dataDir: dataDirOf(cmd), verbose: cmd.optsWithGlobals<GlobalOptions>().verbose })
    })

  const mesh = program.command('mesh').description('inspect and steer the running node\'s mesh')
  mesh.command('status')
    .description('peer id, addresses, peers, neighbours, uptime and the bootstrap report')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const status = await (await clientFor(cmd)).call<MeshStatus>('GET', '/api/status')
      if (opts.json === true) printJson(status)
      else console.log(formatStatus(status))
    })
  mesh.command('peers')
    .description('connected peers (★ marks neighbours)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const peers = await (await clientFor(cmd)).call<PeerSummary[]>('GET', '/api/peers')
      if (opts.json === true) printJson(peers)
      else console.log(formatPeers(peers))
    })
  mesh.command('topology')
    .description('this node, its neighbours and what they report of theirs')
    .option('--graph', 'draw an ASCII graph')
    .option('--json', 'print JSON')
    .action(async (opts: { graph?: boolean, json?: boolean }, cmd: Command) => {
      const topo = await (await clientFor(cmd)).call<Topology>('GET', '/api/topology')
      if (opts.json === true) printJson(topo)
      else console.log(formatTopology(topo, opts.graph === true))
    })
  mesh.command('announce')
    .description('print this node\'s addresses, ready to paste into an announcement list')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const a = await (await clientFor(cmd)).call<{ continuum: string[], multiaddrs: string[] }>('GET', '/api/announce')
      if (opts.json === true) { printJson(a); return }
      console.log('# Continuum peer addresses (one per line)')
      for (const line of [...a.continuum, ...a.multiaddrs.filter(m => !m.includes('/0.0.0.0/'))]) console.log(line)
    })
  mesh.command('connect')
    .description('connect to a peer by continuum:// address or multiaddr')
    .argument('<address>', 'continuum://peer:<id>@<host>:<port> or /ip4/…/tcp/…/p2p/<id>')
    .action(async (address: string, _opts: unknown, cmd: Command) => {
      const res = await (await clientFor(cmd)).call<{ peerId: string }>('POST', '/api/connect', { address })
      console.log(`Connected to ${res.peerId}`)
    })

  registerGenomeCommands(program)
  registerContentCommands(program)
  registerWalletCommands(program)
  registerSocialCommands(program)
  registerMarketCommands(program)
  registerComputeCommands(program)
  registerStorageCommands(program)
  return program
}
