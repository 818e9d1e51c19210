// Host-side helpers for the VS Code webview (used by marketplace-panel.ts, never by the page):
// the panel's HTML with its strict CSP and nonce, and validation of every message the page sends.
// No `vscode` import, so plain Node tests can call them.
import { z } from 'zod'
import type { WebviewMessage } from '../../../webview-ui/src/protocol'

/** The bundle folder inside the extension (the panel's only local resource root). */
export const WEBVIEW_BUNDLE_DIR = ['dist', 'webview'] as const

/** 128 random bits, base64: a fresh one for every HTML render. */
export function createNonce (): string {
  const bytes = new Uint8Array(16)
  globalThis.crypto.getRandomValues(bytes)
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return btoa(s)
}

function escapeAttr (s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

export interface WebviewHtmlInit {
  /** `webview.cspSource`. */
  cspSource: string
  /** `webview.asWebviewUri(…/dist/webview/main.js)` as a string. */
  scriptUri: string
  styleUri: string
  nonce: string
}

/** `default-src 'none'`; scripts only with the nonce; styles, fonts and images only from the extension. */
export function webviewCsp (cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    "base-uri 'none'",
    "form-action 'none'"
  ].join('; ')
}

export function webviewHtml (init: WebviewHtmlInit): string {
  if (!/^[A-Za-z0-9+/=]{16,}$/.test(init.nonce)) throw new Error('nonce must be at least 16 base64 characters')
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta http-equiv="Content-Security-Policy" content="${escapeAttr(webviewCsp(init.cspSource, init.nonce))}">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Continuum Marketplace</title>
  <link rel="stylesheet" href="${escapeAttr(init.styleUri)}">
</head>
<body>
  <main id="app"><p>Loading Continuum Mesh…</p></main>
  <script type="module" nonce="${init.nonce}" src="${escapeAttr(init.scriptUri)}"></script>
</body>
</html>
`
}

const id = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)
const SearchParams = z.strictObject({
  query: z.string().max(10_000),
  network: z.boolean(),
  timeoutMs: z.number().int().min(1_000).max(30_000),
  hops: z.number().int().min(1).max(10),
  k: z.number().int().min(1).max(100).optional()
})
const InstallParams = z.strictObject({ ref: z.string().min(1).max(300), folder: z.string().min(1).max(4096).optional(), maxPrice: z.number().min(0).max(1e9).optional() })
const PublishParams = z.strictObject({ path: z.string().min(1).max(4096), price: z.number().int().min(0).max(1e9).optional() })

const Simple = z.strictObject({ type: z.literal('request'), id, method: z.enum(['status', 'peers', 'topology', 'wallet', 'pickFolder']) })
const BY_METHOD: Record<string, z.ZodType> = {
  status: Simple,
  peers: Simple,
  topology: Simple,
  wallet: Simple,
  pickFolder: Simple,
  search: z.strictObject({ type: z.literal('request'), id, method: z.literal('search'), params: SearchParams }),
  install: z.strictObject({ type: z.literal('request'), id, method: z.literal('install'), params: InstallParams }),
  publish: z.strictObject({ type: z.literal('request'), id, method: z.literal('publish'), params: PublishParams })
}
const Ready = z.strictObject({ type: z.literal('ready') })
const Cancel = z.strictObject({ type: z.literal('cancel'), id })

/** A checked message from the page, or the reason it was refused (the page is untrusted input). */
export function parseWebviewMessage (raw: unknown): { ok: true, message: WebviewMessage } | { ok: false, error: string, id?: number } {
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as { type?: unknown, id?: unknown, method?: unknown }
  const msgId = typeof r.id === 'number' && Number.isSafeInteger(r.id) ? r.id : undefined
  let schema: z.ZodType | undefined
  if (r.type === 'ready') schema = Ready
  else if (r.type === 'cancel') schema = Cancel
  else if (r.type === 'request' && typeof r.method === 'string' && Object.hasOwn(BY_METHOD, r.method)) schema = BY_METHOD[r.method]
  if (schema === undefined) return { ok: false, error: 'Refused a message from the page: unknown type or method', ...(msgId !== undefined ? { id: msgId } : {}) }
  const parsed = schema.safeParse(raw)
  if (parsed.success) return { ok: true, message: parsed.data as WebviewMessage }
  const issue = parsed.error.issues[0]
  return { ok: false, error: `Refused a message from the page: ${issue?.path.join('.') || 'message'}: ${issue?.message ?? 'invalid'}`, ...(msgId !== undefined ? { id: msgId } : {}) }
}
