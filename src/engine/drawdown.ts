import { DomainError } from '../core/errors';
import { Dec, ZERO, min } from '../money';

/** What the engine needs to know about one grant; the module builds it from its entity. */
export interface GrantSnapshot {
  id: string;
  /** 1..1000, lower is drawn first. */
  priority: number;
  /** Exclusive: the grant is usable strictly before this instant. `null` never expires. */
  expiresAt: Date | null;
  /** Inclusive: usable from this instant on. */
  effectiveAt: Date;
  /** Purchase cost per credit; 0 for promotional grants. */
  perUnitCost: Dec;
  createdAt: Date;
  remaining: Dec;
  /** When non-empty, the grant only pays charges of these features. */
  featureKeys: string[] | null;
  /** Funded, not voided, not pending. */
  available: boolean;
}

/** One grant's share of a consumption, restore or expiry. */
export interface GrantAmount {
  grantId: string;
  amount: Dec;
}

/** What the draw-down order reads of a grant. */
export type DrawdownKeys = Pick<
  GrantSnapshot,
  'id' | 'priority' | 'expiresAt' | 'perUnitCost' | 'effectiveAt' | 'createdAt'
>;

function compareIds(a: string, b: string): number {
  // Code-unit order, not localeCompare: identical on every machine and locale.
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * SPEC §5 draw-down order: priority asc, expiresAt asc (never-expiring last), perUnitCost asc,
 * effectiveAt asc, createdAt asc, id asc. Total over distinct ids, so the result never
 * depends on input order.
 */
export function compareDrawdown(a: DrawdownKeys, b: DrawdownKeys): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  const ae = a.expiresAt?.getTime() ?? null;
  const be = b.expiresAt?.getTime() ?? null;
  if (ae !== be) {
    if (ae === null) return 1;
    if (be === null) return -1;
    return ae - be;
  }
  const cost = a.perUnitCost.cmp(b.perUnitCost);
  if (cost !== 0) return cost;
  const eff = a.effectiveAt.getTime() - b.effectiveAt.getTime();
  if (eff !== 0) return eff;
  const created = a.createdAt.getTime() - b.createdAt.getTime();
  if (created !== 0) return created;
  return compareIds(a.id, b.id);
}

interface UsableGrantsOptions {
  asOf: Date;
  /** The feature being charged; `null`/absent for a charge with no feature (fees, manual debits). */
  featureKey?: string | null;
  /** An admin deduction: feature restrictions do not apply, every live grant may be drawn. */
  anyFeature?: boolean;
}

/** Whether the grant is live at `asOf`: effectiveAt <= asOf < expiresAt. Ignores remaining and feature. */
function isLiveAt(grant: GrantSnapshot, asOf: Date): boolean {
  const t = asOf.getTime();
  if (grant.effectiveAt.getTime() > t) return false;
  return grant.expiresAt === null || t < grant.expiresAt.getTime();
}

/** Whether the grant may pay a charge of `featureKey`. Restricted grants never pay a feature-less charge. */
function paysFeature(grant: GrantSnapshot, featureKey: string | null | undefined): boolean {
  if (!grant.featureKeys || grant.featureKeys.length === 0) return true;
  return featureKey != null && grant.featureKeys.includes(featureKey);
}

/** Grants that can pay now, in draw-down order. */
function usableGrants(grants: readonly GrantSnapshot[], opts: UsableGrantsOptions): GrantSnapshot[] {
  return grants
    .filter(
      (g) =>
        g.available &&
        g.remaining.gt(0) &&
        isLiveAt(g, opts.asOf) &&
        (opts.anyFeature === true || paysFeature(g, opts.featureKey)),
    )
    .sort(compareDrawdown);
}

function assertUniqueIds(grants: readonly GrantSnapshot[]): void {
  const seen = new Set<string>();
  for (const g of grants) {
    if (seen.has(g.id)) throw DomainError.badInput(`grant ${g.id} appears twice`);
    seen.add(g.id);
  }
}

export interface AllocateDebitInput {
  /** Amount to draw, >= 0. */
  amount: Dec;
  grants: readonly GrantSnapshot[];
  asOf: Date;
  featureKey?: string | null;
  /** See UsableGrantsOptions.anyFeature. */
  anyFeature?: boolean;
}

export interface AllocateDebitResult {
  /** In draw-down order; every amount > 0 and <= that grant's remaining. */
  allocations: GrantAmount[];
  /** Sum of allocations. */
  covered: Dec;
  /** `amount - covered`: what no usable grant could pay. */
  uncovered: Dec;
}

/** Draws `amount` from usable grants in draw-down order. Exact arithmetic, no rounding. */
export function allocateDebit(input: AllocateDebitInput): AllocateDebitResult {
  if (input.amount.lt(0)) throw DomainError.badInput('debit amount must not be negative');
  assertUniqueIds(input.grants);
  const allocations: GrantAmount[] = [];
  let left = input.amount;
  if (left.gt(0)) {
    for (const g of usableGrants(input.grants, {
      asOf: input.asOf,
      featureKey: input.featureKey ?? null,
      anyFeature: input.anyFeature ?? false,
    })) {
      const take = min(left, g.remaining);
      allocations.push({ grantId: g.id, amount: take });
      left = left.minus(take);
      if (left.isZero()) break;
    }
  }
  return {
    allocations,
    covered: input.amount.minus(left),
    uncovered: left.isZero() ? ZERO : left,
  };
}

export interface AllocateDeductionInput {
  /** Amount to deduct, > 0. */
  amount: Dec;
  grants: readonly GrantSnapshot[];
  asOf: Date;
  /** The ledger's available balance: grants' remaining minus outstanding debt (may be negative). */
  balance: Dec;
}

export interface AllocateDeductionResult {
  /** In draw-down order, adding up to `amount`; empty when the deduction is refused. */
  allocations: GrantAmount[];
  /** When refused, the most that may be deducted now: what usable grants hold, at most the balance, at least 0. */
  available: Dec;
  /** Whether `amount` fits in `available`. */
  allowed: boolean;
}

/**
 * SPEC §6 admin deduction (`adjustCredits` with a negative amount): draws from any live grant in draw-down
 * order (feature restrictions do not apply) and never more than the available balance, nor than the grants
 * hold. With debt outstanding beside credit on a grant, the balance is the smaller figure.
 */
export function allocateDeduction(input: AllocateDeductionInput): AllocateDeductionResult {
  const drawn = allocateDebit({
    amount: input.amount,
    grants: input.grants,
    asOf: input.asOf,
    anyFeature: true,
  });
  const available = Dec.max(min(input.balance, drawn.covered), ZERO);
  const allowed = drawn.uncovered.isZero() && input.amount.lte(input.balance);
  return { allocations: allowed ? drawn.allocations : [], available, allowed };
}

export interface ConsumedPortion {
  /** `null`: the portion no grant covered (debt under CREDIT_ONLY). */
  grantId: string | null;
  amount: Dec;
}

export interface PlanRestoreInput {
  /** The consumption's allocations, in the order it took them. */
  consumed: readonly ConsumedPortion[];
  /** How much of the consumption to give back, >= 0. */
  amount: Dec;
  /**
   * Already given back by earlier corrections of the same consumption. Corrections always
   * come off the tail (reverse take order), so this much is skipped from the end first.
   */
  alreadyCorrected?: Dec;
  /** False for grants that have since expired or been voided. */
  restorable: (grantId: string) => boolean;
}

export interface PlanRestoreResult {
  /** Credit to give back to grants, in reverse take order. */
  restores: GrantAmount[];
  /** Portions not given back (grant expired/voided, or the debt portion), in reverse take order. */
  notRestored: ConsumedPortion[];
}

/** SPEC §6 correctMovement: give back `amount` in reverse of the order the consumption took it. */
export function planRestore(input: PlanRestoreInput): PlanRestoreResult {
  const already = input.alreadyCorrected ?? ZERO;
  if (input.amount.lt(0)) throw DomainError.badInput('correction amount must not be negative');
  if (already.lt(0)) throw DomainError.badInput('already corrected amount must not be negative');
  let total = ZERO;
  for (const p of input.consumed) {
    if (p.amount.lt(0)) throw DomainError.badInput('consumed portions must not be negative');
    total = total.plus(p.amount);
  }
  const correctable = total.minus(already);
  if (input.amount.gt(correctable)) {
    throw DomainError.badInput(
      `cannot correct ${input.amount.toFixed()}: only ${Dec.max(correctable, 0).toFixed()} of the consumption is left to correct`,
    );
  }

  const restores: GrantAmount[] = [];
  const notRestored: ConsumedPortion[] = [];
  let skip = already;
  let left = input.amount;
  for (let i = input.consumed.length - 1; i >= 0 && left.gt(0); i--) {
    const p = input.consumed[i];
    if (!p) continue;
    let portion = p.amount;
    if (skip.gt(0)) {
      const skipped = min(skip, portion);
      skip = skip.minus(skipped);
      portion = portion.minus(skipped);
    }
    if (portion.isZero()) continue;
    const give = min(left, portion);
    left = left.minus(give);
    if (p.grantId !== null && input.restorable(p.grantId)) {
      restores.push({ grantId: p.grantId, amount: give });
    } else {
      notRestored.push({ grantId: p.grantId, amount: give });
    }
  }
  return { restores, notRestored };
}
