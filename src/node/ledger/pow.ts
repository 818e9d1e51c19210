// Join proof-of-work: find a nonce so that sha256(domain | account | time | nonce) starts with
// `difficulty` zero bits. Solving costs ~2^difficulty hashes; checking costs one.
// The join time is inside the preimage, so it cannot be changed after solving without solving again.
import { hash } from 'node:crypto'
import { POW_DOMAIN } from './constants'
import type { AbortOptions } from '../util/abort'

export interface JoinPow {
  /** The join time claimed by the account (ms since epoch), bound into the puzzle. */
  time: number
  /** Hex nonce that solves the puzzle. */
  nonce: string
  /** Leading zero bits the solution has been made for (at least the network minimum). */
  difficulty: number
}

export interface SolveJoinPowOptions extends AbortOptions {
  /** Join time to bind into the puzzle. @default Date.now() */
  time?: number
  /** Called about every 2^16 attempts with the number of attempts so far. */
  onProgress?: (attempts: number) => void
}

/** Hashes tried per event-loop turn: small enough that abort and other work get a chance every few ms. */
const BATCH = 1 << 14

function preimagePrefix (account: string, time: number): string {
  return `${POW_DOMAIN}|${account}|${time}|`
}

/** Number of leading zero bits of a digest. */
export function leadingZeroBits (digest: Uint8Array): number {
  let bits = 0
  for (const byte of digest) {
    if (byte === 0) { bits += 8; continue }
    return bits + Math.clz32(byte) - 24
  }
  return bits
}

/** The digest a join PoW is judged by. */
export function joinPowDigest (account: string, pow: Pick<JoinPow, 'time' | 'nonce'>): Buffer {
  return hash('sha256', preimagePrefix(account, pow.time) + pow.nonce, 'buffer')
}

/**
 * True when `pow` solves the join puzzle for `account` at its declared difficulty, and that difficulty is
 * at least `minDifficulty` (the network parameter). One sha-256: a few microseconds.
 */
export function verifyJoinPow (account: string, pow: JoinPow, minDifficulty: number): boolean {
  if (!Number.isSafeInteger(pow.difficulty) || pow.difficulty < minDifficulty || pow.difficulty > 256) return false
  if (!/^[0-9a-f]{1,32}$/.test(pow.nonce)) return false
  return leadingZeroBits(joinPowDigest(account, pow)) >= pow.difficulty
}

/**
 * Solves the join puzzle. Runs in slices so the event loop stays responsive and `signal` can abort it
 * (rejects with the signal's reason). Expected cost: 2^difficultyBits hashes (geometric distribution).
 */
export async function solveJoinPow (account: string, difficultyBits: number, options: SolveJoinPowOptions = {}): Promise<JoinPow & { attempts: number }> {
  if (!Number.isSafeInteger(difficultyBits) || difficultyBits < 0 || difficultyBits > 64) throw new RangeError(`difficulty must be 0-64 bits, got ${difficultyBits}`)
  const time = options.time ?? Date.now()
  // One-shot crypto.hash measured faster here than copying a pre-fed Hash state (short input).
  const prefix = preimagePrefix(account, time)
  let attempts = 0
  for (;;) {
    options.signal?.throwIfAborted()
    for (let i = 0; i < BATCH; i++) {
      const nonce = attempts.toString(16)
      attempts++
      const digest = hash('sha256', prefix + nonce, 'buffer')
      if (leadingZeroBits(digest) >= difficultyBits) return { time, nonce, difficulty: difficultyBits, attempts }
    }
    if (options.onProgress != null && attempts % (1 << 16) === 0) options.onProgress(attempts)
    await new Promise<void>(resolve => setImmediate(resolve))
  }
}
