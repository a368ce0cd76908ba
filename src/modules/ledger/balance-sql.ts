import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray } from '../shared/sql';
import type { GrantEntity, MovementEntity } from './entities';
import { GRANT_COLUMNS, MOVEMENT_COLUMNS, toGrantEntity, toMovementEntity, type MovementRow } from './rows';

/** What SPEC §7 balances of one ledger are computed from, as one statement read it. */
export interface BalanceFacts {
  ledgerId: string;
  currencyId: string;
  balance: string;
  debt: string;
  /** Live grants (neither voided nor expired). */
  grants: GrantEntity[];
  /** Open charges with an unbooked part. */
  open: { settlement_mode: string; amount: string; booked: string }[];
  /** The sum of the holds still HELD at the read's instant. */
  held: string;
}

interface Row {
  id: string;
  currency_id: string;
  balance: string;
  debt: string;
  grants: Record<string, unknown>[];
  open: { settlement_mode: string; amount: string; booked: string }[];
  held: string;
}

/**
 * The select of every fact a customer's balances need, one row per ledger. Its parameters, in order: the
 * instant (the holds' subquery), the customer, and the currency when `byCurrency`.
 */
function factsSql(byCurrency: boolean): string {
  return `select l.id, l.currency_id, l.balance::text as balance, l.debt::text as debt,
            coalesce((select json_agg(g) from (select ${GRANT_COLUMNS} from credit_grant g
                       where g.ledger_id = l.id and g.voided_at is null and g.expired_at is null) g), '[]') as grants,
            coalesce((select json_agg(json_build_object('settlement_mode', c.settlement_mode,
                                 'amount', c.amount::text, 'booked', c.booked::text))
                        from charge c where c.customer_id = l.customer_id and c.currency_id = l.currency_id
                         and c.status = 'OPEN' and c.amount <> c.booked), '[]') as open,
            (select coalesce(sum(h.amount), 0)::text from credit_hold h
              where h.ledger_id = l.id and h.status = 'HELD' and h.expires_at > ?::timestamptz) as held
       from ledger l where l.customer_id = ?${byCurrency ? ' and l.currency_id = ?' : ''}
      order by l.id`;
}

function factsParams(customerId: string, currencyId: string | null, asOf: Date): unknown[] {
  return [asOf.toISOString(), customerId, ...(currencyId === null ? [] : [currencyId])];
}

function toFacts(r: Row): BalanceFacts {
  return {
    ledgerId: r.id,
    currencyId: r.currency_id,
    balance: r.balance,
    debt: r.debt,
    grants: r.grants.map(toGrantEntity),
    open: r.open,
    held: r.held,
  };
}

/**
 * Everything a customer's balances need, in one statement: one snapshot without a transaction, one round
 * trip (a balance read is among the hottest requests). Optionally one currency.
 */
export async function selectBalanceFacts(
  em: EntityManager,
  customerId: string,
  currencyId: string | null,
  asOf: Date,
): Promise<BalanceFacts[]> {
  const rows = await em.execute<Row[]>(
    factsSql(currencyId !== null),
    factsParams(customerId, currencyId, asOf),
  );
  return rows.map(toFacts);
}

/** Where a read of new movements starts: per ledger, the last sequence had; `fallback` for other ledgers. */
export interface MovementCursor {
  after: ReadonlyMap<string, number>;
  fallback: number;
}

/**
 * A customer's movements after a cursor, the first `limit` in booking order (optionally of one currency),
 * and, when there is any, the balance facts of the same snapshot: one statement, one round trip. Each
 * ledger's rows come from its (ledger, sequence) index, so the read costs what it returns, however long
 * the history before the cursor.
 */
export async function selectMovementsWithFacts(
  em: EntityManager,
  customerId: string,
  currencyId: string | null,
  cursor: MovementCursor,
  limit: number,
  asOf: Date,
): Promise<{ movements: MovementEntity[]; facts: BalanceFacts[] }> {
  const byCurrency = currencyId !== null;
  const known = [...cursor.after];
  const params: unknown[] = [
    ...factsParams(customerId, currencyId, asOf),
    pgArray(known.map(([id]) => id)),
    pgArray(known.map(([, seq]) => String(seq))),
    cursor.fallback,
    limit,
    customerId,
    ...(byCurrency ? [currencyId] : []),
    limit,
  ];
  const rows = await em.execute<(MovementRow & { facts: Row[] | null })[]>(
    `with f as (${factsSql(byCurrency)})
     select ${MOVEMENT_COLUMNS},
            case when row_number() over (order by m.gseq) = 1
                 then (select coalesce(json_agg(f), '[]') from f) end as facts
       from ledger l
       left join unnest(?::text[], ?::int[]) as c(id, seq) on c.id = l.id
       cross join lateral (select * from movement m
                            where m.ledger_id = l.id and m.customer_id = l.customer_id
                              and m.sequence > coalesce(c.seq, ?::int)
                            order by m.sequence limit ?::int) m
      where l.customer_id = ?${byCurrency ? ' and l.currency_id = ?' : ''}
      order by m.gseq limit ?::int`,
    params,
  );
  return { movements: rows.map(toMovementEntity), facts: (rows[0]?.facts ?? []).map(toFacts) };
}
