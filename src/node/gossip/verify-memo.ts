// Verifying a manifest (schema with its limits, embedding, Ed25519 signature) costs milliseconds.
// Gossip sees the same manifest again and again — from several neighbours, in announcements and in
// sync — so remember the contents that verified and hand back the already-validated object.
// The key is a digest of the received JSON, so any change to any field misses the memo and is
// verified in full.
import { createHash } from 'node:crypto'
import { verifyManifest, type AdapterManifest } from '../manifest'

export type MemoCheck = { ok: true, manifest: AdapterManifest } | { ok: false, problems: string[] }

export class VerifyMemo {
  private readonly ok = new Map<string, AdapterManifest>()
  constructor (private readonly capacity = 100_000) {}

  async check (value: unknown): Promise<MemoCheck> {
    let digest: string | undefined
    try {
      digest = createHash('sha256').update(JSON.stringify(value)).digest('base64')
    } catch {
      // Not serialisable (cannot come off the wire): verifyManifest reports why.
    }
    const known = digest !== undefined ? this.ok.get(digest) : undefined
    if (known !== undefined) return { ok: true, manifest: known }
    const check = await verifyManifest(value)
    if (check.ok && digest !== undefined) {
      this.ok.set(digest, Object.freeze(check.manifest))
      if (this.ok.size > this.capacity) this.ok.delete(this.ok.keys().next().value!)
    }
    return check
  }

  get size (): number { return this.ok.size }
}
