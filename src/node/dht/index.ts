// DHT helpers: timed provide / find-providers with hop counts, and routing-table figures.
export { DhtStats, routingTableFigures, type DhtStatsSnapshot, type FindProvidersResult, type TimingSummary } from './stats'
