// The bundles this node hosts (published or installed and seeding): CID, size, sha-256 and the signed
// manifest, so peers can resolve names and topics to CIDs. Kept in one JSON file written atomically;
// manifests are re-verified on load, so a tampered file cannot make us serve bad metadata.
import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import { verifyManifest, type AdapterManifest } from '../manifest'
import { writeFileAtomic } from '../storage/atomic-file'
import type { Logger } from '../util/logger'

export interface HostedBundle {
  cid: string
  size: number
  sha256: string
  manifest: AdapterManifest
  addedAt: string
  /** 'published' by this node, or 'installed' (seeding what it downloaded). */
  origin: 'published' | 'installed'
}

const fileSchema = z.object({
  version: z.literal(1),
  bundles: z.array(z.object({
    cid: z.string(),
    size: z.number().int().min(0),
    sha256: z.string(),
    manifest: z.unknown(),
    addedAt: z.string(),
    origin: z.enum(['published', 'installed'])
  }))
})

export class HostedIndex {
  private readonly byCid = new Map<string, HostedBundle>()

  constructor (private readonly file: string, private readonly log?: Logger) {}

  async load (): Promise<void> {
    let raw: unknown
    try {
      raw = JSON.parse(await readFile(this.file, 'utf8'))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log?.warn(`hosted bundles list ${this.file} unreadable, starting empty: ${(err as Error).message}`)
      return
    }
    const parsed = fileSchema.safeParse(raw)
    if (!parsed.success) { this.log?.warn(`hosted bundles list ${this.file} is malformed, starting empty`); return }
    for (const b of parsed.data.bundles) {
      const check = await verifyManifest(b.manifest)
      if (!check.ok) { this.log?.warn(`hosted bundle ${b.cid}: manifest does not verify, skipped`); continue }
      this.byCid.set(b.cid, { ...b, manifest: check.manifest })
    }
  }

  private async save (): Promise<void> {
    await writeFileAtomic(this.file, JSON.stringify({ version: 1, bundles: [...this.byCid.values()] }))
  }

  get (cid: string): HostedBundle | undefined { return this.byCid.get(cid) }
  list (): HostedBundle[] { return [...this.byCid.values()] }
  get size (): number { return this.byCid.size }

  async add (b: HostedBundle): Promise<void> {
    const prev = this.byCid.get(b.cid)
    if (prev !== undefined && prev.origin === 'published') return
    this.byCid.set(b.cid, b)
    await this.save()
  }

  async delete (cid: string): Promise<void> {
    if (this.byCid.delete(cid)) await this.save()
  }

  /** Hosted bundles whose id, name, `id@version` or catalog key matches `ref` (case-insensitive). */
  match (ref: string): HostedBundle[] {
    const r = ref.trim().toLowerCase()
    return this.list().filter(b => {
      const m = b.manifest
      return m.id === r || m.name.toLowerCase() === r || `${m.id}@${m.version}` === r || `${m.publisher}/${m.id}`.toLowerCase() === r
    })
  }

  /** Hosted bundles tagged with a specialization. */
  withTopic (normalized: string, normalize: (t: string) => string): HostedBundle[] {
    return this.list().filter(b => b.manifest.specializations.some(t => normalize(t) === normalized))
  }
}
