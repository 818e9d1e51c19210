// Paid storage replicas with audits and repair (issue #19). See feature.ts.
export { StorageFeature, storageFeature, storageService, parseCapacity, tokensToUnits } from './feature'
export type { StorageApi, StorageInit, PutOptions, PutProgress, StoredFileView, ReplicaView, GetOptions } from './feature'
export type { StorageComponents, StorageContent, StorageListings, StoragePayments } from './components'
export * from './errors'
export { STORAGE_PROTOCOL } from './constants'
