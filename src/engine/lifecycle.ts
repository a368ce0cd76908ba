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
 * Whether an unfunded grant is due to be funded at `asOf`: not voided, its expiry not booked, effective,
 * and paid for when an invoice funds it. A grant whose whole effective window passed while nothing was
 * booked is still fundable: it is funded at `effectiveAt` (repaying debt, SPEC §6) and then expired at
 * `expiresAt`, exactly as punctual due jobs would have booked it (`dueSteps`). Only a use case that funds
 * at a later instant than `effectiveAt` must book what is due first (the runner does), so that credit
 * past its expiry is expired, not funded.
 */
export function isFundable(g: GrantLifecycle, asOf: Date): boolean {
  return (
    g.fundedAt === null &&
    g.voidedAt === null &&
    g.expiredAt === null &&
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
   * FUND: the grant becomes available (a FUNDED movement of its amount, repaying debt first).
   * EXPIRE: its expiry is booked (an EXPIRED movement of its unused remainder, none when nothing is left).
   */
  kind: 'FUND' | 'EXPIRE';
  grantId: string;
  /** The movement's `bookedAt`: effectiveAt for a funding, expiresAt for an expiry, however late it runs. */
  at: Date;
}

/**
 * Everything due on a ledger at `asOf`, in booking order: by instant; at one instant fundings before
 * expiries; then draw-down order (id last), so the order never depends on the input order. A fundable grant
 * is funded at `effectiveAt`; a grant past its expiry is expired at `expiresAt`; a grant whose whole
 * effective window passed unbooked gets both, in that order. Amounts depend on the order (which funding
 * repays debt first): `applyDue` books the steps.
 */
export function dueSteps(grants: readonly LedgerGrant[], asOf: Date): DueStep[] {
  const due: { step: DueStep; g: LedgerGrant }[] = [];
  for (const g of grants) {
    if (g.voidedAt !== null || g.expiredAt !== null) continue;
    if (isFundable(g, asOf)) due.push({ step: { kind: 'FUND', grantId: g.id, at: g.effectiveAt }, g });
    if (g.expiresAt !== null && pastExpiry(g, asOf))
      due.push({ step: { kind: 'EXPIRE', grantId: g.id, at: g.expiresAt }, g });
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

/** One slice of a movement: the grant it moves, or `null` for debt. Signed like the movement. */
export interface LedgerAllocation {
  grantId: string | null;
  amount: Dec;
}

/**
 * SPEC §6 funding: the grant's whole amount comes onto the ledger; outstanding debt is repaid from it first
 * (a `null` allocation), the grant keeps the rest. Zero slices are left out.
 */
export function fundingOf(
  g: Pick<LedgerGrant, 'id' | 'amount'>,
  debt: Dec,
): { allocations: LedgerAllocation[]; remainingAfter: Dec; debtAfter: Dec } {
  const { repaid, remainingAfter, debtAfter } = repayDebt({ debt, available: g.amount });
  const allocations: LedgerAllocation[] = [];
  if (remainingAfter.gt(0)) allocations.push({ grantId: g.id, amount: remainingAfter });
  if (repaid.gt(0)) allocations.push({ grantId: null, amount: repaid });
  return { allocations, remainingAfter, debtAfter };
}

/** A ledger as booked: its balance, its outstanding debt and its grants (at least the live ones). */
export interface LedgerState {
  balance: Dec;
  /** Outstanding debt as a positive amount (usage that no credit covered). */
  debt: Dec;
  grants: readonly LedgerGrant[];
}

/** A due step as booked. */
export interface DueBooking extends DueStep {
  /** The movement's signed amount: a funding's whole amount, an expiry's remainder negated (0: no movement). */
  amount: Dec;
  allocations: LedgerAllocation[];
}

export interface DueResult {
  /** The due steps in booking order, with their amounts and allocations. */
  bookings: DueBooking[];
  /** The ledger's balance and debt once they are booked. */
  balance: Dec;
  debt: Dec;
  /** The grants as the booking leaves them (input order; grants with no due work are the input objects). */
  grants: LedgerGrant[];
}

/**
 * Books what is due on a ledger at `asOf` in memory: the steps of `dueSteps` in order, each funding
 * repaying debt first (`fundingOf`), each expiry taking the remainder. `LedgerTx.bookDue` books the same
 * steps by the same rules (`dueSteps`, `fundingOf`); reads show this result, so a read before the
 * background job has run shows what it will book.
 */
export function applyDue(ledger: LedgerState, asOf: Date): DueResult {
  const steps = dueSteps(ledger.grants, asOf);
  if (steps.length === 0)
    return { bookings: [], balance: ledger.balance, debt: ledger.debt, grants: [...ledger.grants] };
  const byId = new Map(ledger.grants.map((g) => [g.id, g]));
  const changed = new Map<string, LedgerGrant>();
  let { balance, debt } = ledger;
  const bookings: DueBooking[] = [];
  for (const step of steps) {
    const g = changed.get(step.grantId) ?? { ...byId.get(step.grantId)! };
    changed.set(g.id, g);
    if (step.kind === 'FUND') {
      const f = fundingOf(g, debt);
      g.fundedAt = step.at;
      g.remaining = f.remainingAfter;
      debt = f.debtAfter;
      balance = balance.plus(g.amount);
      bookings.push({ ...step, amount: g.amount, allocations: f.allocations });
    } else {
      // `remaining` is 0 on a grant that was never funded: it is only marked expired
      const amount = g.remaining.neg();
      g.expiredAt = step.at;
      g.remaining = ZERO;
      balance = balance.plus(amount);
      bookings.push({ ...step, amount, allocations: amount.isZero() ? [] : [{ grantId: g.id, amount }] });
    }
  }
  return { bookings, balance, debt, grants: ledger.grants.map((g) => changed.get(g.id) ?? g) };
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
