// A stable Ed25519 identity across restarts: the key lives in the node's file-backed datastore,
// which libp2p also uses for its peer store.
import { FsDatastore } from 'datastore-fs'
import { loadOrCreateSelfKey } from '@libp2p/config'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { AbortOptions, PeerId, PrivateKey } from '@libp2p/interface'
import type { Key } from 'interface-datastore'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { writeFileAtomic } from '../storage/atomic-file'
import { PRIVATE_DIR_MODE, SECRET_FILE_MODE } from './data-dir'

export interface NodeIdentity {
  privateKey: PrivateKey
  peerId: PeerId
  datastore: FsDatastore
}

/** Keychain namespaces (libp2p's keychain): `/pkcs8/<name>` holds the private key, `/info/<name>` its id. */
const SECRET_NAMESPACES = ['pkcs8', 'info']

/**
 * The datastore-fs store, except that key material is written through our atomic writer: 0600 in a
 * 0700 folder, fsynced (datastore-fs' own writer uses the default mode and does not fsync).
 */
export class KeyStoreDatastore extends FsDatastore {
  override async put (key: Key, val: Uint8Array, options?: AbortOptions): Promise<Key> {
    if (!SECRET_NAMESPACES.includes(key.namespaces()[0] ?? '')) return super.put(key, val, options)
    const { dir, file } = this._encode(key)
    await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE })
    await writeFileAtomic(file, val, { mode: SECRET_FILE_MODE, signal: options?.signal })
    return key
  }
}

export async function openIdentity (dataDir: string): Promise<NodeIdentity> {
  const datastore = new KeyStoreDatastore(path.join(dataDir, 'datastore'))
  await datastore.open()
  const privateKey = await loadOrCreateSelfKey(datastore, { keyType: 'Ed25519' })
  return { privateKey, peerId: peerIdFromPrivateKey(privateKey), datastore }
}
