import { IsolationLevel } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { LedgerShares, OpenShare } from '../../engine';
import { Dec, ZERO } from '../../money';
import { LedgerTx, holdStore } from '../ledger';
import { chargeStore, type OpenChargeView } from '../usage';

/** An open charge as the engine's share rules see it. */
export function toOpenShare(c: OpenChargeView): OpenShare {
  return {
    charge: { id: c.id, amount: new Dec(c.amount), booked: new Dec(c.booked), featureKey: c.featureKey },
    mode: c.settlementMode,
  };
}

/** One ledger as checks and forecasts read it: the engine's input, and the rows it came from. */
export interface LedgerRead {
  /** Null when the customer has no ledger in the currency yet. */
  ledger: LedgerTx | null;
  open: OpenChargeView[];
  shares: LedgerShares;
}

/**
 * Reads one ledger for a check or a forecast in one consistent snapshot (REPEATABLE READ, read-only: it never
 * blocks a writer): its grants with what is due at `asOf` booked in memory (`LedgerTx.peek`, the writers'
 * own `bookDue`), its open charges and its active holds.
 */
export function readShares(
  em: EntityManager,
  customerId: string,
  currency: { id: string; scale: number },
  asOf: Date,
): Promise<LedgerRead> {
  return em.fork().transactional(
    async (rem) => {
      const ledger = await LedgerTx.peek(rem, customerId, currency.id, asOf);
      const open = await chargeStore.openOfLedger(rem, customerId, currency.id);
      const holds = ledger ? ((await holdStore.active(rem, [ledger.id], asOf)).get(ledger.id) ?? []) : [];
      return {
        ledger,
        open,
        shares: {
          asOf,
          scale: currency.scale,
          settled: ledger?.settled ?? ZERO,
          grants: ledger?.snapshots() ?? [],
          open: open.map(toOpenShare),
          holds,
        },
      };
    },
    { isolationLevel: IsolationLevel.REPEATABLE_READ, readOnly: true },
  );
}
