import {
  grantStatus,
  unbookedExpiredCredit,
  unbookedFundedCredit,
  upcomingCredit,
  type LedgerGrant,
} from '../../engine';
import { Dec, ZERO } from '../../money';
import type { GrantEntity, GrantStatus } from './entities';

/**
 * Reads as of an instant, whether or not the background job has booked what is due yet. The rules are the
 * engine's (`engine/lifecycle.ts`), the same ones `LedgerTx.bookDue` books with; this file only maps stored
 * grants onto them.
 */

/** A stored grant as the engine sees it: `remaining` is what is on the ledger, 0 until funded. */
function ledgerGrant(g: GrantEntity): LedgerGrant {
  return {
    id: g.id,
    fundingMethod: g.fundingMethod,
    paymentStatus: g.paymentStatus,
    effectiveAt: g.effectiveAt,
    expiresAt: g.expiresAt,
    fundedAt: g.fundedAt,
    voidedAt: g.voidedAt,
    expiredAt: g.expiredAt,
    priority: g.priority,
    perUnitCost: new Dec(g.perUnitCost),
    createdAt: g.createdAt,
    featureKeys: g.featureKeys,
    amount: new Dec(g.amount),
    remaining: g.fundedAt !== null ? new Dec(g.remaining) : ZERO,
  };
}

/**
 * A grant as of `asOf`: credit past its expiry is never shown, credit whose effective date came is shown as
 * available. `remaining` is what it holds or will bring: 0 once voided or expired, its amount until funded.
 */
export function grantStatusAt(g: GrantEntity, asOf: Date): { status: GrantStatus; remaining: Dec } {
  return grantViewAt(ledgerGrant(g), asOf);
}

/** `grantStatusAt` of a grant as the engine sees it (a ledger transaction's in-memory grant). */
export function grantViewAt(g: LedgerGrant, asOf: Date): { status: GrantStatus; remaining: Dec } {
  const status = grantStatus(g, asOf);
  if (status === 'VOIDED' || status === 'EXPIRED') return { status, remaining: ZERO };
  return { status, remaining: g.fundedAt === null ? g.amount : g.remaining };
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
  const grants = liveGrants.map(ledgerGrant);
  return {
    settled: booked.plus(unbookedFundedCredit(grants, asOf)).minus(unbookedExpiredCredit(grants, asOf)),
    upcoming: upcomingCredit(grants, asOf),
  };
}
