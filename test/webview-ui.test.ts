// The web UI in a real browser (Debian chromium driven by playwright-core) against a 3-node loopback
// mesh of real `continuum node start` daemons: A has the demo catalog, B a small catalog of its own and
// no gossip (so only flood search finds B's adapters from A), C none. The page is A's local page, opened from the URL A prints.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { createRequire } from 'node:module'
import type { Browser, Page, BrowserType } from 'playwright-core'
import { tempDir, waitFor } from './helpers/mesh'

const root = process.env.CONTINUUM_ROOT ?? path.resolve(__dirname, '..', '..')
const bin = path.join(root, 'bin', 'continuum.js')
const artifacts = path.join(root, '.test-artifacts', 'webview-ui')
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
// playwright-core reads its own package.json at load: load it from node_modules, not from the test bundle.
const { chromium } = createRequire(__filename)('playwright-core') as { chromium: BrowserType }

// B's own adapters: a topic the demo catalog does not cover, so a hit for it on A came from B.
const B_CATALOG = [
  {
    id: 'carillon-bell-tuning', name: 'Carillon Bell Tuning', version: '1.0.0',
    description: 'Tunes cast bronze carillon bells: measures the hum, prime, tierce, quint and nominal partials from a recording, and plans how much metal to turn off the inside of each bell so the partials line up.',
    kind: 'lora', baseModel: 'Qwen/Qwen2.5-7B-Instruct', rank: 8, targetModules: ['q_proj', 'v_proj'], license: 'apache-2.0',
    specializations: ['bell-partials', 'carillon', 'tuning-lathe'], capabilities: ['analysis', 'explanation'], domain: 'music/instruments',
    sizeBytes: 20_000_000, contentHash: 'sha256-' + 'ab'.repeat(32), metrics: { downloads: 12, rating: 4.2 }, price: 3
  },
  {
    id: 'church-organ-voicing', name: 'Church Organ Pipe Voicing', version: '0.3.1',
    description: 'Guides the voicing of flue and reed pipes in pipe organs: mouth cut-up, languid nicking, toe-hole size, and regulating a rank so it speaks evenly across the compass.',
    kind: 'lora', baseModel: 'Qwen/Qwen2.5-7B-Instruct', rank: 8, targetModules: ['q_proj', 'v_proj'], license: 'apache-2.0',
    specializations: ['pipe-voicing', 'organ-building'], capabilities: ['explanation'], domain: 'music/instruments',
    sizeBytes: 20_000_000, contentHash: 'sha256-' + 'cd'.repeat(32), metrics: { downloads: 4 }, price: 0
  }
]

interface Daemon { child: ChildProcess, dir: string, output: () => string, stop: () => Promise<number | null> }

function startDaemon (dir: string, ...args: string[]): Daemon {
  let out = ''
  const child = spawn(process.execPath, [bin, '--data-dir', dir, 'node', 'start', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--api-port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout!.on('data', d => { out += String(d) })
  child.stderr!.on('data', d => { out += String(d) })
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
  return { child, dir, output: () => out, stop: async () => { if (child.exitCode === null) child.kill('SIGTERM'); return exited } }
}

function uiUrl (d: Daemon): string {
  const m = /Web UI:\s+(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(d.output())
  if (m === null) throw new Error(`no Web UI line in:\n${d.output()}`)
  return m[1]
}

async function api<T> (d: Daemon, pathname: string): Promise<T> {
  const url = new URL(uiUrl(d))
  const res = await fetch(`${url.origin}${pathname}`, { headers: { authorization: `Bearer ${url.searchParams.get('token')}` } })
  return await res.json() as T
}

async function apiPost<T> (d: Daemon, pathname: string, body: unknown): Promise<T> {
  const url = new URL(uiUrl(d))
  const res = await fetch(`${url.origin}${pathname}`, { method: 'POST', headers: { authorization: `Bearer ${url.searchParams.get('token')}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const json = await res.json() as T
  if (!res.ok) throw new Error(`${pathname}: ${JSON.stringify(json)}`)
  return json
}

function firstTcp (d: Daemon): string {
  const line = d.output().split('\n').find(l => l.includes('Address:') && l.includes('continuum://'))
  if (line === undefined) throw new Error(`no address in:\n${d.output()}`)
  return line.split('Address:')[1].trim()
}

interface Status { connectedPeers: number, catalog: { local: number, remote: number }, features: Record<string, unknown> }

let a: Daemon, b: Daemon, c: Daemon
let d: Daemon | undefined
let bFile: string
let browser: Browser
let page: Page
const consoleProblems: string[] = []

/** Runs a search from the page (typing + Enter) and waits until this search, not an earlier one, has finished. */
async function search (p: Page, text: string): Promise<void> {
  const section = p.locator('section.search')
  const before = Number(await section.getAttribute('data-search') ?? '0')
  const query = p.getByLabel('Describe what you are building')
  await query.fill(text)
  await query.press('Enter')
  await p.locator(`section.search[data-search="${before + 1}"][data-state="done"]`).waitFor({ timeout: 60_000 })
}

async function shot (name: string): Promise<void> {
  await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true })
}

before(async () => {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--if-needed'], { encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
  assert.ok(existsSync(path.join(root, 'dist', 'webview', 'main.js')), 'npm run build produces dist/webview')
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`)
  await mkdir(artifacts, { recursive: true })
  bFile = path.join(await tempDir(), 'b-catalog.jsonl')
  await writeFile(bFile, B_CATALOG.map(e => JSON.stringify(e)).join('\n') + '\n')
  a = startDaemon(await tempDir(), '--sample-catalog')
  await waitFor('node A API', () => a.output().includes('Web UI:'), 60_000)
  // B runs no catalog gossip: its adapters reach A's page only through flood search.
  b = startDaemon(await tempDir(), '--sample-catalog', bFile, '--bootstrap', firstTcp(a), '--no-gossip')
  c = startDaemon(await tempDir(), '--bootstrap', firstTcp(a))
  await waitFor('nodes B and C API', () => b.output().includes('Web UI:') && c.output().includes('Web UI:'), 60_000)
  await waitFor('A connected to B and C', async () => (await api<Status>(a, '/api/status')).connectedPeers === 2, 30_000, 300)
  await waitFor('A imported the demo catalog', async () => (await api<Status>(a, '/api/status')).catalog.local === 320, 180_000, 500)
  await waitFor('B imported its catalog', async () => (await api<Status>(b, '/api/status')).catalog.local === B_CATALOG.length, 60_000, 300)
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' })
  // Report CSP violations with where they come from.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', e => console.error(`CSP violation: ${e.violatedDirective} at ${e.sourceFile}:${e.lineNumber} sample=${e.sample}`))
  })
  page = await context.newPage()
  page.on('console', m => { if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) consoleProblems.push(m.text()) })
  page.on('pageerror', e => consoleProblems.push(`pageerror: ${e.message}`))
  // Loopback only: any request elsewhere fails the run.
  await context.route(u => !/^http:\/\/127\.0\.0\.1:\d+\//.test(u.toString()) && !u.toString().startsWith('data:'), route => {
    consoleProblems.push(`request to a non-loopback address: ${route.request().url()}`)
    void route.abort()
  })
})

after(async () => {
  await browser?.close()
  await Promise.all([a, b, c, d].map(x => x?.stop()))
})

test('the local page opens from the printed URL, hides the token, and searches the demo catalog', async () => {
  const url = uiUrl(a)
  await page.goto(url)
  await page.getByRole('tab', { name: 'Marketplace' }).waitFor()
  assert.ok(!page.url().includes('token='), `the token is removed from the address bar: ${page.url()}`)
  await search(page, 'my promises are never awaited and async callbacks fire in the wrong order')
  assert.match(await page.locator('.search-status').innerText(), /\d+ results · \d+ from this node's catalog .* peers? answered/)
  const names = await page.locator('.result .result-name').allTextContents()
  assert.ok(names.slice(0, 3).includes('Async Debugging'), `Async Debugging ranks in the top 3: ${names.join(', ')}`)
  // Similarity bars, price, rating, downloads and hosts on each result.
  const first = page.locator('.result').first()
  assert.match(await first.locator('[role=meter]').getAttribute('aria-valuenow') ?? '', /^\d+$/)
  assert.match(await first.locator('.result-meta').innerText(), /(tokens?|free)[\s\S]*downloads?[\s\S]*hosts?/)
  await shot('marketplace-results')
})

test('details pane: model card, base model, specializations, CID, providers; install when content runs', async () => {
  await page.locator('.result', { hasText: 'Async Debugging' }).first().click()
  const details = page.locator('section.details')
  await details.waitFor()
  const text = await details.innerText()
  assert.match(text, /Model card/)
  assert.match(text, /Qwen\/Qwen2\.5-Coder-7B-Instruct/)
  assert.match(text, /async-await/)
  assert.match(text, /sha256-c46e53face67ce38006cfcf73788aeb9c0679ec7866a372dc952fade707e1933/)
  assert.equal(await details.locator('.providers li').first().innerText(), 'this node', 'A provides its own demo adapters')
  const status = await api<Status>(a, '/api/status')
  if (status.features.content === undefined) {
    assert.match(text, /Install is not available on this node yet/)
  }
  await shot('marketplace-details')
})

test('a result from another node: B\'s adapter is found from A\'s page by network search (B runs no gossip)', async () => {
  const status = await api<Status>(a, '/api/status')
  assert.ok(status.features.flood !== undefined, 'A runs network search')
  try {
    await waitFor('B\'s adapter reaches A', async () => {
      await search(page, 'tuning the partials of cast bronze carillon bells')
      return (await page.locator('.result', { hasText: 'Carillon Bell Tuning' }).count()) > 0
    }, 120_000, 2000)
  } catch (err) {
    await shot('failure-remote-result')
    const remote = await api<Array<{ id: string }>>(a, '/api/genome/list?location=remote')
    throw new Error(`${(err as Error).message}; A's remote catalog: ${remote.map(r => r.id).join(', ') || 'empty'}; search status: ${await page.locator('.search-status').innerText()}`, { cause: err })
  }
  const hit = page.locator('.result', { hasText: 'Carillon Bell Tuning' }).first()
  assert.equal(await hit.getAttribute('data-location'), 'remote')
  const bStatus = await api<Status>(b, '/api/status')
  assert.equal(bStatus.features.gossip, undefined, 'B runs no gossip: the flood found it')
  await shot('marketplace-remote-result')
})

test('publish on B\'s page, find it from A\'s page, install it into a temp folder and see the files', async () => {
  const status = await api<Status>(a, '/api/status')
  if (status.features.content === undefined) {
    // No content feature on this build: the Publish form is hidden and Install explains why.
    assert.equal(await page.locator('.publish').count(), 0)
    return
  }
  const bPage = await page.context().newPage()
  try {
    await bPage.goto(uiUrl(b))
    await bPage.locator('.publish').click()
    await bPage.getByLabel('Adapter folder (PEFT)').fill(path.join(root, 'data', 'sample-catalog', 'peft', 'viticulture-notes-lora'))
    await bPage.getByRole('button', { name: 'Publish' }).click()
    try {
      await bPage.locator('#publish-progress .ok, #publish-progress .error').first().waitFor({ timeout: 120_000 })
    } catch (err) {
      await bPage.screenshot({ path: path.join(artifacts, 'failure-publish.png'), fullPage: true })
      throw err
    }
    assert.match(await bPage.locator('#publish-progress').innerText(), /Published .* CID \S+/)
    await bPage.screenshot({ path: path.join(artifacts, 'publish.png'), fullPage: true })
  } finally {
    await bPage.close()
  }
  await waitFor('B\'s published adapter reaches A', async () => {
    await search(page, 'notes on vineyard management and grape growing')
    return (await page.locator('.result[data-key*="viticulture-notes-lora"]').count()) > 0
  }, 90_000, 2000)
  await page.locator('.result[data-key*="viticulture-notes-lora"]').first().click()
  const details = page.locator('section.details')
  const folder = await tempDir('continuum-install-')
  await details.getByLabel('Folder to install into').fill(folder)
  await details.getByRole('button', { name: 'Install' }).click()
  await details.locator('#install-progress .ok, #install-progress .error').first().waitFor({ timeout: 90_000 })
  assert.equal(await details.locator('#install-progress .error').count(), 0, await details.locator('#install-progress').innerText())
  const files = (await readdir(folder, { recursive: true })).map(String)
  assert.ok(files.some(f => f.endsWith('adapter_model.safetensors')), `installed files: ${files.join(', ')}`)
  assert.ok(files.some(f => f.endsWith('adapter_config.json')), `installed files: ${files.join(', ')}`)
  await shot('marketplace-installed')
})

test('keyboard: tab order through the search controls, Enter searches, arrow keys move through results', async () => {
  // A fresh load from the bare URL: the token comes from this tab's session storage.
  await page.goto(uiUrl(a).split('?')[0])
  await page.reload()
  await page.getByLabel('Describe what you are building').waitFor()
  await page.locator('body').click({ position: { x: 5, y: 5 } })
  const order: string[] = []
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab')
    order.push(await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null
      return el?.id !== '' && el?.id !== undefined ? el.id : (el?.getAttribute('aria-label') ?? el?.tagName ?? '')
    }))
  }
  const at = (id: string): number => order.indexOf(id)
  for (const id of ['query', 'search-button', 'patience', 'hops']) assert.ok(at(id) >= 0, `${id} is reachable with Tab: ${order.join(' → ')}`)
  assert.ok(at('query') < at('search-button') && at('search-button') < at('patience') && at('patience') < at('hops'), order.join(' → '))
  // Labels on the main controls.
  assert.equal(await page.getByLabel('Hops').count(), 1)
  assert.equal(await page.getByLabel(/Patience/).count(), 1)
  assert.equal(await page.getByRole('button', { name: 'Search' }).count(), 1)
  await page.getByLabel(/Patience/).focus()
  await page.keyboard.press('ArrowRight')
  assert.match(await page.locator('#patience-value').innerText(), /6 s/)

  const before = Number(await page.locator('section.search').getAttribute('data-search'))
  await page.getByLabel('Describe what you are building').fill('')
  await page.getByLabel('Describe what you are building').focus()
  await page.keyboard.type('wine and food pairing for a restaurant menu')
  await page.keyboard.press('Enter')
  await page.locator(`section.search[data-search="${before + 1}"][data-state="done"]`).waitFor({ timeout: 60_000 })
  await page.locator('.result').nth(1).waitFor()
  await page.locator('.result').first().focus()
  await page.keyboard.press('ArrowDown')
  const second = await page.locator('.result').nth(1).getAttribute('data-key')
  assert.equal(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.key), second)
  await page.keyboard.press('Enter')
  await page.locator('section.details').waitFor()
  assert.equal(await page.locator('.result.selected').getAttribute('data-key'), second)
  // Escape closes the details and gives the focus back to the result.
  await page.keyboard.press('Escape')
  await page.locator('section.details').waitFor({ state: 'detached' })
  assert.equal(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.key), second)
})

test('wallet page: balance, earned, spent, reputation, history (or "not available" without the ledger)', async () => {
  await page.getByRole('tab', { name: 'Wallet' }).click()
  const status = await api<Status>(a, '/api/status')
  if (status.features.ledger === undefined) {
    await page.getByText('The wallet is not available yet').waitFor()
  } else {
    await waitFor('A joined the ledger', async () => (await api<{ features: { ledger: { joined: boolean } } }>(a, '/api/status')).features.ledger.joined, 120_000, 1000)
    await page.locator('#refresh-wallet').click()
    const stats = await api<{ balance: number, reputation: number }>(a, '/api/wallet/stats')
    const balance = page.locator('cm-wallet [data-figure="balance"] dd')
    await waitFor('balance shown', async () => (await balance.count()) > 0 && /tokens/.test(await balance.innerText()), 20_000, 200)
    assert.equal((await balance.innerText()).replace(/,/g, ''), `${stats.balance} token${stats.balance === 1 ? '' : 's'}`)
    for (const f of ['earned', 'spent', 'reputation', 'topAdapter']) assert.equal(await page.locator(`cm-wallet [data-figure="${f}"]`).count(), 1, f)
    assert.ok(await page.locator('cm-wallet table.history tbody tr').count() >= 1, 'the join grant is in the history')
  }
  await shot('wallet')
})

test('community page: a peer\'s post arrives, search by meaning, compose, reply, tip, follow and mute', async () => {
  const status = await api<Status>(a, '/api/status')
  assert.ok(status.features.social !== undefined, 'the daemon runs the social layer')
  await waitFor('C joined the ledger', async () => (await api<{ features: { ledger: { joined: boolean } } }>(c, '/api/status')).features.ledger.joined, 120_000, 1000)
  const idC = (await api<{ peerId: string }>(c, '/api/status')).peerId
  const cPost = await apiPost<{ id: string }>(c, '/api/social/post', { text: 'Check out my new bartending LoRA! It mixes classic cocktails and picks the garnish.' })
  await page.getByRole('tab', { name: 'Community' }).click()
  const post = (id: string): ReturnType<Page['locator']> => page.locator(`cm-community li.post[data-post="${id}"]`)
  await waitFor('C\'s post shows on A\'s page', async () => {
    await page.locator('#refresh-feed').click()
    return (await post(cPost.id).count()) === 1
  }, 60_000, 1000)

  // Search by a paraphrase.
  await page.getByLabel('Search posts').fill('an adapter for mixing drinks at a bar')
  await page.getByLabel('Search posts').press('Enter')
  await page.getByRole('heading', { name: /Posts about/ }).waitFor()
  assert.equal(await page.locator('cm-community li.post').first().getAttribute('data-post'), cPost.id)

  // Reply from the page.
  await post(cPost.id).locator('vscode-button.reply').click()
  await page.locator('#compose-text').fill('Does it do a good negroni?')
  await page.locator('#post-button').click()
  await page.locator('#community-notice').getByText('Reply posted').waitFor({ timeout: 20_000 }).catch(async err => {
    await shot('failure-community')
    throw new Error(`no "Reply posted": the page says ${JSON.stringify(await page.locator('cm-community section').innerText())}`, { cause: err })
  })
  await waitFor('C holds the reply', async () => (await api<Array<{ id: string, replies: number }>>(c, '/api/social/feed')).find(p => p.id === cPost.id)?.replies === 1, 30_000, 500)

  // Tip 1 token (the page asks first).
  await page.locator('#refresh-feed').click()
  await post(cPost.id).waitFor()
  await post(cPost.id).locator('vscode-button.tip').click()
  page.once('dialog', d => { void d.accept() })
  await post(cPost.id).locator('vscode-button.send-tip').click()
  await page.locator('#community-notice').getByText(/Tipped 1 token/).waitFor({ timeout: 30_000 })
  assert.match(await post(cPost.id).locator('.tips').innerText(), /1 token tipped/)

  await post(cPost.id).locator('vscode-button.follow').click()
  await page.locator('#community-notice').getByText('Following').waitFor()
  assert.deepEqual((await api<{ follow: string[] }>(a, '/api/social/following')).follow, [idC])
  await shot('community')
  await post(cPost.id).locator('vscode-button.mute').click()
  await page.locator('#community-notice').getByText('Muted').waitFor()
  assert.equal(await page.locator(`cm-community li.post[data-author="${idC}"]`).count(), 0, 'a muted peer\'s posts are hidden')
  await apiPost(a, '/api/social/mute', { peer: idC, on: false })
})

test('services page: a listing from another node shows in the table, and a type filter hides it', async () => {
  const cId = (await api<{ peerId: string }>(c, '/api/status')).peerId
  // C offers embeddings for free; the listing reaches A by the market's gossip.
  await apiPost(c, '/api/compute/provider', { backend: 'embeddings', pricePerRequest: 0 })
  await waitFor('A sees C\'s listing', async () => (await api<{ listings: Array<{ provider: string }> }>(a, '/api/market/listings')).listings.some(l => l.provider === cId), 60_000, 500)
  await page.getByRole('tab', { name: 'Services' }).click()
  const row = page.locator(`cm-services #service-listings tr[data-provider="${cId}"]`)
  await row.first().waitFor({ timeout: 20_000 }).catch(async err => {
    await shot('failure-services')
    throw new Error(`no listing from C: the page says ${JSON.stringify(await page.locator('cm-services section').innerText())}`, { cause: err })
  })
  assert.match(await row.first().innerText(), /inference/)
  // A filter the listing does not match hides it.
  await page.locator('#svc-type').fill('storage')
  await page.locator('#apply-service-filters').click()
  await page.locator(`cm-services #service-listings tr[data-provider="${cId}"]`).waitFor({ state: 'detached', timeout: 10_000 })
  await page.locator('#svc-type').fill('')
  await page.locator('#apply-service-filters').click()
  await row.first().waitFor({ timeout: 10_000 })
  await shot('services')
})

test('storage page: a file put from the page shows with its host\'s replica, and B lists it as hosted', async () => {
  const bId = (await api<{ peerId: string }>(b, '/api/status')).peerId
  await apiPost(b, '/api/storage/offer', { capacityMb: 10, pricePerMbDay: 0 })
  await waitFor('A sees B\'s storage offer', async () => (await api<{ listings: Array<{ provider: string }> }>(a, '/api/market/listings?type=storage')).listings.some(l => l.provider === bId), 60_000, 500)
  const file = path.join(await tempDir(), 'notes.txt')
  await writeFile(file, 'bell partials: hum, prime, tierce, quint, nominal\n'.repeat(200))
  await page.getByRole('tab', { name: 'Storage' }).click()
  await page.locator('#storage-path').fill(file)
  await page.locator('#storage-replicas').fill('1')
  await page.locator('#storage-put').click()
  await page.locator('#storage-notice').getByText(/Stored notes\.txt as /).waitFor({ timeout: 60_000 }).catch(async err => {
    await shot('failure-storage')
    throw new Error(`no "Stored": the page says ${JSON.stringify(await page.locator('cm-storage section').innerText())}`, { cause: err })
  })
  const row = page.locator('cm-storage #stored-files tr').filter({ hasText: 'notes.txt' })
  await row.waitFor()
  assert.match(await row.innerText(), new RegExp(bId.slice(-6)), 'the replica names its host')
  const hosted = await api<{ hosting: Array<{ cid: string }> }>(b, '/api/storage/list')
  assert.equal(hosted.hosting.length, 1, 'B hosts the file')
  assert.equal(await row.getAttribute('data-cid'), hosted.hosting[0].cid)
  await shot('storage')
})

test('mesh page: 2 peers, a drawn topology graph, live update when a peer leaves; dark theme', async () => {
  await page.getByRole('tab', { name: 'Mesh' }).click()
  const peers = page.locator('[data-figure="Peers"] dd')
  await waitFor('Peers figure shows 2', async () => (await peers.innerText()) === '2', 15_000, 200)
  const graph = page.locator('#topology-graph')
  await waitFor('graph drawn with A, B and C', async () => Number(await graph.getAttribute('data-nodes')) >= 3, 20_000, 200)
  assert.ok(Number(await graph.getAttribute('data-edges')) >= 2)
  const painted = await graph.evaluate(el => Array.from(el.querySelectorAll('canvas')).some(c => {
    const data = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? []
    for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true
    return false
  }))
  assert.ok(painted, 'cytoscape painted the graph onto its canvas')
  assert.match(await graph.getAttribute('aria-label') ?? '', /3 nodes/)
  assert.equal(await page.locator('table.peers tbody tr').count(), 2)
  await shot('mesh')

  // Live: C leaves; the page hears it over the event stream (no reload) and shows 1 peer.
  await c.stop()
  await waitFor('Peers figure shows 1 after C stops', async () => (await peers.innerText()) === '1', 20_000, 200)
  await page.getByText(/Disconnected from/).first().waitFor()

  await page.locator('#theme-toggle').click()
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark')
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor)
  assert.equal(bg, 'rgb(31, 31, 31)')
  await shot('mesh-dark')
  await page.getByRole('tab', { name: 'Marketplace' }).click()
  await shot('marketplace-dark')
})

test('when the node goes away the page shows a readable message, not a blank page', async () => {
  await a.stop()
  const banner = page.locator('#connection-banner')
  await banner.waitFor({ timeout: 20_000 })
  assert.match(await banner.innerText(), /Cannot reach the node|Lost the connection/)
  assert.ok((await page.locator('cm-app').innerText()).length > 50, 'the page keeps its content')
  await shot('node-gone')
})

test('a restarted node keeps its token: the open page reconnects by itself', async () => {
  const port = new URL(uiUrl(a)).port
  const oldUrl = uiUrl(a)
  a = startDaemon(a.dir, '--sample-catalog', '--api-port', port)
  await waitFor('node A back', () => a.output().includes('Web UI:'), 60_000)
  assert.equal(uiUrl(a), oldUrl, 'the same URL and token after a restart')
  // No reload: the event stream reconnects and the connection banner goes away.
  await waitFor('the page reconnects', async () => await page.locator('#connection-banner').count() === 0, 60_000, 300)
  await shot('node-restarted')
  await page.getByRole('tab', { name: 'Mesh' }).click()
  await page.locator('[data-figure="Peers"] dd').waitFor()
})

test('a node with no peers says so and still shows its own results', async () => {
  d = startDaemon(await tempDir(), '--sample-catalog', bFile)
  await waitFor('node D API', () => d!.output().includes('Web UI:'), 60_000)
  await waitFor('D imported its catalog', async () => (await api<Status>(d!, '/api/status')).catalog.local === B_CATALOG.length, 60_000, 300)
  await page.goto(uiUrl(d))
  await search(page, 'tuning church bells and organ pipes')
  assert.match(await page.locator('.search-status').innerText(), /No peers are connected: these results come from this node's own catalog/)
  assert.equal(await page.locator('.result').count(), B_CATALOG.length)
  assert.equal(await page.locator('.conn').innerText(), '0 peers')
  await shot('no-peers')
})

test('peer text is text: markdown, HTML and links in a manifest stay literal in the results and the details pane', async () => {
  // What a hostile publisher can sign: a tracking image, raw HTML with a handler, a command link.
  const hostile = '![x](http://127.0.0.1:1/track.png) <img src=x onerror="document.title=\'pwned\'"> [click](command:evil) <a href="javascript:alert(1)">js</a>'
  const file = path.join(await tempDir(), 'hostile.jsonl')
  await writeFile(file, JSON.stringify({ ...B_CATALOG[0], id: 'hostile-harpsichord', name: 'Harpsichord <b>Quill</b> **Voicing**', description: `Voices harpsichord quills and delrin plectra. ${hostile}`, specializations: ['<i>quill</i>'], contentHash: 'sha256-' + 'ef'.repeat(32) }) + '\n')
  const r = spawnSync(process.execPath, [bin, '--data-dir', d!.dir, 'genome', 'import', file], { encoding: 'utf8', timeout: 60_000 })
  assert.equal(r.status, 0, r.stderr)
  await search(page, 'voicing harpsichord quills and delrin plectra')
  const hit = page.locator('.result', { hasText: 'Harpsichord' }).first()
  await hit.waitFor()
  assert.match(await hit.innerText(), /Harpsichord <b>Quill<\/b> \*\*Voicing\*\*/, 'the name as written, no markup')
  assert.ok((await hit.locator('.result-desc').innerText()).includes(hostile), 'the description as written')
  await hit.click()
  const details = page.locator('section.details')
  await details.waitFor()
  assert.equal(await details.locator('.model-card').innerText(), `Voices harpsichord quills and delrin plectra. ${hostile}`)
  assert.equal(await details.locator('.model-card *').count(), 0, 'the model card holds text only, no elements')
  for (const where of [details, hit]) {
    assert.equal(await where.locator('img, b, a[href^="javascript:"], a[href^="command:"], a[href^="http:"]').count(), 0, 'no element came from peer text')
  }
  assert.notEqual(await page.title(), 'pwned', 'no handler ran')
  await shot('peer-text-literal')
})

test('no console errors, CSP violations or non-loopback requests', () => {
  // Errors from the last test (the node was stopped on purpose) are expected network failures.
  const unexpected = consoleProblems.filter(m => !/Failed to load resource|ERR_CONNECTION_REFUSED|net::/i.test(m))
  assert.deepEqual(unexpected, [])
})
