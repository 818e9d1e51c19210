// A second embedding space next to the default one: the vectors a user-supplied model gave (carried in
// manifests' `extraEmbeddings`, or computed when this node publishes), in their own VectorIndex. The default
// index stays the catalog's record of every entry; this one holds only entries that have a vector in the
// space, and search results always take their manifest, location and hosts from the default index.
import path from 'node:path'
import type { Embedder } from '../embedding'
import { manifestVectorIn } from '../manifest'
import { openVectorIndex, type VectorIndex } from '../vector-index'
import type { IndexEntry, SearchFilters, StoredEntry } from '../vector-index/types'
import type { AbortOptions } from '../util/abort'
import type { CatalogPayload } from './catalog'

/** Folder of a space's index under the catalog's parent folder: the model id made a safe single name. */
export function spaceFolder (catalogDir: string, modelId: string): string {
  const root = path.join(path.dirname(path.resolve(catalogDir)), 'catalog-spaces')
  const name = modelId.toLowerCase().replace(/[^a-z0-9._-]+/g, '--').replace(/^[.-]+/, '').slice(0, 120) || 'space'
  const dir = path.join(root, name)
  // The id comes from a config file the user pointed at: prove the folder stays under the root.
  if (path.dirname(dir) !== root) throw new Error(`embedding space folder ${dir} escapes ${root}`)
  return dir
}

export interface SpaceHit { id: string, similarity: number, score: number }

export class SpaceIndex {
  private index?: VectorIndex

  constructor (readonly embedder: Embedder, private readonly catalogDir: string, private readonly remoteCapacity: number) {}

  get modelId (): string { return this.embedder.modelId }

  async open (options: AbortOptions = {}): Promise<void> {
    this.index = await openVectorIndex({ dir: spaceFolder(this.catalogDir, this.modelId), dimensions: this.embedder.dimensions, remoteCapacity: this.remoteCapacity }, options)
  }

  async close (): Promise<void> {
    await this.index?.close()
    this.index = undefined
  }

  count (): number { return this.index?.count() ?? 0 }

  has (id: string): boolean { return this.index?.get(id) !== undefined }

  /**
   * Mirrors entries just written to the default index: those whose manifest has a vector in this space are
   * written here too (same text, attributes, location), those without one leave this index.
   */
  async sync (entries: Array<IndexEntry | StoredEntry>, options: AbortOptions = {}): Promise<void> {
    const index = this.index
    if (index === undefined) return
    const upserts: IndexEntry[] = []
    for (const e of entries) {
      const manifest = (e.payload as CatalogPayload | undefined)?.manifest
      const vector = manifest === undefined ? undefined : manifestVectorIn(manifest, this.modelId)
      if (vector !== undefined && vector.length === index.dimensions) {
        upserts.push({ id: e.id, vector, text: e.text, attrs: e.attrs, location: e.location, availableFrom: e.availableFrom, cachedAt: e.cachedAt, payload: null })
      } else if (index.get(e.id) !== undefined) {
        await index.delete(e.id)
      }
    }
    if (upserts.length > 0) await index.upsertMany(upserts, options)
  }

  async delete (id: string): Promise<void> {
    if (this.index?.get(id) !== undefined) await this.index.delete(id)
  }

  /** Hybrid search in this space: `query` is embedded by this space's model (with its query prefix). */
  async search (query: string, keywords: string, k: number, filters: SearchFilters | undefined, minSimilarity: number | undefined, options: AbortOptions = {}): Promise<SpaceHit[]> {
    const index = this.index
    if (index === undefined || index.count() === 0) return []
    const vector = await this.embedder.embedOne(query, { signal: options.signal, role: 'query' })
    return index.search({ vector, text: keywords, k, filters, minSimilarity }).map(r => ({ id: r.id, similarity: r.similarity, score: r.score }))
  }
}
