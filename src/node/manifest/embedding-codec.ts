// Embeddings travel as base64 of little-endian float32 bytes: exact (no decimal round trip),
// deterministic for signing, and ~2 KB instead of ~7 KB of JSON numbers for 384 dimensions.

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** Encode a vector as base64 of little-endian float32 bytes (values are rounded to float32). */
export function encodeEmbedding (vector: ArrayLike<number>): string {
  const bytes = new Uint8Array(vector.length * 4)
  const view = new DataView(bytes.buffer)
  for (let i = 0; i < vector.length; i++) view.setFloat32(i * 4, vector[i], true)
  return Buffer.from(bytes).toString('base64')
}

/**
 * Decode strict, canonical base64 (padding required, no whitespace): the decoded bytes must
 * re-encode to the same string, so one byte string has exactly one accepted text form.
 * Returns undefined if the text is not canonical base64.
 */
export function decodeBase64Strict (text: string): Uint8Array | undefined {
  if (!BASE64.test(text)) return undefined
  const bytes = Buffer.from(text, 'base64')
  if (bytes.toString('base64') !== text) return undefined
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** Bytes → float32 values, read as little-endian whatever the host's byte order. */
export function float32FromLittleEndian (bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % 4 !== 0) throw new RangeError(`Float32 data must be a multiple of 4 bytes, got ${bytes.byteLength}`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out = new Float32Array(bytes.byteLength / 4)
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true)
  return out
}

/**
 * Decode an embedding from its wire form.
 *
 * @throws RangeError if the text is not canonical base64 of whole float32 values
 */
export function decodeEmbedding (text: string): Float32Array {
  const bytes = decodeBase64Strict(text)
  if (bytes === undefined) throw new RangeError('Embedding is not canonical base64')
  return float32FromLittleEndian(bytes)
}
