import type { GrantSnapshot } from '../../src/engine';
import { Dec, ZERO } from '../../src/money';
import { at } from '../unit/arbitraries';

/** A live grant as the engine sees it: priority 10, no expiry, effective and created at `at(0)`. */
export function grantSnapshot(
  id: string,
  remaining: string,
  over: Partial<GrantSnapshot> = {},
): GrantSnapshot {
  return {
    id,
    priority: 10,
    expiresAt: null,
    effectiveAt: at(0),
    perUnitCost: ZERO,
    createdAt: at(0),
    featureKeys: null,
    available: true,
    remaining: new Dec(remaining),
    ...over,
  };
}
