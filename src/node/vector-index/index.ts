// The adapter index: exact top-k cosine search (WASM SIMD), filters, BM25 hybrid search, remote LRU cache,
// crash-safe persistence, and vectra LocalIndex import/export.
export { openVectorIndex } from './open'
export { fuse } from './fusion'
export type { VectorIndex, VectorIndexInit } from './types'
export type { EntryAttrs, Fusion, IndexEntry, Location, SearchFilters, SearchQuery, SearchResult, StoredEntry } from './types'
export type { VectraExportResult, VectraImportOptions, VectraImportResult } from './vectra'
export { importVectraFolder, exportVectraFolder, VECTRA_INDEX_FILE } from './vectra'
export { VectorMatrix, simdAvailable, scanJs, type ScanKernel } from './matrix'
export { TopK } from './heap'
export { tokenize } from './keyword'
export * from './errors'
export { DEFAULT_DIMENSIONS, DEFAULT_REMOTE_CAPACITY, MAX_REMOTE_CAPACITY } from './constants'
