// Frames of /continuum/storage/1.0.0: one request, one answer. Every frame is checked with these
// schemas (and a size cap) before it is used; a bad one is dropped and counted under `storage`.
import { z } from 'zod'
import { ACCOUNT_RE } from '../ledger'
import { contractSchema } from './contract'

export const StorageRequest = z.discriminatedUnion('type', [
  /** Owner → host: keep this file; fetch it from `sources` (the owner and other hosts). */
  z.strictObject({ type: z.literal('propose'), contract: contractSchema, sources: z.array(z.string().regex(ACCOUNT_RE)).max(16) }),
  /** Owner → host: send block `cid` of the contract's file (proof that you hold it). */
  z.strictObject({ type: z.literal('challenge'), contractId: z.string().regex(/^[0-9a-f]{32}$/), cid: z.string().min(8).max(128) }),
  /** Owner → host: the contract is over (dropped or replaced); the host may delete the data. */
  z.strictObject({ type: z.literal('release'), contractId: z.string().regex(/^[0-9a-f]{32}$/) })
])
export type StorageRequest = z.infer<typeof StorageRequest>

export const StorageResponse = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('accepted'), hostSig: z.string().regex(/^[A-Za-z0-9_-]{86}$/) }),
  z.strictObject({ type: z.literal('refused'), reason: z.string().max(300) }),
  z.strictObject({ type: z.literal('proof'), block: z.string().max(1_450_000).regex(/^[A-Za-z0-9+/]*={0,2}$/) }),
  z.strictObject({ type: z.literal('missing') }),
  z.strictObject({ type: z.literal('ok') })
])
export type StorageResponse = z.infer<typeof StorageResponse>
