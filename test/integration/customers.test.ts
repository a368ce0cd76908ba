import { describe, expect, it } from 'vitest';
import {
  CancelSubscriptionDocument,
  CreateCurrencyDocument,
  CreateCustomerDocument,
  CreatePlanDocument,
  CreateSubscriptionDocument,
  CustomerDocument,
  CustomersDocument,
  type CustomersQuery,
  NodeDocument,
  PublishPlanDocument,
  UpdateCustomerDocument,
} from '../gql/graphql';
import { codeOf, uniq, uniqCode, useTestApp } from '../support/app';

const t = useTestApp();

async function publishedPlan(cadence = 'P1M') {
  const currency = uniqCode('S');
  await t.ok(CreateCurrencyDocument, { input: { code: currency, name: 'Sub currency' } });
  const p = await t.ok(CreatePlanDocument, {
    input: {
      key: uniq('plan'),
      name: 'Plan',
      currency,
      settlementMode: 'CREDIT_ONLY',
      billingCadence: cadence,
      rateCards: [],
    },
  });
  await t.ok(PublishPlanDocument, { id: p.createPlan.id });
  return p.createPlan;
}

describe('customers', () => {
  it('creates, reads by id and key, updates and keeps its key as a subject', async () => {
    const key = uniq('acme');
    const created = await t.ok(CreateCustomerDocument, {
      input: {
        key,
        name: 'Acme',
        email: 'billing@acme.test',
        subjectKeys: [`${key}-svc`],
        metadata: { tier: 'gold' },
      },
    });
    const c = created.createCustomer;
    expect(c).toMatchObject({ key, name: 'Acme', email: 'billing@acme.test', metadata: { tier: 'gold' } });
    expect([...c.subjectKeys].sort()).toEqual([key, `${key}-svc`].sort());

    expect((await t.ok(CustomerDocument, { id: c.id })).customer!.key).toBe(key);
    expect((await t.ok(CustomerDocument, { key })).customer!.id).toBe(c.id);
    expect((await t.ok(CustomerDocument, { key: uniq('missing') })).customer).toBeNull();

    const updated = await t.ok(UpdateCustomerDocument, {
      id: c.id,
      input: { name: 'Acme Inc', email: null, subjectKeys: [`${key}-other`], metadata: null },
    });
    expect(updated.updateCustomer).toMatchObject({ name: 'Acme Inc', email: null, metadata: null });
    expect([...updated.updateCustomer.subjectKeys].sort()).toEqual([key, `${key}-other`].sort());

    const node = await t.ok(NodeDocument, { id: c.id });
    expect(node.node).toMatchObject({ __typename: 'Customer', key });
  });

  it('rejects a duplicate key, a subject owned by another customer and bad fields, changing nothing', async () => {
    const key = uniq('dup');
    await t.ok(CreateCustomerDocument, { input: { key, name: 'One' } });
    expect(codeOf(await t.gql(CreateCustomerDocument, { input: { key, name: 'Two' } }))).toBe('CONFLICT');
    const other = uniq('other');
    const res = await t.gql(CreateCustomerDocument, {
      input: { key: other, name: 'Other', subjectKeys: [key] },
    });
    expect(codeOf(res)).toBe('CONFLICT');
    expect((await t.ok(CustomerDocument, { key: other })).customer).toBeNull();
    const bad = await t.gql(CreateCustomerDocument, { input: { key: 'has space', name: '', email: 'nope' } });
    expect(codeOf(bad)).toBe('BAD_USER_INPUT');
    expect((bad.errors![0]!.extensions!.problems as unknown[]).length).toBe(3);
    expect(
      codeOf(
        await t.gql(UpdateCustomerDocument, { id: 'cus_00000000000000000000000000', input: { name: 'x' } }),
      ),
    ).toBe('NOT_FOUND');
  });

  it('searches and pages customers newest first', async () => {
    const tag = uniq('srch');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(
        (await t.ok(CreateCustomerDocument, { input: { key: `${tag}-${i}`, name: `Searchable ${i}` } }))
          .createCustomer.id,
      );
    }
    const seen: string[] = [];
    let after: string | null | undefined = null;
    for (let page = 0; page < 3; page++) {
      const res: CustomersQuery = await t.ok(CustomersDocument, { search: tag, first: 2, after });
      seen.push(...res.customers.edges.map((e) => e.node.id));
      after = res.customers.pageInfo.endCursor;
      if (!res.customers.pageInfo.hasNextPage) break;
    }
    expect(seen).toEqual([...ids].reverse());
    const foreign = await t.gql(CustomersDocument, { search: 'something else', first: 2, after });
    expect(codeOf(foreign)).toBe('BAD_USER_INPUT');
  });
});

describe('subscriptions', () => {
  it('subscribes to a published plan, computes billing periods, refuses overlap and cancels', async () => {
    const plan = await publishedPlan('P1D');
    const customer = (await t.ok(CreateCustomerDocument, { input: { key: uniq('sub'), name: 'Sub' } }))
      .createCustomer;
    const activeFrom = new Date(Date.now() - 36 * 3600 * 1000).toISOString();
    const sub = (
      await t.ok(CreateSubscriptionDocument, {
        input: { customerId: customer.id, planId: plan.id, activeFrom },
      })
    ).createSubscription;
    expect(sub).toMatchObject({
      status: 'ACTIVE',
      activeFrom,
      activeTo: null,
      settlementMode: 'CREDIT_ONLY',
    });
    // anchored at activeFrom with a one-day cadence: the second period is running
    const start = new Date(Date.parse(activeFrom) + 24 * 3600 * 1000).toISOString();
    const end = new Date(Date.parse(activeFrom) + 48 * 3600 * 1000).toISOString();
    expect(sub.currentPeriod).toEqual({ start, end });

    const overlap = await t.gql(CreateSubscriptionDocument, {
      input: { customerId: customer.id, planId: plan.id },
    });
    expect(codeOf(overlap)).toBe('CONFLICT');

    const canceled = (await t.ok(CancelSubscriptionDocument, { id: sub.id })).cancelSubscription;
    expect(canceled.status).toBe('CANCELED');
    expect(canceled.activeTo).not.toBeNull();
    expect(codeOf(await t.gql(CancelSubscriptionDocument, { id: sub.id }))).toBe('INVALID_STATE');

    // after the cancellation a new subscription to the same plan key is allowed
    const again = await t.ok(CreateSubscriptionDocument, {
      input: { customerId: customer.id, planId: plan.id, settlementMode: 'CREDIT_THEN_INVOICE' },
    });
    expect(again.createSubscription).toMatchObject({
      status: 'ACTIVE',
      settlementMode: 'CREDIT_THEN_INVOICE',
    });

    const read = await t.ok(CustomerDocument, { id: customer.id });
    expect(read.customer!.subscriptions.map((s) => s.status)).toEqual(['CANCELED', 'ACTIVE']);
  });

  it('schedules future subscriptions and ends them at a scheduled cancellation date', async () => {
    const plan = await publishedPlan();
    const customer = (await t.ok(CreateCustomerDocument, { input: { key: uniq('sched'), name: 'S' } }))
      .createCustomer;
    const future = new Date(Date.now() + 3600_000).toISOString();
    const sub = (
      await t.ok(CreateSubscriptionDocument, {
        input: { customerId: customer.id, planId: plan.id, activeFrom: future },
      })
    ).createSubscription;
    expect(sub.status).toBe('SCHEDULED');
    expect(sub.currentPeriod).toBeNull();
    const endAt = new Date(Date.parse(future) + 3600_000).toISOString();
    const canceled = (await t.ok(CancelSubscriptionDocument, { id: sub.id, at: endAt })).cancelSubscription;
    expect(canceled.status).toBe('SCHEDULED');
    expect(canceled.activeTo).toBe(endAt);

    const past = await t.ok(CreateCustomerDocument, { input: { key: uniq('ended'), name: 'E' } });
    const s2 = (
      await t.ok(CreateSubscriptionDocument, {
        input: {
          customerId: past.createCustomer.id,
          planId: plan.id,
          activeFrom: new Date(Date.now() - 10_000).toISOString(),
        },
      })
    ).createSubscription;
    const endsSoon = new Date(Date.now() + 300).toISOString();
    expect(
      (await t.ok(CancelSubscriptionDocument, { id: s2.id, at: endsSoon })).cancelSubscription.status,
    ).toBe('ACTIVE');
    await new Promise((r) => setTimeout(r, 400));
    const after = await t.ok(CustomerDocument, { id: past.createCustomer.id });
    expect(after.customer!.subscriptions[0]!.status).toBe('ENDED');
  });

  it('refuses draft and archived plans and unknown ids', async () => {
    const currency = uniqCode('D');
    await t.ok(CreateCurrencyDocument, { input: { code: currency, name: 'D' } });
    const draft = await t.ok(CreatePlanDocument, {
      input: { key: uniq('draft'), name: 'Draft', currency, settlementMode: 'CREDIT_ONLY', rateCards: [] },
    });
    const customer = (await t.ok(CreateCustomerDocument, { input: { key: uniq('c'), name: 'C' } }))
      .createCustomer;
    const res = await t.gql(CreateSubscriptionDocument, {
      input: { customerId: customer.id, planId: draft.createPlan.id },
    });
    expect(codeOf(res)).toBe('INVALID_STATE');
    expect(
      codeOf(
        await t.gql(CreateSubscriptionDocument, {
          input: { customerId: 'nope', planId: draft.createPlan.id },
        }),
      ),
    ).toBe('NOT_FOUND');
    expect((await t.ok(CustomerDocument, { id: customer.id })).customer!.subscriptions).toEqual([]);
  });
});
