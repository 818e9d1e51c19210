// Hashing, signing and checking blocks and receipts. A block's hash is sha-256 over the canonical JSON of
// all its members except `hash` and `sig`; the owner signs (domain, hash). Receipts are signed the same
// way by their payer (downloader / requester / search origin) over the hash of their other members.
import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { canonicalBytes, canonicalJson, sha256Hex } from './canonical'
import { BLOCK_SIG_DOMAIN, RECEIPT_SIG_DOMAIN } from './constants'
import { blockSchema, type Block, type BlockBody, type Receipt, type ReceiptBody } from './schema'

/** Signs for one account. Built from a libp2p private key; tests and tools can build one per key. */
export interface Signer {
  /** The account (PeerId text) this signer signs for. */
  readonly account: string
  sign(data: Uint8Array): Promise<Uint8Array>
}

export function createSigner (privateKey: PrivateKey): Signer {
  if (privateKey.type !== 'Ed25519') throw new TypeError(`ledger accounts use Ed25519 keys, got ${privateKey.type}`)
  const account = peerIdFromPrivateKey(privateKey).toString()
  return { account, sign: async (data) => await privateKey.sign(data) }
}

function signingBytes (domain: string, hashHex: string): Uint8Array {
  return Buffer.concat([Buffer.from(domain + '\n', 'utf8'), Buffer.from(hashHex, 'hex')])
}

// Parsing a PeerId and importing its key costs more than the signature check itself, so keep the
// key objects of recently seen accounts (bounded: a flood of fake ids cannot grow it without limit).
const KEY_CACHE_MAX = 10_000
const keyCache = new Map<string, KeyObject | null>()

/** The Ed25519 public key an account id names, or null when the id is not an Ed25519 PeerId. */
function publicKeyOf (account: string): KeyObject | null {
  const cached = keyCache.get(account)
  if (cached !== undefined) return cached
  let key: KeyObject | null = null
  try {
    const peerId = peerIdFromString(account)
    if (peerId.type === 'Ed25519') {
      key = createPublicKey({ format: 'jwk', key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(peerId.publicKey.raw).toString('base64url') } })
    }
  } catch {
    key = null
  }
  if (keyCache.size >= KEY_CACHE_MAX) keyCache.clear()
  keyCache.set(account, key)
  return key
}

/** True when `account` is a well-formed Ed25519 PeerId. */
export function isAccountId (account: string): boolean {
  return publicKeyOf(account) !== null
}

// The same signature is checked several times along a chain: a send, then the receive that embeds it; a
// charge's receipt, then the hosting reward that cites it. The signer is inside what the hash covers, so
// (domain, hash, sig) fully determines the result and a positive answer can be remembered (bounded).
const VERIFIED_MAX = 100_000
const verified = new Set<string>()

function verifySig (account: string, domain: string, hashHex: string, sig: string): boolean {
  const memo = `${domain}|${hashHex}|${sig}`
  if (verified.has(memo)) return true
  const key = publicKeyOf(account)
  if (key == null) return false
  const sigBytes = Buffer.from(sig, 'base64url')
  if (sigBytes.length !== 64) return false
  let ok: boolean
  try {
    ok = cryptoVerify(null, signingBytes(domain, hashHex), key, sigBytes)
  } catch {
    ok = false
  }
  if (ok) {
    if (verified.size >= VERIFIED_MAX) verified.clear()
    verified.add(memo)
  }
  return ok
}

/**
 * Signs a sha-256 hash (hex) under a domain string with the account's key: other signed objects of the
 * node (market listings) use the same Ed25519 scheme, key cache and memo as blocks and receipts.
 */
export async function signHash (signer: Signer, domain: string, hashHex: string): Promise<string> {
  return Buffer.from(await signer.sign(signingBytes(domain, hashHex))).toString('base64url')
}

/** Checks a signature made by `signHash` against the account's public key (its PeerId). */
export function verifyHashSig (account: string, domain: string, hashHex: string, sig: string): boolean {
  return verifySig(account, domain, hashHex, sig)
}

/** Forgets remembered signature checks (benchmarks use it to measure cold verification). */
export function clearSignatureCache (): void {
  verified.clear()
}

/** The block without `hash` and `sig`: what the hash covers. */
export function blockBody (block: Block): BlockBody {
  const { hash: _hash, sig: _sig, ...body } = block
  return body as BlockBody
}

export function computeBlockHash (body: BlockBody): string {
  return sha256Hex(canonicalBytes(body))
}

/** Hashes and signs a block body. The signer must own the block's account. */
export async function sealBlock (signer: Signer, body: BlockBody): Promise<Block> {
  if (body.account !== signer.account) throw new TypeError('a block can only be signed by its own account')
  const hash = computeBlockHash(body)
  const sig = Buffer.from(await signer.sign(signingBytes(BLOCK_SIG_DOMAIN, hash))).toString('base64url')
  return { ...body, hash, sig } as Block
}

/** Integrity of one block on its own: 'bad-hash', 'bad-signature', or null when both hold. */
export function checkBlockIntegrity (block: Block): 'bad-hash' | 'bad-signature' | null {
  if (computeBlockHash(blockBody(block)) !== block.hash) return 'bad-hash'
  if (!verifySig(block.account, BLOCK_SIG_DOMAIN, block.hash, block.sig)) return 'bad-signature'
  return null
}

/** The account that must have signed a receipt. */
export function receiptSigner (receipt: Receipt | ReceiptBody): string {
  switch (receipt.type) {
    case 'download': return receipt.downloader
    case 'compute': return receipt.requester
    case 'relay': return receipt.origin
  }
}

/** Hash of a receipt (all members except `sig`); also its identity for "used once" checks. */
export function receiptHash (receipt: Receipt | ReceiptBody): string {
  const { sig: _sig, ...body } = receipt as Receipt
  return sha256Hex(canonicalBytes(body))
}

export async function signReceipt<R extends Receipt> (signer: Signer, body: ReceiptBody<R>): Promise<R> {
  if (receiptSigner(body as ReceiptBody) !== signer.account) throw new TypeError(`a ${body.type} receipt must be signed by its payer`)
  const sig = Buffer.from(await signer.sign(signingBytes(RECEIPT_SIG_DOMAIN, receiptHash(body as ReceiptBody)))).toString('base64url')
  return { ...body, sig } as unknown as R
}

export function verifyReceipt (receipt: Receipt): boolean {
  return verifySig(receiptSigner(receipt), RECEIPT_SIG_DOMAIN, receiptHash(receipt), receipt.sig)
}

/** Wire and file encoding of a block: its canonical JSON (hash and sig included), UTF-8. */
export function encodeBlock (block: Block): Uint8Array {
  return canonicalBytes(block)
}

export type ParseResult<T> = { ok: true, value: T } | { ok: false, reason: 'malformed', detail: string }

/** Schema check of an untrusted value (does not verify hash or signature). */
export function parseBlock (value: unknown): ParseResult<Block> {
  const r = blockSchema.safeParse(value)
  if (r.success) return { ok: true, value: r.data }
  const issue = r.error.issues[0]
  return { ok: false, reason: 'malformed', detail: issue != null ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid block' }
}

/** Decodes wire bytes into a schema-checked block (hash and signature are checked by validateBlock). */
export function decodeBlock (bytes: Uint8Array): ParseResult<Block> {
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'))
  } catch (err) {
    return { ok: false, reason: 'malformed', detail: `not JSON: ${(err as Error).message}` }
  }
  return parseBlock(value)
}

/** Canonical text of a value; re-exported for callers that need to hash their own evidence. */
export { canonicalJson }
