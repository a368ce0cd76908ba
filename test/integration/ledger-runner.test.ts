import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LogLevel } from '../../src/core/log';
import { openOrm, type Orm } from '../../src/db/orm';
import { allEntities } from '../../src/modules';
import { runOnLedgerGrouped, setLedgerRunnerLog } from '../../src/modules/ledger';
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
