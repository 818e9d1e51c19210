// The demo catalog imported into a fresh catalog with the real (offline) embedder: the set-up of every test
// that searches by meaning.
import assert from 'node:assert/strict'
import path from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createEmbedder, type Embedder } from '../../src/node/embedding'
import { AdapterCatalog } from '../../src/node/catalog/catalog'
import { findSampleCatalog } from '../../src/node/catalog/sample'
import { createLogger } from '../../src/node/util/logger'
import { tempDir } from './mesh'

export interface DemoCatalog { catalog: AdapterCatalog, embedder: Embedder, close: () => Promise<void> }

/** Opens a catalog in a temp dir and imports the whole demo catalog into it (no line may be skipped). */
export async function openDemoCatalog (): Promise<DemoCatalog> {
  const embedder = createEmbedder()
  const catalog = new AdapterCatalog({ dir: path.join(await tempDir(), 'catalog'), privateKey: await generateKeyPair('Ed25519'), embedder, log: createLogger() })
  await catalog.open()
  assert.deepEqual((await catalog.import(findSampleCatalog(__dirname)!)).skipped, [])
  return { catalog, embedder, close: async () => { await catalog.close(); await embedder.close() } }
}
