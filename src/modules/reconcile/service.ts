import { IsolationLevel } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Dec } from '../../money';
import { DriftKind, type DriftItem, type Reconciliation } from './types';

/** At most this many items per check: a badly broken database still answers in one page. */
const DEFAULT_LIMIT = 500;

/**
 * Recomputes every ledger (or one customer's) from its movements, allocations and grants, and reports where
 * the stored figures drift from them. Read-only, set-based SQL (window functions and grouped aggregates, one
 * scan per check), all in one REPEATABLE READ snapshot so the checks agree with each other while writers
 * keep booking. The checks restate SPEC §6's invariants; `test/support/invariants.ts` holds the same ones.
 */
export class ReconcileService {
  constructor(private readonly em: EntityManager) {}

  async run(customerId: string | null = null, limit = DEFAULT_LIMIT): Promise<Reconciliation> {
    return this.em.fork().transactional(
      async (em) => {
        // Every check joins whole tables to their grouped aggregates. Right after a bulk load the planner has
        // no statistics yet (autovacuum has not analyzed), guesses 200 groups, and picks a nested loop that
        // compares every movement with every allocation group: minutes at 100k movements. Hash and merge
        // joins are what a full reconciliation wants whatever the statistics say.
        await em.execute('set local enable_nestloop = off');
        // `and <alias>.customer_id = ?` when one customer is asked for
        const only = (alias: string) => (customerId ? `and ${alias}.customer_id = ?` : '');
        const p = (n: number): unknown[] => (customerId ? Array<unknown>(n).fill(customerId) : []);
        const drift: DriftItem[] = [];
        let truncated = false;
        const take = <R>(rows: R[], map: (r: R) => DriftItem[]) => {
          if (rows.length > limit) truncated = true;
          for (const r of rows.slice(0, limit)) drift.push(...map(r));
        };

        const [counts] = await em.execute<
          { ledgers: number; movements: number; grants: number; charges: number; now: Date }[]
        >(
          `select (select count(*) from ledger x where true ${only('x')})::int as ledgers,
                  (select count(*) from movement x where true ${only('x')})::int as movements,
                  (select count(*) from credit_grant x where true ${only('x')})::int as grants,
                  (select count(*) from charge x where true ${only('x')})::int as charges,
                  now() as now`,
          p(4),
        );

        // movements: gapless sequences and the before/after chain, one window pass per ledger
        const chain = await em.execute<
          {
            id: string;
            ledger_id: string;
            customer_id: string;
            code: string;
            sequence: number;
            prev_seq: number | null;
            amount: string;
            balance_before: string;
            balance_after: string;
            prev_after: string | null;
            gap: boolean;
            arithmetic: boolean;
            link: boolean;
          }[]
        >(
          `with w as (
             select m.id, m.ledger_id, m.customer_id, m.currency_id, m.sequence, m.amount, m.balance_before,
                    m.balance_after, lag(m.sequence) over o as prev_seq, lag(m.balance_after) over o as prev_after
               from movement m
              where true ${only('m')}
             window o as (partition by m.ledger_id order by m.sequence)
           ), bad as (
             select w.*, w.sequence <> coalesce(w.prev_seq, 0) + 1 as gap,
                    w.balance_after <> w.balance_before + w.amount as arithmetic,
                    w.balance_before <> coalesce(w.prev_after, 0) as link
               from w
           )
           select b.id, b.ledger_id, b.customer_id, c.code, b.sequence, b.prev_seq, b.amount::text as amount,
                  b.balance_before::text as balance_before, b.balance_after::text as balance_after,
                  b.prev_after::text as prev_after, b.gap, b.arithmetic, b.link
             from bad b join currency c on c.id = b.currency_id
            where b.gap or b.arithmetic or b.link
            order by b.ledger_id, b.sequence
            limit ${limit + 1}`,
          p(1),
        );
        take(chain, (r) => {
          const at = { customerId: r.customer_id, currency: r.code, ledgerId: r.ledger_id, entityId: r.id };
          const out: DriftItem[] = [];
          if (r.gap) {
            const expected = (r.prev_seq ?? 0) + 1;
            out.push({
              ...at,
              kind: DriftKind.SEQUENCE_GAP,
              sequence: r.sequence,
              expected: String(expected),
              actual: String(r.sequence),
              detail:
                r.prev_seq === null
                  ? `the first movement has sequence ${r.sequence}, not 1`
                  : `sequence ${r.sequence} follows ${r.prev_seq}: ${r.sequence - expected} missing`,
            });
          }
          if (r.arithmetic) {
            out.push({
              ...at,
              kind: DriftKind.BALANCE_ARITHMETIC,
              sequence: r.sequence,
              expected: plus(r.balance_before, r.amount),
              actual: r.balance_after,
              detail: `movement #${r.sequence}: balanceAfter ${r.balance_after} ≠ balanceBefore ${r.balance_before} + amount ${r.amount}`,
            });
          }
          if (r.link) {
            const prev = r.prev_after ?? '0';
            out.push({
              ...at,
              kind: DriftKind.BALANCE_CHAIN,
              sequence: r.sequence,
              expected: prev,
              actual: r.balance_before,
              detail:
                r.prev_after === null
                  ? `movement #${r.sequence}: the first balanceBefore is ${r.balance_before}, not 0`
                  : `movement #${r.sequence}: balanceBefore ${r.balance_before} ≠ the previous balanceAfter ${prev}`,
            });
          }
          return out;
        });

        // each movement's allocations add up to its amount
        const allocs = await em.execute<
          {
            id: string;
            ledger_id: string;
            customer_id: string;
            code: string;
            sequence: number;
            amount: string;
            allocated: string;
          }[]
        >(
          `select m.id, m.ledger_id, m.customer_id, c.code, m.sequence, m.amount::text as amount,
                  coalesce(a.s, 0)::text as allocated
             from movement m
             join currency c on c.id = m.currency_id
             left join (select a.customer_id, a.movement_id, sum(a.amount) as s from allocation a
                         where true ${only('a')} group by a.customer_id, a.movement_id) a
                    on a.customer_id = m.customer_id and a.movement_id = m.id
            where m.amount <> coalesce(a.s, 0) ${only('m')}
            order by m.ledger_id, m.sequence
            limit ${limit + 1}`,
          p(2),
        );
        take(allocs, (r) => [
          {
            kind: DriftKind.ALLOCATION_SUM,
            customerId: r.customer_id,
            currency: r.code,
            ledgerId: r.ledger_id,
            entityId: r.id,
            sequence: r.sequence,
            expected: r.amount,
            actual: r.allocated,
            detail: `movement #${r.sequence}: allocations add up to ${r.allocated}, the amount is ${r.amount}`,
          },
        ]);

        // each grant's remaining is what its allocations left
        const grants = await em.execute<
          {
            id: string;
            ledger_id: string;
            customer_id: string;
            code: string;
            amount: string;
            remaining: string;
            funded: boolean;
            voided: boolean;
            allocated: string;
            n: number;
          }[]
        >(
          `select g.id, g.ledger_id, g.customer_id, c.code, g.amount::text as amount, g.remaining::text as remaining,
                  g.funded_at is not null as funded, g.voided_at is not null as voided,
                  coalesce(a.s, 0)::text as allocated, coalesce(a.n, 0)::int as n
             from credit_grant g
             join currency c on c.id = g.currency_id
             left join (select a.customer_id, a.grant_id, sum(a.amount) as s, count(*) as n from allocation a
                         where a.grant_id is not null ${only('a')} group by a.customer_id, a.grant_id) a
                    on a.customer_id = g.customer_id and a.grant_id = g.id
            where (case when g.funded_at is not null then g.remaining <> coalesce(a.s, 0)
                        else coalesce(a.n, 0) > 0
                             or g.remaining <> case when g.voided_at is not null then 0 else g.amount end end)
                  ${only('g')}
            order by g.ledger_id, g.id
            limit ${limit + 1}`,
          p(2),
        );
        take(grants, (r) => {
          const expected = r.funded ? r.allocated : r.voided ? '0' : r.amount;
          const why = r.funded
            ? `its allocations (funding less what was drawn) leave ${r.allocated} of ${r.amount}`
            : r.n > 0
              ? `it was never funded, yet ${r.n} allocation(s) moved ${r.allocated}`
              : `it was never funded, so it should show ${expected}`;
          return [
            {
              kind: DriftKind.GRANT_REMAINING,
              customerId: r.customer_id,
              currency: r.code,
              ledgerId: r.ledger_id,
              entityId: r.id,
              sequence: null,
              expected,
              actual: r.remaining,
              detail: `grant ${r.id}: remaining ${r.remaining}, but ${why}`,
            },
          ];
        });

        // the ledger row against its last movement, its amounts, its debt and its funded grants
        const ledgers = await em.execute<
          {
            id: string;
            customer_id: string;
            code: string;
            balance: string;
            debt: string;
            last_sequence: number;
            max_seq: number;
            total: string;
            last_after: string;
            alloc_debt: string;
            funded_remaining: string;
          }[]
        >(
          `select l.id, l.customer_id, c.code, l.balance::text as balance, l.debt::text as debt, l.last_sequence,
                  coalesce(s.max_seq, 0) as max_seq, coalesce(s.total, 0)::text as total,
                  coalesce(lm.balance_after, 0)::text as last_after, coalesce(d.debt, 0)::text as alloc_debt,
                  coalesce(g.rem, 0)::text as funded_remaining
             from ledger l
             join currency c on c.id = l.currency_id
             left join (select m.ledger_id, max(m.sequence) as max_seq, sum(m.amount) as total from movement m
                         where true ${only('m')} group by m.ledger_id) s on s.ledger_id = l.id
             left join movement lm on lm.ledger_id = l.id and lm.sequence = s.max_seq
             left join (select m.ledger_id, -sum(a.amount) as debt from allocation a
                           join movement m on m.customer_id = a.customer_id and m.id = a.movement_id
                         where a.grant_id is null ${only('a')} group by m.ledger_id) d on d.ledger_id = l.id
             left join (select g.ledger_id, sum(g.remaining) as rem from credit_grant g
                         where g.funded_at is not null ${only('g')} group by g.ledger_id) g on g.ledger_id = l.id
            where (l.balance <> coalesce(lm.balance_after, 0) or l.balance <> coalesce(s.total, 0)
                   or l.last_sequence <> coalesce(s.max_seq, 0) or l.debt <> coalesce(d.debt, 0)
                   or l.balance <> coalesce(g.rem, 0) - l.debt)
                  ${only('l')}
            order by l.customer_id, l.id
            limit ${limit + 1}`,
          p(4),
        );
        take(ledgers, (r) => {
          const at = {
            customerId: r.customer_id,
            currency: r.code,
            ledgerId: r.id,
            entityId: null,
            sequence: null,
          };
          const out: DriftItem[] = [];
          if (!same(r.balance, r.last_after) || !same(r.balance, r.total)) {
            out.push({
              ...at,
              kind: DriftKind.LEDGER_BALANCE,
              expected: r.last_after,
              actual: r.balance,
              detail: `ledger balance ${r.balance}; its last movement (#${r.max_seq}) ends at ${r.last_after} and its amounts sum to ${r.total}`,
            });
          }
          if (r.last_sequence !== r.max_seq) {
            out.push({
              ...at,
              kind: DriftKind.LEDGER_SEQUENCE,
              expected: String(r.max_seq),
              actual: String(r.last_sequence),
              detail: `ledger last sequence ${r.last_sequence}; its last movement is #${r.max_seq}`,
            });
          }
          if (!same(r.debt, r.alloc_debt)) {
            out.push({
              ...at,
              kind: DriftKind.LEDGER_DEBT,
              expected: r.alloc_debt,
              actual: r.debt,
              detail: `ledger debt ${r.debt}; uncovered allocations took ${r.alloc_debt}`,
            });
          }
          const byGrants = minus(r.funded_remaining, r.debt);
          if (!same(r.balance, byGrants)) {
            out.push({
              ...at,
              kind: DriftKind.LEDGER_GRANTS,
              expected: byGrants,
              actual: r.balance,
              detail: `ledger balance ${r.balance}; funded grants' remaining ${r.funded_remaining} minus debt ${r.debt} is ${byGrants}`,
            });
          }
          return out;
        });

        // a charge's credited amount is what its CONSUMED movements took: none booked without its movement
        const charges = await em.execute<
          {
            id: string;
            customer_id: string;
            code: string;
            ledger_id: string | null;
            credited: string;
            consumed: string;
          }[]
        >(
          `select ch.id, ch.customer_id, c.code, l.id as ledger_id, ch.credited_amount::text as credited,
                  coalesce(t.s, 0)::text as consumed
             from charge ch
             join currency c on c.id = ch.currency_id
             left join ledger l on l.customer_id = ch.customer_id and l.currency_id = ch.currency_id
             left join (select m.charge_id, -sum(m.amount) as s from movement m
                         where m.type = 'CONSUMED' and m.charge_id is not null ${only('m')}
                         group by m.charge_id) t on t.charge_id = ch.id
            where ch.credited_amount <> coalesce(t.s, 0) ${only('ch')}
            order by ch.customer_id, ch.id
            limit ${limit + 1}`,
          p(2),
        );
        take(charges, (r) => [
          {
            kind: DriftKind.CHARGE_CREDITED,
            customerId: r.customer_id,
            currency: r.code,
            ledgerId: r.ledger_id,
            entityId: r.id,
            sequence: null,
            expected: r.consumed,
            actual: r.credited,
            detail: `charge ${r.id}: credited ${r.credited}, its CONSUMED movements took ${r.consumed}`,
          },
        ]);

        return {
          checkedAt: new Date(counts!.now),
          customerId,
          ledgers: counts!.ledgers,
          movements: counts!.movements,
          grants: counts!.grants,
          charges: counts!.charges,
          drift,
          truncated,
        };
      },
      { isolationLevel: IsolationLevel.REPEATABLE_READ, readOnly: true },
    );
  }
}

// plain numeric strings from PostgreSQL; compared and combined exactly, without floating point
const plus = (a: string, b: string) => new Dec(a).plus(b).toFixed();
const minus = (a: string, b: string) => new Dec(a).minus(b).toFixed();
const same = (a: string, b: string) => new Dec(a).eq(b);
