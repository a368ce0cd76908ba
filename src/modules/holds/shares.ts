import type { EntityManager } from '@mikro-orm/postgresql';
import type { LedgerShares, OpenShare } from '../../engine';
import { Dec, ZERO } from '../../money';
import {
  ACTIVE_HOLD_COLUMNS,
  GRANT_STATE_COLUMNS,
  LEDGER_READ_COLUMNS,
  LedgerTx,
  toActiveHold,
  toLockedLedger,
} from '../ledger';
import type { LedgerFacts } from './check-cache';
import { OPEN_CHARGE_COLUMNS, toOpenChargeView, type OpenChargeView } from '../usage';

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
 * Reads one ledger for a forecast in one snapshot (`readLedgerFacts`: one statement, never blocks a writer):
 * its grants with what is due at `asOf` booked in memory (`LedgerTx.peekRead`, the writers' own `bookDue`),
 * its open charges and its active holds.
 */
export async function readShares(
  em: EntityManager,
  customerId: string,
  currency: { id: string; scale: number },
  asOf: Date,
): Promise<LedgerRead> {
  const facts = await readLedgerFacts(em, customerId, currency.id, asOf);
  const ledger = facts.ledger ? LedgerTx.peekRead(facts.ledger, asOf) : null;
  return { ledger, open: facts.open, shares: sharesOf(facts, currency.scale, asOf, ledger) };
}

/**
 * What a check reads of one ledger, kept as read (the check cache keeps it): its rows without due work booked,
 * its open charges, and the holds still HELD at `asOf`, in one statement (one snapshot).
 */
export async function readLedgerFacts(
  em: EntityManager,
  customerId: string,
  currencyId: string,
  asOf: Date,
): Promise<LedgerFacts> {
  // one statement, so one snapshot and one round trip (a check's miss is on a vendor's hot path); each
  // module's columns and row mapping are its own (ledger, usage's charges, holds)
  const [row] = await em.execute<{ ledger: unknown; grants: unknown[]; open: unknown[]; holds: unknown[] }[]>(
    `with l as (select ${LEDGER_READ_COLUMNS} from ledger l join currency c on c.id = l.currency_id
                 where l.customer_id = ? and l.currency_id = ?)
     select (select row_to_json(l) from l) as ledger,
            coalesce((select json_agg(g order by g.id) from (select ${GRANT_STATE_COLUMNS} from credit_grant
                        where ledger_id = (select id from l) and customer_id = ?
                          and voided_at is null and expired_at is null) g), '[]') as grants,
            coalesce((select json_agg(o order by o.id) from (select ${OPEN_CHARGE_COLUMNS} from charge
                        where customer_id = ? and currency_id = ? and status = 'OPEN') o), '[]') as open,
            coalesce((select json_agg(h order by h.created_at, h.id) from (select ${ACTIVE_HOLD_COLUMNS}
                        from credit_hold where ledger_id = (select id from l) and status = 'HELD'
                         and expires_at > ?::timestamptz) h), '[]') as holds`,
    [customerId, currencyId, customerId, customerId, currencyId, asOf.toISOString()],
  );
  const ledger = row!.ledger ? toLockedLedger(row!.ledger, row!.grants) : null;
  return {
    ledger,
    open: row!.open.map(toOpenChargeView),
    holds: ledger ? row!.holds.map(toActiveHold) : [],
  };
}

/**
 * The engine's view of a ledger read (`readLedgerFacts`) at `asOf`, at or after the read's own instant: what is
 * due at `asOf` booked on copies of the grants (`LedgerTx.peekRead`, the writers' own `bookDue`), and only the
 * holds still HELD at `asOf`. The same figures `readShares` gives for `asOf`.
 */
export function sharesOf(
  facts: LedgerFacts,
  scale: number,
  asOf: Date,
  ledger: LedgerTx | null = facts.ledger ? LedgerTx.peekRead(facts.ledger, asOf) : null,
): LedgerShares {
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
