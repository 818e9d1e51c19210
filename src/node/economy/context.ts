// What the economy's parts (rpc, sync, push, gossip, wallet) share: the node capabilities they use, named
// one by one (any started MeshNode has them), the open ledger and the feature's figures.
import type { PeerId, PrivateKey } from '@libp2p/interface'
import type { Ledger } from '../ledger'
import type { MeshLibp2p } from '../transport/libp2p'
import type { DropCounters } from '../util/counters'
import type { Logger } from '../util/logger'

/** The node capabilities the ledger feature uses (a started `MeshNode` has them all). */
export interface LedgerComponents {
  readonly libp2p: MeshLibp2p
  /** Signs this account's blocks and receipts. */
  readonly privateKey: PrivateKey
  readonly dataDir: string
  readonly log: Logger
  readonly drops: DropCounters
  readonly state: string
  /** Aborted when the node stops. */
  readonly shutdownSignal: AbortSignal
  /** Resolves when the first bootstrap round has finished. */
  readonly bootstrapped: Promise<unknown>
  readonly neighbours: { random: (n: number) => PeerId[] }
  penalise: (peer: PeerId, reason: string) => void
  /** An adapter's name by content id (a hosted bundle's CID or a local manifest's content hash), for stats. */
  adapterName?: (contentId: string) => string | undefined
}

export interface SyncCounters {
  rounds: number
  blocksFetched: number
  pushesReceived: number
  pushesSent: number
  gossipReceived: number
  proofsPublished: number
  syncErrors: number
  lastRoundAt: number
}

export interface EconomyContext {
  readonly components: LedgerComponents
  readonly ledger: Ledger
  readonly log: Logger
  readonly counters: SyncCounters
  /** True once the feature is stopping: no new exchange starts. */
  readonly stopped: boolean
}

/** True while the node runs (background work started before a stop ends quietly). */
export const running = (ctx: EconomyContext): boolean => ctx.components.state === 'started'

/** A block's wire text → its JSON value (left as text when it is not JSON: the ledger rejects it as malformed). */
export function decodeText (text: string): unknown {
  try { return JSON.parse(text) } catch { return text }
}
