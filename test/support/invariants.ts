import { Client } from 'pg';
import { expect, inject } from 'vitest';
import { Dec } from '../../src/money';

/**
 * SPEC §6 invariants, read straight from PostgreSQL for every ledger of the given customers:
 * gapless sequences from 1; balanceAfter = balanceBefore + amount; each balanceBefore is the previous
 * balanceAfter (0 first); the ledger balance is the sum of amounts; allocations add up to their movement;
 * each funded grant's remaining is what its allocations left; the debt is what null allocations took; and
 * the balance equals the funded grants' remaining minus the debt.
 */
export async function checkLedgerInvariants(
  customerIds: string[],
): Promise<{ ledgers: number; movements: number }> {
  const db = new Client({ connectionString: inject('databaseUrl') });
  await db.connect();
  try {
    // one snapshot for every read: a server still running (a job booking expiries and fundings) must not
    // show a ledger row from before its commit next to grants from after it
    await db.query('begin isolation level repeatable read read only');
    const ledgers = (
      await db.query<{ id: string; balance: string; debt: string; last_sequence: number }>(
        `select id, balance::text, debt::text, last_sequence from ledger where customer_id = any($1) order by id`,
        [customerIds],
      )
    ).rows;
    let movementCount = 0;
    for (const l of ledgers) {
      const moves = (
        await db.query<{
          id: string;
          sequence: number;
          amount: string;
          balance_before: string;
          balance_after: string;
          alloc: string | null;
        }>(
          `select m.id, m.sequence, m.amount::text, m.balance_before::text, m.balance_after::text,
                  (select sum(a.amount)::text from allocation a where a.movement_id = m.id) as alloc
             from movement m where m.ledger_id = $1 order by m.sequence`,
          [l.id],
        )
      ).rows;
      movementCount += moves.length;
      let prev = new Dec(0);
      let sum = new Dec(0);
      moves.forEach((m, i) => {
        const where = `ledger ${l.id} movement #${m.sequence}`;
        expect(m.sequence, `${where}: gapless sequence`).toBe(i + 1);
        expect(
          new Dec(m.balance_before).eq(prev),
          `${where}: balanceBefore is the previous balanceAfter`,
        ).toBe(true);
        expect(
          new Dec(m.balance_after).eq(new Dec(m.balance_before).plus(m.amount)),
          `${where}: after = before + amount`,
        ).toBe(true);
        expect(new Dec(m.alloc ?? '0').eq(m.amount), `${where}: allocations add up to the amount`).toBe(true);
        prev = new Dec(m.balance_after);
        sum = sum.plus(m.amount);
      });
      expect(l.last_sequence, `ledger ${l.id}: last sequence`).toBe(moves.length);
      expect(
        new Dec(l.balance).eq(sum),
        `ledger ${l.id}: balance ${l.balance} = sum of amounts ${sum.toFixed()}`,
      ).toBe(true);

      const grants = (
        await db.query<{
          id: string;
          amount: string;
          remaining: string;
          funded: boolean;
          voided: boolean;
          alloc: string | null;
          n: number;
        }>(
          `select g.id, g.amount::text, g.remaining::text, g.funded_at is not null as funded, g.voided_at is not null as voided,
                  (select sum(a.amount)::text from allocation a where a.grant_id = g.id) as alloc,
                  (select count(*)::int from allocation a where a.grant_id = g.id) as n
             from credit_grant g where g.ledger_id = $1`,
          [l.id],
        )
      ).rows;
      let fundedRemaining = new Dec(0);
      for (const g of grants) {
        const rem = new Dec(g.remaining);
        expect(rem.gte(0) && rem.lte(g.amount), `grant ${g.id}: 0 <= remaining <= amount`).toBe(true);
        if (g.funded) {
          expect(
            rem.eq(g.alloc ?? '0'),
            `grant ${g.id}: remaining ${g.remaining} = its allocations ${g.alloc}`,
          ).toBe(true);
          fundedRemaining = fundedRemaining.plus(rem);
        } else {
          expect(g.n, `grant ${g.id}: an unfunded grant has no allocations`).toBe(0);
          expect(rem.eq(g.voided ? 0 : g.amount), `grant ${g.id}: unfunded remaining`).toBe(true);
        }
      }
      const nullAlloc = (
        await db.query<{ s: string | null }>(
          `select sum(a.amount)::text as s from allocation a join movement m on m.id = a.movement_id
            where m.ledger_id = $1 and a.grant_id is null`,
          [l.id],
        )
      ).rows[0]!.s;
      expect(
        new Dec(l.debt).eq(new Dec(nullAlloc ?? '0').neg()),
        `ledger ${l.id}: debt = what uncovered allocations took`,
      ).toBe(true);
      expect(
        new Dec(l.balance).eq(fundedRemaining.minus(l.debt)),
        `ledger ${l.id}: balance ${l.balance} = funded remaining ${fundedRemaining.toFixed()} - debt ${l.debt}`,
      ).toBe(true);
    }
    return { ledgers: ledgers.length, movements: movementCount };
  } finally {
    await db.end();
  }
}
