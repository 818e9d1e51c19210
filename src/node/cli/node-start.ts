// `continuum node start`: runs a node in the foreground with a readable log and the local API,
// until SIGINT/SIGTERM.
import { multiaddr } from '@multiformats/multiaddr'
import {
  ApiServer, DEFAULT_API_PORT, bridgeNodeEvents, createMeshNode, createStaticHandler, defaultFeatures, findWebviewDir,
  formatLogRecord, registerNodeRoutes, type DictionaryOption, type LogLevel, type MeshNode
} from '..'
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
  /** Run catalog gossip. @default true */
  gossip?: boolean
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
    features: defaultFeatures({ gossipIntervalSeconds: opts.gossipInterval, gossip: opts.gossip }),
    remoteCapacity: opts.cacheSize,
    dictionaries: opts.dictionary,
    onLog: r => { if (minLevel.includes(r.level)) print(formatLogRecord(r)) }
  })
  await node.start()
  const api = new ApiServer({ dataDir: node.dataDir, peerId: node.peerId.toString(), log: node.log.child('api'), staticHandler: createStaticHandler({ dir: findWebviewDir(__dirname) }) })
  registerNodeRoutes(api, node)
  bridgeNodeEvents(api, node)
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

/**
 * Runs until a signal arrives, then stops cleanly. The handlers are in place before the node starts, so
 * Ctrl+C or SIGTERM during start-up (while the key, ledger or demo catalog load) stops the same way.
 */
export async function runNodeForeground (opts: NodeStartOptions): Promise<void> {
  const signalled = new Promise<string>(resolve => {
    process.once('SIGINT', () => resolve('SIGINT'))
    process.once('SIGTERM', () => resolve('SIGTERM'))
  })
  let stopping = false
  const starting = startNodeWithApi(opts, line => { if (!stopping) console.log(line) })
  const first = await Promise.race([starting.then(running => ({ running }), (err: unknown) => ({ err })), signalled.then(sig => ({ sig }))])
  if ('err' in first) throw first.err
  const sig = 'sig' in first ? first.sig : await signalled
  stopping = true
  console.log(`\nReceived ${sig}, stopping…`)
  try {
    // A signal during start-up: let the start finish (it cannot be cut mid-way without leaving locks), then stop.
    const running = 'running' in first ? first.running : await starting
    await running.stop()
  } catch (err) {
    if ('running' in first) console.error(`error while stopping: ${(err as Error).message}`)
  }
}

/** How the user ran this CLI, so printed commands can be pasted as they are. */
export function cliInvocation (): string {
  const script = process.argv[1] ?? ''
  if (path.basename(script) === 'continuum') return 'continuum'
  const rel = path.relative(process.cwd(), script)
  return `node ${rel.startsWith('..') ? script : rel}`
}
