import { addDuration, type IsoDuration } from '../../core/duration';
import { type Dec, min } from '../../money';

/**
 * The rollover rule of SPEC §14, pure: what an expired allocation grant carries into a ROLLOVER grant.
 * Only an ALLOCATION grant rolls (rolled credit does not roll again), only when its allocation has a
 * `rolloverCap` and its subscription is active at the expiry instant, and only a positive amount:
 * min(remainder, cap). The rolled grant starts at the expiry instant and lasts one full cadence.
 */
export interface RolloverInput {
  source: string;
  /** What the expiry took: the grant's unused remainder at its expiry (its EXPIRED movement, negated). */
  remainder: Dec;
  rolloverCap: Dec | null;
  expiredAt: Date;
  cadence: IsoDuration;
  subscriptionActive: boolean;
}

export interface RolloverDraft {
  amount: Dec;
  effectiveAt: Date;
  expiresAt: Date;
}

export function rolloverOf(input: RolloverInput): RolloverDraft | null {
  if (input.source !== 'ALLOCATION' || input.rolloverCap === null || !input.subscriptionActive) return null;
  const amount = min(input.remainder, input.rolloverCap);
  if (amount.lte(0)) return null;
  return {
    amount,
    effectiveAt: input.expiredAt,
    expiresAt: addDuration(input.expiredAt, input.cadence),
  };
}
