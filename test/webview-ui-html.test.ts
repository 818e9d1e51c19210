// The VS Code webview's HTML (CSP + nonce), the validation of messages from the page, and the local
// page's static file serving — plain Node, no VS Code host and no browser.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import { createNonce, parseWebviewMessage, webviewHtml } from '../src/extension/webview/host'
import { createStaticHandler, LOCAL_PAGE_CSP } from '../src/node/api/static'
import { tempDir } from './helpers/mesh'

const CSP_SOURCE = 'https://file+.vscode-resource.vscode-cdn.net'

function render (nonce = createNonce()): { html: string, nonce: string, csp: string } {
  const html = webviewHtml({
    cspSource: CSP_SOURCE,
    scriptUri: `${CSP_SOURCE}/ext/dist/webview/main.js`,
    styleUri: `${CSP_SOURCE}/ext/dist/webview/main.css`,
    nonce
  })
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1]
  assert.ok(csp !== undefined, 'the HTML carries a CSP meta tag')
  return { html, nonce, csp: csp.replace(/&#39;|&apos;/g, "'") }
}

test('webview HTML: default-src none, scripts only with this render\'s nonce, styles and fonts from the extension only', () => {
  const { html, nonce, csp } = render()
  const directives = new Map(csp.split(';').map(d => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]))
  assert.deepEqual(directives.get('default-src'), ["'none'"])
  assert.deepEqual(directives.get('script-src'), [`'nonce-${nonce}'`])
  assert.deepEqual(directives.get('style-src'), [CSP_SOURCE])
  assert.deepEqual(directives.get('font-src'), [CSP_SOURCE])
  assert.ok(!csp.includes('unsafe-inline') && !csp.includes('unsafe-eval') && !csp.includes('*'), csp)
  // Every script tag carries the nonce; there is no inline script or style and no remote origin.
  const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map(m => m[0])
  assert.equal(scripts.length, 1)
  for (const s of scripts) assert.ok(s.includes(`nonce="${nonce}"`) && s.includes('src="'), s)
  assert.doesNotMatch(html, /<script\b[^>]*>[^<\s]/, 'no inline script body')
  assert.doesNotMatch(html, /<style\b|\sstyle="/, 'no inline styles')
  const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map(m => m[1])
  assert.ok(urls.every(u => u.startsWith(CSP_SOURCE)), urls.join(', '))
})

test('a fresh nonce for every render; a malformed nonce is refused', () => {
  const nonces = new Set(Array.from({ length: 50 }, () => createNonce()))
  assert.equal(nonces.size, 50)
  for (const n of nonces) assert.ok(Buffer.from(n, 'base64').length >= 16, 'at least 128 bits')
  assert.notEqual(render().nonce, render().nonce)
  assert.throws(() => render('abc" onload="x'), /nonce/)
})

test('messages from the page are validated before they reach the node', () => {
  const ok = (m: unknown): void => assert.equal(parseWebviewMessage(m).ok, true, JSON.stringify(m))
  const bad = (m: unknown, re: RegExp): void => {
    const r = parseWebviewMessage(m)
    assert.equal(r.ok, false, JSON.stringify(m))
    if (!r.ok) assert.match(r.error, re)
  }
  ok({ type: 'ready' })
  ok({ type: 'cancel', id: 3 })
  ok({ type: 'request', id: 1, method: 'status' })
  ok({ type: 'request', id: 2, method: 'search', params: { query: 'wine', network: true, timeoutMs: 5000, hops: 3, k: 30 } })
  ok({ type: 'request', id: 4, method: 'install', params: { ref: 'viticulture-notes-lora' } })
  // The price the user accepted on the install button travels with the request (the panel confirms it again).
  ok({ type: 'request', id: 4, method: 'install', params: { ref: '12D3KooWGRUVh9MzMdFRmrEhkZVZCLy3nkJzWPf4ZrCMN4xhSJpS/paid@1.0.0', maxPrice: 42 } })
  ok({ type: 'request', id: 5, method: 'publish', params: { path: '/tmp/adapter', price: 2 } })
  ok({ type: 'request', id: 6, method: 'pickFolder' })
  bad({ type: 'request', id: 6, method: 'pickFolder', params: { path: '/etc' } }, /Unrecognized key/)
  bad({ type: 'request', id: 1, method: 'exec' }, /unknown type or method/)
  bad({ type: 'request', id: 1, method: '__proto__' }, /unknown type or method/)
  bad('not an object', /unknown type or method/)
  bad(null, /unknown type or method/)
  bad({ type: 'request', id: 2, method: 'search', params: { query: 'wine', network: true, timeoutMs: 60_000, hops: 3 } }, /params\.timeoutMs/)
  bad({ type: 'request', id: 2, method: 'search', params: { query: 'x'.repeat(10_001), network: true, timeoutMs: 5000, hops: 3 } }, /params\.query/)
  bad({ type: 'request', id: 2, method: 'status', extra: 1 }, /Unrecognized key/)
  bad({ type: 'request', id: -1, method: 'status' }, /id/)
  bad({ type: 'request', id: 4, method: 'install', params: { ref: 'x', folder: '/etc', evil: true } }, /Unrecognized key/)
  bad({ type: 'request', id: 4, method: 'install', params: { ref: 'x', maxPrice: -1 } }, /maxPrice/)
  bad({ type: 'request', id: 5, method: 'publish', params: { path: '/tmp/a', price: -1 } }, /params\.price/)
  // A refused request still names its id, so the page can show the error instead of waiting forever.
  const r = parseWebviewMessage({ type: 'request', id: 9, method: 'search', params: {} })
  assert.equal(r.ok, false)
  if (!r.ok) assert.equal(r.id, 9)
})

test('local page: serves the bundle with a strict CSP and no referrer; nothing outside the folder', async () => {
  const root = await tempDir()
  const dir = path.join(root, 'webview')
  await mkdir(dir)
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>t</title>')
  await writeFile(path.join(dir, 'main.js'), 'export {}')
  await writeFile(path.join(dir, '.secret.js'), 'no')
  await writeFile(path.join(root, 'outside.js'), 'no')
  const handler = createStaticHandler({ dir })
  const server = http.createServer((req, res) => { if (!handler(req, res)) { res.writeHead(404); res.end() } })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const get = (p: string): Promise<{ status: number, headers: http.IncomingHttpHeaders, body: string }> => new Promise((resolve, reject) => {
    http.get(base + p, res => {
      let body = ''
      res.on('data', d => { body += String(d) })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    }).on('error', reject)
  })
  try {
    const index = await get('/?token=abc')
    assert.equal(index.status, 200)
    assert.match(String(index.headers['content-type']), /text\/html/)
    assert.equal(index.headers['content-security-policy'], LOCAL_PAGE_CSP)
    assert.match(LOCAL_PAGE_CSP, /default-src 'none'/)
    assert.doesNotMatch(LOCAL_PAGE_CSP, /unsafe-inline|https?:/)
    assert.equal(index.headers['referrer-policy'], 'no-referrer', 'the token in the URL never leaks as a referrer')
    assert.equal(index.headers['x-content-type-options'], 'nosniff')
    assert.equal((await get('/main.js')).status, 200)
    for (const p of ['/../outside.js', '/%2e%2e/outside.js', '/..%2foutside.js', '/.secret.js', '/nothing.js', '/main.js%00.html']) {
      assert.equal((await get(p)).status, 404, p)
    }
  } finally {
    server.close()
  }
  // Without a built bundle, / says how to build it.
  const missing = createStaticHandler({ dir: undefined })
  const server2 = http.createServer((req, res) => { if (!missing(req, res)) { res.writeHead(404); res.end() } })
  await new Promise<void>(resolve => server2.listen(0, '127.0.0.1', resolve))
  try {
    const r = await new Promise<{ status: number, body: string }>((resolve, reject) => {
      http.get(`http://127.0.0.1:${(server2.address() as AddressInfo).port}/`, res => {
        let body = ''
        res.on('data', d => { body += String(d) })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      }).on('error', reject)
    })
    assert.equal(r.status, 503)
    assert.match(r.body, /npm run build/)
  } finally {
    server2.close()
  }
})
