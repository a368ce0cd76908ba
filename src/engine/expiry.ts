import { sum, type Dec } from '../money';
import { compareDrawdown, type GrantSnapshot } from './drawdown';

export interface DueExpiry {
  grantId: string;
  /** The unused remainder to book as an `EXPIRED` movement. */
  amount: Dec;
  /** The movement's `bookedAt`: the grant's `expiresAt`, however late the job runs (SPEC §5). */
  bookedAt: Date;
}

/**
 * Available grants whose expiry has passed at `asOf` (expiresAt <= asOf) with credit left, in
 * the order their movements should be booked: expiresAt asc, then draw-down order.
 * Pending and voided grants never funded the ledger (or already left it), so they do not expire on it.
 */
export function dueExpiries(grants: readonly GrantSnapshot[], asOf: Date): DueExpiry[] {
  const t = asOf.getTime();
  return grants
    .filter((g) => g.available && g.remaining.gt(0) && g.expiresAt !== null && g.expiresAt.getTime() <= t)
    .sort((a, b) => (a.expiresAt?.getTime() ?? 0) - (b.expiresAt?.getTime() ?? 0) || compareDrawdown(a, b))
    .map((g) => ({
      grantId: g.id,
      amount: g.remaining,
      bookedAt: g.expiresAt ?? asOf,
    }));
}

/**
 * Credit already past its expiry but not yet booked as `EXPIRED`; reads subtract it so no read
 * shows credit past its expiry before the background job has run.
 */
export function unbookedExpiredCredit(grants: readonly GrantSnapshot[], asOf: Date): Dec {
  return sum(dueExpiries(grants, asOf).map((e) => e.amount));
}
