import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdjustCreditsDocument, CreateChargeDocument, CreditTransactionsDocument } from '../gql/graphql';
import { startTestApp, type TestApp } from '../support/app';
import { currencyAndCustomer, grantCredits, historyOf } from '../support/builders';
import { withDb } from '../support/db';
import { checkLedgerInvariants } from '../support/invariants';
import { statementCounter } from '../support/statements';

/**
 * The kept first page of history (issue 14; docs/holds-and-checks.md, "Fast checks", whose change counter
 * keeps it exact): a repeated read of a customer's newest page with nothing booked sends no statement, and a
 * read right after any movement shows it, as a fresh read would.
 */

const sql = statementCounter();
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({}, sql.onQuery);
});
afterAll(async () => {
  await t.stop();
});

const firstPage = (customerId: string, first = 20) => t.ok(CreditTransactionsDocument, { customerId, first });

/** The first page's statements once every notification of what came before has arrived (see check-cache.test.ts). */
async function keptPageStatements(customerId: string): Promise<number> {
  let n = Infinity;
  for (let i = 0; i < 20 && n > 0; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 50));
    n = (await sql.count(() => firstPage(customerId))).statements;
  }
  return n;
}

/** What the database holds now: the same page read with a filter, which is never kept. */
async function fresh(customerId: string, currency: string) {
  return (await historyOf(t, customerId, currency)).slice(0, 20);
}

describe('kept first page of history', () => {
  it('a repeated first page sends no statement, and shows each movement as soon as it is booked', async () => {
    const c = await currencyAndCustomer(t, { prefix: 'H', keyPrefix: 'kept' });
    await grantCredits(t, c.customerId, c.currency, '10');
    await sql.quiet();
    const first = await sql.count(() => firstPage(c.customerId));
    expect(first.statements).toBeGreaterThan(0);
    expect(await keptPageStatements(c.customerId)).toBe(0);

    const edgesNow = async () => (await firstPage(c.customerId)).creditTransactions.edges.map((e) => e.node);
    // each kind of writer: an adjustment, a charge, a grant; each read right after its answer
    await t.ok(AdjustCreditsDocument, {
      input: { customerId: c.customerId, currency: c.currency, amount: '1', reason: 'kept-1' },
    });
    let page = await edgesNow();
    expect(page[0]).toMatchObject({ type: 'ADJUSTED', amount: '1.00', balanceAfter: '11.00' });
    expect(page).toEqual(await fresh(c.customerId, c.currency));

    await t.ok(CreateChargeDocument, {
      input: {
        customerId: c.customerId,
        currency: c.currency,
        amount: '4',
        description: 'kept',
        settlementMode: 'CREDIT_ONLY',
      },
    });
    page = await edgesNow();
    expect(page[0]).toMatchObject({ type: 'CONSUMED', amount: '-4.00', balanceAfter: '7.00' });
    expect(page).toEqual(await fresh(c.customerId, c.currency));

    await grantCredits(t, c.customerId, c.currency, '5');
    page = await edgesNow();
    expect(page[0]).toMatchObject({ balanceAfter: '12.00' });
    expect(page).toEqual(await fresh(c.customerId, c.currency));
    expect(await keptPageStatements(c.customerId)).toBe(0);
    await checkLedgerInvariants([c.customerId]);
  });

  it('only the newest, unfiltered page is kept: a cursor, a filter or another size reads each time', async () => {
    const c = await currencyAndCustomer(t, { prefix: 'H', keyPrefix: 'kept' });
    for (const amount of ['1', '2', '3']) await grantCredits(t, c.customerId, c.currency, amount);
    await sql.quiet();
    const page = await firstPage(c.customerId, 2);
    expect(await keptPageStatements(c.customerId)).toBe(0);
    const after = page.creditTransactions.pageInfo.endCursor!;
    for (const read of [
      () => t.ok(CreditTransactionsDocument, { customerId: c.customerId, first: 2, after }),
      () => t.ok(CreditTransactionsDocument, { customerId: c.customerId, currency: c.currency, first: 20 }),
      () => t.ok(CreditTransactionsDocument, { customerId: c.customerId, last: 2 }),
    ]) {
      for (let i = 0; i < 2; i++) expect((await sql.count(read)).statements).toBeGreaterThan(0);
    }
    // another page size is a page of its own, kept after its first read
    expect((await sql.count(() => firstPage(c.customerId, 3))).statements).toBeGreaterThan(0);
    expect((await sql.count(() => firstPage(c.customerId, 3))).statements).toBe(0);
    await checkLedgerInvariants([c.customerId]);
  });

  it("another process's movement voids the kept page once its notification arrives", async () => {
    const c = await currencyAndCustomer(t, { prefix: 'H', keyPrefix: 'kept' });
    await grantCredits(t, c.customerId, c.currency, '10');
    await firstPage(c.customerId);
    expect(await keptPageStatements(c.customerId)).toBe(0);
    // what another process's commit sends after it: the customers whose movements it booked
    await withDb((db) =>
      db.query(`select pg_notify('drawdown_changes', $1)`, [
        JSON.stringify({ m: [c.customerId], p: [], t: [], o: 'another process' }),
      ]),
    );
    let statements = 0;
    for (let i = 0; i < 40 && statements === 0; i++) {
      await new Promise((r) => setTimeout(r, 25));
      statements = (await sql.count(() => firstPage(c.customerId))).statements;
    }
    expect(statements).toBeGreaterThan(0);
    expect(await keptPageStatements(c.customerId)).toBe(0);
    await checkLedgerInvariants([c.customerId]);
  });
});
