// Build, sign, verify and (de)serialise adapter manifests.
//
// Wire form: the UTF-8 bytes of the manifest's canonical JSON (RFC 8785). The signature is an
// Ed25519 signature by `publisher` over SIGNATURE_DOMAIN followed by the canonical JSON of every
// other field, so any change to any field (including one bit of the embedding) breaks it.
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { peerIdFromString } from '@libp2p/peer-id'
import type { AbortOptions, PeerId, PrivateKey } from '@libp2p/interface'
import { canonicalBytes } from './canonical.js'
import { DEFAULT_EMBEDDING_MODEL, LIMITS, MANIFEST_VERSION, SIGNATURE_DOMAIN } from './constants.js'
import { decodeBase64Strict, decodeEmbedding, encodeEmbedding } from './embedding-codec.js'
import { ManifestValidationError, PublisherMismatchError, UnsupportedKeyTypeError } from './errors.js'
import {
  adapterFieldsInputSchema, adapterManifestSchema, formatIssues, unsignedManifestSchema,
  type AdapterFields, type AdapterFieldsInput, type AdapterManifest, type UnsignedManifest
} from './schema.js'

/** Result of checking untrusted input: the manifest, or every problem found. */
export type ManifestCheck =
  | { ok: true, manifest: AdapterManifest }
  | { ok: false, problems: string[] }

/** Fields for {@link buildUnsignedManifest}. */
export interface ManifestInit extends Omit<AdapterFieldsInput, 'createdAt'> {
  /** The adapter's sentence embedding (see `manifestSearchText` for the text to embed). */
  embedding: ArrayLike<number>
  /**
   * Model that produced `embedding`.
   *
   * @default 'sentence-transformers/all-MiniLM-L6-v2'
   */
  embeddingModel?: string
  /**
   * Vectors of the same text in other embedding spaces, keyed by model id (e.g. the node's user-supplied
   * model), at most EXTRA_EMBEDDING_LIMITS.maxSpaces.
   * @default none
   */
  extraEmbeddings?: Record<string, ArrayLike<number>>
  /** The publishing peer (its PeerId or PeerId string); must be an Ed25519 peer. */
  publisher: PeerId | string
  /**
   * When the manifest was created.
   *
   * @default now
   */
  createdAt?: Date | string
}

/**
 * Assemble and validate a manifest ready for signing.
 *
 * @throws ManifestValidationError listing every problem
 */
export function buildUnsignedManifest (init: ManifestInit): UnsignedManifest {
  const { embedding, embeddingModel, extraEmbeddings, publisher, createdAt, ...fields } = init
  const problems: string[] = []
  let data = ''
  if (embedding == null || typeof embedding.length !== 'number' || embedding.length > 65536) {
    problems.push('embedding: must be an array of numbers')
  } else {
    data = encodeEmbedding(embedding)
  }
  const candidate = {
    ...fields,
    manifestVersion: MANIFEST_VERSION,
    metrics: fields.metrics ?? { downloads: 0 },
    price: fields.price ?? 0,
    createdAt: createdAt instanceof Date ? createdAt.toISOString() : (createdAt ?? new Date().toISOString()),
    embedding: { model: embeddingModel ?? DEFAULT_EMBEDDING_MODEL, data },
    ...(extraEmbeddings !== undefined && Object.keys(extraEmbeddings).length > 0
      ? { extraEmbeddings: Object.fromEntries(Object.entries(extraEmbeddings).map(([model, v]) => [model, encodeEmbedding(v)])) }
      : {}),
    publisher: typeof publisher === 'string' ? publisher : publisher?.toString()
  }
  const parsed = unsignedManifestSchema.safeParse(candidate)
  if (!parsed.success) {
    problems.push(...formatIssues(parsed.error).filter(p => data !== '' || !p.startsWith('embedding.data:')))
  }
  if (problems.length > 0 || !parsed.success) throw new ManifestValidationError(problems)
  return parsed.data
}

/** The bytes a publisher signs: SIGNATURE_DOMAIN then the canonical JSON of the unsigned fields. */
export function manifestSigningBytes (manifest: UnsignedManifest | Record<string, unknown>): Uint8Array {
  const { signature: _signature, ...unsigned } = manifest as Record<string, unknown>
  const body = canonicalBytes(unsigned)
  const domain = new TextEncoder().encode(SIGNATURE_DOMAIN)
  const out = new Uint8Array(domain.byteLength + body.byteLength)
  out.set(domain, 0)
  out.set(body, domain.byteLength)
  return out
}

/**
 * Sign a manifest with the publisher's Ed25519 key.
 *
 * @throws ManifestValidationError if `unsigned` is not a valid unsigned manifest
 * @throws UnsupportedKeyTypeError if the key is not Ed25519
 * @throws PublisherMismatchError if the key is not the publisher's
 */
export async function signManifest (unsigned: UnsignedManifest, privateKey: PrivateKey, options: AbortOptions = {}): Promise<AdapterManifest> {
  options.signal?.throwIfAborted()
  const { signature: _ignored, ...rest } = unsigned as UnsignedManifest & { signature?: unknown }
  const parsed = unsignedManifestSchema.safeParse(rest)
  if (!parsed.success) throw new ManifestValidationError(formatIssues(parsed.error))
  if (privateKey.type !== 'Ed25519') throw new UnsupportedKeyTypeError()
  const signer = peerIdFromPrivateKey(privateKey).toString()
  if (signer !== parsed.data.publisher) {
    throw new PublisherMismatchError(`The signing key belongs to ${signer}, but the manifest publisher is ${parsed.data.publisher}`)
  }
  const signature = await privateKey.sign(manifestSigningBytes(parsed.data), options)
  return { ...parsed.data, signature: Buffer.from(signature).toString('base64') }
}

/**
 * Check untrusted input (e.g. parsed JSON from a peer): schema, limits, embedding model and
 * dimension, publisher, and the signature. Never throws for bad input; lists every problem.
 */
export async function verifyManifest (value: unknown, options: AbortOptions = {}): Promise<ManifestCheck> {
  options.signal?.throwIfAborted()
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value
    return { ok: false, problems: [`manifest: must be a JSON object, got ${got}`] }
  }
  const record = value as Record<string, unknown>
  const parsed = adapterManifestSchema.safeParse(value)
  const problems = parsed.success ? [] : formatIssues(parsed.error)

  // Check the signature over what was received even when other fields are invalid, so a
  // tampered manifest reports that too. Skipped when publisher or signature is itself unusable
  // (those problems are already listed).
  const publisherOk = parsed.success || !problems.some(p => p.startsWith('publisher:'))
  const signatureOk = parsed.success || !problems.some(p => p.startsWith('signature:'))
  if (publisherOk && signatureOk) {
    const signature = decodeBase64Strict(record.signature as string)
    let payload: Uint8Array | undefined
    try {
      payload = manifestSigningBytes(record)
    } catch (err) {
      problems.push(`manifest: cannot be canonically encoded (${(err as Error).message})`)
    }
    if (payload !== undefined && signature !== undefined) {
      const publicKey = peerIdFromString(record.publisher as string).publicKey
      let valid = false
      try {
        valid = publicKey !== undefined && await publicKey.verify(payload, signature, options)
      } catch (err) {
        if ((err as Error).name === 'AbortError') throw err
      }
      if (!valid) problems.push('signature: does not match the manifest content and publisher key')
    }
  }
  if (problems.length > 0 || !parsed.success) return { ok: false, problems }
  return { ok: true, manifest: parsed.data }
}

/**
 * Like {@link verifyManifest}, but returns the manifest or throws.
 *
 * @throws ManifestValidationError listing every problem
 */
export async function assertManifest (value: unknown, options: AbortOptions = {}): Promise<AdapterManifest> {
  const check = await verifyManifest(value, options)
  if (!check.ok) throw new ManifestValidationError(check.problems)
  return check.manifest
}

/**
 * Wire bytes of a manifest: UTF-8 canonical JSON, so equal manifests have equal bytes.
 *
 * @throws CanonicalEncodingError if the value holds something JSON cannot carry
 */
export function encodeManifest (manifest: AdapterManifest): Uint8Array {
  return canonicalBytes(manifest)
}

/**
 * Decode and verify wire bytes from an untrusted peer. Never throws for bad input.
 */
export async function decodeManifest (bytes: Uint8Array, options: AbortOptions = {}): Promise<ManifestCheck> {
  options.signal?.throwIfAborted()
  if (!(bytes instanceof Uint8Array)) return { ok: false, problems: ['manifest: must be bytes'] }
  if (bytes.byteLength > LIMITS.maxManifestBytes) {
    return { ok: false, problems: [`manifest: ${bytes.byteLength} bytes exceeds the ${LIMITS.maxManifestBytes}-byte limit`] }
  }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)
  } catch {
    return { ok: false, problems: ['manifest: is not valid UTF-8'] }
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    return { ok: false, problems: [`manifest: is not valid JSON (${(err as Error).message.slice(0, 120)})`] }
  }
  return verifyManifest(value, options)
}

/**
 * The manifest's embedding as float32 values (a fresh array each call).
 *
 * @throws RangeError if the embedding data is not canonical base64 (never for a verified manifest)
 */
export function manifestEmbedding (manifest: Pick<AdapterManifest, 'embedding'>): Float32Array {
  return decodeEmbedding(manifest.embedding.data)
}

/**
 * The manifest's vector in one embedding space: `embedding` for its model (the default space), else the
 * matching `extraEmbeddings` entry; undefined when the manifest has none there.
 */
export function manifestVectorIn (manifest: Pick<AdapterManifest, 'embedding' | 'extraEmbeddings'>, modelId: string): Float32Array | undefined {
  if (manifest.embedding.model === modelId) return decodeEmbedding(manifest.embedding.data)
  const data = manifest.extraEmbeddings !== undefined && Object.hasOwn(manifest.extraEmbeddings, modelId) ? manifest.extraEmbeddings[modelId] : undefined
  return data === undefined ? undefined : decodeEmbedding(data)
}

/** Fields that say what an adapter is for. */
export type SearchTextFields = Pick<AdapterFields, 'name' | 'description' | 'specializations' | 'capabilities' | 'domain'>

/**
 * The text that describes an adapter for semantic search: embed this (and index it for keyword
 * search) so every node derives the same vector and keywords from the same manifest. The name
 * comes first so it survives the embedder's truncation of long descriptions.
 */
export function manifestSearchText (manifest: SearchTextFields): string {
  const words = (tag: string): string => tag.replace(/[-_/]+/g, ' ')
  const parts = [manifest.name.trim(), manifest.description.trim()]
  if (manifest.specializations.length > 0) parts.push(`Specializations: ${manifest.specializations.map(words).join(', ')}.`)
  if (manifest.capabilities.length > 0) parts.push(`Capabilities: ${manifest.capabilities.map(words).join(', ')}.`)
  parts.push(`Domain: ${words(manifest.domain)}.`)
  return parts.join('\n')
}

/** A manifest's identity in a catalog: one publisher's release of one adapter. */
export function manifestKey (manifest: Pick<AdapterManifest, 'publisher' | 'id' | 'version'>): string {
  return `${manifest.publisher}/${manifest.id}@${manifest.version}`
}

/** Result of checking adapter fields (a catalog line, a PEFT folder's fields). */
export type AdapterFieldsCheck =
  | { ok: true, fields: AdapterFields }
  | { ok: false, problems: string[] }

/** Check adapter fields (no embedding, publisher or signature); `metrics` and `price` get defaults. */
export function validateAdapterFields (value: unknown): AdapterFieldsCheck {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problems: ['adapter: must be a JSON object'] }
  }
  const parsed = adapterFieldsInputSchema.safeParse(value)
  if (!parsed.success) return { ok: false, problems: formatIssues(parsed.error, 'adapter') }
  return { ok: true, fields: parsed.data }
}

/**
 * Parse JSON Lines of adapter fields (the demo catalog's format). Blank lines are skipped; each
 * bad line is reported as `line N: field: problem` and left out of `entries`, as are repeated ids.
 */
export function parseAdapterFieldsJsonl (text: string): { entries: AdapterFields[], problems: string[] } {
  const entries: AdapterFields[] = []
  const problems: string[] = []
  const seen = new Set<string>()
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim()
    if (raw === '') continue
    let value: unknown
    try {
      value = JSON.parse(raw)
    } catch {
      problems.push(`line ${i + 1}: not valid JSON`)
      continue
    }
    const check = validateAdapterFields(value)
    if (!check.ok) {
      problems.push(...check.problems.map(p => `line ${i + 1}: ${p}`))
    } else if (seen.has(check.fields.id)) {
      problems.push(`line ${i + 1}: id: ${check.fields.id} repeats an earlier line`)
    } else {
      seen.add(check.fields.id)
      entries.push(check.fields)
    }
  }
  return { entries, problems }
}
