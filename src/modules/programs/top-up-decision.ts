import { Dec } from '../../money';

/**
 * The auto top-up rule (SPEC §14) as a pure function: given a rule, the settled balance, the state of the
 * rule's last top-up and the time, whether to top up now and by how much, or why not. The service calls it
 * twice: once to decide whether to open a transaction at all, and again inside that transaction with the
 * rule row locked and settled re-read, so that one crossing never gives two top-ups.
 */

/** Payment status of a top-up grant: `null` is never stored for a bought grant, but reads as awaiting. */
export type TopUpPaymentStatus = 'PENDING' | 'AUTHORIZED' | 'SETTLED' | 'FAILED' | null;

export interface TopUpRuleState {
  enabled: boolean;
  threshold: Dec;
  /** Exactly one of `amount` and `targetBalance` is set (validated when the rule is set). */
  amount: Dec | null;
  targetBalance: Dec | null;
  /** How long to wait after a failed payment, in milliseconds (from the ISO-8601 `retryAfter`). */
  retryAfterMs: number;
}

/** The rule's most recent top-up grant, as far as the decision needs it. */
export interface LastTopUp {
  paymentStatus: TopUpPaymentStatus;
  /** When its payment failed (or it was otherwise voided): a voided grant no longer awaits payment. */
  voidedAt: Date | null;
  /** When it was made: the fallback start of the retry wait when no void instant was recorded. */
  createdAt: Date;
}

export type TopUpDecision =
  | { topUp: true; amount: Dec }
  | { topUp: false; reason: 'DISABLED' | 'NOT_BELOW_THRESHOLD' | 'AWAITING_PAYMENT' }
  | { topUp: false; reason: 'RETRY_WAIT'; retryAt: Date };

/** True when the last top-up still awaits payment: its payment is neither SETTLED nor FAILED, nor voided. */
export function awaitsPayment(last: LastTopUp | null): boolean {
  if (!last) return false;
  if (last.paymentStatus === 'SETTLED' || last.paymentStatus === 'FAILED') return false;
  // an admin voided it (and its unpaid invoice with it): nothing can pay it any more
  return last.voidedAt === null;
}

/** The earliest instant a top-up may follow a failed one; null when the last one did not fail. */
export function retryAt(last: LastTopUp | null, retryAfterMs: number): Date | null {
  if (!last || last.paymentStatus !== 'FAILED') return null;
  const failedAt = last.voidedAt ?? last.createdAt;
  return new Date(failedAt.getTime() + retryAfterMs);
}

/**
 * Decides one check of a rule. Order of the reasons: a disabled rule does nothing; a balance at or above the
 * threshold needs nothing; an unpaid top-up blocks a second one; a failed one blocks until `retryAfter` has
 * passed. Otherwise the top-up is `amount`, or `targetBalance − settled` (so settled reaches the target).
 */
export function decideTopUp(input: {
  rule: TopUpRuleState;
  settled: Dec;
  last: LastTopUp | null;
  now: Date;
}): TopUpDecision {
  const { rule, settled, last, now } = input;
  if (!rule.enabled) return { topUp: false, reason: 'DISABLED' };
  if (!settled.lt(rule.threshold)) return { topUp: false, reason: 'NOT_BELOW_THRESHOLD' };
  if (awaitsPayment(last)) return { topUp: false, reason: 'AWAITING_PAYMENT' };
  const retry = retryAt(last, rule.retryAfterMs);
  if (retry && now < retry) return { topUp: false, reason: 'RETRY_WAIT', retryAt: retry };
  const amount = rule.amount ?? rule.targetBalance!.minus(settled);
  // target > threshold > settled, so this is positive; the guard keeps a corrupt rule from granting ≤ 0
  if (!amount.gt(0)) return { topUp: false, reason: 'NOT_BELOW_THRESHOLD' };
  return { topUp: true, amount: new Dec(amount) };
}
