// Adapter manifests: the signed metadata that travels through the mesh, and reading PEFT folders
// into manifest fields.
export {
  buildUnsignedManifest, signManifest, verifyManifest, assertManifest, encodeManifest, decodeManifest,
  manifestEmbedding, manifestVectorIn, manifestSearchText, manifestKey, manifestSigningBytes, validateAdapterFields, parseAdapterFieldsJsonl
} from './manifest.js'
export type { ManifestCheck, ManifestInit, SearchTextFields, AdapterFieldsCheck } from './manifest.js'
export {
  adapterManifestSchema, unsignedManifestSchema, adapterFieldsSchema, adapterFieldsInputSchema, embeddingSchema, extraEmbeddingsSchema,
  metricsSchema, publisherSchema, signatureSchema, adapterKindSchema, formatIssues
} from './schema.js'
export type {
  AdapterManifest, UnsignedManifest, AdapterFields, AdapterFieldsInput, AdapterKind, AdapterMetrics, ManifestEmbedding
} from './schema.js'
export { readPeftFolder, bundleDigest, PEFT_TYPE_KINDS } from './peft.js'
export type { ReadPeftFolderOptions, PeftFolderInfo, PeftFileInfo } from './peft.js'
export { readSafetensorsHeader, parseSafetensorsHeader, SAFETENSORS_DTYPE_BYTES } from './safetensors.js'
export type { SafetensorsHeader, SafetensorsTensor } from './safetensors.js'
export { canonicalize, canonicalBytes } from './canonical.js'
export { encodeEmbedding, decodeEmbedding } from './embedding-codec.js'
export * from './constants.js'
export * from './errors.js'
