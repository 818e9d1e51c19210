// Completion of a flooded request: which peers a request was forwarded to have answered for their whole
// subtree (the `done` frames). Used by relays (per route) and by the origin (per search).

/**
 * Tracks which downstream peers have finished: a peer is finished once its `done` arrived and as many of
 * its responses as it says it sent (frames travel on separate streams, so a `done` can overtake them),
 * or once sending to it failed.
 */
export class Completion {
  private readonly pending = new Map<string, { done?: number, received: number }>()
  constructor (peers: Iterable<string>) { for (const p of peers) this.pending.set(p, { received: 0 }) }
  has (peer: string): boolean { return this.pending.has(peer) }
  response (peer: string): void { const p = this.pending.get(peer); if (p !== undefined) { p.received++; this.settle(peer) } }
  done (peer: string, responses: number): void { const p = this.pending.get(peer); if (p !== undefined) { p.done = responses; this.settle(peer) } }
  failed (peer: string): void { this.pending.delete(peer) }
  get complete (): boolean { return this.pending.size === 0 }
  private settle (peer: string): void {
    const p = this.pending.get(peer)
    if (p?.done !== undefined && p.received >= p.done) this.pending.delete(peer)
  }
}
