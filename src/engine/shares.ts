import { DomainError } from '../core/errors';
import { type Dec, ZERO, cumulativeStep, max, min, roundToScale, sum } from '../money';
import { compareDrawdown, type GrantAmount, type GrantSnapshot } from './drawdown';
import {
  pendingBalance,
  settleCharge,
  type ChargeSnapshot,
  type SettleChargeResult,
  type SettlementMode,
} from './settlement';

/**
 * SPEC §16: what checks and the forecast see of a ledger once open charges and holds have taken their share.
 * Open charges take theirs as settlement would (`settleCharge`, in settlement's order: charge id), then each
 * active hold takes its amount as its capture would (a CREDIT_ONLY one-off charge, `settleCharge` again). No
 * second draw-down: every share is `settleCharge`, which draws through `allocateDebit`.
 */

/** An open charge of the ledger, with the mode it settles under. */
export interface OpenShare {
  charge: ChargeSnapshot;
  mode: SettlementMode;
}

/** An active hold: it reserves an amount, not particular grants. */
export interface HeldShare {
  id: string;
  amount: Dec;
  createdAt: Date;
}

export interface LedgerShares {
  asOf: Date;
  /** Currency scale. */
  scale: number;
  /** The settled balance, due fundings and expiries booked (may be negative). */
  settled: Dec;
  /** The ledger's grants as a booking would see them (due work done). */
  grants: readonly GrantSnapshot[];
  open: readonly OpenShare[];
  holds: readonly HeldShare[];
}

export interface AfterShares {
  /** The grants with what open charges and holds take taken off. */
  grants: GrantSnapshot[];
  /** The settled balance after those takes. */
  balance: Dec;
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Applies one settlement's allocations to the grants, as booking them would. */
function take(grants: GrantSnapshot[], r: SettleChargeResult): GrantSnapshot[] {
  if (r.allocations.length === 0) return grants;
  const taken = new Map<string, Dec>();
  for (const a of r.allocations) if (a.grantId !== null) taken.set(a.grantId, a.amount);
  return grants.map((g) => {
    const t = taken.get(g.id);
    return t ? { ...g, remaining: g.remaining.minus(t) } : g;
  });
}

function heldTotal(holds: readonly HeldShare[]): Dec {
  return sum(holds.map((h) => h.amount));
}

/** The ledger after open charges (in id order) and then holds (oldest first) took their share. */
export function afterShares(input: LedgerShares): AfterShares {
  let grants = [...input.grants];
  let balance = input.settled;
  const held = heldTotal(input.holds);
  for (const o of [...input.open].sort((a, b) => byId(a.charge, b.charge))) {
    const r = settleCharge({
      asOf: input.asOf,
      charge: o.charge,
      grants,
      mode: o.mode,
      scale: input.scale,
      balance,
      held,
    });
    grants = take(grants, r);
    balance = balance.minus(r.creditedAmount);
  }
  const holds = [...input.holds].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || byId(a, b));
  for (const h of holds) {
    const r = settleCharge({
      asOf: input.asOf,
      charge: { id: h.id, amount: h.amount, booked: ZERO, featureKey: null },
      grants,
      mode: 'CREDIT_ONLY',
      scale: input.scale,
      balance,
    });
    grants = take(grants, r);
    balance = balance.minus(r.creditedAmount);
  }
  return { grants, balance };
}

/** SPEC §7 `pending` of the ledger: settled less open charges' share less holds. */
export function pendingOfShares(input: Pick<LedgerShares, 'settled' | 'scale' | 'open' | 'holds'>): Dec {
  return pendingBalance(
    input.settled,
    input.open.map((o) => ({
      mode: o.mode,
      unbooked: cumulativeStep(o.charge.amount, o.charge.booked, input.scale),
    })),
    heldTotal(input.holds),
  );
}

export interface CheckChargeInput extends LedgerShares {
  /**
   * The checked usage as a charge: `amount` the full-precision price of the period's usage plus the checked
   * quantity, `booked` the rounded price of the usage alone, so its settlement step is the marginal cost with
   * the same cumulative rounding as settlement.
   */
  charge: ChargeSnapshot;
  mode: SettlementMode;
}

export interface CheckChargeResult {
  /** round(price(usage + quantity)) − round(price(usage)), never below zero. */
  cost: Dec;
  /** `pending`. */
  available: Dec;
  /** Grants that would pay the cost, in draw-down order; no debt slice, no zero slices. */
  allocations: GrantAmount[];
  /** Debt under CREDIT_ONLY, invoiced under CREDIT_THEN_INVOICE. */
  uncovered: Dec;
  /** Uncovered is zero, or the mode invoices the rest. */
  allowed: boolean;
}

/**
 * SPEC §16 `checkCredits`: how the checked usage would settle after open charges and holds took their share,
 * computed by the same `settleCharge` that books it.
 */
export function checkCharge(input: CheckChargeInput): CheckChargeResult {
  const after = afterShares(input);
  const r = settleCharge({
    asOf: input.asOf,
    charge: input.charge,
    grants: after.grants,
    mode: input.mode,
    scale: input.scale,
    balance: after.balance,
  });
  const uncovered = input.mode === 'CREDIT_ONLY' ? r.debt : r.invoicedAmount;
  return {
    cost: r.step,
    available: pendingOfShares(input),
    allocations: r.allocations.flatMap((a) =>
      a.grantId !== null && a.amount.gt(0) ? [{ grantId: a.grantId, amount: a.amount }] : [],
    ),
    uncovered,
    allowed: uncovered.isZero() || input.mode === 'CREDIT_THEN_INVOICE',
  };
}

// ---- forecast ------------------------------------------------------------------------------------------

const DAY_MS = 86_400_000;
/** The forecast looks this far ahead; beyond it `runOutAt` is null. */
export const FORECAST_HORIZON_DAYS = 365;

/**
 * SPEC §16 burn rate: net consumption (CONSUMED less CORRECTED, both as positive amounts) booked in the 7 × 24
 * hours before now, per day, at the currency scale, never below zero.
 */
export function burnRatePerDay(input: { consumed: Dec; corrected: Dec; scale: number }): Dec {
  if (input.consumed.lt(0) || input.corrected.lt(0))
    throw DomainError.badInput('consumed and corrected are positive amounts');
  const rate = input.consumed.minus(input.corrected).div(7);
  return roundToScale(max(rate, ZERO), input.scale);
}

export interface ExpiringCreditDraft {
  grantId: string;
  at: Date;
  amount: Dec;
}

/** Available grants with an expiry and something left, soonest first (then draw-down order). */
export function expiringCredit(grants: readonly GrantSnapshot[], asOf: Date): ExpiringCreditDraft[] {
  return grants
    .filter(
      (g) =>
        g.available &&
        g.expiresAt !== null &&
        g.expiresAt.getTime() > asOf.getTime() &&
        g.effectiveAt.getTime() <= asOf.getTime() &&
        g.remaining.gt(0),
    )
    .sort((a, b) => a.expiresAt!.getTime() - b.expiresAt!.getTime() || compareDrawdown(a, b))
    .map((g) => ({ grantId: g.id, at: g.expiresAt!, amount: g.remaining }));
}

export interface RunOutInput {
  asOf: Date;
  /** `pending` now. */
  pending: Dec;
  /** The grants after open charges and holds took their share (`afterShares`). */
  grants: readonly GrantSnapshot[];
  ratePerDay: Dec;
}

/**
 * SPEC §16 `runOutAt`: when `pending` reaches zero, consuming continuously at `ratePerDay` in draw-down order
 * (any feature) while each expiry takes what is left of its grant at its instant. Null when the rate is zero or
 * the instant lies beyond `FORECAST_HORIZON_DAYS`; `asOf` when pending is already zero or below.
 */
export function runOutAt(input: RunOutInput): Date | null {
  const { asOf, ratePerDay: rate } = input;
  if (!rate.gt(0)) return null;
  const horizon = asOf.getTime() + FORECAST_HORIZON_DAYS * DAY_MS;
  const within = (ms: number) => (ms <= horizon ? new Date(ms) : null);
  if (!input.pending.gt(0)) return asOf;
  // amounts are kept × DAY_MS ("scaled"), so consumption over whole milliseconds is rate × ms, exactly: no
  // division until the last instant, whose ceiling is then the same whichever expiries came before it
  let pending = input.pending.times(DAY_MS);
  // live grants with credit, in draw-down order; their remaining as consumption and expiries take it
  const live = input.grants
    .filter(
      (g) =>
        g.available &&
        g.remaining.gt(0) &&
        g.effectiveAt.getTime() <= asOf.getTime() &&
        (g.expiresAt === null || g.expiresAt.getTime() > asOf.getTime()),
    )
    .sort(compareDrawdown)
    .map((g) => ({ g, left: g.remaining.times(DAY_MS) }));
  const instants = [
    ...new Set(live.filter((x) => x.g.expiresAt !== null).map((x) => x.g.expiresAt!.getTime())),
  ].sort((a, b) => a - b);
  let t = asOf.getTime();
  /** The instant `pending` reaches zero consuming from `t` on, in whole milliseconds (rounded up). */
  const zeroAt = () => t + pending.div(rate).ceil().toNumber();
  for (const te of instants) {
    if (te > horizon) break;
    const need = rate.times(te - t);
    if (need.gte(pending)) return within(zeroAt());
    // consumption draws grants in draw-down order; what no grant covers is debt (pending falls all the same)
    let left = need;
    for (const x of live) {
      if (left.isZero()) break;
      const drawn = min(left, x.left);
      x.left = x.left.minus(drawn);
      left = left.minus(drawn);
    }
    pending = pending.minus(need);
    t = te;
    for (const x of live) {
      if (x.g.expiresAt?.getTime() !== te) continue;
      pending = pending.minus(x.left);
      x.left = ZERO;
    }
    if (!pending.gt(0)) return within(te);
  }
  return within(zeroAt());
}
