// Catalog gossip: sync with neighbours plus fast announcements (see feature.ts and catalog-gossip.ts).
export { gossip, gossipService, GossipService, type GossipComponents, type GossipFeature, type GossipOptions } from './feature'
