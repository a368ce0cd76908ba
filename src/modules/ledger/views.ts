import { Dec, ZERO } from '../../money';
import type { GrantEntity, GrantStatus } from './entities';

/** Whether an unfunded grant may become available at `asOf` (invoice-funded ones wait for SETTLED). */
export function isFundableAt(g: GrantEntity, asOf: Date): boolean {
  return (
    g.fundedAt === null &&
    g.voidedAt === null &&
    g.effectiveAt <= asOf &&
    (g.fundingMethod !== 'INVOICE' || g.paymentStatus === 'SETTLED')
  );
}

export function isExpiredAt(g: GrantEntity, asOf: Date): boolean {
  return g.expiredAt !== null || (g.expiresAt !== null && g.expiresAt <= asOf);
}

/**
 * A grant as of `asOf`, whether or not the background job has booked what is due yet: credit past its
 * expiry is never shown, credit whose effective date came is shown as available.
 */
export function grantStatusAt(g: GrantEntity, asOf: Date): { status: GrantStatus; remaining: Dec } {
  if (g.voidedAt) return { status: 'VOIDED', remaining: ZERO };
  if (isExpiredAt(g, asOf)) return { status: 'EXPIRED', remaining: ZERO };
  if (g.fundedAt === null) {
    return isFundableAt(g, asOf)
      ? { status: 'ACTIVE', remaining: new Dec(g.amount) }
      : { status: 'PENDING', remaining: new Dec(g.amount) };
  }
  const remaining = new Dec(g.remaining);
  return { status: remaining.isZero() ? 'DEPLETED' : 'ACTIVE', remaining };
}

/**
 * SPEC §7 figures of one ledger at `asOf` from its booked balance and its live grants: due fundings are
 * added and due expiries taken away, exactly as the booking job will do.
 */
export function balanceAt(
  booked: Dec,
  liveGrants: readonly GrantEntity[],
  asOf: Date,
): { settled: Dec; upcoming: Dec } {
  let settled = booked;
  let upcoming = ZERO;
  for (const g of liveGrants) {
    if (g.voidedAt || g.expiredAt) continue;
    const expired = isExpiredAt(g, asOf);
    if (g.fundedAt !== null) {
      if (expired) settled = settled.minus(g.remaining);
    } else if (!expired) {
      if (isFundableAt(g, asOf)) settled = settled.plus(g.amount);
      else upcoming = upcoming.plus(g.amount);
    }
  }
  return { settled, upcoming };
}
