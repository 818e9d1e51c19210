// A flood search's options, checked once with one-line errors and filled in with the defaults.
import { DEFAULT_HOPS, DEFAULT_MIN_RESULTS, DEFAULT_MIN_SIMILARITY, DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS, MAX_TTL, MIN_TIMEOUT_MS } from './constants'
import { InvalidSearchOptionsError } from './errors'
import type { FloodSearchOptions } from './types'

/** Options with every default filled in (the signal stays optional). */
export type ResolvedSearchOptions = Required<Omit<FloodSearchOptions, 'signal'>> & { signal?: AbortSignal }

export function normaliseOptions (o: FloodSearchOptions): ResolvedSearchOptions {
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const hops = o.hops ?? DEFAULT_HOPS
  const minResults = o.minResults ?? DEFAULT_MIN_RESULTS
  const minSimilarity = o.minSimilarity ?? DEFAULT_MIN_SIMILARITY
  if (!Number.isFinite(timeoutMs) || timeoutMs < MIN_TIMEOUT_MS || timeoutMs > MAX_TIMEOUT_MS) throw new InvalidSearchOptionsError(`timeoutMs must be between ${MIN_TIMEOUT_MS} and ${MAX_TIMEOUT_MS}, got ${timeoutMs}`)
  if (!Number.isInteger(hops) || hops < 1 || hops > MAX_TTL) throw new InvalidSearchOptionsError(`hops must be a whole number from 1 to ${MAX_TTL}, got ${hops}`)
  if (!Number.isInteger(minResults) || minResults < 1) throw new InvalidSearchOptionsError(`minResults must be a whole number of at least 1, got ${minResults}`)
  if (!(minSimilarity >= 0 && minSimilarity <= 1)) throw new InvalidSearchOptionsError(`minSimilarity must be between 0 and 1, got ${minSimilarity}`)
  return { timeoutMs, hops, minResults, minSimilarity, signal: o.signal }
}

