// Defaults of the storage market (paid replicas with audits). Every value is overridable in StorageInit.

/** Contracts and audits between owners and hosts (length-prefixed JSON). */
export const STORAGE_PROTOCOL = '/continuum/storage/1.0.0'
/** The listing service name this node publishes its storage offer under (serviceType `storage`). */
export const STORAGE_SERVICE = 'storage'
/** Domains of the two signatures on a contract (owner's, host's countersignature). */
export const CONTRACT_OWNER_DOMAIN = 'continuum/storage-contract/v1'
export const CONTRACT_HOST_DOMAIN = 'continuum/storage-contract-host/v1'

/** Replicas kept when none are asked for. */
export const DEFAULT_REPLICAS = 3
/** Term of a contract when none is given, in days. */
export const DEFAULT_DAYS = 30
/** Longest term a contract may have. */
export const MAX_DAYS = 366
/** Most replicas one put may ask for. */
export const MAX_REPLICAS = 16
/** How often the owner challenges each host. */
export const AUDIT_INTERVAL_MS = 10 * 60 * 1000
/** How long a host has to answer a challenge. */
export const CHALLENGE_TIMEOUT_MS = 10_000
/** Unanswered challenges in a row before a host is dropped (a wrong or missing block drops it at once). */
export const MAX_MISSES = 2
/** How long a host may take to fetch and check the data of a new contract. */
export const TRANSFER_TIMEOUT_MS = 10 * 60 * 1000
/** Largest request frame (a contract with its source hints). */
export const MAX_REQUEST_BYTES = 8 * 1024
/** Largest answer frame: a challenged block (≤ 1 MiB) in base64. */
export const MAX_RESPONSE_BYTES = 1_500_000
/** Requests one peer may make per second. */
export const RATE_PER_SECOND = 20
/** Clock skew tolerated on a contract's start. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000
/** Bytes in the MB of a price per MB-day. */
export const MB = 1_000_000
const DAY_MS = 24 * 60 * 60 * 1000
export { DAY_MS }
