import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AdjustCreditsDocument,
  CreateCurrencyDocument,
  CreateCustomerDocument,
  ChargesDocument,
  CreateFeatureDocument,
  CreatePlanDocument,
  CreateSubscriptionDocument,
  HistoryWithRelationsDocument,
  IngestUsageDocument,
  PublishPlanDocument,
} from '../gql/graphql';
import { startTestApp, uniq, uniqCode, type TestApp } from '../support/app';
import { grantCredits } from '../support/builders';
import { checkLedgerInvariants } from '../support/invariants';

let t: TestApp;
let counting = false;
let queries = 0;
beforeAll(async () => {
  t = await startTestApp({}, () => {
    if (counting) queries++;
  });
});
afterAll(async () => {
  await t.stop();
});

async function countQueries(fn: () => Promise<unknown>): Promise<number> {
  queries = 0;
  counting = true;
  try {
    await fn();
  } finally {
    counting = false;
  }
  return queries;
}

describe('DataLoaders', () => {
  it('resolve a page of movements with grant, customer, invoice, currency and allocations in a fixed number of queries', async () => {
    const currency = uniqCode('Q');
    await t.ok(CreateCurrencyDocument, { input: { code: currency, name: 'Q' } });
    const customerId = (await t.ok(CreateCustomerDocument, { input: { key: uniq('q'), name: 'Q' } }))
      .createCustomer.id;
    for (let i = 0; i < 50; i++) {
      await grantCredits(t, customerId, currency, '2');
    }
    for (let i = 0; i < 50; i++) {
      await t.ok(AdjustCreditsDocument, {
        input: { customerId, currency, amount: '-1.50', reason: `use ${i}` },
      });
    }
    const page = async (first: number) => {
      const res = await t.ok(HistoryWithRelationsDocument, { customerId, first });
      expect(res.creditTransactions.edges).toHaveLength(first);
    };
    // both pages reach FUNDED movements (the newest 50 are deductions), so both resolve every relation
    const small = await countQueries(() => page(51));
    const large = await countQueries(() => page(100));

    const medium = await countQueries(() => page(75));
    console.log(`queries for pages of 51, 75 and 100 movements: ${small}, ${medium}, ${large}`);
    // one query per relation level (page, currency, grant, allocations, customer, invoice, ...), whatever the
    // page size; without loaders a page of 100 would take several hundred
    for (const n of [small, medium, large]) expect(n).toBeLessThanOrEqual(8);
    await checkLedgerInvariants([customerId]);
  });

  it('read a page of history with its allocations in one statement, allocations in position order', async () => {
    const currency = uniqCode('Q');
    await t.ok(CreateCurrencyDocument, { input: { code: currency, name: 'Q', scale: 2 } });
    const customerId = (await t.ok(CreateCustomerDocument, { input: { key: uniq('q'), name: 'Q' } }))
      .createCustomer.id;
    const first = await grantCredits(t, customerId, currency, '1', { priority: 1 });
    const second = await grantCredits(t, customerId, currency, '5', { priority: 2 });
    await t.ok(AdjustCreditsDocument, { input: { customerId, currency, amount: '-2.50', reason: 'both' } });
    const query = `query($c: ID!) { creditTransactions(customerId: $c, first: 20) {
      edges { node { type amount grant { id } allocations { amount grant { id } } } } } }`;
    type Answer = {
      creditTransactions: {
        edges: {
          node: { type: string; amount: string; allocations: { amount: string; grant: { id: string } }[] };
        }[];
      };
    };
    // the customer's existence and the currency are kept from here on; another page size, so that the page read
    // below is not the kept first page of 20 (kept-history.test.ts) but read from PostgreSQL
    await t.raw(query.replace('first: 20', 'first: 19'), { c: customerId });
    let answer: Answer | null | undefined;
    const n = await countQueries(async () => {
      answer = (await t.raw<Answer>(query, { c: customerId })).data;
    });
    expect(n).toBe(1);
    const [adjusted, ...funded] = answer!.creditTransactions.edges.map((e) => e.node);
    expect(adjusted!.type).toBe('ADJUSTED');
    // drawn from the first grant (priority 1) first, then the second
    expect(adjusted!.allocations).toEqual([
      { amount: '-1.00', grant: { id: first.id } },
      { amount: '-1.50', grant: { id: second.id } },
    ]);
    expect(funded.map((m) => m.allocations.length)).toEqual([1, 1]);
    await checkLedgerInvariants([customerId]);
  });

  it("counts the auto top-up wake after a commit as background work, not as the request's statements", async () => {
    const currency = uniqCode('Q');
    await t.ok(CreateCurrencyDocument, { input: { code: currency, name: 'Q', scale: 2 } });
    const customerId = (await t.ok(CreateCustomerDocument, { input: { key: uniq('q'), name: 'Q' } }))
      .createCustomer.id;
    await grantCredits(t, customerId, currency, '5');
    // the commit wakes the top-up watcher, which asks 50 ms later whether the customer has a rule
    await t.ok(AdjustCreditsDocument, { input: { customerId, currency, amount: '-1', reason: 'wake' } });
    const n = await countQueries(() => new Promise((r) => setTimeout(r, 300)));
    expect(n).toBe(0);
    await checkLedgerInvariants([customerId]);
  });

  it("resolve a page of charges with each charge's subscription in a fixed number of queries", async () => {
    const currency = uniqCode('Q');
    await t.ok(CreateCurrencyDocument, { input: { code: currency, name: 'Q' } });
    // a customer's key is one of its usage subjects
    const subject = uniq('q');
    const customerId = (await t.ok(CreateCustomerDocument, { input: { key: subject, name: 'Q' } }))
      .createCustomer.id;
    // one plan (and subscription, and so one charge) per event type
    const subscribe = async () => {
      const eventType = uniq('q_event');
      const featureKey = uniq('q_feature');
      await t.ok(CreateFeatureDocument, {
        input: { key: featureKey, name: 'Q', eventType, aggregation: 'COUNT' },
      });
      const plan = await t.ok(CreatePlanDocument, {
        input: {
          key: uniq('q_plan'),
          name: 'Q',
          currency,
          settlementMode: 'CREDIT_ONLY',
          rateCards: [{ featureKey, price: { model: 'UNIT', unitAmount: '1' } }],
        },
      });
      await t.ok(PublishPlanDocument, { id: plan.createPlan.id });
      await t.ok(CreateSubscriptionDocument, {
        input: {
          customerId,
          planId: plan.createPlan.id,
          activeFrom: new Date(Date.now() - 3600_000).toISOString(),
        },
      });
      await t.ok(IngestUsageDocument, { events: [{ id: uniq('q_e'), subject, type: eventType }] });
    };
    const page = async (first: number) => {
      const res = await t.ok(ChargesDocument, { customerId, first });
      expect(res.charges.edges).toHaveLength(first);
      expect(new Set(res.charges.edges.map((e) => e.node.subscription!.id)).size).toBe(first);
    };
    for (let i = 0; i < 8; i++) await subscribe();
    await page(1); // the customer's existence is then known to the process (kept, not asked again)
    const small = await countQueries(() => page(2));
    const large = await countQueries(() => page(8));
    console.log(`queries for pages of 2 and 8 charges with their subscriptions: ${small}, ${large}`);
    expect(large).toBe(small);
  });
});
