import type { Price } from '../../engine';
import { Dec } from '../../money';
import type { StoredPrice } from './entities';

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
