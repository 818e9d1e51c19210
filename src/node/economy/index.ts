/**
 * @packageDocumentation
 * The economy: the token ledger (src/node/ledger) on the network, as the node feature `'ledger'`
 * (`ledgerFeature(init)`, in `defaultFeatures()`), or in the js-libp2p shape `ledgerService(init)(components)`
 * over the components it names (`LedgerComponents`; it depends on libp2p's identify and pubsub). See ledger-feature.ts for the parts (rpc, sync, push,
 * gossip, settle, wallet), src/node/api/routes/wallet.ts for the wallet API (`/api/wallet/*`) and
 * src/node/cli/wallet.ts for `continuum wallet`.
 *
 * Consumers use the typed wallet, `node.wallet` (`WalletApi`: balance, stats, history, accounts, send,
 * verify, join, status). Hooks for other features, with the same names and signatures:
 * - content, downloader side: `payForInstall({ contentId, bytes, price, publisher, providers })` after a
 *   bundle verified (a priced adapter pays its publisher the accepted price, an unpriced download the first
 *   provider; never throws; returns what was paid or why not), or `payForDownload({ contentId, bytes, host,
 *   price })` (throws the wallet's one-line errors). `price` is in tokens as in the manifest; 0 or absent =
 *   unpriced (1 token per started MB). The charge block, with the receipt the downloader signed, is handed
 *   to the host, which receives the payment and claims its hosting reward by itself.
 * - content, host side: `onReceipt(receipt, from)` when a receipt arrives some other way.
 * - flood search: relay rewards are not accepted (the flood hides the search origin, so nobody can pay
 *   for a relay receipt without revealing it); the `receipt` wire message is answered `claimed: false`.
 * The economy imports nothing from src/node/content: adapter names in stats come from the injected
 * `adapterName` component (the node's, backed by its hosted bundles and catalog).
 */
export { ledgerFeature, ledgerService, LedgerFeature, type LedgerFeatureInit, type LedgerService } from './ledger-feature'
export type { LedgerComponents } from './context'
export type { SyncReport } from './sync'
export type { AccountSummary, DownloadCharge, InstallPayment, VerifyReport, WalletApi, WalletBalance, WalletStats } from './wallet'
export * from './constants'
export * from './errors'
