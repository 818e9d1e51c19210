// Content routes of the local API (adapter files: publish, install, installed, remove, export, DHT
// topics), over the facade's `node.content`. Long operations stream NDJSON records:
// `{type:'progress', …}` then `{type:'done', …}` (or `{type:'error', error}` from the server).
import { z } from 'zod'
import type { ContentApi, InstallProgress, PublishProgress } from '../../content/api'
import { publisherSchema } from '../../manifest'
import { BadRequestError } from '../errors'
import type { RouteRegistry } from '../router'

const PublishBody = z.object({ path: z.string().min(1).max(4096), price: z.number().int().min(0).max(1e9).optional() }).strict()
// maxPrice: the price (tokens) the user accepted; a priced adapter above it is neither installed nor charged.
const InstallBody = z.object({
  ref: z.string().min(1).max(300).optional(),
  project: z.string().min(1).max(4096),
  seed: z.boolean().optional(),
  maxPrice: z.number().min(0).max(1e9).optional(),
  publisher: publisherSchema.optional()
}).strict()
const RemoveBody = z.object({ name: z.string().min(1).max(300), project: z.string().min(1).max(4096) }).strict()
const ExportBody = z.object({ cid: z.string().min(1).max(300), path: z.string().min(1).max(4096) }).strict()

/** Throttles progress records to ~4 per second (the last one always goes out). */
function throttled<T> (write: (r: unknown) => void, type = 'progress'): (p: T, force?: boolean) => void {
  let last = 0
  return (p, force = false) => {
    const now = Date.now()
    if (!force && now - last < 250) return
    last = now
    write({ type, ...p })
  }
}

export function registerContentRoutes (api: RouteRegistry, content: ContentApi): void {
  api.stream('POST', '/api/genome/publish', async (req, write) => {
    const body = await req.body(PublishBody)
    const progress = throttled<PublishProgress>(write)
    const r = await content.publish(body.path, { price: body.price, signal: req.signal, onProgress: p => progress(p, p.stage !== 'storing') })
    write({ type: 'done', cid: r.cid, cidV0: r.cidV0, size: r.size, sha256: r.sha256, provided: r.provided, id: r.manifest.id, name: r.manifest.name, version: r.manifest.version, price: r.manifest.price, publisher: r.manifest.publisher })
  })
  // Without `ref`: install everything the project's lockfile pins.
  api.stream('POST', '/api/genome/install', async (req, write) => {
    const body = await req.body(InstallBody)
    const progress = throttled<InstallProgress>(write)
    const onProgress = (p: InstallProgress): void => progress(p, p.stage === 'done' || p.stage === 'resolving')
    if (body.ref === undefined) {
      const results = await content.installFromLockfile(body.project, { signal: req.signal, onProgress, seed: body.seed, maxPrice: body.maxPrice })
      write({ type: 'done', results })
      return
    }
    const r = await content.install(body.ref, { project: body.project, signal: req.signal, onProgress, seed: body.seed, maxPrice: body.maxPrice, publisher: body.publisher })
    write({ type: 'done', results: [r] })
  })
  api.route('GET', '/api/genome/installed', async req => {
    const project = req.url.searchParams.get('project')
    if (project === null || project === '') throw new BadRequestError('project is required: /api/genome/installed?project=<dir>')
    return content.listInstalled(project)
  })
  api.route('POST', '/api/genome/remove', async req => {
    const body = await req.body(RemoveBody)
    return content.remove(body.name, { project: body.project })
  })
  api.route('POST', '/api/genome/export', async req => {
    const body = await req.body(ExportBody)
    return content.exportBundle(body.cid, body.path, { signal: req.signal })
  })
  api.route('GET', '/api/dht/stats', () => content.dhtStats())
  api.route('GET', '/api/dht/find-topic', async req => {
    const tag = req.url.searchParams.get('tag')
    if (tag === null || tag.trim() === '') throw new BadRequestError('tag is required: /api/dht/find-topic?tag=<specialization>')
    return content.findTopic(tag, { signal: req.signal })
  })
}
