import { IsolationLevel } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError } from '../../core/errors';
import type { ExportFilter } from './filter';

/** One movement as exported: amounts as decimal strings at the currency's scale, like the API's. */
export interface MovementRow {
  id: string;
  customerId: string;
  currency: string;
  sequence: number;
  type: string;
  amount: string;
  balanceBefore: string;
  balanceAfter: string;
  /** ISO 8601, UTC, milliseconds (what the API's DateTime shows). */
  bookedAt: string;
  grantId: string | null;
  chargeId: string | null;
  correctsId: string | null;
  description: string | null;
}

/** One credit currency in one month (UTC) of the credit report. */
export interface ReportRow {
  currency: string;
  /** YYYY-MM (UTC). */
  month: string;
  /** FUNDED: credit that became available (grants, purchases, allocations, top-ups). */
  granted: string;
  /** Of `granted`, what was bought (purchases and auto top-ups with a price). */
  purchased: string;
  /** What was paid for `purchased`, per purchase currency. */
  purchasedValue: { currency: string; amount: string }[];
  /** CONSUMED, as a positive figure. */
  consumed: string;
  /** EXPIRED (breakage), positive. */
  expired: string;
  /** VOIDED, positive. */
  voided: string;
  /** CORRECTED: consumption given back by corrections, positive. */
  corrected: string;
  /** ADJUSTED, signed (net of the month's adjustments). */
  adjusted: string;
  /** Sum of every movement: the change of the currency's balances over the month. */
  net: string;
  movements: number;
}

/** Rows fetched from the cursor at a time: what one export holds in memory, whatever its size. */
const PAGE = 1000;

const MOVEMENT_COLUMNS = `
  m.id, m.customer_id as "customerId", c.code as currency, m.sequence, m.type,
  round(m.amount, c.scale)::text as amount,
  round(m.balance_before, c.scale)::text as "balanceBefore",
  round(m.balance_after, c.scale)::text as "balanceAfter",
  to_char(m.booked_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "bookedAt",
  m.grant_id as "grantId", m.charge_id as "chargeId", m.corrects_id as "correctsId", m.description`;

/**
 * Ledger exports, read-only: the movements streamed through a server-side cursor in one REPEATABLE READ
 * snapshot (constant memory for any number of movements; a consistent cut even while writers book), and
 * the credit report aggregated in SQL. Reads the ledger's tables; writes nothing.
 */
export class ExportsService {
  constructor(private readonly em: EntityManager) {}

  /** NOT_FOUND for a customer or currency that does not exist (an empty export would hide a typo). */
  async checkFilter(filter: ExportFilter): Promise<void> {
    const [row] = await this.em.execute<{ customer: boolean; currency: boolean }[]>(
      `select (?::text is null or exists (select 1 from customer where id = ?)) as customer,
              (?::text is null or exists (select 1 from currency where code = ?)) as currency`,
      [filter.customerId, filter.customerId, filter.currency, filter.currency],
    );
    if (!row?.customer) throw DomainError.notFound('customer', filter.customerId!);
    if (!row.currency) throw DomainError.notFound('currency', filter.currency!);
  }

  /**
   * Hands the movements the filter selects to `sink`, PAGE rows at a time, in booking order (per customer
   * `gseq`, the API's history order). `sink` answers false to stop early (the client went away). Answers
   * how many rows were handed over.
   */
  async streamMovements(
    filter: ExportFilter,
    sink: (rows: MovementRow[]) => Promise<boolean>,
  ): Promise<number> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.customerId !== null) {
      where.push('m.customer_id = ?');
      params.push(filter.customerId);
    }
    if (filter.currency !== null) {
      where.push('c.code = ?');
      params.push(filter.currency);
    }
    if (filter.from) {
      where.push('m.booked_at >= ?::timestamptz');
      params.push(filter.from.toISOString());
    }
    if (filter.to) {
      where.push('m.booked_at < ?::timestamptz');
      params.push(filter.to.toISOString());
    }
    const sql = `select ${MOVEMENT_COLUMNS}
                   from movement m join currency c on c.id = m.currency_id
                  ${where.length ? `where ${where.join(' and ')}` : ''}
                  order by m.gseq`;
    return this.em.fork().transactional(
      async (em) => {
        await em.execute(`declare movement_export no scroll cursor for ${sql}`, params, 'run');
        let count = 0;
        for (;;) {
          const rows = await em.execute<MovementRow[]>(`fetch forward ${PAGE} from movement_export`);
          if (rows.length === 0) break;
          count += rows.length;
          if (!(await sink(rows))) break;
          if (rows.length < PAGE) break;
        }
        return count;
      },
      { isolationLevel: IsolationLevel.REPEATABLE_READ, readOnly: true },
    );
  }

  /** The credit report per currency and month (UTC) of booking, oldest month first. */
  async report(filter: ExportFilter): Promise<ReportRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.currency !== null) {
      where.push('c.code = ?');
      params.push(filter.currency);
    }
    if (filter.from) {
      where.push('m.booked_at >= ?::timestamptz');
      params.push(filter.from.toISOString());
    }
    if (filter.to) {
      where.push('m.booked_at < ?::timestamptz');
      params.push(filter.to.toISOString());
    }
    const rows = await this.em.execute<
      (Omit<ReportRow, 'purchasedValue' | 'movements'> & {
        movements: string;
        purchase_currency: string | null;
        purchase_value: string | null;
      })[]
    >(
      `with m as (
         select c.code as currency, c.scale,
                to_char(date_trunc('month', m.booked_at at time zone 'UTC'), 'YYYY-MM') as month,
                m.type, m.amount, g.purchase_currency, g.purchase_total
           from movement m
           join currency c on c.id = m.currency_id
           left join credit_grant g on m.type = 'FUNDED' and g.id = m.grant_id and g.purchase_total is not null
          ${where.length ? `where ${where.join(' and ')}` : ''}
       ), totals as (
         select currency, month, max(scale) as scale,
                coalesce(sum(amount) filter (where type = 'FUNDED'), 0) as granted,
                coalesce(sum(amount) filter (where type = 'FUNDED' and purchase_total is not null), 0) as purchased,
                coalesce(-sum(amount) filter (where type = 'CONSUMED'), 0) as consumed,
                coalesce(-sum(amount) filter (where type = 'EXPIRED'), 0) as expired,
                coalesce(-sum(amount) filter (where type = 'VOIDED'), 0) as voided,
                coalesce(sum(amount) filter (where type = 'CORRECTED'), 0) as corrected,
                coalesce(sum(amount) filter (where type = 'ADJUSTED'), 0) as adjusted,
                sum(amount) as net, count(*) as movements
           from m group by currency, month
       ), purchases as (
         select currency, month, purchase_currency, sum(purchase_total) as purchase_value
           from m where purchase_total is not null group by currency, month, purchase_currency
       )
       select t.currency, t.month,
              round(t.granted, t.scale)::text as granted, round(t.purchased, t.scale)::text as purchased,
              round(t.consumed, t.scale)::text as consumed, round(t.expired, t.scale)::text as expired,
              round(t.voided, t.scale)::text as voided, round(t.corrected, t.scale)::text as corrected,
              round(t.adjusted, t.scale)::text as adjusted, round(t.net, t.scale)::text as net,
              t.movements::text as movements, p.purchase_currency, p.purchase_value::text as purchase_value
         from totals t left join purchases p on p.currency = t.currency and p.month = t.month
        order by t.month, t.currency, p.purchase_currency`,
      params,
    );
    const out: ReportRow[] = [];
    for (const r of rows) {
      let last = out[out.length - 1];
      if (!last || last.currency !== r.currency || last.month !== r.month) {
        last = {
          currency: r.currency,
          month: r.month,
          granted: r.granted,
          purchased: r.purchased,
          purchasedValue: [],
          consumed: r.consumed,
          expired: r.expired,
          voided: r.voided,
          corrected: r.corrected,
          adjusted: r.adjusted,
          net: r.net,
          movements: Number(r.movements),
        };
        out.push(last);
      }
      if (r.purchase_currency !== null && r.purchase_value !== null) {
        last.purchasedValue.push({ currency: r.purchase_currency, amount: r.purchase_value });
      }
    }
    return out;
  }
}
