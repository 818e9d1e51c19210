// `continuum social …` (post, search, feed, tip, follow, mute, delete) and `continuum genome rate`, through
// the running node's social layer. Amounts are tokens.
import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import { ApiError, type ApiClient, type PostView } from '..'
import { clientFor, printJson } from './program'
import { shortId } from './format'

/** A post on the wire: as PostView, its tip total in tokens. */
type PostJson = PostView

/** Calls a social route; a node without the social layer answers 404, said here in one line. */
export async function social<T> (client: ApiClient, method: 'GET' | 'POST', pathname: string, body?: unknown): Promise<T> {
  try {
    return await client.call<T>(method, pathname, body)
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) throw new Error('The running node has no social layer (its social feature is off)', { cause: err })
    throw err
  }
}

function parseLimit (v: string): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new InvalidArgumentError('expected a whole number 1-100')
  return n
}

function parseScore (v: string): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1 || n > 5) throw new InvalidArgumentError('expected a whole number 1-5')
  return n
}

function parsePostId (v: string): string {
  if (!/^[0-9a-f]{64}$/.test(v)) throw new InvalidArgumentError('expected a post id (64 hex digits, as `social feed` prints)')
  return v
}

const when = (t: number): string => new Date(t).toISOString().replace('T', ' ').slice(0, 16)
// Post text is someone else's words: escape sequences and other control characters are not printed raw.
// eslint-disable-next-line no-control-regex
const clean = (s: string): string => s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?')

export function formatPost (p: PostJson): string {
  const head = [`${p.own ? 'you' : shortId(p.author)}${p.following ? ' (following)' : ''}`, when(p.time)]
  if (p.similarity !== undefined) head.push(`${p.similarity.toFixed(2)} similarity`)
  if (p.tips.count > 0) head.push(`${p.tips.total} token${p.tips.total === 1 ? '' : 's'} tipped (${p.tips.count})`)
  if (p.replies > 0) head.push(`${p.replies} repl${p.replies === 1 ? 'y' : 'ies'}`)
  const lines = [`${p.id}  ${head.join(' · ')}`]
  if (p.replyTo !== undefined) lines.push(`  ↳ reply to ${p.replyTo.slice(0, 12)}…`)
  if (p.rating !== undefined) lines.push(`  ★ ${p.rating.score}/5 for ${p.rating.adapter}${p.rating.verified ? ' (paid download, verified)' : ' (receipt not proven here yet)'}`)
  lines.push(...clean(p.text).split('\n').map(l => `  ${l}`))
  if (p.adapters.length > 0 && p.rating === undefined) lines.push(`  adapters: ${p.adapters.map(clean).join(', ')}`)
  return lines.join('\n')
}

function printPosts (posts: PostJson[], json: boolean, empty: string): void {
  if (json) { printJson(posts); return }
  if (posts.length === 0) { console.log(empty); return }
  console.log(posts.map(formatPost).join('\n\n'))
}

export function registerSocialCommands (program: Command): void {
  const s = program.command('social').description('posts, replies, tips, follows and mutes: the mesh\'s community')

  s.command('post')
    .description('publish a signed post (spread by gossip)')
    .argument('<text>', 'what to say (at most 1000 characters)')
    .option('--adapter <id>', 'link an adapter (<publisher>/<id> or a CID), repeatable', (v: string, prev: string[]) => [...prev, v], [])
    .option('--reply-to <post>', 'reply to this post', parsePostId)
    .option('--json', 'print JSON')
    .action(async (text: string, opts: { adapter: string[], replyTo?: string, json?: boolean }, cmd: Command) => {
      const p = await social<PostJson>(await clientFor(cmd), 'POST', '/api/social/post', { text, ...(opts.adapter.length > 0 ? { adapters: opts.adapter } : {}), ...(opts.replyTo !== undefined ? { replyTo: opts.replyTo } : {}) })
      if (opts.json === true) printJson(p)
      else console.log(`Posted ${p.id}`)
    })

  s.command('search')
    .description('semantic + keyword search over the posts this node holds')
    .argument('<query>', 'what the posts are about')
    .option('--limit <n>', 'at most this many posts (1-100)', parseLimit, 20)
    .option('--json', 'print JSON')
    .action(async (query: string, opts: { limit: number, json?: boolean }, cmd: Command) => {
      const posts = await social<PostJson[]>(await clientFor(cmd), 'POST', '/api/social/search', { query, limit: opts.limit })
      printPosts(posts, opts.json === true, `No posts match "${query}" here yet.`)
    })

  s.command('feed')
    .description('recent posts, newest first (muted peers hidden)')
    .option('--following', 'only peers you follow (and yourself)')
    .option('--limit <n>', 'at most this many posts (1-100)', parseLimit, 50)
    .option('--json', 'print JSON')
    .action(async (opts: { following?: boolean, limit: number, json?: boolean }, cmd: Command) => {
      const posts = await social<PostJson[]>(await clientFor(cmd), 'GET', `/api/social/feed?limit=${opts.limit}${opts.following === true ? '&following=1' : ''}`)
      printPosts(posts, opts.json === true, opts.following === true ? 'No posts from peers you follow yet.' : 'No posts yet. Write one with: continuum social post "…"')
    })

  s.command('tip')
    .description('send tokens to a post\'s author (a ledger send whose memo names the post)')
    .argument('<post>', 'post id', parsePostId)
    .requiredOption('--amount <tokens>', 'tokens to send, e.g. 5 or 0.5')
    .option('--message <text>', 'a short note (kept in the ledger memo)')
    .option('--json', 'print JSON')
    .action(async (post: string, opts: { amount: string, message?: string, json?: boolean }, cmd: Command) => {
      const r = await social<{ post: PostJson, amount: number, balance: number }>(await clientFor(cmd), 'POST', '/api/social/tip', { post, amount: opts.amount, ...(opts.message !== undefined ? { message: opts.message } : {}) })
      if (opts.json === true) { printJson(r); return }
      console.log(`Tipped ${r.amount} token${r.amount === 1 ? '' : 's'} to ${shortId(r.post.author)}; your balance: ${r.balance}`)
    })

  s.command('delete')
    .description('delete your post (a signed tombstone spreads to the peers that hold it)')
    .argument('<post>', 'post id', parsePostId)
    .action(async (post: string, _opts: unknown, cmd: Command) => {
      await social(await clientFor(cmd), 'POST', '/api/social/delete', { post })
      console.log(`Deleted ${post}`)
    })

  for (const [kind, what] of [['follow', 'show this peer\'s posts in `feed --following`'], ['mute', 'hide this peer\'s posts and search results here']] as const) {
    s.command(kind)
      .description(what)
      .argument('<peer>', 'peer id (12D3KooW…)')
      .option('--undo', `un${kind} instead`)
      .action(async (peer: string, opts: { undo?: boolean }, cmd: Command) => {
        await social(await clientFor(cmd), 'POST', `/api/social/${kind}`, { peer, on: opts.undo !== true })
        console.log(`${opts.undo === true ? `Un${kind}d` : kind === 'follow' ? 'Following' : 'Muted'} ${peer}`)
      })
  }
}

/** `genome rate`: added to the genome command by registerGenomeCommands. */
export function registerRateCommand (genome: Command): void {
  genome.command('rate')
    .description('rate an adapter you downloaded and paid for (signed with its receipt, earns the 1-token rating reward once)')
    .argument('<adapter>', 'the adapter: its CID, <publisher>/<id>, id or name')
    .requiredOption('--score <1-5>', 'your score', parseScore)
    .option('--review <text>', 'a review (posted, searchable and tippable)')
    .option('--json', 'print JSON')
    .action(async (adapter: string, opts: { score: number, review?: string, json?: boolean }, cmd: Command) => {
      const r = await social<{ post: PostJson, reward?: { amount: number } | { error: string } }>(await clientFor(cmd), 'POST', '/api/genome/rate', { adapter, score: opts.score, ...(opts.review !== undefined ? { review: opts.review } : {}) })
      if (opts.json === true) { printJson(r); return }
      const reward = r.reward === undefined ? '' : 'amount' in r.reward ? `; rating reward: +${r.reward.amount} token` : `; no rating reward (${r.reward.error})`
      console.log(`Rated ${r.post.rating?.adapter ?? adapter} ${opts.score}/5 (post ${r.post.id})${reward}`)
    })
}
