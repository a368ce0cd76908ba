import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LogLevel } from '../../src/core/log';
import { openOrm, type Orm } from '../../src/db/orm';
import { allEntities } from '../../src/modules';
import { runOnLedger, runOnLedgerGrouped, setLedgerRunnerLog } from '../../src/modules/ledger';
import { Dec } from '../../src/money';
import { uniq, uniqCode } from '../support/app';
import { checkLedgerInvariants } from '../support/invariants';

/** The runner around LedgerTx: group commit answers every job, and says why it fell back. */
let orm: Orm;
const logged: { level: LogLevel; msg: string; extra?: Record<string, unknown> }[] = [];

beforeAll(async () => {
  orm = await openOrm(inject('databaseUrl'), allEntities, 4);
  setLedgerRunnerLog((level, msg, extra) => logged.push({ level, msg, extra }));
});

afterAll(async () => {
  await orm.close(true);
});

async function ledgerKey() {
  const em = orm.em.fork();
  const currencyId = uniq('cur_run');
  const customerId = uniq('cus_run');
  await em.execute(`insert into currency (id, code, name, scale, custom) values (?, ?, 'runner', 2, true)`, [
    currencyId,
    uniqCode('R'),
  ]);
  await em.execute(`insert into customer (id, key, name) values (?, ?, 'runner')`, [
    customerId,
    uniq('runner'),
  ]);
  return { customerId, currencyId };
}

describe('runOnLedgerGrouped', () => {
  it('a failing job in a batch: the batch falls back to one transaction per job, the cause is logged, each job gets its own answer', async () => {
    const ledger = await ledgerKey();
    const em = orm.em.fork();
    const now = new Date();
    const ok = (id: string) => async () => id;
    // the first call starts a batch of its own at once; the next two queue behind it and share the second batch
    const first = runOnLedgerGrouped(em, ledger, now, null, ok('first'));
    const second = runOnLedgerGrouped(em, ledger, now, null, ok('second'));
    const failing = runOnLedgerGrouped(em, ledger, now, null, async () => {
      throw new Error('the work broke');
    });
    const answers = await Promise.allSettled([first, second, failing]);
    expect(answers.map((a) => (a.status === 'fulfilled' ? a.value : (a.reason as Error).message))).toEqual([
      'first',
      'second',
      'the work broke',
    ]);
    const fallbacks = logged.filter((l) => l.extra?.ledger === `${ledger.customerId}|${ledger.currencyId}`);
    expect(fallbacks).toHaveLength(1);
    expect(fallbacks[0]).toMatchObject({
      level: 'warn',
      msg: 'group commit fell back to one transaction per job',
      extra: { jobs: 2 },
    });
    expect(String(fallbacks[0]!.extra?.cause)).toContain('the work broke');
    await checkLedgerInvariants([ledger.customerId]);
  });
});

describe('the ledger write (store-write.ts)', () => {
  it('is prepared once per shape and connection, and PostgreSQL keeps a generic plan for it', async () => {
    // one connection: every transaction below runs on it
    const one = await openOrm(inject('databaseUrl'), allEntities, 1);
    const ledger = await ledgerKey();
    try {
      for (let i = 0; i < 8; i++) {
        const now = new Date();
        // an uncovered deduction (debt, as CREDIT_ONLY books what no grant covers): one movement, one allocation
        await runOnLedger(one.em.fork(), ledger, now, null, async (tx) => {
          const amount = new Dec(-1);
          return tx.book({
            type: 'ADJUSTED',
            amount,
            bookedAt: now,
            allocations: [{ grantId: null, amount }],
          }).id;
        });
      }
      const rows = await one.em
        .fork()
        .execute<{ name: string; generic_plans: string; custom_plans: string }[]>(
          `select name, generic_plans, custom_plans from pg_prepared_statements where name like 'dd_ledger_write_%'`,
        );
      // every write had the same shape: one statement, planned for its values five times, then generically
      expect(rows).toHaveLength(1);
      expect(Number(rows[0]!.generic_plans) + Number(rows[0]!.custom_plans)).toBe(8);
      expect(Number(rows[0]!.generic_plans)).toBeGreaterThan(0);
      const [head] = await one.em.fork().execute<{ balance: string; debt: string; last_sequence: number }[]>(
        `select balance::text as balance, debt::text as debt, last_sequence from ledger
            where customer_id = ? and currency_id = ?`,
        [ledger.customerId, ledger.currencyId],
      );
      expect(head).toEqual({ balance: '-8', debt: '8', last_sequence: 8 });
    } finally {
      await one.close(true);
    }
    await checkLedgerInvariants([ledger.customerId]);
  });
});
