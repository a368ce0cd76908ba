import { DomainError } from '../core/errors';
import { ZERO, min, sum, type Dec } from '../money';
import { compareDrawdown, type GrantSnapshot } from './drawdown';

export type FundingMethod = 'PROMOTIONAL' | 'INVOICE' | 'EXTERNAL';
export type PaymentStatus = 'PENDING' | 'AUTHORIZED' | 'SETTLED' | 'FAILED';
export type GrantStatus = 'PENDING' | 'ACTIVE' | 'DEPLETED' | 'EXPIRED' | 'VOIDED';

/** The lifecycle facts of one grant, as stored. */
export interface GrantLifecycle {
  fundingMethod: FundingMethod;
  /** Invoice-funded grants wait for SETTLED; `null` for promotional grants. */
  paymentStatus: PaymentStatus | null;
  /** Inclusive: the grant may be funded from this instant on. */
  effectiveAt: Date;
  /** Exclusive: at this instant the credit is gone. `null` never expires. */
  expiresAt: Date | null;
  /** When its FUNDED (or ADJUSTED) movement was booked. */
  fundedAt: Date | null;
  voidedAt: Date | null;
  /** When its expiry was booked (with or without an EXPIRED movement). */
  expiredAt: Date | null;
}

/** A grant on its ledger: lifecycle facts, draw-down keys and amounts. */
export interface LedgerGrant extends GrantLifecycle, Omit<GrantSnapshot, 'available'> {
  /** What the grant brings when it is funded. */
  amount: Dec;
  /** What is left of it on the ledger: 0 until it is funded. */
  remaining: Dec;
}

/** Whether the expiry instant has come at `asOf` (booked or not). */
function pastExpiry(g: Pick<GrantLifecycle, 'expiresAt'>, asOf: Date): boolean {
  return g.expiresAt !== null && g.expiresAt.getTime() <= asOf.getTime();
}

function expiredAt(g: GrantLifecycle, asOf: Date): boolean {
  return g.expiredAt !== null || pastExpiry(g, asOf);
}

/**
 * Whether an unfunded grant becomes available at `asOf`: not voided, not expired (credit whose expiry
 * passed before it could be booked is never funded: it cannot repay debt or be drawn), effective, and paid
 * for when an invoice funds it.
 */
export function isFundable(g: GrantLifecycle, asOf: Date): boolean {
  return (
    g.fundedAt === null &&
    g.voidedAt === null &&
    !expiredAt(g, asOf) &&
    g.effectiveAt.getTime() <= asOf.getTime() &&
    (g.fundingMethod !== 'INVOICE' || g.paymentStatus === 'SETTLED')
  );
}

/**
 * A grant's status at `asOf`, whether or not its due work has been booked yet: credit past its expiry is
 * EXPIRED, a grant that is due to be funded is ACTIVE.
 */
export function grantStatus(g: GrantLifecycle & { remaining: Dec }, asOf: Date): GrantStatus {
  if (g.voidedAt !== null) return 'VOIDED';
  if (expiredAt(g, asOf)) return 'EXPIRED';
  if (g.fundedAt === null) return isFundable(g, asOf) ? 'ACTIVE' : 'PENDING';
  return g.remaining.isZero() ? 'DEPLETED' : 'ACTIVE';
}

/** The draw-down view of a ledger grant: available means funded and neither voided nor expired. */
export function snapshotOf(g: LedgerGrant): GrantSnapshot {
  return {
    id: g.id,
    priority: g.priority,
    expiresAt: g.expiresAt,
    effectiveAt: g.effectiveAt,
    perUnitCost: g.perUnitCost,
    createdAt: g.createdAt,
    remaining: g.remaining,
    featureKeys: g.featureKeys,
    available: g.fundedAt !== null && g.voidedAt === null && g.expiredAt === null,
  };
}

/** One piece of due work on a ledger. */
export interface DueStep {
  /**
   * FUND: the grant becomes available (a FUNDED movement of `amount`, repaying debt first).
   * EXPIRE: its expiry is booked; `amount` is the unused remainder on the ledger (an EXPIRED movement),
   * 0 when it was depleted or never funded (no movement, the grant is only marked expired).
   */
  kind: 'FUND' | 'EXPIRE';
  grantId: string;
  /** The movement's `bookedAt`: effectiveAt for a funding, expiresAt for an expiry, however late it runs. */
  at: Date;
  amount: Dec;
}

/**
 * Everything due on a ledger at `asOf`, in booking order: by instant; at one instant fundings before
 * expiries; then draw-down order (id last), so the order never depends on the input order. A grant is
 * either funded or expired, never both (credit past its expiry is never funded), so amounts do not depend
 * on the order; only which funding repays debt first does.
 */
export function dueSteps(grants: readonly LedgerGrant[], asOf: Date): DueStep[] {
  const due: { step: DueStep; g: LedgerGrant }[] = [];
  for (const g of grants) {
    if (g.voidedAt !== null || g.expiredAt !== null) continue;
    if (isFundable(g, asOf)) {
      due.push({ step: { kind: 'FUND', grantId: g.id, at: g.effectiveAt, amount: g.amount }, g });
    } else if (g.expiresAt !== null && pastExpiry(g, asOf)) {
      const amount = g.fundedAt !== null ? g.remaining : ZERO;
      due.push({ step: { kind: 'EXPIRE', grantId: g.id, at: g.expiresAt, amount }, g });
    }
  }
  return due
    .sort(
      (a, b) =>
        a.step.at.getTime() - b.step.at.getTime() ||
        (a.step.kind === b.step.kind ? 0 : a.step.kind === 'FUND' ? -1 : 1) ||
        compareDrawdown(a.g, b.g),
    )
    .map((d) => d.step);
}

/**
 * Credit past its expiry whose EXPIRED movement is not booked yet; reads subtract it so no read shows
 * credit past its expiry before the background job has run.
 */
export function unbookedExpiredCredit(grants: readonly LedgerGrant[], asOf: Date): Dec {
  return sum(
    dueSteps(grants, asOf)
      .filter((s) => s.kind === 'EXPIRE')
      .map((s) => s.amount),
  );
}

/** Credit due to be funded whose FUNDED movement is not booked yet; reads add it. */
export function unbookedFundedCredit(grants: readonly LedgerGrant[], asOf: Date): Dec {
  return sum(
    dueSteps(grants, asOf)
      .filter((s) => s.kind === 'FUND')
      .map((s) => s.amount),
  );
}

/** SPEC §7 `upcoming`: what PENDING grants (not effective yet, or not paid for) will bring. */
export function upcomingCredit(grants: readonly LedgerGrant[], asOf: Date): Dec {
  return sum(grants.filter((g) => grantStatus(g, asOf) === 'PENDING').map((g) => g.amount));
}

export interface RepayDebtInput {
  /** Outstanding debt, as a positive amount (the negative balance negated). */
  debt: Dec;
  /** What the newly available credit brings (e.g. the new grant's amount). */
  available: Dec;
}

export interface RepayDebtResult {
  /** Taken from the new credit to pay the debt. */
  repaid: Dec;
  /** What the new credit keeps after repaying. */
  remainingAfter: Dec;
  /** Debt still outstanding. */
  debtAfter: Dec;
}

/** SPEC §6: a negative balance is repaid first by the next credit that becomes available. */
export function repayDebt(input: RepayDebtInput): RepayDebtResult {
  if (input.debt.lt(0)) throw DomainError.badInput('debt must not be negative');
  if (input.available.lt(0)) throw DomainError.badInput('available credit must not be negative');
  const repaid = min(input.debt, input.available);
  return {
    repaid,
    remainingAfter: input.available.minus(repaid),
    debtAfter: input.debt.minus(repaid),
  };
}
