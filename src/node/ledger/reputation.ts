// Reputation 0–1 of an account, from what this node has seen of its history.
//
//   reputation = 0                                   if the account has a proven double spend (fork)
//              = (good + 1) / (good + W·bad + 2)     otherwise
//   good = verified deliveries (distinct download receipts naming it as host, seen in any chain)
//        + payments made (send and charge blocks in its chain)
//   bad  = bad-data events: blocks it sent us that failed validation (a replayed block weighs 0.1),
//          plus content it served that failed verification (reported by the content layer)
//   W    = BAD_EVENT_WEIGHT (5): one bad event undoes five good ones
//
// It is the mean of a Beta(good+1, W·bad+1) posterior: a newcomer starts at 0.5, good history moves it
// towards 1 slowly, bad history pulls it down fast, and only a fork reaches 0. It is a local view:
// two nodes that have seen different histories give different numbers.
import { BAD_EVENT_WEIGHT } from './constants'

export interface ReputationInputs {
  deliveries: number
  payments: number
  badData: number
  forked: boolean
}

export function reputationScore (i: ReputationInputs): number {
  if (i.forked) return 0
  const good = Math.max(0, i.deliveries) + Math.max(0, i.payments)
  const bad = Math.max(0, i.badData) * BAD_EVENT_WEIGHT
  return (good + 1) / (good + bad + 2)
}
