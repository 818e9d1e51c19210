// Adapter bundles as content over the DHT: publish, find providers, verified multi-provider download,
// install into a project with a lockfile. The feature object is the API the extension and UI use.
export { ContentFeature, contentFeature } from './feature'
export type {
  ContentApi, ContentInit, PublishOptions, PublishProgress, PublishResult, InstallOptions, InstallProgress, InstallResult, InstalledAdapter,
  TopicLookup, TopicProvider
} from './api'
export type { InstallCharge, InstallPayment, InstallPayments } from './payments'
export type { LockEntry, Lockfile } from './lockfile'
export { readLockfile, lockfilePath } from './lockfile'
export { buildFileDag, blockCid, parseCid, formatCid, looksLikeCid, verifyBlock, type DagResult } from './dag'
export { installRef, formatContentRef, parseContentRef, type ContentRef } from './ref'
export { downloadDag, readDag, type DownloadProgress, type DownloadResult, type ProviderFailure } from './downloader'
export { FsBlockstore } from './blockstore'
export { topicKey, nameKey, normalizeTag } from './keys'
export * from './errors'
export * from './constants'
