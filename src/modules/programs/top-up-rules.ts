import { addDuration, parseIsoDuration, type IsoDuration } from '../../core/duration';
import { DomainError, type Problems } from '../../core/errors';
import { type Dec, formatDecimal, parseDecimal } from '../../money';

/** What `setAutoTopUp` asks for (SPEC §14), as the client sent it. */
export interface SetAutoTopUpInput {
  customerId: string;
  currency: string;
  enabled: boolean;
  threshold: string;
  amount?: string | null;
  targetBalance?: string | null;
  /** INVOICE (default) or EXTERNAL; PROMOTIONAL is refused. */
  fundingMethod?: string | null;
  /** ISO-8601 duration, default PT1H. */
  retryAfter?: string | null;
}

export type TopUpFunding = 'INVOICE' | 'EXTERNAL';

/** A validated rule, amounts formatted to the currency's scale. */
export interface TopUpRuleValues {
  enabled: boolean;
  threshold: string;
  amount: string | null;
  targetBalance: string | null;
  fundingMethod: TopUpFunding;
  retryAfter: string;
}

export const DEFAULT_RETRY_AFTER = 'PT1H';

/** Parses a retry wait: an ISO-8601 duration of at least one second (tests use PT2S). BAD_USER_INPUT otherwise. */
export function parseRetryAfter(text: string): IsoDuration {
  if (text.length > 40) throw DomainError.badInput('retryAfter must be at most 40 characters');
  const d = parseIsoDuration(text, { what: 'retryAfter', minSeconds: 1 });
  if (Object.values(d).some((v) => !Number.isSafeInteger(v)) || d.years > 100)
    throw DomainError.badInput(`retryAfter ${text} is too long`);
  return d;
}

/** How long the wait after a failure at `from` lasts, in milliseconds (months counted from `from`). */
export function retryAfterMs(retryAfter: string, from: Date): number {
  return addDuration(from, parseRetryAfter(retryAfter)).getTime() - from.getTime();
}

/**
 * Validates a rule against its currency's scale, collecting every problem into one BAD_USER_INPUT:
 * threshold (not negative), exactly one of a positive `amount` or a `targetBalance` above the threshold,
 * INVOICE or EXTERNAL funding, a positive ISO-8601 `retryAfter`.
 */
export function validateTopUpRule(
  input: SetAutoTopUpInput,
  scale: number | null,
  problems: Problems,
): TopUpRuleValues | null {
  const num = (field: string, v: string, positive: boolean) =>
    scale === null
      ? undefined
      : problems.check(field, () =>
          parseDecimal(v, { scale, field, ...(positive ? { positive: true } : { nonNegative: true }) }),
        );
  const threshold = num('threshold', input.threshold, false);
  const hasAmount = input.amount != null;
  const hasTarget = input.targetBalance != null;
  if (hasAmount === hasTarget) problems.add('amount', 'give exactly one of amount or targetBalance');
  const amount = hasAmount ? num('amount', input.amount!, true) : undefined;
  const target = hasTarget ? num('targetBalance', input.targetBalance!, true) : undefined;
  if (threshold && target && !target.gt(threshold))
    problems.add('targetBalance', 'must be greater than the threshold');
  const funding = input.fundingMethod ?? 'INVOICE';
  if (funding !== 'INVOICE' && funding !== 'EXTERNAL')
    problems.add('fundingMethod', `must be INVOICE or EXTERNAL (a top-up is bought), got ${funding}`);
  const retryAfter = input.retryAfter ?? DEFAULT_RETRY_AFTER;
  problems.check('retryAfter', () => parseRetryAfter(retryAfter));
  if (!problems.empty || scale === null) return null;
  const fmt = (d: Dec | undefined) => (d === undefined ? null : formatDecimal(d, scale));
  return {
    enabled: input.enabled,
    threshold: fmt(threshold)!,
    amount: fmt(amount),
    targetBalance: fmt(target),
    fundingMethod: funding as TopUpFunding,
    retryAfter,
  };
}
