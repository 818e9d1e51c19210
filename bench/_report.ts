// One way to print benchmark figures: a table for people, or with --json one JSON line per figure
// ({"bench","case","system","metric","value","unit"}) for tools.

export interface BenchFigure {
  bench: string
  case: string
  system: string
  metric: string
  value: number
  unit: string
}

export const jsonOutput = process.argv.includes('--json')

export class BenchReport {
  readonly figures: BenchFigure[] = []
  constructor (readonly bench: string) {}

  add (figure: Omit<BenchFigure, 'bench'>): void {
    const full = { bench: this.bench, ...figure }
    this.figures.push(full)
    if (jsonOutput) process.stdout.write(JSON.stringify(full) + '\n')
  }

  /** Prints the table of all figures (nothing in --json mode, where lines were printed as they came). */
  print (): void {
    if (jsonOutput) return
    const rows = this.figures.map(f => [f.case, f.system, f.metric, formatValue(f.value), f.unit])
    const header = ['case', 'system', 'metric', 'value', 'unit']
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)))
    const line = (cells: string[]): string => '| ' + cells.map((c, i) => i === 3 ? c.padStart(widths[i]) : c.padEnd(widths[i])).join(' | ') + ' |'
    console.log(`\n## ${this.bench}\n`)
    console.log(line(header))
    console.log('|' + widths.map((w, i) => i === 3 ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2)).join('|') + '|')
    for (const r of rows) console.log(line(r))
  }
}

/** Progress for people; silent in --json mode so stdout stays machine-readable. */
export function note (message: string): void {
  if (!jsonOutput) process.stderr.write(message + '\n')
}

function formatValue (v: number): string {
  if (Number.isInteger(v)) return String(v)
  const abs = Math.abs(v)
  return abs >= 100 ? v.toFixed(1) : abs >= 1 ? v.toFixed(2) : v.toPrecision(3)
}

/** Percentile (0-100) of a list of numbers, nearest-rank. */
export function percentile (values: number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]
}
