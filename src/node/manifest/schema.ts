// zod schemas for adapter manifests. Every field that can come from a peer or a file has a type,
// a range and a length limit; issues are mapped to readable `field: problem` lines.
import { peerIdFromString } from '@libp2p/peer-id'
import { z } from 'zod'
import { ADAPTER_KINDS, DEFAULT_EMBEDDING_MODEL, EMBEDDING_MODELS, EMBEDDING_NORM_TOLERANCE, EXTRA_EMBEDDING_LIMITS, LIMITS, MANIFEST_VERSION, SIGNATURE_BYTES } from './constants.js'
import { decodeBase64Strict, float32FromLittleEndian } from './embedding-codec.js'

// Semantic Versioning 2.0.0 (the regex published at semver.org).
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/
const ID = /^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$/
// A Hugging Face model id (`org/name` or `name`).
const MODEL_ID = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*)(?:\/[A-Za-z0-9](?:[A-Za-z0-9._-]*))?$/
// SPDX ids and expressions, and Hugging Face's lowercase license ids (`apache-2.0`, `llama3.1`, `other`).
const LICENSE = /^[A-Za-z0-9][A-Za-z0-9.+_() -]*$/
const DOMAIN = /^[a-z0-9]+(?:[-/][a-z0-9]+)*$/
const MODULE_NAME = /^[A-Za-z0-9_.*\\[\]()|^$?+-]+$/
// `sha256-<hex>` (as the PEFT reader writes), a base58btc sha2-256 multihash (`Qm…`) or a
// base32 CIDv1 (`b…`), which a later step of the content layer produces.
const CONTENT_HASH = /^(?:sha256-[0-9a-f]{64}|Qm[1-9A-HJ-NP-Za-km-z]{44}|b[a-z2-7]{58,120})$/
// C0/C1 controls other than tab and newline have no place in displayed text.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/
// eslint-disable-next-line no-control-regex
const CONTROL_OR_NEWLINE = /[\u0000-\u001f\u007f-\u009f]/

/** Single-line display text. */
function line (max: number) {
  return z.string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine(s => !CONTROL_OR_NEWLINE.test(s), 'must not contain control characters or line breaks')
    .refine(s => s.trim() === s, 'must not start or end with whitespace')
}

function tagList (what: string) {
  return z.array(line(LIMITS.tagLength))
    .max(LIMITS.tagCount, `at most ${LIMITS.tagCount} ${what}`)
    .refine(tags => new Set(tags).size === tags.length, `${what} must not repeat`)
}

export const adapterKindSchema = z.enum(ADAPTER_KINDS, { error: `must be one of ${ADAPTER_KINDS.join(', ')}` })

export const metricsSchema = z.strictObject({
  /** Evaluation accuracy reported by the publisher, 0–1. */
  accuracy: z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').optional(),
  /** Downloads the publisher has served. */
  downloads: z.number().int('must be a whole number').min(0, 'must not be negative').max(Number.MAX_SAFE_INTEGER, 'is too large'),
  /** Average user rating, 0–5. */
  rating: z.number().min(0, 'must be between 0 and 5').max(5, 'must be between 0 and 5').optional()
})

/**
 * What describes an adapter: the manifest minus embedding, publisher and signature. The demo
 * catalog's lines and the PEFT folder reader produce this shape.
 */
export const adapterFieldsSchema = z.strictObject({
  id: line(LIMITS.idLength).regex(ID, 'must be lowercase letters, digits, ".", "_" or "-" (e.g. "wine-basics-v2")'),
  name: line(LIMITS.nameLength),
  version: z.string().max(LIMITS.versionLength, `must be at most ${LIMITS.versionLength} characters`).regex(SEMVER, 'must be a semantic version such as 1.2.0'),
  description: z.string()
    .min(1, 'must not be empty')
    .max(LIMITS.descriptionLength, `must be at most ${LIMITS.descriptionLength} characters`)
    .refine(s => !CONTROL_CHARS.test(s), 'must not contain control characters'),
  kind: adapterKindSchema,
  baseModel: line(LIMITS.baseModelLength).regex(MODEL_ID, 'must be a model id such as "meta-llama/Llama-3.1-8B-Instruct"'),
  rank: z.number().int('must be a whole number').min(1, 'must be at least 1').max(LIMITS.maxRank, `must be at most ${LIMITS.maxRank}`).optional(),
  targetModules: z.array(line(LIMITS.targetModuleLength).regex(MODULE_NAME, 'must be a module name or pattern'))
    .max(LIMITS.targetModuleCount, `at most ${LIMITS.targetModuleCount} target modules`)
    .optional(),
  license: line(LIMITS.licenseLength).regex(LICENSE, 'must be an SPDX or Hugging Face license id'),
  specializations: tagList('specializations'),
  capabilities: tagList('capabilities'),
  domain: line(LIMITS.domainLength).regex(DOMAIN, 'must be a lowercase slug such as "food-drink" or "software/concurrency"'),
  sizeBytes: z.number().int('must be a whole number').min(0, 'must not be negative').max(Number.MAX_SAFE_INTEGER, 'is too large'),
  contentHash: z.string().max(128, 'must be at most 128 characters').regex(CONTENT_HASH, 'must be "sha256-<64 hex digits>", a base58btc multihash or a base32 CIDv1'),
  metrics: metricsSchema,
  /** Price in mesh tokens. */
  price: z.number().min(0, 'must not be negative').max(LIMITS.maxPrice, `must be at most ${LIMITS.maxPrice}`),
  createdAt: z.iso.datetime({ error: 'must be an ISO 8601 UTC timestamp such as 2026-01-31T12:00:00Z' }).optional()
})

/** Input form of {@link adapterFieldsSchema}: metrics and price may be left out. */
export const adapterFieldsInputSchema = adapterFieldsSchema.extend({
  metrics: metricsSchema.default({ downloads: 0 }),
  price: adapterFieldsSchema.shape.price.default(0)
})

export const embeddingSchema = z.strictObject({
  model: z.string().max(200, 'must be at most 200 characters').refine(
    m => Object.hasOwn(EMBEDDING_MODELS, m),
    { error: iss => `unknown embedding model ${JSON.stringify(String(iss.input).slice(0, 200))} (supported: ${Object.keys(EMBEDDING_MODELS).join(', ')})` }
  ),
  /** base64 of little-endian float32 values */
  data: z.string().max(64 * 1024, 'is too long').superRefine((data, ctx) => {
    const bytes = decodeBase64Strict(data)
    if (bytes === undefined) {
      ctx.addIssue({ code: 'custom', message: 'must be canonical base64 of little-endian float32 values' })
      return
    }
    // Every supported model has the same dimension today; a second model with a different one
    // would move this check to the embedding object.
    const dims = new Set(Object.values(EMBEDDING_MODELS))
    if (bytes.byteLength % 4 !== 0 || !dims.has(bytes.byteLength / 4)) {
      const got = bytes.byteLength % 4 === 0 ? `${bytes.byteLength / 4}` : `${bytes.byteLength} bytes`
      ctx.addIssue({ code: 'custom', message: `must hold ${[...dims].join(' or ')} float32 values (dimension), got ${got}` })
      return
    }
    checkUnitVector(float32FromLittleEndian(bytes), ctx)
  })
})

/** Indexes rank by dot product of unit vectors; a longer vector would outrank every honest one. */
function checkUnitVector (values: Float32Array, ctx: z.RefinementCtx): void {
  if (!values.every(Number.isFinite)) {
    ctx.addIssue({ code: 'custom', message: 'must contain only finite numbers' })
    return
  }
  let sum = 0
  for (const x of values) sum += x * x
  const norm = Math.sqrt(sum)
  if (Math.abs(norm - 1) > EMBEDDING_NORM_TOLERANCE) {
    ctx.addIssue({ code: 'custom', message: `must be a unit-length vector (L2 norm 1 ± ${EMBEDDING_NORM_TOLERANCE}), got norm ${norm.toPrecision(4)}` })
  }
}

/**
 * Vectors in other embedding spaces, keyed by model id (any well-formed id: a node uses the one it runs and
 * ignores the rest). The default space lives in `embedding` and is not repeated here.
 */
export const extraEmbeddingsSchema = z.record(
  z.string().max(200, 'must be at most 200 characters'),
  z.string().max(EXTRA_EMBEDDING_LIMITS.maxDataChars, `is too long (at most ${EXTRA_EMBEDDING_LIMITS.maxDimensions} float32 values)`).superRefine((data, ctx) => {
    const bytes = decodeBase64Strict(data)
    if (bytes === undefined || bytes.byteLength % 4 !== 0 || bytes.byteLength < 32) {
      ctx.addIssue({ code: 'custom', message: 'must be canonical base64 of at least 8 little-endian float32 values' })
      return
    }
    checkUnitVector(float32FromLittleEndian(bytes), ctx)
  })
).superRefine((r, ctx) => {
  // Keys are checked here rather than by a key schema, so the problem names the key ("Invalid key" otherwise).
  for (const model of Object.keys(r)) {
    if (!MODEL_ID.test(model)) ctx.addIssue({ code: 'custom', path: [model], message: 'must be a model id such as "intfloat/multilingual-e5-small"' })
    else if (model === DEFAULT_EMBEDDING_MODEL) ctx.addIssue({ code: 'custom', path: [model], message: 'is the default space, which `embedding` carries' })
  }
}).refine(r => Object.keys(r).length <= EXTRA_EMBEDDING_LIMITS.maxSpaces, `at most ${EXTRA_EMBEDDING_LIMITS.maxSpaces} extra embedding spaces`)

/** A libp2p PeerId string for an Ed25519 key, in its canonical (base58btc) form. */
export const publisherSchema = z.string().max(128, 'must be at most 128 characters').superRefine((text, ctx) => {
  let type: string
  let canonical: string
  try {
    const peerId = peerIdFromString(text)
    type = peerId.type
    canonical = peerId.toString()
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be a libp2p PeerId' })
    return
  }
  if (type !== 'Ed25519') ctx.addIssue({ code: 'custom', message: `must be an Ed25519 PeerId, got a ${type} PeerId` })
  else if (canonical !== text) ctx.addIssue({ code: 'custom', message: `must be written in canonical form (${canonical})` })
})

export const signatureSchema = z.string().max(200, 'must be at most 200 characters').refine(
  s => decodeBase64Strict(s)?.byteLength === SIGNATURE_BYTES,
  `must be base64 of a ${SIGNATURE_BYTES}-byte Ed25519 signature`
)

/** Everything the publisher signs. */
export const unsignedManifestSchema = adapterFieldsSchema.extend({
  manifestVersion: z.literal(MANIFEST_VERSION, { error: `must be ${MANIFEST_VERSION}` }),
  createdAt: adapterFieldsSchema.shape.createdAt.unwrap(),
  embedding: embeddingSchema,
  /** Optional vectors in other embedding spaces; signed like every other field. */
  extraEmbeddings: extraEmbeddingsSchema.optional(),
  publisher: publisherSchema
})

export const adapterManifestSchema = unsignedManifestSchema.extend({
  signature: signatureSchema
})

/** Description of an adapter without embedding, publisher or signature (a demo catalog line, a PEFT folder). */
export type AdapterFields = z.output<typeof adapterFieldsSchema>
/** {@link AdapterFields} as accepted from callers: `metrics` defaults to `{ downloads: 0 }`, `price` to 0. */
export type AdapterFieldsInput = z.input<typeof adapterFieldsInputSchema>
export type AdapterKind = z.output<typeof adapterKindSchema>
export type AdapterMetrics = z.output<typeof metricsSchema>
export type ManifestEmbedding = z.output<typeof embeddingSchema>
/** A manifest before signing. */
export type UnsignedManifest = z.output<typeof unsignedManifestSchema>
/** A signed adapter manifest: what travels through the mesh. */
export type AdapterManifest = z.output<typeof adapterManifestSchema>

/** Map zod issues to `field: problem` lines (`manifest` for the object itself). */
export function formatIssues (error: z.ZodError, root = 'manifest'): string[] {
  const problems: string[] = []
  for (const issue of error.issues) {
    const where = issue.path.length === 0 ? root : issue.path.map(String).join('.')
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push(`${where}: unknown field ${JSON.stringify(key.slice(0, 64))}`)
    } else if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) {
      problems.push(`${where}: is required`)
    } else {
      problems.push(`${where}: ${issue.message}`)
    }
  }
  return problems
}
