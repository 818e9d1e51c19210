// Creating and checking signed items. The id is the sha-256 of the body's canonical JSON (the ledger's
// canonical form and signing scheme, reused), the signature is the author's over (domain, id).
import type { PrivateKey } from '@libp2p/interface'
import { canonicalBytes, createSigner, receiptHash, sha256Hex, signHash, verifyHashSig, verifyReceipt } from '../ledger'
import { ITEM_SIG_DOMAIN, MAX_CLOCK_SKEW_MS, MAX_ITEM_BYTES } from './constants'
import { itemSchema, type ItemBody, type SocialItem } from './schema'

export async function signItem<B extends ItemBody> (privateKey: PrivateKey, body: B): Promise<B & { id: string, sig: string }> {
  const signer = createSigner(privateKey)
  if (body.author !== signer.account) throw new TypeError('an item is signed by its author')
  const id = sha256Hex(canonicalBytes(body))
  return { ...body, id, sig: await signHash(signer, ITEM_SIG_DOMAIN, id) }
}

/** Why an item from outside was refused; each reason is a drop counter. */
export type ItemProblem = 'oversized' | 'malformed' | 'invalid' | 'bad-id' | 'bad-signature' | 'future' | 'bad-receipt'

export type ItemCheck = { ok: true, item: SocialItem } | { ok: false, reason: ItemProblem, detail: string }

const decoder = new TextDecoder('utf-8', { fatal: true })

/** Bytes (a topic message) → a checked item. */
export function decodeItem (bytes: Uint8Array, now = Date.now()): ItemCheck {
  if (bytes.byteLength > MAX_ITEM_BYTES) return { ok: false, reason: 'oversized', detail: `${bytes.byteLength} bytes` }
  let value: unknown
  try { value = JSON.parse(decoder.decode(bytes)) } catch { return { ok: false, reason: 'malformed', detail: 'not UTF-8 JSON' } }
  return checkItem(value, now)
}

/** Schema, size, id, signature, clock and (for a review) the receipt's signature and signer. */
export function checkItem (value: unknown, now = Date.now()): ItemCheck {
  let size: number
  try { size = Buffer.byteLength(JSON.stringify(value) ?? '') } catch { return { ok: false, reason: 'malformed', detail: 'not JSON' } }
  if (size > MAX_ITEM_BYTES) return { ok: false, reason: 'oversized', detail: `${size} bytes` }
  const parsed = itemSchema.safeParse(value)
  if (!parsed.success) {
    const i = parsed.error.issues[0]
    return { ok: false, reason: 'invalid', detail: i !== undefined ? `${i.path.join('.') || '(root)'}: ${i.message}` : 'invalid item' }
  }
  const item = parsed.data
  const { id, sig, ...body } = item
  if (sha256Hex(canonicalBytes(body)) !== id) return { ok: false, reason: 'bad-id', detail: 'id is not the hash of the item' }
  if (!verifyHashSig(item.author, ITEM_SIG_DOMAIN, id, sig)) return { ok: false, reason: 'bad-signature', detail: 'not signed by its author' }
  if (item.time > now + MAX_CLOCK_SKEW_MS) return { ok: false, reason: 'future', detail: 'dated in the future' }
  if (item.kind === 'post' && item.rating !== undefined) {
    const r = item.rating.receipt
    if (r.downloader !== item.author) return { ok: false, reason: 'bad-receipt', detail: 'the receipt is not the author\'s download' }
    if (!verifyReceipt(r)) return { ok: false, reason: 'bad-receipt', detail: 'the receipt is not signed by its downloader' }
  }
  return { ok: true, item }
}

export { receiptHash }

/** The 12-character id the change log and the fetch request use (first 9 bytes of the item id). */
export function shortId (id: string): string {
  return Buffer.from(id.slice(0, 18), 'hex').toString('base64url')
}
