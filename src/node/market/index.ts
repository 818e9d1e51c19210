/**
 * @packageDocumentation
 * The service market: signed, versioned service listings (inference, fine-tuning, adapter, storage)
 * spread on the mesh, with availability and reputation measured by the asking node, and the compute
 * provider/requester built on them over /continuum/compute/1.0.0. See README.md in this folder.
 */
export { marketFeature, marketService, MarketFeature, type MarketApi, type MarketInit, type MarketEvents, type ListingOffer, type ListingFilter, type MarketListing } from './feature'
export { checkListing, signListing, listingKey, listingHash, listingSchema, type ServiceListing, type ListingBody, type ServiceType, type PriceUnit } from './listing'
export type { MarketComponents, ComputePayments } from './components'
export type { ProviderMeasure } from './measure'
export * from './constants'
export * from './errors'
