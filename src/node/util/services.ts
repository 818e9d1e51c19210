// The js-libp2p service shape shared by every capability: `name(init)(components)`, each service
// declaring the libp2p capabilities it needs (`[serviceDependencies]`). A service started over
// components whose libp2p lacks one refuses to start and names what is missing, instead of failing
// later on the first message.
import { serviceCapabilities, type Libp2p } from '@libp2p/interface'
import { MissingServiceError } from '../errors'

/** The capabilities `libp2p`'s services declare (gossipsub: '@libp2p/pubsub', kad-dht: '@libp2p/kad-dht', …). */
export function capabilitiesOf (libp2p: Pick<Libp2p, 'services'>): Set<string> {
  return new Set(Object.values(libp2p.services as Record<string, unknown>).flatMap(s => (s as { [serviceCapabilities]?: string[] } | undefined)?.[serviceCapabilities] ?? []))
}

/** Throws MissingServiceError naming the `dependencies` that `libp2p` lacks; `service` says who needs them. */
export function checkDependencies (service: string, libp2p: Pick<Libp2p, 'services'>, dependencies: readonly string[]): void {
  const have = capabilitiesOf(libp2p)
  const missing = dependencies.filter(d => !have.has(d))
  if (missing.length > 0) throw new MissingServiceError(service, missing)
}
