import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import { openOrm } from '../../src/db/orm';
import { allEntities } from '../../src/modules';
import { createServices } from '../../src/services';
import {
  AutoTopUpsDocument,
  CreateTopUpPlanDocument,
  CreateSubscriptionDocument,
  IssueCustomerTokenDocument,
  PublishPlanDocument,
  SetAutoTopUpDocument,
  TopUpGrantsDocument,
  UpdateExternalSettlementDocument,
  UpdateInvoicePaymentStatusDocument,
  type SetAutoTopUpInput,
} from '../gql/graphql';
import { codeOf, startTestApp, uniq, type TestApp } from '../support/app';
import { adjustCredits, grantCredits, newCurrency, newCustomer, requireBalance } from '../support/builders';
import { useDb } from '../support/db';
import { checkLedgerInvariants } from '../support/invariants';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});
const db = useDb();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `fn` answers something truthy (the test's own timeout bounds it). */
async function until<T>(fn: () => Promise<T | null | undefined | false>): Promise<T> {
  for (;;) {
    const v = await fn();
    if (v) return v;
    await sleep(100);
  }
}

/**
 * Waits until every top-up check a movement may have woken for this customer has run: the wake is gathered
 * for 50 ms after commit, then its job waits in graphile-worker until a worker has run it.
 */
async function checksDone(customerId: string): Promise<void> {
  await sleep(300);
  await until(async () => {
    const r = await db.query(
      `select count(*)::int as n from graphile_worker._private_jobs j
         join graphile_worker._private_tasks k on k.id = j.task_id
        where k.identifier = 'auto_top_up' and j.payload->>'customerId' = $1 and j.run_at <= now()`,
      [customerId],
    );
    return (r.rows[0] as { n: number }).n === 0;
  });
}

async function topUps(customerId: string, currency: string) {
  const g = await t.ok(TopUpGrantsDocument, { customerId, currency });
  return g.creditGrants.edges.map((e) => e.node).filter((n) => n.source === 'AUTO_TOP_UP');
}

async function rules(customerId: string, token?: string) {
  return (await t.ok(AutoTopUpsDocument, { id: customerId }, token)).customer!.autoTopUps;
}

/** A credit currency (scale 2) whose plan sells credits at 0.04 USD, and a customer subscribed to it. */
async function program(opts: { price?: boolean } = {}) {
  const currency = await newCurrency(t, { prefix: 'AT', scale: 2, fiatCode: 'USD', fiatValue: '1.00' });
  const { customerId } = await newCustomer(t, { keyPrefix: 'topup' });
  const plan = await t.ok(CreateTopUpPlanDocument, {
    input: {
      key: uniq('topup_plan'),
      name: 'Prepaid',
      currency,
      settlementMode: 'CREDIT_ONLY',
      rateCards: [],
      ...(opts.price === false ? {} : { creditPurchase: { currency: 'USD', unitPrice: '0.04' } }),
    },
  });
  await t.ok(PublishPlanDocument, { id: plan.createPlan.id });
  const sub = await t.ok(CreateSubscriptionDocument, {
    input: {
      customerId,
      planId: plan.createPlan.id,
      activeFrom: new Date(Date.now() - 60_000).toISOString(),
    },
  });
  return { currency, customerId, subscriptionId: sub.createSubscription.id };
}

function setRule(input: SetAutoTopUpInput) {
  return t.gql(SetAutoTopUpDocument, { input });
}

describe('auto top-up', () => {
  it('fixed amount, INVOICE: the invoice is issued at once, no second top-up while it is unpaid, paying it funds', async () => {
    const { currency, customerId, subscriptionId } = await program();
    await grantCredits(t, customerId, currency, '100');
    const set = await setRule({ customerId, currency, enabled: true, threshold: '50', amount: '200' });
    expect(set.errors).toBeUndefined();
    expect(set.data!.setAutoTopUp).toMatchObject({
      threshold: '50.00',
      amount: '200.00',
      targetBalance: null,
      fundingMethod: 'INVOICE',
      retryAfter: 'PT1H',
      lastTriggeredAt: null,
    });
    await adjustCredits(t, customerId, currency, '-60'); // settled 40 < 50
    const [g] = await until(async () => {
      const l = await topUps(customerId, currency);
      return l.length > 0 && l;
    });
    expect(g).toMatchObject({
      amount: '200.00',
      fundingMethod: 'INVOICE',
      status: 'PENDING',
      paymentStatus: 'PENDING',
      subscription: { id: subscriptionId },
      purchase: { currency: 'USD', perUnitCost: '0.04' },
      invoice: { status: 'ISSUED', paymentStatus: 'PENDING', total: '8.00', currency: 'USD' },
    });
    expect((await rules(customerId))[0]!.lastTriggeredAt).not.toBeNull();
    expect((await requireBalance(t, customerId, currency)).settled).toBe('40.00');

    // more usage while the invoice is unpaid: still one top-up
    await adjustCredits(t, customerId, currency, '-10');
    await checksDone(customerId);
    expect(await topUps(customerId, currency)).toHaveLength(1);

    await t.ok(UpdateInvoicePaymentStatusDocument, { invoiceId: g!.invoice!.id, status: 'SETTLED' });
    expect((await requireBalance(t, customerId, currency)).settled).toBe('230.00');
    await checksDone(customerId);
    const after = await topUps(customerId, currency);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ status: 'ACTIVE', paymentStatus: 'SETTLED' });
    await checkLedgerInvariants([customerId]);
  });

  it('target balance, EXTERNAL: available at once, PENDING until updateExternalSettlement, then the next one', async () => {
    const { currency, customerId } = await program();
    await grantCredits(t, customerId, currency, '100');
    await setRule({
      customerId,
      currency,
      enabled: true,
      threshold: '50',
      targetBalance: '150',
      fundingMethod: 'EXTERNAL',
    });
    await adjustCredits(t, customerId, currency, '-70.5'); // settled 29.50
    const [g] = await until(async () => {
      const l = await topUps(customerId, currency);
      return l.length > 0 && l;
    });
    expect(g).toMatchObject({
      amount: '120.50',
      fundingMethod: 'EXTERNAL',
      status: 'ACTIVE',
      paymentStatus: 'PENDING',
      invoice: null,
    });
    expect((await requireBalance(t, customerId, currency)).settled).toBe('150.00');

    // below again while the external payment is pending: nothing, for EXTERNAL too
    await adjustCredits(t, customerId, currency, '-120'); // settled 30
    await checksDone(customerId);
    expect(await topUps(customerId, currency)).toHaveLength(1);

    // paid: the next check (the sweep: settling books no movement) finds settled below and tops up to 150
    await t.ok(UpdateExternalSettlementDocument, { grantId: g!.id, status: 'SETTLED' });
    const second = await until(async () => {
      const l = await topUps(customerId, currency);
      return l.length > 1 && l.find((x) => x.id !== g!.id);
    });
    expect(second).toMatchObject({ amount: '120.00', paymentStatus: 'PENDING' });
    expect((await requireBalance(t, customerId, currency)).settled).toBe('150.00');
    await checkLedgerInvariants([customerId]);
  });

  it('after a failed payment, nothing before retryAfter, then one', async () => {
    const { currency, customerId } = await program();
    await grantCredits(t, customerId, currency, '100');
    await setRule({
      customerId,
      currency,
      enabled: true,
      threshold: '50',
      amount: '100',
      retryAfter: 'PT2S',
    });
    await adjustCredits(t, customerId, currency, '-60');
    const [first] = await until(async () => {
      const l = await topUps(customerId, currency);
      return l.length > 0 && l;
    });
    await t.ok(UpdateInvoicePaymentStatusDocument, { invoiceId: first!.invoice!.id, status: 'FAILED' });
    const failed = (await topUps(customerId, currency))[0]!;
    expect(failed).toMatchObject({ status: 'VOIDED', paymentStatus: 'FAILED' });
    // a movement right after the failure wakes a check: it must wait
    await adjustCredits(t, customerId, currency, '-1');
    const second = await until(async () => {
      const l = await topUps(customerId, currency);
      return l.length > 1 && l.find((x) => x.id !== first!.id);
    });
    expect(new Date(second.createdAt).getTime()).toBeGreaterThanOrEqual(
      new Date(failed.voidedAt!).getTime() + 2000,
    );
    expect(second).toMatchObject({ amount: '100.00', status: 'PENDING', paymentStatus: 'PENDING' });
    await checksDone(customerId);
    expect(await topUps(customerId, currency)).toHaveLength(2);
    await checkLedgerInvariants([customerId]);
  });

  it('enabling a rule while the balance is below its threshold fires', async () => {
    const { currency, customerId } = await program({ price: false });
    await grantCredits(t, customerId, currency, '10');
    const set = await setRule({
      customerId,
      currency,
      enabled: true,
      threshold: '50',
      amount: '25',
      fundingMethod: 'EXTERNAL',
    });
    expect(set.errors).toBeUndefined();
    const [g] = await until(async () => {
      const l = await topUps(customerId, currency);
      return l.length > 0 && l;
    });
    // EXTERNAL without a credit price: no purchase terms, no subscription
    expect(g).toMatchObject({ amount: '25.00', status: 'ACTIVE', purchase: null, subscription: null });
    expect((await requireBalance(t, customerId, currency)).settled).toBe('35.00');
    await checkLedgerInvariants([customerId]);
  });

  it('a disabled rule fires nothing', async () => {
    const { currency, customerId } = await program();
    await grantCredits(t, customerId, currency, '100');
    await setRule({ customerId, currency, enabled: false, threshold: '50', amount: '100' });
    await adjustCredits(t, customerId, currency, '-90');
    await checksDone(customerId);
    expect(await topUps(customerId, currency)).toHaveLength(0);
    expect((await rules(customerId))[0]).toMatchObject({ enabled: false, lastTriggeredAt: null });
    await checkLedgerInvariants([customerId]);
  });

  it('setting the rule again replaces it: one rule per (customer, currency)', async () => {
    const { currency, customerId } = await program();
    await grantCredits(t, customerId, currency, '100');
    await setRule({ customerId, currency, enabled: false, threshold: '50', amount: '100' });
    const again = await setRule({
      customerId,
      currency,
      enabled: false,
      threshold: '20',
      targetBalance: '80.5',
      fundingMethod: 'EXTERNAL',
      retryAfter: 'P1D',
    });
    expect(again.errors).toBeUndefined();
    expect(await rules(customerId)).toEqual([
      {
        currency: { code: currency },
        enabled: false,
        threshold: '20.00',
        amount: null,
        targetBalance: '80.50',
        fundingMethod: 'EXTERNAL',
        retryAfter: 'P1D',
        lastTriggeredAt: null,
      },
    ]);
    await checkLedgerInvariants([customerId]);
  });

  it('two checks racing on one crossing make one top-up', async () => {
    const { currency, customerId } = await program();
    await grantCredits(t, customerId, currency, '10');
    // six checks on a pool of two connections: a check holding a rule's lock must read on its own
    // transaction, or every connection ends up held by a check waiting for another one
    const small = await openOrm(inject('databaseUrl'), allEntities, 2);
    onTestFinished(() => small.close(true));
    const services = createServices({
      fork: () => small.em.fork(),
      clock: { now: () => new Date() },
      secret: 's',
    });
    // disabled first, so the contenders below are the only checks when it turns on
    await setRule({
      customerId,
      currency,
      enabled: false,
      threshold: '50',
      amount: '100',
      fundingMethod: 'EXTERNAL',
    });
    await setRule({
      customerId,
      currency,
      enabled: true,
      threshold: '50',
      amount: '100',
      fundingMethod: 'EXTERNAL',
    });
    const outcomes = (
      await Promise.all(Array.from({ length: 6 }, () => services.open().topUps.checkCustomer(customerId)))
    ).flat();
    await checksDone(customerId);
    const made = await topUps(customerId, currency);
    expect(made).toHaveLength(1);
    expect(outcomes.filter((o) => o.toppedUp).length).toBeLessThanOrEqual(1);
    expect((await requireBalance(t, customerId, currency)).settled).toBe('110.00');
    await checkLedgerInvariants([customerId]);
  });

  it('rejects bad input with its code and changes nothing', async () => {
    const { currency, customerId } = await program();
    const noPrice = await program({ price: false });
    await setRule({ customerId, currency, enabled: false, threshold: '5', amount: '10' });
    const before = await rules(customerId);
    const base = { customerId, currency, enabled: true, threshold: '50' };
    const cases: [string, SetAutoTopUpInput, string][] = [
      ['negative amount', { ...base, amount: '-10' }, 'BAD_USER_INPUT'],
      ['zero amount', { ...base, amount: '0' }, 'BAD_USER_INPUT'],
      ['amount beyond the scale', { ...base, amount: '10.001' }, 'BAD_USER_INPUT'],
      ['amount with an exponent', { ...base, amount: '1e3' }, 'BAD_USER_INPUT'],
      ['negative threshold', { ...base, threshold: '-1', amount: '10' }, 'BAD_USER_INPUT'],
      ['threshold beyond the scale', { ...base, threshold: '1.234', amount: '10' }, 'BAD_USER_INPUT'],
      ['both amount and target', { ...base, amount: '10', targetBalance: '100' }, 'BAD_USER_INPUT'],
      ['neither amount nor target', { ...base }, 'BAD_USER_INPUT'],
      ['target equal to the threshold', { ...base, targetBalance: '50' }, 'BAD_USER_INPUT'],
      ['target below the threshold', { ...base, targetBalance: '40' }, 'BAD_USER_INPUT'],
      ['negative target', { ...base, targetBalance: '-100' }, 'BAD_USER_INPUT'],
      ['PROMOTIONAL', { ...base, amount: '10', fundingMethod: 'PROMOTIONAL' }, 'BAD_USER_INPUT'],
      ['malformed retryAfter', { ...base, amount: '10', retryAfter: '1 hour' }, 'BAD_USER_INPUT'],
      ['empty duration', { ...base, amount: '10', retryAfter: 'PT' }, 'BAD_USER_INPUT'],
      ['zero retryAfter', { ...base, amount: '10', retryAfter: 'PT0S' }, 'BAD_USER_INPUT'],
      ['negative retryAfter', { ...base, amount: '10', retryAfter: '-PT1H' }, 'BAD_USER_INPUT'],
      ['unknown currency', { ...base, currency: 'NOPE', amount: '10' }, 'BAD_USER_INPUT'],
      [
        'unknown customer',
        { ...base, customerId: 'cus_0000000000000000000000000', amount: '10' },
        'NOT_FOUND',
      ],
      [
        'INVOICE without a credit price',
        { ...base, customerId: noPrice.customerId, currency: noPrice.currency, amount: '10' },
        'INVALID_STATE',
      ],
    ];
    for (const [name, input, code] of cases) {
      const res = await setRule(input);
      expect({ name, code: codeOf(res) }).toEqual({ name, code });
    }
    expect(await rules(customerId)).toEqual(before);
    expect(await rules(noPrice.customerId)).toEqual([]);
    // an EXTERNAL rule needs no price; disabling an INVOICE rule needs none either
    expect(
      (
        await setRule({
          ...base,
          customerId: noPrice.customerId,
          currency: noPrice.currency,
          enabled: false,
          amount: '10',
        })
      ).errors,
    ).toBeUndefined();
    await checkLedgerInvariants([customerId, noPrice.customerId]);
  });

  it('a customer token may read its rules but not set them', async () => {
    const { currency, customerId } = await program();
    const other = await program();
    await setRule({ customerId, currency, enabled: false, threshold: '5', amount: '10' });
    const { token } = (await t.ok(IssueCustomerTokenDocument, { customerId, ttlSeconds: 600 }))
      .issueCustomerToken;
    const res = await t.gql(
      SetAutoTopUpDocument,
      { input: { customerId, currency, enabled: true, threshold: '50', amount: '10' } },
      token,
    );
    expect(codeOf(res)).toBe('FORBIDDEN');
    expect(await rules(customerId, token)).toMatchObject([
      { enabled: false, threshold: '5.00', amount: '10.00' },
    ]);
    const theirs = await t.gql(AutoTopUpsDocument, { id: other.customerId }, token);
    expect(theirs.data?.customer ?? null).toBeNull();
    await checkLedgerInvariants([customerId]);
  });
});
