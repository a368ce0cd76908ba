import { DomainError } from '../core/errors';
import { ZERO, cumulativeStep, max, min, type Dec } from '../money';
import { allocateDebit, type GrantSnapshot } from './drawdown';

export type SettlementMode = 'CREDIT_ONLY' | 'CREDIT_THEN_INVOICE';

export interface ChargeSnapshot {
  id: string;
  /** Full-precision total of the charge so far (rated, not rounded). */
  amount: Dec;
  /** Already booked by earlier settlements, at the currency scale. */
  booked: Dec;
  featureKey: string | null;
}

export interface SettleChargeInput {
  asOf: Date;
  charge: ChargeSnapshot;
  grants: readonly GrantSnapshot[];
  mode: SettlementMode;
  /** Currency scale (decimals kept on the ledger). */
  scale: number;
  /** Current settled ledger balance (may be negative after CREDIT_ONLY debt). */
  balance: Dec;
  /**
   * What active holds reserve on the ledger (SPEC §16), 0 when absent. CREDIT_THEN_INVOICE credit pays down to
   * it and no further; CREDIT_ONLY ignores it.
   */
  held?: Dec;
}

export interface SettlementAllocation {
  /** `null`: the part no grant covered, booked as debt (CREDIT_ONLY only). */
  grantId: string | null;
  amount: Dec;
}

export interface SettleChargeResult {
  /** Amount to book now: `round(amount) - booked` (cumulative rounding), never negative. */
  step: Dec;
  /** In draw-down order; a trailing `null` grant carries the uncovered debt under CREDIT_ONLY. */
  allocations: SettlementAllocation[];
  /** Taken from the credit ledger (the CONSUMED movement is `-creditedAmount`). CREDIT_ONLY: the whole step. */
  creditedAmount: Dec;
  /** Part of `creditedAmount` no grant covered; drives the balance negative (CREDIT_ONLY only). */
  debt: Dec;
  /** Remainder for the usage invoice, in the ledger currency (CREDIT_THEN_INVOICE only). */
  invoicedAmount: Dec;
  /** `booked + step`: the charge's booked total after this settlement. */
  bookedAfter: Dec;
}

/**
 * Settles the part of one charge not yet booked (SPEC §8).
 * CREDIT_ONLY: grants pay what they can, the rest is debt (balance may go negative).
 * CREDIT_THEN_INVOICE: grants pay at most what they cover and at most the positive balance,
 * so the balance never goes below zero; the rest is invoiced.
 */
export function settleCharge(input: SettleChargeInput): SettleChargeResult {
  const { charge, scale } = input;
  if (charge.amount.lt(0)) throw DomainError.badInput(`charge ${charge.id} amount must not be negative`);
  const raw = cumulativeStep(charge.amount, charge.booked, scale);
  // A total that went down (it should not) books nothing rather than a negative consumption.
  const step = raw.gt(0) ? raw : ZERO;
  const bookedAfter = charge.booked.plus(step);
  if (step.isZero()) {
    return {
      step,
      allocations: [],
      creditedAmount: ZERO,
      debt: ZERO,
      invoicedAmount: ZERO,
      bookedAfter,
    };
  }

  if (input.mode === 'CREDIT_ONLY') {
    const { allocations, uncovered } = allocateDebit({
      amount: step,
      grants: input.grants,
      asOf: input.asOf,
      featureKey: charge.featureKey,
    });
    const all: SettlementAllocation[] = [...allocations];
    if (uncovered.gt(0)) all.push({ grantId: null, amount: uncovered });
    return {
      step,
      allocations: all,
      creditedAmount: step,
      debt: uncovered,
      invoicedAmount: ZERO,
      bookedAfter,
    };
  }

  // Debt from earlier CREDIT_ONLY usage lowers the balance below the grants' remaining:
  // cap the credit at the positive balance so this settlement never takes it below zero. Held credit is
  // not taken either (SPEC §16): credit pays down to the held amount, the rest is invoiced.
  const creditable = min(step, max(input.balance.minus(input.held ?? ZERO), ZERO));
  const { allocations, covered } = allocateDebit({
    amount: creditable,
    grants: input.grants,
    asOf: input.asOf,
    featureKey: charge.featureKey,
  });
  return {
    step,
    allocations,
    creditedAmount: covered,
    debt: ZERO,
    invoicedAmount: step.minus(covered),
    bookedAfter,
  };
}

/**
 * SPEC §7 `pending` of one ledger: the settled balance less what its open charges will still take and
 * what active holds reserve. CREDIT_ONLY charges are taken first (they may go below zero), then
 * CREDIT_THEN_INVOICE ones, which take at most what the balance exceeds the held amount by (nothing when it
 * does not: the rest is invoiced), then the holds. The result does not depend on the order of `open`.
 */
export function pendingBalance(
  settled: Dec,
  open: readonly { mode: SettlementMode; unbooked: Dec }[],
  held: Dec = ZERO,
): Dec {
  let creditOnly = ZERO;
  let thenInvoice = ZERO;
  for (const c of open) {
    if (c.unbooked.lte(0)) continue;
    if (c.mode === 'CREDIT_ONLY') creditOnly = creditOnly.plus(c.unbooked);
    else thenInvoice = thenInvoice.plus(c.unbooked);
  }
  const afterCreditOnly = settled.minus(creditOnly);
  const thenInvoiceTakes = min(thenInvoice, max(afterCreditOnly.minus(held), ZERO));
  return afterCreditOnly.minus(thenInvoiceTakes).minus(held);
}
