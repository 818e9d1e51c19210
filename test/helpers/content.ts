// The content feature of a test node, typed, for the test-only hooks beyond ContentApi (blocks, hosted,
// dht, findProviders, blacklisted). Found through the facade (`node.content`), as every consumer does.
import assert from 'node:assert/strict'
import { ContentFeature } from '../../src/node/content'
import type { MeshNode } from '../../src/node/mesh-node'

export function contentOf (node: MeshNode): ContentFeature {
  const content = node.content
  assert.ok(content instanceof ContentFeature, 'the node runs the content feature')
  return content
}
