// Amounts are integer micro-tokens (units). These helpers convert at the edges (CLI, UI) only.
import { MAX_AMOUNT, UNITS_PER_TOKEN } from './constants'
import { InvalidAmountError } from './errors'

const DECIMALS = String(UNITS_PER_TOKEN).length - 1

/** Parses a user-typed token amount ("12", "0.5", "1.000001") into units, exactly (no float maths). */
export function parseTokens (text: string): number {
  const m = /^\s*(\d{1,12})(?:\.(\d{1,6}))?\s*$/.exec(text)
  if (m == null) throw new InvalidAmountError(`"${text}" is not a token amount (up to ${DECIMALS} decimals)`)
  const units = Number(m[1]) * UNITS_PER_TOKEN + Number((m[2] ?? '').padEnd(DECIMALS, '0'))
  if (units > MAX_AMOUNT) throw new InvalidAmountError(`${text} tokens is more than the largest amount`)
  return units
}

/** Units from a whole or fractional token count, for code and tests (`tokens(0.1)` = 100000). */
export function tokens (n: number): number {
  return Math.round(n * UNITS_PER_TOKEN)
}

/** Units → "12.5" (no trailing zeros); negative amounts keep their sign. */
export function formatTokens (units: number): string {
  const sign = units < 0 ? '-' : ''
  const abs = Math.abs(units)
  const whole = Math.floor(abs / UNITS_PER_TOKEN)
  const frac = String(abs % UNITS_PER_TOKEN).padStart(DECIMALS, '0').replace(/0+$/, '')
  return `${sign}${whole}${frac ? '.' + frac : ''}`
}

/** True for a valid non-negative amount in units. */
export function isAmount (units: unknown): units is number {
  return typeof units === 'number' && Number.isSafeInteger(units) && units >= 0 && units <= MAX_AMOUNT
}
