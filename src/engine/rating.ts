import { DomainError } from '../core/errors';
import { Dec, ZERO, max, min } from '../money';

export interface PriceTier {
  /** Inclusive upper bound of the tier; `null` for the open-ended last tier. */
  upTo: Dec | null;
  unitAmount: Dec;
  flatAmount: Dec | null;
}

export type Price =
  { model: 'UNIT'; unitAmount: Dec } | { model: 'GRADUATED' | 'VOLUME'; tiers: PriceTier[] };

export type Aggregation = 'SUM' | 'COUNT' | 'MAX';

/** Every problem with a price, as human-readable strings; empty when valid. */
export function validatePrice(price: Price): string[] {
  const problems: string[] = [];
  if (price.model === 'UNIT') {
    if (price.unitAmount.lt(0)) problems.push('unitAmount must not be negative');
    return problems;
  }
  const { tiers } = price;
  if (tiers.length === 0) {
    problems.push(`${price.model} price needs at least one tier`);
    return problems;
  }
  let previous: Dec | null = null;
  let openTiers = 0;
  for (const [i, tier] of tiers.entries()) {
    const name = `tiers[${i}]`;
    if (tier.unitAmount.lt(0)) problems.push(`${name}.unitAmount must not be negative`);
    if (tier.flatAmount !== null && tier.flatAmount.lt(0)) {
      problems.push(`${name}.flatAmount must not be negative`);
    }
    if (tier.upTo === null) {
      openTiers++;
      if (i !== tiers.length - 1) problems.push(`${name} has no upTo but is not the last tier`);
      continue;
    }
    if (!tier.upTo.gt(0)) problems.push(`${name}.upTo must be greater than zero`);
    if (previous !== null && !tier.upTo.gt(previous)) {
      problems.push(`${name}.upTo must be greater than the previous tier's upTo`);
    }
    previous = tier.upTo;
  }
  if (tiers[tiers.length - 1]?.upTo !== null) problems.push('the last tier must have no upTo (open-ended)');
  if (openTiers > 1) problems.push('only one tier may be open-ended');
  return problems;
}

/**
 * Price of `quantity` at full precision (rounding happens once, when booked).
 * GRADUATED prices the units inside each tier at that tier's unit amount, plus the flat amount of
 * every tier that holds at least one unit. VOLUME prices the whole quantity at the tier the total
 * falls in (upTo is inclusive), plus that tier's flat amount. Zero quantity costs nothing.
 */
export function priceQuantity(price: Price, quantity: Dec): Dec {
  if (quantity.lt(0)) throw DomainError.badInput('quantity must not be negative');
  const problems = validatePrice(price);
  if (problems.length > 0) throw DomainError.badInput(`invalid price: ${problems.join('; ')}`);
  if (quantity.isZero()) return ZERO;

  switch (price.model) {
    case 'UNIT':
      return quantity.times(price.unitAmount);
    case 'GRADUATED': {
      let total = ZERO;
      let lower = ZERO;
      for (const tier of price.tiers) {
        if (!quantity.gt(lower)) break;
        const upper = tier.upTo === null ? quantity : min(quantity, tier.upTo);
        const units = max(upper.minus(lower), ZERO);
        if (units.gt(0)) {
          total = total.plus(units.times(tier.unitAmount));
          if (tier.flatAmount !== null) total = total.plus(tier.flatAmount);
        }
        if (tier.upTo === null) break;
        lower = tier.upTo;
      }
      return total;
    }
    case 'VOLUME': {
      const tier = price.tiers.find((t) => t.upTo === null || quantity.lte(t.upTo));
      // validatePrice guarantees an open-ended last tier, so a tier is always found.
      if (!tier) throw new Error('unreachable: no tier for quantity');
      const variable = quantity.times(tier.unitAmount);
      return tier.flatAmount === null ? variable : variable.plus(tier.flatAmount);
    }
  }
}

/**
 * Folds one event value into a running aggregate. `current` is `null` before the first event.
 * COUNT ignores the value.
 */
export function aggregateStep(kind: Aggregation, current: Dec | null, value: Dec): Dec {
  switch (kind) {
    case 'SUM':
      return current === null ? value : current.plus(value);
    case 'COUNT':
      return current === null ? new Dec(1) : current.plus(1);
    case 'MAX':
      return current === null ? value : max(current, value);
  }
}
