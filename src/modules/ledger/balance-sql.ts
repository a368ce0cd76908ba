import type { EntityManager } from '@mikro-orm/postgresql';
import type { GrantEntity } from './entities';
import { GRANT_COLUMNS, toGrantEntity } from './rows';

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
 * Everything a customer's balances need, in one statement: one snapshot without a transaction, one round
 * trip (a balance read is among the hottest requests). Optionally one currency.
 */
export async function selectBalanceFacts(
  em: EntityManager,
  customerId: string,
  currencyId: string | null,
  asOf: Date,
): Promise<BalanceFacts[]> {
  const params: unknown[] = [asOf.toISOString(), customerId];
  if (currencyId !== null) params.push(currencyId);
  const rows = await em.execute<Row[]>(
    `select l.id, l.currency_id, l.balance::text as balance, l.debt::text as debt,
            coalesce((select json_agg(g) from (select ${GRANT_COLUMNS} from credit_grant g
                       where g.ledger_id = l.id and g.voided_at is null and g.expired_at is null) g), '[]') as grants,
            coalesce((select json_agg(json_build_object('settlement_mode', c.settlement_mode,
                                 'amount', c.amount::text, 'booked', c.booked::text))
                        from charge c where c.customer_id = l.customer_id and c.currency_id = l.currency_id
                         and c.status = 'OPEN' and c.amount <> c.booked), '[]') as open,
            (select coalesce(sum(h.amount), 0)::text from credit_hold h
              where h.ledger_id = l.id and h.status = 'HELD' and h.expires_at > ?::timestamptz) as held
       from ledger l where l.customer_id = ?${currencyId !== null ? ' and l.currency_id = ?' : ''}
      order by l.id`,
    // the instant is the first placeholder in the text (the holds' subquery), then the ledger filter
    params,
  );
  return rows.map((r) => ({
    ledgerId: r.id,
    currencyId: r.currency_id,
    balance: r.balance,
    debt: r.debt,
    grants: r.grants.map(toGrantEntity),
    open: r.open,
    held: r.held,
  }));
}
