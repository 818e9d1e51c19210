// Social routes of the local API (the CLI's `social` and `genome rate`, the Community page), thin calls of
// the node's social layer (`node.social`). A node without it has no social routes (404). Tip amounts on
// the wire are tokens; the ledger counts integer units.
import { z } from 'zod'
import { parseTokens } from '../../ledger'
import type { PostView, SocialApi } from '../../social'
import { isSocialUserError } from '../../social/errors'
import { isUserFacing } from '../../economy/errors'
import type { RouteRegistry } from '../router'
import { BadRequestError } from '../errors'
import { toTokens } from './wallet'

const PostId = z.string().regex(/^[0-9a-f]{64}$/, 'not a post id (64 hex digits)')
const Peer = z.string().min(1).max(128)
const PostBody = z.strictObject({
  text: z.string().min(1).max(4_000),
  adapters: z.array(z.string().min(1).max(300)).max(4).optional(),
  replyTo: PostId.optional()
})
const SearchBody = z.strictObject({ query: z.string().min(1).max(1_000), limit: z.int().min(1).max(100).optional() })
const TipBody = z.strictObject({ post: PostId, amount: z.union([z.number().positive(), z.string().min(1).max(32)]), message: z.string().max(200).optional() })
const PeerBody = z.strictObject({ peer: Peer, on: z.boolean().optional() })
const DeleteBody = z.strictObject({ post: PostId })
const RateBody = z.strictObject({ adapter: z.string().min(1).max(300), score: z.int().min(1).max(5), review: z.string().max(4_000).optional() })

/** A post on the wire: tip totals in tokens. */
export function postJson (p: PostView): Record<string, unknown> {
  return { ...p, tips: { total: toTokens(p.tips.total), count: p.tips.count } }
}

/** A mistake that is the caller's (bad text, over the hourly allowance, no receipt, low balance): 400, one line. */
async function userErrors<T> (fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (isSocialUserError(err) || isUserFacing(err)) throw new BadRequestError((err as Error).message)
    throw err
  }
}

function limitParam (url: URL): number | undefined {
  const t = url.searchParams.get('limit')
  if (t === null) return undefined
  const n = Number(t)
  if (!Number.isInteger(n) || n < 1 || n > 1_000) throw new BadRequestError('limit must be a whole number 1-1000')
  return n
}

export function registerSocialRoutes (api: RouteRegistry, social: SocialApi): void {
  api.route('GET', '/api/social/feed', req => {
    const q = req.url.searchParams
    const replyTo = q.get('replyTo') ?? undefined
    if (replyTo !== undefined && !PostId.safeParse(replyTo).success) throw new BadRequestError('replyTo must be a post id (64 hex digits)')
    return social.feed({
      following: q.get('following') === '1' || q.get('following') === 'true',
      limit: limitParam(req.url),
      author: q.get('author') ?? undefined,
      replyTo,
      adapter: q.get('adapter') ?? undefined
    }).map(postJson)
  })
  api.route('GET', '/api/social/post', req => {
    const id = PostId.safeParse(req.url.searchParams.get('id'))
    if (!id.success) throw new BadRequestError('id must be a post id (64 hex digits)')
    const p = social.get(id.data)
    if (p === undefined) throw new BadRequestError(`No post ${id.data.slice(0, 12)}… is known here`)
    return { ...postJson(p), replies: social.feed({ replyTo: id.data, limit: 1_000 }).map(postJson) }
  })
  api.route('POST', '/api/social/post', async req => {
    const body = await req.body(PostBody)
    return postJson(await userErrors(async () => await social.post(body.text, { adapters: body.adapters, replyTo: body.replyTo, signal: req.signal })))
  })
  api.route('POST', '/api/social/delete', async req => {
    const { post } = await req.body(DeleteBody)
    await userErrors(async () => { await social.remove(post, { signal: req.signal }) })
    return { deleted: post }
  })
  api.route('POST', '/api/social/search', async req => {
    const body = await req.body(SearchBody)
    return (await userErrors(async () => await social.search(body.query, { limit: body.limit, signal: req.signal }))).map(postJson)
  })
  api.route('POST', '/api/social/tip', async req => {
    const body = await req.body(TipBody)
    return await userErrors(async () => {
      const r = await social.tip(body.post, parseTokens(String(body.amount)), { message: body.message, signal: req.signal })
      return { post: postJson(r.post), amount: toTokens(r.amount), balance: toTokens(r.balance) }
    })
  })
  for (const kind of ['follow', 'mute'] as const) {
    api.route('POST', `/api/social/${kind}`, async req => {
      const body = await req.body(PeerBody)
      await userErrors(async () => { await social[kind](body.peer, body.on ?? true) })
      return social.following()
    })
  }
  api.route('GET', '/api/social/following', () => social.following())
  api.route('GET', '/api/social/status', () => social.status())
  api.route('POST', '/api/genome/rate', async req => {
    const body = await req.body(RateBody)
    return await userErrors(async () => {
      const r = await social.rate(body.adapter, body.score, { review: body.review, signal: req.signal })
      const reward = r.reward === undefined ? undefined : 'amount' in r.reward ? { amount: toTokens(r.reward.amount) } : r.reward
      return { post: postJson(r.post), ...(reward !== undefined ? { reward } : {}) }
    })
  })
  api.route('GET', '/api/genome/metrics', req => {
    const key = req.url.searchParams.get('key')
    if (key === null || key.length < 3 || key.length > 300) throw new BadRequestError('key must be <publisher>/<id>')
    return { key, ...social.metrics(key) }
  })
}
