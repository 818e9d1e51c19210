// Forwards the node's log records to the "Continuum" LogOutputChannel, so the user picks the level with
// "Developer: Set Log Level…" and every error notification can point at it.
import type * as vscode from 'vscode'
import type { LogRecord } from '../node'

export function logToChannel (channel: vscode.LogOutputChannel): (record: LogRecord) => void {
  return record => {
    const area = record.component.replace(/^node:?/, '')
    const line = area === '' ? record.message : `[${area}] ${record.message}`
    switch (record.level) {
      case 'debug': channel.debug(line); break
      case 'info': channel.info(line); break
      case 'warn': channel.warn(line); break
      case 'error': channel.error(line); break
    }
  }
}
