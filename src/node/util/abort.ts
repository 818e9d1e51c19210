// Small helpers so every async API can honour an AbortSignal.

export interface AbortOptions { signal?: AbortSignal }

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function delay (ms: number, options: AbortOptions = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const { signal } = options
    if (signal?.aborted) { reject(signal.reason); return }
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve() }, ms)
    const onAbort = (): void => { clearTimeout(timer); reject(signal?.reason) }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** A signal that aborts when any input aborts or after `timeoutMs`. */
export function combineSignals (signals: Array<AbortSignal | undefined>, timeoutMs?: number): AbortSignal {
  const list = signals.filter((s): s is AbortSignal => s !== undefined)
  if (timeoutMs !== undefined) list.push(AbortSignal.timeout(timeoutMs))
  return list.length === 1 ? list[0] : AbortSignal.any(list)
}
