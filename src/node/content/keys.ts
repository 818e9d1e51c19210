// DHT keys derived from text: adapter names/ids (to resolve `install <name>`) and specialization tags
// ("semantic routing hints": `dht find-topic <tag>` is one provider lookup, no flooding). Each is the
// raw-codec CIDv1 of a domain-separated string, so it can never collide with a bundle's CID.
import type { CID } from 'multiformats/cid'
import { keyCid } from './dag'

/** Lowercase, trimmed, inner whitespace collapsed: "Wine  Pairing" and "wine pairing" meet. */
export function normalizeTag (tag: string): string {
  return tag.normalize('NFKC').trim().toLowerCase().replace(/\s+/g, ' ')
}

export function topicKey (tag: string): CID {
  return keyCid(`continuum/topic/v1\n${normalizeTag(tag)}`)
}

export function nameKey (name: string): CID {
  return keyCid(`continuum/name/v1\n${normalizeTag(name)}`)
}
