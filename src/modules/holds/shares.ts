import { IsolationLevel } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { LedgerShares, OpenShare } from '../../engine';
import { Dec, ZERO } from '../../money';
import { LedgerTx, holdStore, readLedger } from '../ledger';
import type { LedgerFacts } from './check-cache';
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

/**
 * What a check reads of one ledger, kept as read (the check cache keeps it): its rows without due work booked,
 * its open charges, and the holds still HELD at `asOf`, in one REPEATABLE READ, read-only snapshot.
 */
export function readLedgerFacts(
  em: EntityManager,
  customerId: string,
  currencyId: string,
  asOf: Date,
): Promise<LedgerFacts> {
  return em.fork().transactional(
    async (rem) => {
      const ledger = await readLedger(rem, customerId, currencyId);
      const open = await chargeStore.openOfLedger(rem, customerId, currencyId);
      const holds = ledger
        ? ((await holdStore.active(rem, [ledger.head.id], asOf)).get(ledger.head.id) ?? [])
        : [];
      return { ledger, open, holds };
    },
    { isolationLevel: IsolationLevel.REPEATABLE_READ, readOnly: true },
  );
}

/**
 * The engine's view of a ledger read (`readLedgerFacts`) at `asOf`, at or after the read's own instant: what is
 * due at `asOf` booked on copies of the grants (`LedgerTx.peekRead`, the writers' own `bookDue`), and only the
 * holds still HELD at `asOf`. The same figures `readShares` gives for `asOf`.
 */
export function sharesOf(facts: LedgerFacts, scale: number, asOf: Date): LedgerShares {
  const ledger = facts.ledger ? LedgerTx.peekRead(facts.ledger, asOf) : null;
  const at = asOf.getTime();
  return {
    asOf,
    scale,
    settled: ledger?.settled ?? ZERO,
    grants: ledger?.snapshots() ?? [],
    open: facts.open.map(toOpenShare),
    holds: facts.holds.filter((h) => h.expiresAt.getTime() > at),
  };
}
