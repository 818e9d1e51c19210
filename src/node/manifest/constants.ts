// Defaults and limits for adapter manifests. Manifests arrive from untrusted peers, so every
// string and list has a hard upper bound here, and the schema enforces it.

/** Version of the manifest format; a manifest carries it as `manifestVersion`. */
export const MANIFEST_VERSION = 1

/**
 * Bytes prepended to the canonical encoding before signing, so a manifest signature can never be
 * replayed as a signature over some other kind of message signed by the same peer key.
 */
export const SIGNATURE_DOMAIN = 'continuum-mesh/adapter-manifest/v1\n'

/** The sentence-embedding model every manifest embedding comes from. */
export const DEFAULT_EMBEDDING_MODEL = 'sentence-transformers/all-MiniLM-L6-v2'

/** Embedding models a manifest may name, with their vector dimension. */
export const EMBEDDING_MODELS: Readonly<Record<string, number>> = Object.freeze({
  [DEFAULT_EMBEDDING_MODEL]: 384
})

/**
 * Vectors a manifest may carry besides `embedding`, each in another embedding space (`extraEmbeddings`, keyed
 * by model id), so peers running another model (a user-supplied one) can search in it. Bounded so that a
 * typical manifest with them still fits gossip's 100-manifest fetch frame (1 MiB) and flood's 20-result frame
 * (256 KiB): two spaces of up to 768 floats each add at most ~8 KB.
 */
export const EXTRA_EMBEDDING_LIMITS = Object.freeze({
  maxSpaces: 2,
  maxDimensions: 768,
  /** Longest base64 text of one vector: 768 floats. */
  maxDataChars: 4 * Math.ceil(768 * 4 / 3)
})

/**
 * Embeddings must be L2-normalised (as the embedder returns them) to within this tolerance, so that
 * a dot product is a cosine and no manifest can outrank others by carrying a longer vector.
 */
export const EMBEDDING_NORM_TOLERANCE = 1e-3

/** Ed25519 signatures are always 64 bytes. */
export const SIGNATURE_BYTES = 64

/** Adapter kinds. PEFT's `peft_type` values map onto these (see peft.ts); `persona` is a prompt-only skill. */
export const ADAPTER_KINDS = [
  'lora', 'qlora', 'dora', 'loha', 'lokr', 'adalora', 'vera', 'oft', 'boft', 'ia3',
  'prefix-tuning', 'prompt-tuning', 'p-tuning', 'persona'
] as const

/** Upper bounds on untrusted input. */
export const LIMITS = Object.freeze({
  /** Encoded manifest on the wire (a full manifest is ~4–8 KB). */
  maxManifestBytes: 64 * 1024,
  idLength: 128,
  nameLength: 128,
  versionLength: 64,
  descriptionLength: 4000,
  baseModelLength: 200,
  licenseLength: 64,
  domainLength: 64,
  /** specializations and capabilities */
  tagCount: 32,
  tagLength: 64,
  targetModuleCount: 128,
  targetModuleLength: 128,
  maxRank: 8192,
  maxPrice: 1_000_000_000,
  /** Nesting depth the canonical encoder accepts (a manifest needs 3). */
  maxDepth: 16
})

/** Limits when reading a PEFT folder from disk. */
export const PEFT_LIMITS = Object.freeze({
  maxConfigBytes: 1024 * 1024,
  maxReadmeBytes: 1024 * 1024,
  /** The safetensors reference implementation allows 100 MB; adapter headers are tiny. */
  maxSafetensorsHeaderBytes: 16 * 1024 * 1024,
  /** Description taken from a model card's opening paragraphs. */
  descriptionChars: 1200
})

/** Files of a PEFT adapter folder. */
export const PEFT_FILES = Object.freeze({
  config: 'adapter_config.json',
  weights: 'adapter_model.safetensors',
  pickleWeights: 'adapter_model.bin',
  card: 'README.md'
})

/** Version given to an adapter when neither the caller nor the model card names one. */
export const DEFAULT_ADAPTER_VERSION = '1.0.0'

/** License recorded when a model card names none. */
export const UNKNOWN_LICENSE = 'unknown'

/** Domain recorded when a model card names none. */
export const DEFAULT_DOMAIN = 'general'
