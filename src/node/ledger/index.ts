/**
 * @packageDocumentation
 * The token ledger: a plain library (no networking) that a node uses to keep its own account chain and
 * to validate and store the chains of every other account it fetches.
 *
 * ## Model
 * Every account (= an Ed25519 PeerId) owns an append-only chain. Block n names block n-1's sha-256 hash in
 * `prev`, is signed by the owner, and states the balance after it. Kinds:
 * - `join` (seq 0): carries the join proof-of-work; credits the new-user grant (100).
 * - `grant`: one-time bonuses with evidence: `first-adapter` (50; a download receipt signed by another
 *   account for an adapter this account hosts, plus that downloader's join block, so every fake downloader
 *   costs a PoW) and `early-adopter` (500; see below).
 * - `send`: pays another joined account. `charge`: pays a host for a verified download and embeds the
 *   download receipt signed by the downloader (content id, bytes, host, price, priced flag, time).
 * - `receive`: embeds the payer's signed `send` or `charge` block; each payment can be received once. A node
 *   accepts it only if the embedded payment is the very block it holds at that position of the payer's
 *   chain: a signature alone would let a payer sign away tokens it does not have, in a block it never
 *   publishes. When the payer's chain is simply not held far enough yet, the rejection carries `needs`
 *   (what to fetch before retrying) and is not held against the sender.
 * - `reward`: every reward needs a debit on a real payer's chain, never more than that debit, each debit
 *   backing one reward, and counts against per-period caps (one day, by the rewarded chain's own block
 *   time, which cannot go back; a payer-signed receipt time could be back-dated into a fresh period).
 *   `hosting` 0.1 per download receipt whose charge paid at least 0.1 (caps per day: 10 per adapter, one
 *   per downloader and adapter, 1 per downloader, 20 per host: content ids are whatever the payer signs,
 *   so only the payer and account caps bound invented ids); `compute` 50% of the cost in a requester-signed
 *   receipt that names the requester's `send` (seq + hash) paying the provider at least the cost (10 per
 *   day); `rating` 1.0 for rating, once per adapter, an adapter the account paid at least 1 token for (the
 *   charge earlier in its own chain; 5 per day). `relay` rewards are refused: the flood hides the search
 *   origin, so no payer can stand behind a relay receipt without revealing the searcher, and a receipt
 *   nobody paid for would be minting. Hosting rewards and the first-adapter grant need the downloader's
 *   chain, compute rewards the requester's chain, as held by the validating node (from its PoW join), to
 *   contain the debit (else `bad-evidence` with `needs`: the block is not counted, the chain is fetched and
 *   the block retried; still unfounded after that, it counts against the sender).
 * - Memory (LedgerLimits, local policy): embedded copies only of joined accounts' blocks (LRU), a block
 *   quota per account this node does not deal with, an account cap, a per-payer receive rate, a cap on
 *   tracked peers; refusals are `quota-exceeded` (not held against the sender) and `memory()` counts them.
 * Amounts are integer micro-tokens (1 token = 1,000,000 units; `formatTokens` / `parseTokens` convert).
 * A block's hash is sha-256 over the canonical JSON (sorted keys, integers only) of every member except
 * `hash` and `sig`; `sig` is Ed25519 over ("continuum-ledger/block/v1\n" ‖ hash bytes), base64url.
 *
 * ## Validation
 * `validateBlock(state, block, ctx)` is pure: integrity (bad-hash, bad-signature), position (replay,
 * fork, out-of-order, wrong-previous), time, then the kind's rules and the balance (overdraft,
 * bad-balance, pow-too-weak, receive-without-send, double-receive, bad-evidence, duplicate-evidence,
 * duplicate-grant, not-early, reward-cap-exceeded, …). Two validly signed blocks of one account with the
 * same `prev` form a `DoubleSpendProof` that `verifyDoubleSpendProof` checks with nothing else. A node finds
 * one when a second block arrives for a filled position, or when a receive embeds a payment that differs
 * from the block held there. A node that verifies a proof sets the account's reputation to 0, accepts no
 * further block of it, and its own wallet refuses that account's payments. Since a receive counts only if
 * it embeds the block held at that position, the receiver of the branch a node saw second is refused there;
 * nodes that saw the other branch first decide the other way. Without consensus that disagreement about
 * the receivers cannot be avoided; about the forked account itself every node that sees the proof agrees.
 *
 * ## Store and sync
 * `openLedger({ privateKey, dir })` keeps everything in one append-only, checksummed, fsynced log
 * (src/node/storage) and re-verifies every block on load. For the networking layer: gossip `heads()`,
 * compare with `diffHeads(local, remote)`, fetch ranges with `blocksAfter(account, seq)`, feed them to
 * `ingest(blocks, { from })`, broadcast the `proofs` it returns (or listen to `'double-spend'`), and pass
 * received proofs to `ingestProof`. Wire bytes are `encodeBlock` / `decodeBlock` (schema-checked).
 * `headsDigest()` lets neighbours skip the exchange when they already agree. Rejections carrying `needs`
 * (also summed up in `IngestResult.needs`) wait for another chain: fetch that range, ingest it, retry.
 * When `diffHeads` reports a conflict, or a range is refused with `wrong-previous`, the two copies of that
 * chain diverged earlier: ingest the remote copy from its start without `from` (blocks already held come
 * back as harmless `replay`s) and the first divergent block yields the double-spend proof.
 *
 * ## The early-adopter rule: "joined before 1,000 users", without consensus
 * There is no global clock or count, so each node judges by its own view. The join PoW puzzle includes the
 * join time, so that time cannot be changed after solving without solving again. A node orders all join
 * blocks it holds by (PoW time, join hash) and accepts an `early-adopter` grant when the claimant's join is
 * among the first 1,000 in that order at the moment the grant is validated (on reload the log is replayed
 * in arrival order, so the verdict comes out the same). A node that does not hold the claimant's join
 * cannot judge and rejects the grant (`bad-evidence`); it should fetch the join and retry.
 * What this cannot guarantee:
 * - Agreement. Two nodes with different sets of joins can disagree: a node that already holds 1,000 earlier
 *   joins rejects a grant that a less-connected node accepted, and from then on cannot validate the rest of
 *   that chain (its balance depends on the grant). Such an account is effectively partitioned.
 * - Honest times. The PoW binds a time but does not prove it: anyone can solve a puzzle today with a
 *   back-dated time (only future times are refused, beyond 10 minutes of skew). An attacker can therefore
 *   mint early-adopter accounts at the cost of one PoW (about 1 s) each while some node still counts fewer
 *   than 1,000 joins before the back-dated time. Raising the difficulty raises that cost; it cannot remove it.
 * - A fixed total. Each node's first 1,000 may differ, so more than 1,000 accounts can hold the bonus overall.
 * It is a bootstrap incentive, as cheap to game as a join; the reputation of the account still starts at 0.5.
 *
 * ## Reputation (reputation.ts)
 * 0 for a proven fork; otherwise (good + 1) / (good + 5·bad + 2) with good = verified deliveries (distinct
 * download receipts naming the account as host and paying at least the 0.1-token hosting reward) + payments
 * made (its send/charge blocks), bad = blocks it sent that failed validation (0.1 for a replay or an early
 * block, which honest gossip can produce) + data it served that failed verification (`reportBadData`).
 * A newcomer is at 0.5.
 *
 * @example
 * const ledger = await openLedger({ privateKey, dir: path.join(dataDir, 'ledger') })
 * await ledger.join()                         // ~1 s of PoW, +100 tokens
 * await ledger.ingest(blocksFromPeer, { from: peerId })
 * await ledger.send(friend, tokens(10), 'thanks')
 */
export { openLedger, Ledger, blockWireBytes } from './ledger'
export type { LedgerInit, LedgerLimits, LedgerMemory, LedgerEvents, ChainHead, ChainNeed, IngestResult, LoadReport, LedgerStats, HistoryEntry, DownloadPayment, Rejection, WalletInfo } from './ledger'
export { diffHeads, type HeadsDiff } from './sync'
export {
  validateBlock, applyBlock, createChainState, headHash, makeDoubleSpendProof, verifyDoubleSpendProof, unpricedCharge, rewardPeriod
} from './validate'
export type { ChainState, RejectReason, ValidationContext, Verdict } from './validate'
export {
  createSigner, signHash, verifyHashSig, sealBlock, blockBody, computeBlockHash, checkBlockIntegrity, signReceipt, verifyReceipt, receiptHash, receiptSigner,
  encodeBlock, decodeBlock, parseBlock, isAccountId, clearSignatureCache, type Signer, type ParseResult
} from './block'
export { solveJoinPow, verifyJoinPow, joinPowDigest, leadingZeroBits, type JoinPow, type SolveJoinPowOptions } from './pow'
export { reputationScore, type ReputationInputs } from './reputation'
export { tokens, parseTokens, formatTokens, isAmount } from './amount'
export { canonicalJson, sha256Hex } from './canonical'
export * from './schema'
export * from './errors'
export * from './constants'
