/**
 * @packageDocumentation
 * The economy: the token ledger (src/node/ledger) on the network, as the node feature `'ledger'`.
 * See ledger-feature.ts for the sync design and routes.ts for the wallet API.
 */
export { ledgerFeature, LedgerFeature, type LedgerFeatureInit, type DownloadCharge, type InstallPayment, type SyncReport, type VerifyReport } from './ledger-feature'
export { registerWalletRoutes, toTokens } from './routes'
export * from './constants'
