// What content needs from an economy: paying for an install whose bundle verified. Content declares
// the shape and the node wires whatever provides it (the ledger feature, see src/node/features.ts), so
// this folder never imports the economy. Without it, installs pay nothing: free adapters install as
// always, and a priced one still needs its price accepted (PriceNotAcceptedError) before it installs.
import type { AbortOptions } from '../util/abort'

/** What the install layer hands over once the bundle verified. `price` is in tokens, as in the manifest. */
export interface InstallCharge {
  /** The bundle's CID (base32 CIDv1). */
  contentId: string
  bytes: number
  /** The accepted price in tokens; 0 or absent = unpriced (the first provider is paid per MB). */
  price?: number
  /** The publisher's PeerId text: a priced install pays it. */
  publisher?: string
  /** Providers in the order they delivered (PeerId texts). */
  providers: readonly string[]
}

/** What an install paid (tokens), or why it could not pay. */
export type InstallPayment = { host: string, amount: number, priced: boolean, balance: number } | { host: string, error: string }

export interface InstallPayments {
  /**
   * Pays for one verified install. Never throws for a payment that cannot be made (the install already
   * happened): it reports the error instead. Undefined when nobody is to be paid (oneself, no provider).
   */
  payForInstall(charge: InstallCharge, options?: AbortOptions): Promise<InstallPayment | undefined>
}
