// UnixFS file DAGs the way classic `ipfs add` builds them (CIDv0, dag-pb leaves, 256 KiB chunks,
// balanced layout with 174 links per node), so a bundle's CID is the one any IPFS tool computes for
// the same bytes. We show the CIDv1 (base32 `bafy…`) of that root. Also: decoding nodes for download
// and verifying that a block hashes to its CID.
import { createHash } from 'node:crypto'
import * as dagPb from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { sha256 } from 'multiformats/hashes/sha2'
import { CHUNK_SIZE, MAX_BLOCK_BYTES, MAX_CHILDREN_PER_NODE } from './constants'
import { BlockVerificationError, InvalidContentRefError } from './errors'

const RAW_CODE = 0x55

export interface DagOptions {
  /** @default 262144 */
  chunkSize?: number
  /** @default 174 */
  maxChildrenPerNode?: number
  signal?: AbortSignal
}

/** Where built blocks go. */
export type PutBlock = (cid: CID, bytes: Uint8Array) => Promise<void>

interface Built { cid: CID, /** bytes of the file below this node */ fileSize: number, /** encoded size of the subtree (link Tsize) */ dagSize: number }

export interface DagResult {
  /** The CIDv1 (dag-pb, sha2-256) of the root: what we print as `ipfs://<cid>`. */
  cid: CID
  /** The classic CIDv0 (`Qm…`) of the same root. */
  cidV0: CID
  size: number
  /** Lowercase hex SHA-256 of the whole file. */
  sha256: string
  blocks: number
}

/** Synchronous sha2-256 CID of a block (node's crypto, not the async WebCrypto path). */
export function blockCid (bytes: Uint8Array, version: 0 | 1 = 0, code: number = dagPb.code): CID {
  const digest = Digest.create(sha256.code, createHash('sha256').update(bytes).digest())
  return version === 0 ? CID.createV0(digest as never) : CID.createV1(code, digest)
}

/** Throws BlockVerificationError unless `bytes` hash to `cid` (sha2-256 only). */
export function verifyBlock (cid: CID, bytes: Uint8Array): void {
  if (cid.multihash.code !== sha256.code) throw new BlockVerificationError(`unsupported hash 0x${cid.multihash.code.toString(16)} in ${cid.toString()}`)
  const got = createHash('sha256').update(bytes).digest()
  if (!Buffer.from(cid.multihash.digest).equals(got)) throw new BlockVerificationError(`block ${cid.toString()} does not match its hash`)
}

/** Re-chunks a byte stream into fixed-size pieces (the last may be shorter). */
async function * fixedChunks (source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, size: number, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  let buf = new Uint8Array(size)
  let fill = 0
  let emitted = false
  for await (const piece of source) {
    signal?.throwIfAborted()
    let off = 0
    while (off < piece.length) {
      const n = Math.min(size - fill, piece.length - off)
      buf.set(piece.subarray(off, off + n), fill)
      fill += n
      off += n
      if (fill === size) {
        yield buf
        emitted = true
        buf = new Uint8Array(size)
        fill = 0
      }
    }
  }
  // An empty file is one empty leaf (as ipfs add does).
  if (fill > 0 || !emitted) yield buf.subarray(0, fill)
}

/**
 * Builds the DAG of a file from a byte stream, handing every block to `put` (leaves in order, then
 * parents level by level). Memory stays bounded by one chunk plus the leaf list.
 */
export async function buildFileDag (source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, put: PutBlock, options: DagOptions = {}): Promise<DagResult> {
  const chunkSize = options.chunkSize ?? CHUNK_SIZE
  const maxChildren = options.maxChildrenPerNode ?? MAX_CHILDREN_PER_NODE
  const hash = createHash('sha256')
  let level: Built[] = []
  let size = 0
  let blocks = 0
  for await (const chunk of fixedChunks(source, chunkSize, options.signal)) {
    hash.update(chunk)
    size += chunk.length
    const bytes = dagPb.encode({ Data: new UnixFS({ type: 'file', data: chunk }).marshal(), Links: [] })
    const cid = blockCid(bytes)
    await put(cid, bytes)
    blocks++
    level.push({ cid, fileSize: chunk.length, dagSize: bytes.length })
  }
  // A single chunk is its own root; otherwise batch into parents until one node is left.
  while (level.length > 1) {
    const next: Built[] = []
    for (let i = 0; i < level.length; i += maxChildren) {
      options.signal?.throwIfAborted()
      const group = level.slice(i, i + maxChildren)
      const node = new UnixFS({ type: 'file', blockSizes: group.map(g => BigInt(g.fileSize)) })
      const bytes = dagPb.encode(dagPb.prepare({ Data: node.marshal(), Links: group.map(g => ({ Hash: g.cid, Name: '', Tsize: g.dagSize })) }))
      const cid = blockCid(bytes)
      await put(cid, bytes)
      blocks++
      next.push({ cid, fileSize: group.reduce((s, g) => s + g.fileSize, 0), dagSize: bytes.length + group.reduce((s, g) => s + g.dagSize, 0) })
    }
    level = next
  }
  const root = level[0]
  return { cid: root.cid.toV1(), cidV0: root.cid, size, sha256: hash.digest('hex'), blocks }
}

/** What a downloader needs from one dag-pb UnixFS file node. */
export interface FileNode {
  links: CID[]
  /** Leaf data (undefined for an intermediate node). */
  data?: Uint8Array
  /** Bytes of the file below this node. */
  fileSize: number
  /** Bytes of the file below each link, as this node declares them (same order as `links`). */
  blockSizes: number[]
}

/** Decodes a dag-pb UnixFS file node (or a raw leaf); throws BlockVerificationError on anything else. */
export function decodeFileNode (cid: CID, bytes: Uint8Array): FileNode {
  if (cid.code === RAW_CODE) return { links: [], data: bytes, fileSize: bytes.length, blockSizes: [] }
  if (cid.code !== dagPb.code) throw new BlockVerificationError(`unsupported codec 0x${cid.code.toString(16)} in ${cid.toString()}`)
  let node: dagPb.PBNode
  let fs: UnixFS
  try {
    node = dagPb.decode(bytes)
    if (node.Data === undefined) throw new Error('no UnixFS data')
    fs = UnixFS.unmarshal(node.Data)
  } catch (err) {
    throw new BlockVerificationError(`block ${cid.toString()} is not a UnixFS node: ${(err as Error).message}`)
  }
  if (fs.type !== 'file' && fs.type !== 'raw') throw new BlockVerificationError(`block ${cid.toString()} is a UnixFS ${fs.type}, not a file`)
  if (node.Links.length !== fs.blockSizes.length) throw new BlockVerificationError(`block ${cid.toString()}: ${node.Links.length} links but ${fs.blockSizes.length} block sizes`)
  const links = node.Links.map(l => l.Hash)
  const data = fs.data !== undefined && fs.data.length > 0 ? fs.data : (links.length === 0 ? new Uint8Array(0) : undefined)
  const fileSize = Number(fs.fileSize())
  return { links, ...(data !== undefined ? { data } : {}), fileSize, blockSizes: fs.blockSizes.map(Number) }
}

/** Parses `ipfs://<cid>`, `/ipfs/<cid>`, a CIDv1 or a CIDv0; throws InvalidContentRefError. */
export function parseCid (ref: string): CID {
  const s = ref.trim().replace(/^ipfs:\/\//, '').replace(/^\/ipfs\//, '')
  try {
    const cid = CID.parse(s)
    if (cid.multihash.code !== sha256.code) throw new Error('only sha2-256 CIDs are supported')
    return cid
  } catch (err) {
    throw new InvalidContentRefError(`"${ref}" is not a CID: ${(err as Error).message}`)
  }
}

/** True when `ref` looks like a CID (so install does not treat it as a name). */
export function looksLikeCid (ref: string): boolean {
  const s = ref.trim().replace(/^ipfs:\/\//, '').replace(/^\/ipfs\//, '')
  if (!/^(Qm[1-9A-HJ-NP-Za-km-z]{44}|b[a-z2-7]{50,})$/.test(s)) return false
  try { CID.parse(s); return true } catch { return false }
}

/** The form we show: CIDv1 base32. */
export function formatCid (cid: CID): string {
  return cid.toV1().toString()
}

/** A raw-codec CIDv1 for a DHT key derived from text (topics, names). */
export function keyCid (text: string): CID {
  return blockCid(new TextEncoder().encode(text), 1, RAW_CODE)
}

export { MAX_BLOCK_BYTES }
