// A small leveled logger that the CLI prints, the extension forwards to its LogOutputChannel,
// and tests silence. Components get a prefixed child, like libp2p's forComponent.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
export interface LogRecord { time: number, level: LogLevel, component: string, message: string }
export type LogSink = (record: LogRecord) => void

export interface Logger {
  debug(message: string): void
  info(message: string): void
  warn(message: string): void
  error(message: string): void
  child(component: string): Logger
}

export function createLogger (sink: LogSink = () => {}, component = 'node'): Logger {
  const emit = (level: LogLevel) => (message: string): void => sink({ time: Date.now(), level, component, message })
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (sub: string) => createLogger(sink, `${component}:${sub}`)
  }
}

/** Formats a record as one readable console line: `12:03:04 info  [bootstrap] Found 2 peers`. */
export function formatLogRecord (r: LogRecord): string {
  const t = new Date(r.time).toISOString().slice(11, 19)
  const comp = r.component.replace(/^node:?/, '')
  return `${t} ${r.level.padEnd(5)} ${comp ? `[${comp}] ` : ''}${r.message}`
}

export function errorMessage (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
