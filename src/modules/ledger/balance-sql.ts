import type { EntityManager } from '@mikro-orm/postgresql';
import { prepared } from '../../db/prepared';
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
  customer_id: string;
  currency_id: string;
  balance: string;
  debt: string;
  grants: Record<string, unknown>[];
  open: { settlement_mode: string; amount: string; booked: string }[];
  held: string;
}

/** Whose ledgers a facts read covers: `$2` a customer (and `$3` a currency), or `$2` an array of customers. */
type Scope = 'customer' | 'currency' | 'customers';
const SCOPE: Record<Scope, string> = {
  customer: 'l.customer_id = $2',
  currency: 'l.customer_id = $2 and l.currency_id = $3',
  customers: 'l.customer_id = any($2)',
};

/**
 * The select of every fact a customer's balances need, one row per ledger (with its customer). Its
 * parameters: `$1` the instant (the holds' subquery), then the scope's.
 */
function factsSql(scope: Scope): string {
  return `select l.id, l.customer_id, l.currency_id, l.balance::text as balance, l.debt::text as debt,
            coalesce((select json_agg(g) from (select ${GRANT_COLUMNS} from credit_grant g
                       where g.ledger_id = l.id and g.voided_at is null and g.expired_at is null) g), '[]') as grants,
            coalesce((select json_agg(json_build_object('settlement_mode', c.settlement_mode,
                                 'amount', c.amount::text, 'booked', c.booked::text))
                        from charge c where c.customer_id = l.customer_id and c.currency_id = l.currency_id
                         and c.status = 'OPEN' and c.amount <> c.booked), '[]') as open,
            (select coalesce(sum(h.amount), 0)::text from credit_hold h
              where h.ledger_id = l.id and h.status = 'HELD' and h.expires_at > $1) as held
       from ledger l where ${SCOPE[scope]}
      order by l.id`;
}

const FACTS_TYPES = ['timestamptz', 'text'];

/** The balance facts read, of all ledgers or of one currency's (a balance read is among the hottest requests). */
const balanceFacts = {
  all: prepared('dd_balance_facts', FACTS_TYPES, factsSql('customer')),
  one: prepared('dd_balance_facts_currency', [...FACTS_TYPES, 'text'], factsSql('currency')),
};

function factsParams(customerId: string, currencyId: string | null, asOf: Date): unknown[] {
  return [asOf.toISOString(), customerId, ...(currencyId === null ? [] : [currencyId])];
}

/**
 * The movements after a cursor with the balance facts of the same snapshot (below): after the facts'
 * parameters, the cursor's ledger ids and sequences, the sequence for other ledgers, and the limit.
 */
function movementsSql(byCurrency: boolean): string {
  const n = byCurrency ? 3 : 2;
  const [ids, seqs, fallback, limit] = [n + 1, n + 2, n + 3, n + 4].map((i) => `$${i}`);
  return `with f as (${factsSql(byCurrency ? 'currency' : 'customer')})
     select ${MOVEMENT_COLUMNS},
            case when row_number() over (order by m.gseq) = 1
                 then (select coalesce(json_agg(f), '[]') from f) end as facts
       from ledger l
       left join unnest(${ids}::text[], ${seqs}::int[]) as c(id, seq) on c.id = l.id
       cross join lateral (select * from movement m
                            where m.ledger_id = l.id and m.customer_id = l.customer_id
                              and m.sequence > coalesce(c.seq, ${fallback})
                            order by m.sequence limit ${limit}) m
      where ${SCOPE[byCurrency ? 'currency' : 'customer']}
      order by m.gseq limit ${limit}`;
}

const CURSOR_TYPES = ['text[]', 'int[]', 'int', 'int'];

/**
 * `movementsSql` for several customers at once, all currencies, from sequence 0 on ledgers without a cursor:
 * `$1` the instant, `$2` the customers, `$3`/`$4` the cursors' ledger ids and sequences (of any of them), `$5`
 * the limit per customer. Rows come by customer, then booking order; a customer's first row carries the
 * facts of its ledgers.
 */
const MOVEMENTS_OF_MANY_SQL = `with f as (${factsSql('customers')}),
     m as (select ${MOVEMENT_COLUMNS}, m.gseq as _g,
                  row_number() over (partition by l.customer_id order by m.gseq) as _n
             from ledger l
             left join unnest($3::text[], $4::int[]) as c(id, seq) on c.id = l.id
             cross join lateral (select * from movement m
                                  where m.ledger_id = l.id and m.customer_id = l.customer_id
                                    and m.sequence > coalesce(c.seq, 0)
                                  order by m.sequence limit $5) m
            where ${SCOPE.customers})
   select m.*, case when m._n = 1
                    then (select coalesce(json_agg(f), '[]') from f where f.customer_id = m.customer_id) end as facts
     from m where m._n <= $5
    order by m.customer_id, m._g`;

/** The live feeds' read when several watched customers changed together: one statement for all of them. */
const movementsOfMany = prepared(
  'dd_movements_after_many',
  ['timestamptz', 'text[]', 'text[]', 'int[]', 'int'],
  MOVEMENTS_OF_MANY_SQL,
);

/** The live feeds' read, of all ledgers or of one currency's: one per change of a watched customer. */
const movementsWithFacts = {
  all: prepared('dd_movements_after', [...FACTS_TYPES, ...CURSOR_TYPES], movementsSql(false)),
  one: prepared('dd_movements_after_currency', [...FACTS_TYPES, 'text', ...CURSOR_TYPES], movementsSql(true)),
};

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
  const statement = currencyId === null ? balanceFacts.all : balanceFacts.one;
  const rows = await statement.execute<Row>(em, factsParams(customerId, currencyId, asOf));
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
  const known = [...cursor.after];
  const statement = currencyId === null ? movementsWithFacts.all : movementsWithFacts.one;
  const rows = await statement.execute<MovementRow & { facts: Row[] | null }>(em, [
    ...factsParams(customerId, currencyId, asOf),
    pgArray(known.map(([id]) => id)),
    pgArray(known.map(([, seq]) => String(seq))),
    cursor.fallback,
    limit,
  ]);
  return { movements: rows.map(toMovementEntity), facts: (rows[0]?.facts ?? []).map(toFacts) };
}

/**
 * `selectMovementsWithFacts` (all currencies, sequence 0 for ledgers without a cursor) for several customers
 * in one statement, so one snapshot and one round trip. Customers must be distinct. Answers per customer;
 * one with nothing new is absent.
 */
export async function selectMovementsWithFactsOfMany(
  em: EntityManager,
  cursors: readonly { customerId: string; after: ReadonlyMap<string, number> }[],
  limit: number,
  asOf: Date,
): Promise<Map<string, { movements: MovementEntity[]; facts: BalanceFacts[] }>> {
  const known = cursors.flatMap((c) => [...c.after]);
  const rows = await movementsOfMany.execute<MovementRow & { facts: Row[] | null }>(em, [
    asOf.toISOString(),
    pgArray(cursors.map((c) => c.customerId)),
    pgArray(known.map(([id]) => id)),
    pgArray(known.map(([, seq]) => String(seq))),
    limit,
  ]);
  const out = new Map<string, { movements: MovementEntity[]; facts: BalanceFacts[] }>();
  for (const r of rows) {
    let read = out.get(r.customer_id);
    if (!read) out.set(r.customer_id, (read = { movements: [], facts: (r.facts ?? []).map(toFacts) }));
    read.movements.push(toMovementEntity(r));
  }
  return out;
}
