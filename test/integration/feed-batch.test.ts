import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedHub, type BalanceUpdate } from '../../src/events/feeds';
import type { AsyncQueue } from '../../src/events/queue';
import { createServices } from '../../src/services';
import { startTestApp, type TestApp } from '../support/app';
import { adjustCredits, grantCredits, newCurrency, newCustomer } from '../support/builders';
import { checkLedgerInvariants } from '../support/invariants';

/**
 * How the live feeds hear and read changes. The read when one notification wakes several watched customers (`FeedReads.newMovements`,
 * `LedgerService.movementsAfterMany`): one statement for all of them, answering for each customer exactly
 * what its own read (`movementsAfter`) answers. And this process's own commits, which wake its feeds at
 * once, before the NOTIFY comes back.
 */

/** The texts the app sent while `recording`. */
const sent: string[] = [];
let recording = false;
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({}, (sql) => {
    if (recording) sent.push(sql);
  });
});
afterAll(async () => {
  await t.stop();
});

const services = () =>
  createServices({ fork: () => t.app.orm.em.fork(), clock: { now: () => new Date() }, secret: 's' });

/** Three customers, each with movements on two ledgers (a funding and some adjustments on each). */
async function customersWithHistory(): Promise<{ customers: string[]; ledgers: Map<string, string[]> }> {
  const codes = [await newCurrency(t, { scale: 2 }), await newCurrency(t, { scale: 0 })];
  const customers: string[] = [];
  for (let c = 0; c < 3; c++) {
    const { customerId } = await newCustomer(t);
    customers.push(customerId);
    for (const code of codes) await grantCredits(t, customerId, code, '1000');
    for (let i = 0; i < c + 2; i++) await adjustCredits(t, customerId, codes[i % 2]!, `-${i + 1}`);
  }
  const ledgers = new Map<string, string[]>();
  for (const id of customers) {
    const read = await services()
      .open()
      .ledger.movementsAfter(id, null, { after: new Map(), fallback: 0 }, 100);
    ledgers.set(id, [...new Set(read.movements.map((m) => m.ledgerId))]);
  }
  return { customers, ledgers };
}

describe('movementsAfterMany (several feeds, one read)', () => {
  it('answers each customer what its own read answers', async () => {
    const { customers, ledgers } = await customersWithHistory();
    const shown = (bs: { currency: { code: string }; settled: string; pending: string }[]) =>
      bs.map((b) => [b.currency.code, b.settled, b.pending]);
    await fc.assert(
      fc.asyncProperty(
        // per customer: whether it is asked, and a cursor per ledger (none: from the start)
        fc.array(fc.tuple(fc.boolean(), fc.option(fc.integer({ min: 0, max: 4 })), fc.option(fc.nat(4))), {
          minLength: 3,
          maxLength: 3,
        }),
        fc.integer({ min: 1, max: 6 }),
        async (asks, limit) => {
          const cursors = customers
            .map((customerId, i) => {
              const [asked, a, b] = asks[i]!;
              const after = new Map<string, number>();
              [a, b].forEach((s, j) => {
                if (s !== null) after.set(ledgers.get(customerId)![j]!, s);
              });
              return { asked, customerId, after };
            })
            .filter((c) => c.asked);
          const many = await services().open().ledger.movementsAfterMany(cursors, limit);
          for (const c of cursors) {
            const one = await services()
              .open()
              .ledger.movementsAfter(c.customerId, null, { after: c.after, fallback: 0 }, limit);
            const got = many.get(c.customerId);
            expect(got?.movements.map((m) => m.id) ?? []).toEqual(one.movements.map((m) => m.id));
            expect(shown(got?.balances ?? [])).toEqual(shown(one.balances));
          }
          expect([...many.keys()].every((id) => cursors.some((c) => c.customerId === id))).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
    await checkLedgerInvariants(customers);
  });

  it('a wake of several watched customers reads them in one statement and delivers each its movement', async () => {
    const code = await newCurrency(t, { scale: 2 });
    const customers: string[] = [];
    for (let c = 0; c < 3; c++) {
      const { customerId } = await newCustomer(t);
      await grantCredits(t, customerId, code, '100');
      customers.push(customerId);
    }
    // a hub of its own: only this test's wake reaches it (the app's bus wakes the app's hub)
    const hub = new FeedHub({ services: services(), log: () => undefined });
    const queues = new Map<string, AsyncQueue<BalanceUpdate>>();
    for (const id of customers) queues.set(id, await hub.balanceUpdates(id, null, null));
    for (const [i, id] of customers.entries()) await adjustCredits(t, id, code, `-${i + 1}`);

    sent.length = 0;
    recording = true;
    try {
      const updates = customers.map(async (id) => (await queues.get(id)!.next()).value as BalanceUpdate);
      hub.wake('movements', customers);
      const got = await Promise.all(updates);
      expect(got.map((u) => [u.customerId, u.movement?.amount, u.balance.settled])).toEqual(
        customers.map((id, i) => [id, `-${i + 1}`, `${100 - i - 1}.00`]),
      );
    } finally {
      recording = false;
      hub.stop();
    }
    const reads = sent.filter((s) => /dd_movements_after/.test(s));
    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatch(/dd_movements_after_many/);
    await checkLedgerInvariants(customers);
  });

  it("a started hub hears this process's commits itself: the update arrives with no notification", async () => {
    const code = await newCurrency(t, { scale: 2 });
    const { customerId } = await newCustomer(t);
    await grantCredits(t, customerId, code, '50');
    // no bus reaches this hub: only the commit listener it registers on start() can wake it
    const hub = new FeedHub({ services: services(), log: () => undefined });
    const idle = new FeedHub({ services: services(), log: () => undefined });
    hub.start();
    try {
      const queue = await hub.balanceUpdates(customerId, null, null);
      const unheard = await idle.balanceUpdates(customerId, null, null);
      const next = queue.next();
      sent.length = 0;
      recording = true;
      await adjustCredits(t, customerId, code, '-7');
      const update = (await next).value as BalanceUpdate;
      expect([update.movement?.amount, update.balance.settled]).toEqual(['-7', '43.00']);
      // the movement's update carried the pending figure: no pending-only read follows (they run 4/s at most)
      await new Promise((r) => setTimeout(r, 400));
      recording = false;
      expect(sent.filter((s) => /dd_balance_facts/.test(s))).toEqual([]);
      // the hub that was not started heard nothing
      const late = await Promise.race([unheard.next(), new Promise((r) => setTimeout(() => r('none'), 300))]);
      expect(late).toBe('none');
    } finally {
      hub.stop();
      idle.stop();
    }
    await checkLedgerInvariants([customerId]);
  });
});
