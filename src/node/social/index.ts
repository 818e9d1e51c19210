/**
 * @packageDocumentation
 * The social layer: signed posts (text, adapter links, replies, reviews) spread by gossip and searched by
 * meaning; tips as ledger sends whose memo names the post; ratings proven by download receipts, aggregated
 * per adapter from what the ledger shows was paid (one vote per paying account, reputation-weighted).
 */
export { socialFeature, socialService, SocialService, type SocialApi, type SocialComponents, type SocialInit, type PostView, type RateResult, type SocialStatus } from './service'
export type { SocialLedger } from './ledger'
export type { VerifiedMetrics } from './ratings'
export type { Post, Tombstone, SocialItem, Rating } from './schema'
export { signItem, checkItem, decodeItem } from './item'
export * from './errors'
export * from './constants'
