// The ledger feature a test node runs, found through the node's typed wallet (`node.wallet`); tests use
// the class for its test-only hooks (the store, pushBlocks, headsDigest).
import assert from 'node:assert/strict'
import type { MeshNode } from '../../src/node/mesh-node'
import { LedgerFeature } from '../../src/node/economy'

export function ledgerOf (node: MeshNode): LedgerFeature {
  const wallet = node.wallet
  assert.ok(wallet instanceof LedgerFeature, 'the node runs the ledger')
  return wallet
}
