import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LogLevel } from '../../src/core/log';
import { openOrm, type Orm } from '../../src/db/orm';
import { allEntities } from '../../src/modules';
import { runOnLedger, runOnLedgerGrouped, setLedgerRunnerLog, type LedgerTx } from '../../src/modules/ledger';
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

describe('runOnLedgerGrouped across ledgers', () => {
  /** Three jobs that hold the three batch slots until `release()`. */
  async function holdSlots() {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const em = orm.em.fork();
    const held = await Promise.all([ledgerKey(), ledgerKey(), ledgerKey()]);
    const done = held.map((l) =>
      runOnLedgerGrouped(em, l, new Date(), null, async () => {
        await gate;
        return 'held';
      }),
    );
    return { release, done: Promise.all(done), customers: held.map((l) => l.customerId) };
  }

  it('jobs of several ledgers that wait for a slot share one transaction; each ledger keeps its order', async () => {
    const slots = await holdSlots();
    const ledgers = await Promise.all([ledgerKey(), ledgerKey(), ledgerKey(), ledgerKey()]);
    const seen: { ledger: number; job: number; em: unknown; ledgerId: string }[] = [];
    const em = orm.em.fork();
    const jobs = ledgers.flatMap((l, i) =>
      [0, 1].map((j) =>
        runOnLedgerGrouped(em, l, new Date(), null, async (tx, txEm) => {
          seen.push({ ledger: i, job: j, em: txEm, ledgerId: tx.id });
          return `${i}.${j}`;
        }),
      ),
    );
    slots.release();
    expect(await slots.done).toEqual(['held', 'held', 'held']);
    expect(await Promise.all(jobs)).toEqual(['0.0', '0.1', '1.0', '1.1', '2.0', '2.1', '3.0', '3.1']);
    // one transaction (one EntityManager) for the eight jobs, each on its own ledger's LedgerTx, in order
    expect(new Set(seen.map((s) => s.em)).size).toBe(1);
    expect(seen.map((s) => `${s.ledger}.${s.job}`)).toEqual([
      '0.0',
      '0.1',
      '1.0',
      '1.1',
      '2.0',
      '2.1',
      '3.0',
      '3.1',
    ]);
    expect(new Set(seen.map((s) => s.ledgerId)).size).toBe(4);
    await checkLedgerInvariants([...slots.customers, ...ledgers.map((l) => l.customerId)]);
  });

  it('a failing job in a batch of several ledgers: the other ledgers commit in batches of their own, only its ledger falls back', async () => {
    const slots = await holdSlots();
    const [good, bad, other] = await Promise.all([ledgerKey(), ledgerKey(), ledgerKey()]);
    const em = orm.em.fork();
    const now = new Date();
    const booked = (id: string) => async (tx: LedgerTx) => {
      tx.book({
        type: 'ADJUSTED',
        amount: new Dec('-1.00'),
        bookedAt: now,
        description: id,
        allocations: [{ grantId: null, amount: new Dec('-1.00') }],
      });
      return id;
    };
    const a = runOnLedgerGrouped(em, good, now, null, booked('good'));
    const b = runOnLedgerGrouped(em, bad, now, null, async () => {
      throw new Error('this job broke');
    });
    const b2 = runOnLedgerGrouped(em, bad, now, null, booked('bad-but-fine'));
    const c = runOnLedgerGrouped(em, other, now, null, booked('other'));
    slots.release();
    await slots.done;
    const answers = await Promise.allSettled([a, b, b2, c]);
    expect(answers.map((x) => (x.status === 'fulfilled' ? x.value : (x.reason as Error).message))).toEqual([
      'good',
      'this job broke',
      'bad-but-fine',
      'other',
    ]);
    const keyOf = (l: { customerId: string; currencyId: string }) => `${l.customerId}|${l.currencyId}`;
    const fallbacks = logged.filter((l) => [good, bad, other].map(keyOf).includes(String(l.extra?.ledger)));
    expect(fallbacks.map((f) => [f.extra?.ledger, f.extra?.jobs])).toEqual([[keyOf(bad), 2]]);
    // what the good jobs booked is there once: the failed batch wrote nothing
    const rows = await orm.em
      .fork()
      .execute<{ customer_id: string; n: string }[]>(
        `select customer_id, count(*)::text as n from movement where customer_id in (?, ?, ?) group by customer_id`,
        [good.customerId, bad.customerId, other.customerId],
      );
    expect(Object.fromEntries(rows.map((r) => [r.customer_id, r.n]))).toEqual({
      [good.customerId]: '1',
      [bad.customerId]: '1',
      [other.customerId]: '1',
    });
    await checkLedgerInvariants([...slots.customers, good.customerId, bad.customerId, other.customerId]);
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
