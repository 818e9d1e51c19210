// The node's public surface: the only module the VS Code extension (src/extension) and the CLI
// (src/node/cli) import, types included (eslint forbids deeper imports there). Everything a consumer
// needs is re-exported here by purpose; internals stay reachable only to the node's own folders and tests.
// See src/node/README.md for the map of folders and the facade's members.

// The facade and its figures.
export { MeshNode, createMeshNode } from './mesh-node'
export type { DictionaryOption, MeshNodeInit, MeshNodeEvents, MeshNodeState, MeshStatus, PeerSummary, Topology, TopologyNode } from './mesh-node'
export type { BootstrapReport } from './bootstrap/bootstrap'
export { NodeNotStartedError } from './errors'
export { inspectModelFolder, type ModelSpec } from './embedding/model-folder'

// Search: one pipeline, one result type, one install reference.
export type { SearchQuery, SearchOptions } from './search/pipeline'
export { resultFromHit } from './search/results'
export { fromNetwork, hostCount, installRef, isCid, type AdapterResult, type SearchUpdate } from './search/view'

// The capabilities a full node runs.
export { defaultFeatures, type FeatureOptions } from './features'
export type { MeshFeature } from './feature'
export type {
  ContentApi, InstallProgress, InstallResult, InstalledAdapter, PublishProgress, PublishResult, TopicLookup
} from './content/api'
export type { DhtStatsSnapshot } from './dht/stats'

// Peer addresses, logging, limits users meet.
export { announcementSourceKind, parsePeerAddress, formatContinuumUri } from './bootstrap/announcements'
export { errorMessage, formatLogRecord, type LogLevel, type LogRecord } from './util/logger'
export { MAX_QUERY_CHARS } from './catalog/constants'
export { defaultDataDir } from './identity/data-dir'
export { parseTokens, formatTokens } from './ledger/amount'
export type { HistoryEntry } from './ledger/ledger'
export type { AccountSummary, VerifyReport, WalletApi, WalletBalance, WalletStats } from './economy/wallet'
export type { SocialApi, PostView, RateResult, SocialStatus, VerifiedMetrics } from './social'
export { MAX_TEXT_CHARS as MAX_POST_CHARS } from './social/constants'
export type { MarketApi, MarketListing, ListingOffer, ListingFilter, ServiceListing, ServiceType, PriceUnit, ProviderMeasure } from './market'
export { SERVICE_TYPES, PRICE_UNITS } from './market/constants'
export { BACKEND_NAMES, type BackendName, type ProviderOptions, type ProviderStatus, type GenerateOptions, type GenerateResult, type EmbedOptions, type EmbedResult } from './market'
export type { StorageApi, PutOptions, PutProgress, StoredFileView, ReplicaView } from './storage-market'
export { parseCapacity, tokensToUnits } from './storage-market'

// The local HTTP API (the wire edge) and its client.
export { ApiServer, type ApiInfo } from './api/server'
export { ApiClient } from './api/client'
export { ApiError, NodeNotRunningError } from './api/errors'
export { DEFAULT_API_PORT } from './api/constants'
export { createStaticHandler, findWebviewDir } from './api/static'
export { Router, type RouteRegistry, type RouteMethod, type RouterCallOptions } from './api/router'
export { registerNodeRoutes } from './api/routes/node'
export { bridgeNodeEvents } from './api/routes/mesh'
