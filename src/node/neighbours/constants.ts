export const DEFAULT_MAX_NEIGHBOURS = 8
export const MAINTAIN_INTERVAL_MS = 5_000
export const BACKOFF_MIN_MS = 1_000
export const BACKOFF_MAX_MS = 5 * 60_000
