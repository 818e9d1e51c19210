// Wire messages of the ledger protocol, validated at the edge. Blocks travel as their canonical JSON
// text (encodeBlock) so the bytes a node hashes are the bytes that were sent; each block is decoded and
// judged by the ledger, a bad one is rejected alone (its frame is not).
import { z } from 'zod'
import { ACCOUNT_RE, doubleSpendProofSchema, relayReceiptSchema } from '../ledger'
import { MAX_BLOCK_BYTES, MAX_BLOCKS_PER_MESSAGE, MAX_FORKED_PER_MESSAGE, MAX_HEADS_PER_MESSAGE, MAX_RANGES_PER_REQUEST } from './constants'

const account = z.string().regex(ACCOUNT_RE)
const hashHex = z.string().regex(/^[0-9a-f]{64}$/)
const seq = z.int().min(-1).max(2 ** 40)
const blockText = z.string().max(MAX_BLOCK_BYTES)

export const headSchema = z.strictObject({ account, seq: z.int().min(0).max(2 ** 40), hash: hashHex })

export const LedgerRequest = z.discriminatedUnion('type', [
  /** "My digest is this": the answer carries full heads only when the digests differ. */
  z.strictObject({ type: z.literal('heads'), digest: hashHex }),
  /** `blocksAfter(account, afterSeq, limit)`. */
  z.strictObject({ type: z.literal('blocks'), account, afterSeq: seq, limit: z.int().min(1).max(MAX_BLOCKS_PER_MESSAGE) }),
  /** Several ranges at once (catch-up of many accounts): at most `limit` blocks in all, ranges in order. */
  z.strictObject({
    type: z.literal('ranges'),
    ranges: z.array(z.strictObject({ account, afterSeq: seq })).min(1).max(MAX_RANGES_PER_REQUEST),
    limit: z.int().min(1).max(MAX_BLOCKS_PER_MESSAGE)
  }),
  /** New blocks handed to a peer directly (a payment to its payee), oldest first. */
  z.strictObject({ type: z.literal('push'), blocks: z.array(blockText).min(1).max(MAX_BLOCKS_PER_MESSAGE) }),
  /** The double-spend proof of an account. */
  z.strictObject({ type: z.literal('proof'), account }),
  /** A relay receipt (older peers): relay rewards are not accepted, so it is answered `claimed: false`. */
  z.strictObject({ type: z.literal('receipt'), receipt: relayReceiptSchema })
])
export type LedgerRequest = z.infer<typeof LedgerRequest>

export const HeadsResponse = z.strictObject({
  digest: hashHex,
  /** Omitted when the asker's digest equals ours. */
  heads: z.array(headSchema).max(MAX_HEADS_PER_MESSAGE).optional(),
  /** Accounts this node holds a double-spend proof for. */
  forked: z.array(account).max(MAX_FORKED_PER_MESSAGE).optional()
})
export const BlocksResponse = z.strictObject({ blocks: z.array(blockText).max(MAX_BLOCKS_PER_MESSAGE) })
export const RangesResponse = z.strictObject({
  blocks: z.array(blockText).max(MAX_BLOCKS_PER_MESSAGE),
  /** Accounts whose range did not fit (ask again from where the answer stopped). */
  more: z.array(account).max(MAX_RANGES_PER_REQUEST)
})
export const PushResponse = z.strictObject({
  accepted: z.int().min(0),
  rejected: z.array(z.strictObject({ reason: z.string().max(64), account: z.string().max(128).optional(), seq: z.int().optional(), detail: z.string().max(300).optional() })).max(MAX_BLOCKS_PER_MESSAGE)
})
export const ReceiptResponse = z.strictObject({ claimed: z.boolean(), reason: z.string().max(300).optional() })
export const ProofResponse = z.strictObject({ proof: doubleSpendProofSchema.nullable() })

/** Gossipsub messages on LEDGER_TOPIC. */
export const LedgerGossip = z.discriminatedUnion('type', [
  /** Heads that just changed on the publisher (its own new blocks, usually). */
  z.strictObject({ type: z.literal('heads'), heads: z.array(headSchema).min(1).max(64) }),
  z.strictObject({ type: z.literal('proof'), proof: z.unknown() })
])
export type LedgerGossip = z.infer<typeof LedgerGossip>
