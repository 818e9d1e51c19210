// What this node holds, as a change log that peers read incrementally: every release gets a
// sequence number when it enters the catalog, so a peer that synced up to seq N asks only for what
// came after. The epoch changes on every start; a peer with another epoch starts again from 0.
import { randomBytes } from 'node:crypto'

export interface ChangeRecord { id: string, key: string, seq: number, local: boolean }

export class ChangeLog {
  readonly epoch = randomBytes(8).toString('base64url')
  private seq = 0
  /** XOR of every held release id: equal roots mean equal sets, whatever the order they arrived in. */
  private readonly xor = new Uint8Array(9)
  /** Map order = seq order: a re-recorded release moves to the end. */
  private readonly byKey = new Map<string, ChangeRecord>()
  private readonly byId = new Map<string, ChangeRecord>()

  get head (): number { return this.seq }
  get root (): string { return Buffer.from(this.xor).toString('base64url') }

  private fold (id: string): void {
    const b = Buffer.from(id, 'base64url')
    for (let i = 0; i < this.xor.length && i < b.length; i++) this.xor[i] ^= b[i]
  }
  get size (): number { return this.byKey.size }

  record (key: string, id: string, local: boolean): void {
    const prev = this.byKey.get(key)
    if (prev !== undefined) {
      if (prev.id === id && prev.local === local) return
      this.byKey.delete(key)
      this.byId.delete(prev.id)
      this.fold(prev.id)
    }
    this.fold(id)
    const rec = { id, key, seq: ++this.seq, local }
    this.byKey.set(key, rec)
    this.byId.set(id, rec)
  }

  remove (key: string): void {
    const prev = this.byKey.get(key)
    if (prev === undefined) return
    this.byKey.delete(key)
    this.byId.delete(prev.id)
    this.fold(prev.id)
  }

  has (id: string): boolean { return this.byId.has(id) }
  get (id: string): ChangeRecord | undefined { return this.byId.get(id) }

  /** Records with seq > since, oldest first, at most `limit`. */
  since (since: number, limit: number): { records: ChangeRecord[], more: boolean } {
    const out: ChangeRecord[] = []
    // Walk back from the newest until we pass `since`, then return in seq order.
    const all = [...this.byKey.values()]
    let i = all.length - 1
    while (i >= 0 && all[i].seq > since) i--
    for (let j = i + 1; j < all.length && out.length < limit; j++) out.push(all[j])
    return { records: out, more: i + 1 + out.length < all.length }
  }
}
