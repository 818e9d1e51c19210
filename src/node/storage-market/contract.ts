// A storage contract: the owner's signed offer to pay a host for keeping one file (a UnixFS DAG by its
// CID) for a term, countersigned by the host once it holds the data. Canonical JSON and Ed25519 under
// a domain, the same scheme as ledger blocks and market listings.
import { randomBytes } from 'node:crypto'
import type { PrivateKey } from '@libp2p/interface'
import { z } from 'zod'
import { ACCOUNT_RE, MAX_AMOUNT, canonicalJson, createSigner, sha256Hex, signHash, verifyHashSig } from '../ledger'
import { CONTRACT_HOST_DOMAIN, CONTRACT_OWNER_DOMAIN, DAY_MS, MAX_DAYS, MB } from './constants'

const time = z.int().min(0).max(2 ** 50)
const sig = z.string().regex(/^[A-Za-z0-9_-]{86}$/)

export const contractBodySchema = z.strictObject({
  v: z.literal(1),
  id: z.string().regex(/^[0-9a-f]{32}$/),
  owner: z.string().regex(ACCOUNT_RE),
  host: z.string().regex(ACCOUNT_RE),
  /** CIDv1 of the file's root. */
  cid: z.string().regex(/^b[a-z2-7]{50,100}$/),
  size: z.int().min(0).max(8 * 1024 ** 3),
  start: time,
  end: time,
  /** Ledger units per MB-day (the host's listed price at least). */
  pricePerMbDay: z.int().min(0).max(MAX_AMOUNT),
  /** What the whole term pays, in ledger units (paid in parts, on proofs). */
  total: z.int().min(0).max(MAX_AMOUNT),
  /** The owner challenges the host this often. */
  auditEveryMs: z.int().min(100).max(MAX_DAYS * DAY_MS)
}).refine(c => c.end > c.start && c.end - c.start <= MAX_DAYS * DAY_MS, { message: 'the term must be positive and at most 366 days', path: ['end'] })
  .refine(c => c.owner !== c.host, { message: 'owner and host differ', path: ['host'] })
  .refine(c => c.total === contractCost(c.size, c.pricePerMbDay, c.end - c.start), { message: 'total is size × price × term', path: ['total'] })

export const contractSchema = z.strictObject({ body: contractBodySchema, ownerSig: sig, hostSig: sig.optional() })

export type ContractBody = z.infer<typeof contractBodySchema>
export type StorageContract = z.infer<typeof contractSchema>

/** Cost of keeping `size` bytes for `termMs` at `pricePerMbDay` (started MB, days to the ms), rounded up. */
export function contractCost (size: number, pricePerMbDay: number, termMs: number): number {
  return Math.ceil(Math.max(1, Math.ceil(size / MB)) * pricePerMbDay * termMs / DAY_MS)
}

export function newContractId (): string { return randomBytes(16).toString('hex') }

export function contractHash (body: ContractBody): string { return sha256Hex(canonicalJson(body)) }

export async function signAsOwner (privateKey: PrivateKey, body: ContractBody): Promise<StorageContract> {
  const checked = contractBodySchema.parse(body)
  const signer = createSigner(privateKey)
  if (signer.account !== checked.owner) throw new TypeError('a contract is signed by its owner')
  return { body: checked, ownerSig: await signHash(signer, CONTRACT_OWNER_DOMAIN, contractHash(checked)) }
}

export async function countersign (privateKey: PrivateKey, contract: StorageContract): Promise<string> {
  const signer = createSigner(privateKey)
  if (signer.account !== contract.body.host) throw new TypeError('a contract is countersigned by its host')
  return signHash(signer, CONTRACT_HOST_DOMAIN, contractHash(contract.body))
}

export function ownerSigValid (c: StorageContract): boolean {
  return verifyHashSig(c.body.owner, CONTRACT_OWNER_DOMAIN, contractHash(c.body), c.ownerSig)
}

export function hostSigValid (c: StorageContract, hostSig: string): boolean {
  return verifyHashSig(c.body.host, CONTRACT_HOST_DOMAIN, contractHash(c.body), hostSig)
}
