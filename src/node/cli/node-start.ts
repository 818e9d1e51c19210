// `continuum node start`: runs a node in the foreground with a readable log and the local API,
// until SIGINT/SIGTERM.
import { multiaddr } from '@multiformats/multiaddr'
import { createMeshNode, type DictionaryOption, type MeshNode } from '../mesh-node'
import { ApiServer } from '../api/server'
import { registerMeshRoutes } from '../api/mesh-routes'
import { registerGenomeRoutes } from '../api/genome-routes'
import { createStaticHandler, findWebviewDir } from '../api/static'
import { defaultFeatures } from '../features'
import { DEFAULT_API_PORT } from '../api/constants'
import { formatLogRecord, type LogLevel } from '../util/logger'
import path from 'node:path'
import { UsageError } from './errors'

export interface NodeStartOptions {
  dataDir: string
  listen?: string[]
  bootstrap?: string[]
  announceFile?: string[]
  mdns: boolean
  apiPort?: number
  sampleCatalog?: boolean | string
  gossipInterval?: number
  cacheSize?: number
  dictionary?: DictionaryOption[]
  verbose?: boolean
}

export interface RunningNode { node: MeshNode, api: ApiServer, stop: () => Promise<void> }

/** Starts node + API and prints how to use them; the caller decides how long it runs. */
export async function startNodeWithApi (opts: NodeStartOptions, print: (line: string) => void = console.log): Promise<RunningNode> {
  for (const addr of opts.listen ?? []) {
    try { multiaddr(addr) } catch (err) { throw new UsageError(`Invalid --listen address "${addr}": ${(err as Error).message}. Example: /ip4/127.0.0.1/tcp/4101`) }
  }
  const minLevel: LogLevel[] = opts.verbose === true ? ['debug', 'info', 'warn', 'error'] : ['info', 'warn', 'error']
  const node = createMeshNode({
    dataDir: opts.dataDir,
    listen: opts.listen !== undefined && opts.listen.length > 0 ? opts.listen : undefined,
    bootstrap: opts.bootstrap,
    announceFiles: opts.announceFile,
    mdns: opts.mdns,
    sampleCatalog: opts.sampleCatalog,
    features: defaultFeatures({ gossipIntervalSeconds: opts.gossipInterval }),
    remoteCapacity: opts.cacheSize,
    dictionaries: opts.dictionary,
    onLog: r => { if (minLevel.includes(r.level)) print(formatLogRecord(r)) }
  })
  await node.start()
  const api = new ApiServer({ dataDir: node.dataDir, peerId: node.peerId.toString(), log: node.log.child('api'), staticHandler: createStaticHandler({ dir: findWebviewDir(__dirname) }) })
  registerMeshRoutes(api, node)
  registerGenomeRoutes(api, node)
  for (const f of node.features) f.registerRoutes?.(api)
  try {
    await api.start(opts.apiPort ?? DEFAULT_API_PORT)
  } catch (err) {
    await node.stop()
    throw err
  }
  const share = node.announceAddresses()
  print('')
  print(`Continuum node ${node.peerId.toString()} is running`)
  print(`  Data dir:  ${node.dataDir}`)
  print(`  Local API: ${api.url} (token in ${node.dataDir}/api.json)`)
  print(`  Web UI:    ${api.url}/?token=${api.token}`)
  for (const a of share.continuum) print(`  Address:   ${a}`)
  print('')
  print('Connect a second node on this machine:')
  const first = share.multiaddrs.find(a => a.includes('/tcp/') && !a.includes('/ws')) ?? share.multiaddrs[0]
  print(`  ${cliInvocation()} --data-dir /tmp/continuum-2 node start --listen /ip4/127.0.0.1/tcp/0 --api-port 0 --bootstrap ${first}`)
  print('')
  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopping ??= (async () => { await api.stop(); await node.stop() })()
    return stopping
  }
  return { node, api, stop }
}

/** Runs until a signal arrives, then stops cleanly. */
export async function runNodeForeground (opts: NodeStartOptions): Promise<void> {
  const running = await startNodeWithApi(opts)
  await new Promise<void>(resolve => {
    const onSignal = (sig: string): void => {
      console.log(`\nReceived ${sig}, stopping…`)
      running.stop().then(resolve, err => { console.error(`error while stopping: ${(err as Error).message}`); resolve() })
    }
    process.once('SIGINT', () => onSignal('SIGINT'))
    process.once('SIGTERM', () => onSignal('SIGTERM'))
  })
}

/** How the user ran this CLI, so printed commands can be pasted as they are. */
export function cliInvocation (): string {
  const script = process.argv[1] ?? ''
  if (path.basename(script) === 'continuum') return 'continuum'
  const rel = path.relative(process.cwd(), script)
  return `node ${rel.startsWith('..') ? script : rel}`
}
