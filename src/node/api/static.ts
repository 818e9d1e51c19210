// Serves the web UI bundle (dist/webview) on the local API's non-/api paths, so the headless node's
// page at http://127.0.0.1:<port>/?token=… is the same UI as the VS Code webview. The files are public
// code (no token needed to load them); every /api call the page makes carries the token.
import { existsSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import type http from 'node:http'

export const WEBVIEW_DIR = path.join('dist', 'webview')

/** The page's own CSP: only this origin, nothing remote, no inline script. */
export const LOCAL_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join('; ')

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon'
}

/** The built web UI folder, found next to the running bundle or by walking up to the repo's dist/webview. */
export function findWebviewDir (from: string): string | undefined {
  const beside = path.join(from, 'webview')
  if (existsSync(path.join(beside, 'index.html'))) return beside
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, WEBVIEW_DIR)
    if (existsSync(path.join(candidate, 'index.html'))) return candidate
    if (path.dirname(dir) === dir) return undefined
  }
}

export interface StaticHandlerInit {
  /** The built bundle folder; when missing, `/` explains how to build it. */
  dir: string | undefined
}

export function createStaticHandler (init: StaticHandlerInit): (req: http.IncomingMessage, res: http.ServerResponse) => boolean {
  const root = init.dir === undefined ? undefined : path.resolve(init.dir)
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    if (root === undefined) {
      if (url.pathname !== '/') return false
      send(res, req, 503, 'text/plain; charset=utf-8', Buffer.from('The web UI is not built: run `npm run build` in the Continuum repository, then reload.\n'))
      return true
    }
    let rel: string
    try {
      rel = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname)
    } catch {
      return false
    }
    // Only plain file names inside the bundle folder: no traversal, no dot files, no directories.
    const file = path.resolve(root, '.' + path.posix.normalize(rel))
    if (!file.startsWith(root + path.sep) || rel.includes('\0') || path.basename(file).startsWith('.')) return false
    const type = TYPES[path.extname(file)]
    if (type === undefined) return false
    let body: Buffer
    try {
      if (!statSync(file).isFile()) return false
      body = readFileSync(file)
    } catch {
      return false
    }
    send(res, req, 200, type, body)
    return true
  }
}

function send (res: http.ServerResponse, req: http.IncomingMessage, status: number, type: string, body: Buffer): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': body.length,
    'cache-control': 'no-cache',
    'content-security-policy': LOCAL_PAGE_CSP,
    'x-content-type-options': 'nosniff',
    // The page's URL carries the API token: never send it anywhere as a referrer.
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin'
  })
  res.end(req.method === 'HEAD' ? undefined : body)
}
