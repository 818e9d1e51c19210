// What the storage market keeps on disk: the owner's stored files with their contracts and audit
// figures, and the host's accepted contracts and offer. One JSON file each, written atomically (temp
// file + fsync + rename) and validated with zod when read, so a crash or a hand-edited file never
// loads half a state.
import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import { writeFileAtomic } from '../storage/atomic-file'
import { contractSchema } from './contract'

const time = z.int().min(0)

export const replicaSchema = z.strictObject({
  contract: contractSchema,
  status: z.enum(['active', 'failed', 'ended']),
  proofs: z.int().min(0),
  misses: z.int().min(0),
  lastProof: time.optional(),
  lastChallenge: time.optional(),
  /** Why it was dropped. */
  reason: z.string().max(300).optional(),
  paid: z.int().min(0),
  paidParts: z.int().min(0)
})
export type Replica = z.infer<typeof replicaSchema>

export const storedFileSchema = z.strictObject({
  cid: z.string(),
  name: z.string().max(300),
  size: z.int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  blocks: z.array(z.string()).max(100_000),
  replicas: z.int().min(1),
  start: time,
  end: time,
  maxPrice: z.int().min(0),
  replicasList: z.array(replicaSchema),
  /** Hosts that refused or failed a placement (not asked again for this file). */
  tried: z.array(z.string()).max(1000)
})
export type StoredFile = z.infer<typeof storedFileSchema>

export const hostingSchema = z.strictObject({
  offer: z.strictObject({ capacityMb: z.int().min(1), pricePerMbDay: z.int().min(0), region: z.string().max(32).optional() }).optional(),
  contracts: z.array(z.strictObject({ contract: contractSchema, hostSig: z.string(), acceptedAt: time }))
})
export type Hosting = z.infer<typeof hostingSchema>

export async function readJson<T> (file: string, schema: z.ZodType<T>, empty: T): Promise<T> {
  let text: string
  try { text = await readFile(file, 'utf8') } catch { return empty }
  const parsed = schema.safeParse(JSON.parse(text))
  if (!parsed.success) throw new Error(`${file} is malformed (${parsed.error.issues[0]?.message ?? 'invalid'}): move it aside to start afresh`)
  return parsed.data
}

export async function writeJson (file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 1) + '\n', { mode: 0o600 })
}
