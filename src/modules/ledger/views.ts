import { applyDue, grantStatus, isFundable, upcomingCredit, type LedgerGrant } from '../../engine';
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

/** Whether a stored grant's funding is due at `asOf` but not booked yet (the engine's `isFundable`). */
export function fundingDueAt(g: GrantEntity, asOf: Date): boolean {
  return isFundable(ledgerGrant(g), asOf);
}

/** A ledger row's booked figures. */
export interface BookedLedger {
  balance: Dec;
  /** Outstanding debt, positive. */
  debt: Dec;
}

/**
 * SPEC §7 figures of one ledger at `asOf` from its booked balance and debt and its live grants: what is due
 * is booked in memory by the engine's `applyDue`, exactly as the booking job will book it.
 */
export function balanceAt(
  ledger: BookedLedger,
  liveGrants: readonly GrantEntity[],
  asOf: Date,
): { settled: Dec; upcoming: Dec } {
  const grants = liveGrants.map(ledgerGrant);
  return {
    settled: applyDue({ ...ledger, grants }, asOf).balance,
    upcoming: upcomingCredit(grants, asOf),
  };
}

/**
 * The live grants of one ledger as the booking of what is due at `asOf` will leave them (the engine's
 * `applyDue`): a due funding repays outstanding debt first (SPEC §6), so a grant read before its funding is
 * booked already shows what it will keep; a grant whose window passed unbooked shows as expired. Grants
 * with no due work are answered as they are.
 */
export function grantsAt(
  ledger: BookedLedger,
  liveGrants: readonly GrantEntity[],
  asOf: Date,
): GrantEntity[] {
  const due = applyDue({ ...ledger, grants: liveGrants.map(ledgerGrant) }, asOf);
  const changed = new Set(due.bookings.map((b) => b.grantId));
  return liveGrants.map((g, i) => {
    if (!changed.has(g.id)) return g;
    const after = due.grants[i]!;
    return {
      ...g,
      fundedAt: after.fundedAt,
      expiredAt: after.expiredAt,
      remaining: after.remaining.toFixed(),
    };
  });
}
