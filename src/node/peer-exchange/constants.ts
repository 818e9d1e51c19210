export const PEX_PROTOCOL = '/continuum/pex/1.0.0'
/** The design's get-peers limit. */
export const PEX_MAX_PEERS = 50
export const PEX_MAX_BYTES = 64 * 1024
export const PEX_TIMEOUT_MS = 5_000
export const PEX_RATE_PER_SECOND = 10
