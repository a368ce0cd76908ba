import type { Problems } from '../../core/errors';
import { validatePrice, type Price } from '../../engine';
import { Dec, parseDecimal } from '../../money';
import type { StoredPrice } from './entities';
import type { PriceInput } from './service';

/** Prices may be finer than the currency (0.001 USD per request); they are rated at full precision. */
export const PRICE_SCALE = 12;

/** Parses a stored price into the engine's shape. */
export function toEnginePrice(p: StoredPrice): Price {
  if (p.model === 'UNIT') return { model: 'UNIT', unitAmount: new Dec(p.unitAmount ?? '0') };
  return {
    model: p.model,
    tiers: (p.tiers ?? []).map((t) => ({
      upTo: t.upTo === null ? null : new Dec(t.upTo),
      unitAmount: new Dec(t.unitAmount),
      flatAmount: t.flatAmount === null ? null : new Dec(t.flatAmount),
    })),
  };
}

/** Validates a price input into its stored shape, collecting problems under `field`. */
export function parsePrice(field: string, input: PriceInput, problems: Problems): StoredPrice | null {
  const amount = (f: string, v: string) =>
    problems.check(f, () => parseDecimal(v, { scale: PRICE_SCALE, nonNegative: true, field: f }));
  if (input.model === 'UNIT') {
    if (input.tiers != null && input.tiers.length > 0)
      problems.add(`${field}.tiers`, 'a UNIT price has no tiers');
    if (input.unitAmount == null) {
      problems.add(`${field}.unitAmount`, 'a UNIT price needs unitAmount');
      return null;
    }
    const u = amount(`${field}.unitAmount`, input.unitAmount);
    return u ? { model: 'UNIT', unitAmount: u.toFixed(), tiers: null } : null;
  }
  if (input.unitAmount != null)
    problems.add(`${field}.unitAmount`, `a ${input.model} price takes its amounts from tiers`);
  const tiersIn = input.tiers ?? [];
  if (tiersIn.length === 0) {
    problems.add(`${field}.tiers`, `a ${input.model} price needs at least one tier`);
    return null;
  }
  if (tiersIn.length > 100) problems.add(`${field}.tiers`, 'at most 100 tiers');
  const before = problems.empty;
  const tiers = tiersIn.map((t, i) => {
    const f = `${field}.tiers[${i}]`;
    const upTo = t.upTo == null ? null : amount(`${f}.upTo`, t.upTo);
    const unit = amount(`${f}.unitAmount`, t.unitAmount);
    const flat = t.flatAmount == null ? null : amount(`${f}.flatAmount`, t.flatAmount);
    return {
      upTo: upTo ? upTo.toFixed() : null,
      unitAmount: unit ? unit.toFixed() : '0',
      flatAmount: flat ? flat.toFixed() : null,
    };
  });
  if (!before || !problems.empty) return null;
  const stored: StoredPrice = { model: input.model, unitAmount: null, tiers };
  for (const message of validatePrice(toEnginePrice(stored))) problems.add(`${field}.tiers`, message);
  return stored;
}
