// Zod schemas for everything the ledger accepts from outside (network, files). Objects are strict: an
// unknown member makes the block malformed rather than silently dropped (it would change the hash).
import { z } from 'zod'
import { MAX_AMOUNT, MAX_ID_LENGTH, MAX_MEMO_LENGTH, MAX_RELAY_HOPS } from './constants'

/** An Ed25519 PeerId in its usual base58btc text form (identity multihash of the public key). */
export const ACCOUNT_RE = /^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/

const account = z.string().regex(ACCOUNT_RE, 'not an Ed25519 peer id')
const hashHex = z.string().regex(/^[0-9a-f]{64}$/, 'not a sha-256 hex digest')
const signature = z.string().regex(/^[A-Za-z0-9_-]{86}$/, 'not a base64url Ed25519 signature')
const amount = z.int().min(0).max(MAX_AMOUNT)
const time = z.int().min(0).max(2 ** 47)
const id = z.string().min(1).max(MAX_ID_LENGTH)
const version = z.literal(1)

export const downloadReceiptSchema = z.strictObject({
  type: z.literal('download'),
  v: version,
  /** Content id of the adapter bundle (CID or manifest hash). */
  contentId: id,
  bytes: z.int().min(0).max(2 ** 50),
  host: account,
  /** The signer. */
  downloader: account,
  /** Units paid. */
  price: amount,
  /** False when the adapter had no price and the per-MB charge applies (then `price` must equal it). */
  priced: z.boolean(),
  time,
  sig: signature
})

export const computeReceiptSchema = z.strictObject({
  type: z.literal('compute'),
  v: version,
  requestId: id,
  provider: account,
  /** The signer. */
  requester: account,
  /** Units the request cost; the provider's reward is a share of it. */
  cost: amount,
  /**
   * The requester's send block that paid the provider at least `cost` (position and hash in the
   * requester's chain). Optional in the schema only so that older receipts are refused with a reason
   * (`bad-evidence`) rather than as malformed; a compute reward without it is never valid.
   */
  payment: z.strictObject({ seq: z.int().min(1).max(2 ** 40), hash: hashHex }).optional(),
  time,
  sig: signature
})

export const relayReceiptSchema = z.strictObject({
  type: z.literal('relay'),
  v: version,
  queryId: id,
  relayer: account,
  /** The signer: the peer whose search was relayed. */
  origin: account,
  hops: z.int().min(1).max(MAX_RELAY_HOPS),
  time,
  sig: signature
})

const common = {
  v: version,
  /** Owner and signer of the block. */
  account,
  /** Position in the owner's chain; the join block is 0. */
  seq: z.int().min(0).max(2 ** 40),
  /** Hash of block seq-1 (GENESIS_PREV for the join block). */
  prev: hashHex,
  /** Author's clock, ms since epoch. */
  time,
  /** Units moved by this block (always ≥ 0; the kind says in which direction). */
  amount,
  /** Balance after this block, in units. */
  balance: amount,
  /** sha-256 of the canonical JSON of every other member except `sig`. */
  hash: hashHex,
  /** Owner's Ed25519 signature over (BLOCK_SIG_DOMAIN, hash). */
  sig: signature
}

export const joinPowSchema = z.strictObject({
  time,
  nonce: z.string().regex(/^[0-9a-f]{1,32}$/),
  difficulty: z.int().min(0).max(256)
})

export const joinBlockSchema = z.strictObject({ ...common, kind: z.literal('join'), pow: joinPowSchema })

export const sendBlockSchema = z.strictObject({ ...common, kind: z.literal('send'), to: account, memo: z.string().max(MAX_MEMO_LENGTH) })

/** A download payment: the downloader pays `receipt.price` to `receipt.host`. */
export const chargeBlockSchema = z.strictObject({ ...common, kind: z.literal('charge'), receipt: downloadReceiptSchema })

export const receiveBlockSchema = z.strictObject({
  ...common,
  kind: z.literal('receive'),
  /** The payer's signed send or charge block, embedded as proof. */
  source: z.discriminatedUnion('kind', [sendBlockSchema, chargeBlockSchema])
})

export const grantBlockSchema = z.strictObject({
  ...common,
  kind: z.literal('grant'),
  grant: z.discriminatedUnion('reason', [
    z.strictObject({
      reason: z.literal('first-adapter'),
      /** Another account's receipt for downloading an adapter this account hosts. */
      receipt: downloadReceiptSchema,
      /** That downloader's join block: its PoW makes each fake downloader cost a join. */
      downloaderJoin: joinBlockSchema
    }),
    z.strictObject({ reason: z.literal('early-adopter') })
  ])
})

export const rewardBlockSchema = z.strictObject({
  ...common,
  kind: z.literal('reward'),
  reward: z.discriminatedUnion('reason', [
    z.strictObject({ reason: z.literal('hosting'), receipt: downloadReceiptSchema }),
    z.strictObject({ reason: z.literal('compute'), receipt: computeReceiptSchema }),
    z.strictObject({ reason: z.literal('relay'), receipt: relayReceiptSchema }),
    /** Curation: rating an adapter this account downloaded and paid for (charge earlier in its chain). */
    z.strictObject({ reason: z.literal('rating'), receipt: downloadReceiptSchema, score: z.int().min(1).max(5) })
  ])
})

export const blockSchema = z.discriminatedUnion('kind', [
  joinBlockSchema, grantBlockSchema, sendBlockSchema, receiveBlockSchema, rewardBlockSchema, chargeBlockSchema
])

export const doubleSpendProofSchema = z.strictObject({
  type: z.literal('double-spend'),
  a: blockSchema,
  b: blockSchema
})

export type DownloadReceipt = z.infer<typeof downloadReceiptSchema>
export type ComputeReceipt = z.infer<typeof computeReceiptSchema>
export type RelayReceipt = z.infer<typeof relayReceiptSchema>
export type Receipt = DownloadReceipt | ComputeReceipt | RelayReceipt
export type JoinBlock = z.infer<typeof joinBlockSchema>
export type SendBlock = z.infer<typeof sendBlockSchema>
export type ChargeBlock = z.infer<typeof chargeBlockSchema>
export type ReceiveBlock = z.infer<typeof receiveBlockSchema>
export type GrantBlock = z.infer<typeof grantBlockSchema>
export type RewardBlock = z.infer<typeof rewardBlockSchema>
export type Block = z.infer<typeof blockSchema>
export type BlockKind = Block['kind']
export type DoubleSpendProof = z.infer<typeof doubleSpendProofSchema>

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never
/** A block before hashing and signing. */
export type BlockBody = DistributiveOmit<Block, 'hash' | 'sig'>
/** A receipt before signing. */
export type ReceiptBody<R extends Receipt = Receipt> = R extends unknown ? Omit<R, 'sig'> : never
