// A stable Ed25519 identity across restarts: the key lives in the node's file-backed datastore,
// which libp2p also uses for its peer store.
import { FsDatastore } from 'datastore-fs'
import { loadOrCreateSelfKey } from '@libp2p/config'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import path from 'node:path'

export interface NodeIdentity {
  privateKey: PrivateKey
  peerId: PeerId
  datastore: FsDatastore
}

export async function openIdentity (dataDir: string): Promise<NodeIdentity> {
  const datastore = new FsDatastore(path.join(dataDir, 'datastore'))
  await datastore.open()
  const privateKey = await loadOrCreateSelfKey(datastore, { keyType: 'Ed25519' })
  return { privateKey, peerId: peerIdFromPrivateKey(privateKey), datastore }
}
