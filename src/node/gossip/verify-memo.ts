// Verifying a manifest's signature costs ~1 ms. Gossip sees the same manifest again and again
// (from several neighbours, in announcements and sync), so remember which exact contents verified.
import { createHash } from 'node:crypto'
import { adapterManifestSchema, canonicalize, verifyManifest, type AdapterManifest } from '../manifest'

export class VerifyMemo {
  private readonly ok = new Map<string, true>()
  constructor (private readonly capacity = 100_000) {}

  /** Verifies `value` (schema + signature), skipping the signature check for contents seen valid before. */
  async check (value: unknown): Promise<{ ok: true, manifest: AdapterManifest } | { ok: false, problems: string[] }> {
    let digest: string | undefined
    try {
      digest = createHash('sha256').update(canonicalize(value)).digest('base64')
    } catch {
      // Not canonicalisable: verifyManifest reports why.
    }
    if (digest !== undefined && this.ok.has(digest)) {
      // The same contents verified before: the schema parse (for the typed value) is enough.
      const parsed = adapterManifestSchema.safeParse(value)
      if (parsed.success) return { ok: true, manifest: parsed.data }
    }
    const check = await verifyManifest(value)
    if (check.ok && digest !== undefined) {
      this.ok.set(digest, true)
      if (this.ok.size > this.capacity) this.ok.delete(this.ok.keys().next().value!)
    }
    return check
  }
}
