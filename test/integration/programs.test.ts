import { describe, expect, it } from 'vitest';
import {
  CreateProgramPlanDocument,
  CreateProgramSubscriptionDocument,
  IssueCustomerTokenDocument,
  PlanDocument,
  ProgramGrantsDocument,
  ProgramPlanDocument,
  ProgramSubscriptionsDocument,
  PublishPlanDocument,
  PurchaseCreditsDocument,
  UpdateCreditGrantExpiryDocument,
  UpdateInvoicePaymentStatusDocument,
  type CreatePlanInput,
  type CreateSubscriptionInput,
} from '../gql/graphql';
import { codeOf, uniq, useTestApp } from '../support/app';
import {
  adjustCredits,
  currencyAndCustomer,
  grantCredits,
  historyOf,
  newCustomer,
  requireBalance,
} from '../support/builders';
import { checkLedgerInvariants } from '../support/invariants';

const t = useTestApp();

const PURCHASE = { currency: 'USD', unitPrice: '0.05', minAmount: '250', maxAmount: '8000' };

/** A plan of `currency` with the given program; published unless told otherwise. */
async function programPlan(
  currency: string,
  extra: Partial<Omit<CreatePlanInput, 'key' | 'name' | 'currency' | 'settlementMode' | 'rateCards'>> = {},
  publish = true,
) {
  const p = await t.ok(CreateProgramPlanDocument, {
    input: {
      key: uniq('prog'),
      name: 'Prepaid',
      currency,
      settlementMode: 'CREDIT_ONLY',
      rateCards: [],
      ...extra,
    },
  });
  if (publish) await t.ok(PublishPlanDocument, { id: p.createPlan.id });
  return p.createPlan;
}

async function subscribe(input: CreateSubscriptionInput) {
  return t.gql(CreateProgramSubscriptionDocument, { input });
}

async function grantsOf(customerId: string, currency?: string) {
  const g = await t.ok(ProgramGrantsDocument, { customerId, currency });
  return g.creditGrants.edges.map((e) => e.node);
}

async function subscriptionsOf(customerId: string) {
  return (await t.ok(ProgramSubscriptionsDocument, { id: customerId })).customer!.subscriptions;
}

async function tokenFor(customerId: string) {
  return (await t.ok(IssueCustomerTokenDocument, { customerId })).issueCustomerToken.token;
}

describe('plan credit programs (catalog)', () => {
  it('stores allocations and purchase rules and reads them back resolved', async () => {
    const { currency } = await currencyAndCustomer(t);
    const plan = await programPlan(
      currency,
      {
        billingCadence: 'P1M',
        creditAllocations: [
          { amount: '1000' },
          { amount: '5.5', cadence: 'PT2S', priority: 3, expiresAfter: 'PT10S', rolloverCap: '2' },
        ],
        creditPurchase: PURCHASE,
      },
      false,
    );
    expect(plan.creditAllocations).toEqual([
      { amount: '1000.00', cadence: 'P1M', priority: 10, expiresAfter: null, rolloverCap: null },
      { amount: '5.50', cadence: 'PT2S', priority: 3, expiresAfter: 'PT10S', rolloverCap: '2.00' },
    ]);
    expect(plan.creditPurchase).toEqual({
      currency: 'USD',
      unitPrice: '0.05',
      minAmount: '250.00',
      maxAmount: '8000.00',
    });
    const again = await t.ok(ProgramPlanDocument, { id: plan.id });
    expect(again.plan).toEqual(plan);

    const bare = await programPlan(currency, {}, false);
    expect(bare.creditAllocations).toEqual([]);
    expect(bare.creditPurchase).toBeNull();
  });

  it('rejects malformed programs with BAD_USER_INPUT and creates nothing', async () => {
    const { currency } = await currencyAndCustomer(t); // scale 2
    const bad: [string, Partial<CreatePlanInput>][] = [
      ['malformed cadence', { creditAllocations: [{ amount: '1', cadence: '1 month' }] }],
      ['zero cadence', { creditAllocations: [{ amount: '1', cadence: 'PT0S' }] }],
      ['zero cadence P0D', { creditAllocations: [{ amount: '1', cadence: 'P0D' }] }],
      ['malformed expiresAfter', { creditAllocations: [{ amount: '1', expiresAfter: 'P1X' }] }],
      ['zero expiresAfter', { creditAllocations: [{ amount: '1', expiresAfter: 'PT0S' }] }],
      ['negative amount', { creditAllocations: [{ amount: '-5' }] }],
      ['zero amount', { creditAllocations: [{ amount: '0' }] }],
      ['out-of-scale amount', { creditAllocations: [{ amount: '1.001' }] }],
      ['negative rolloverCap', { creditAllocations: [{ amount: '1', rolloverCap: '-1' }] }],
      ['out-of-scale rolloverCap', { creditAllocations: [{ amount: '1', rolloverCap: '0.001' }] }],
      ['priority 0', { creditAllocations: [{ amount: '1', priority: 0 }] }],
      ['min > max', { creditPurchase: { ...PURCHASE, minAmount: '9000' } }],
      ['unknown purchase currency', { creditPurchase: { ...PURCHASE, currency: 'XYZ' } }],
      ['custom purchase currency', { creditPurchase: { ...PURCHASE, currency } }],
      ['unitPrice beyond USD scale', { creditPurchase: { ...PURCHASE, unitPrice: '0.001' } }],
      ['zero unitPrice', { creditPurchase: { ...PURCHASE, unitPrice: '0' } }],
      ['negative minAmount', { creditPurchase: { ...PURCHASE, minAmount: '-1' } }],
      ['out-of-scale maxAmount', { creditPurchase: { ...PURCHASE, maxAmount: '1.234' } }],
    ];
    for (const [what, extra] of bad) {
      const key = uniq('badprog');
      const res = await t.gql(CreateProgramPlanDocument, {
        input: { key, name: 'Bad', currency, settlementMode: 'CREDIT_ONLY', rateCards: [], ...extra },
      });
      expect(codeOf(res), what).toBe('BAD_USER_INPUT');
      expect((await t.ok(PlanDocument, { key })).plan, what).toBeNull();
    }
    console.log(`rejected ${bad.length} malformed programs`);
  });
});

describe('subscription credit price and included credits', () => {
  it('creditUnitPrice is the override, else the plan price, else null', async () => {
    const { currency, customerId } = await currencyAndCustomer(t);
    const priced = await programPlan(currency, { creditPurchase: PURCHASE });
    const unpriced = await programPlan(currency);
    const a = await subscribe({ customerId, planId: priced.id, creditUnitPrice: '0.04' });
    expect(a.data!.createSubscription.creditUnitPrice).toBe('0.04');
    const other = await newCustomer(t);
    const b = await subscribe({ customerId: other.customerId, planId: priced.id });
    expect(b.data!.createSubscription.creditUnitPrice).toBe('0.05');
    const c = await subscribe({ customerId: other.customerId, planId: unpriced.id });
    expect(c.data!.createSubscription.creditUnitPrice).toBeNull();
    expect((await subscriptionsOf(customerId)).map((s) => s.creditUnitPrice)).toEqual(['0.04']);

    // an override on a plan that sells no credits, or finer than the fiat currency: nothing created
    const third = await newCustomer(t);
    const r1 = await subscribe({
      customerId: third.customerId,
      planId: unpriced.id,
      creditUnitPrice: '0.04',
    });
    expect(codeOf(r1)).toBe('BAD_USER_INPUT');
    const r2 = await subscribe({ customerId: third.customerId, planId: priced.id, creditUnitPrice: '0.041' });
    expect(codeOf(r2)).toBe('BAD_USER_INPUT');
    expect(await subscriptionsOf(third.customerId)).toEqual([]);
    await checkLedgerInvariants([customerId, other.customerId, third.customerId]);
  });

  it('PROMOTIONAL included credits: one INCLUDED grant of the subscription, never expiring when expiresAfter is omitted', async () => {
    const { currency, customerId } = await currencyAndCustomer(t);
    const plan = await programPlan(currency);
    const sub = await subscribe({
      customerId,
      planId: plan.id,
      includedCredits: { amount: '100', fundingMethod: 'PROMOTIONAL' },
    });
    const subId = sub.data!.createSubscription.id;
    const [g] = await grantsOf(customerId, currency);
    expect(g).toMatchObject({
      source: 'INCLUDED',
      amount: '100.00',
      fundingMethod: 'PROMOTIONAL',
      status: 'ACTIVE',
      expiresAt: null,
      priority: 10,
      subscription: { id: subId },
      effectiveAt: sub.data!.createSubscription.activeFrom,
    });
    expect((await requireBalance(t, customerId, currency)).settled).toBe('100.00');

    const other = await newCustomer(t);
    const activeFrom = new Date(Date.now() - 3_600_000).toISOString();
    await subscribe({
      customerId: other.customerId,
      planId: plan.id,
      activeFrom,
      includedCredits: { amount: '7', fundingMethod: 'PROMOTIONAL', priority: 2, expiresAfter: 'P30D' },
    });
    const [h] = await grantsOf(other.customerId, currency);
    expect(h).toMatchObject({ source: 'INCLUDED', priority: 2, effectiveAt: activeFrom });
    expect(new Date(h!.expiresAt!).getTime()).toBe(new Date(activeFrom).getTime() + 30 * 86_400_000);
    await checkLedgerInvariants([customerId, other.customerId]);
  });

  it('INVOICE included credits are invoiced at the subscription price on creation and fund when paid, not before activeFrom', async () => {
    const { currency, customerId } = await currencyAndCustomer(t);
    const plan = await programPlan(currency, { creditPurchase: PURCHASE });
    const now = await subscribe({
      customerId,
      planId: plan.id,
      creditUnitPrice: '0.04',
      includedCredits: { amount: '100', fundingMethod: 'INVOICE' },
    });
    expect(now.errors).toBeUndefined();
    const [g] = await grantsOf(customerId, currency);
    expect(g).toMatchObject({
      source: 'INCLUDED',
      fundingMethod: 'INVOICE',
      status: 'PENDING',
      paymentStatus: 'PENDING',
      purchase: { currency: 'USD', perUnitCost: '0.04', totalAmount: '4.00' },
      invoice: { status: 'ISSUED', total: '4.00', currency: 'USD' },
    });
    await t.ok(UpdateInvoicePaymentStatusDocument, { invoiceId: g!.invoice!.id, status: 'SETTLED' });
    expect((await grantsOf(customerId, currency))[0]!.status).toBe('ACTIVE');
    expect((await requireBalance(t, customerId, currency)).settled).toBe('100.00');

    // a scheduled subscription: paid at once, still PENDING until it starts
    const later = await newCustomer(t);
    await subscribe({
      customerId: later.customerId,
      planId: plan.id,
      activeFrom: new Date(Date.now() + 86_400_000).toISOString(),
      includedCredits: { amount: '10', fundingMethod: 'INVOICE' },
    });
    const [s] = await grantsOf(later.customerId, currency);
    expect(s!.purchase!.totalAmount).toBe('0.50');
    await t.ok(UpdateInvoicePaymentStatusDocument, { invoiceId: s!.invoice!.id, status: 'SETTLED' });
    expect((await grantsOf(later.customerId, currency))[0]).toMatchObject({
      status: 'PENDING',
      paymentStatus: 'SETTLED',
    });
    expect((await requireBalance(t, later.customerId, currency)).settled).toBe('0.00');
    await checkLedgerInvariants([customerId, later.customerId]);
  });

  it('EXTERNAL, INVOICE without a price or a bad amount: BAD_USER_INPUT and no subscription', async () => {
    const { currency, customerId } = await currencyAndCustomer(t);
    const unpriced = await programPlan(currency);
    const priced = await programPlan(currency, { creditPurchase: PURCHASE });
    const cases: [string, CreateSubscriptionInput][] = [
      [
        'EXTERNAL',
        { customerId, planId: priced.id, includedCredits: { amount: '5', fundingMethod: 'EXTERNAL' } },
      ],
      [
        'INVOICE, no price',
        { customerId, planId: unpriced.id, includedCredits: { amount: '5', fundingMethod: 'INVOICE' } },
      ],
      [
        'scale',
        { customerId, planId: priced.id, includedCredits: { amount: '5.001', fundingMethod: 'PROMOTIONAL' } },
      ],
      [
        'negative',
        { customerId, planId: priced.id, includedCredits: { amount: '-5', fundingMethod: 'PROMOTIONAL' } },
      ],
      [
        'expiresAfter',
        {
          customerId,
          planId: priced.id,
          includedCredits: { amount: '5', fundingMethod: 'PROMOTIONAL', expiresAfter: 'P' },
        },
      ],
    ];
    for (const [what, input] of cases) expect(codeOf(await subscribe(input)), what).toBe('BAD_USER_INPUT');
    expect(await subscriptionsOf(customerId)).toEqual([]);
    expect(await grantsOf(customerId)).toEqual([]);
    await checkLedgerInvariants([customerId]);
  });
});

describe('purchaseCredits', () => {
  it('sells at the subscription price within min/max, self-service for its own customer only, idempotently', async () => {
    const { currency, customerId } = await currencyAndCustomer(t);
    const plan = await programPlan(currency, { creditPurchase: PURCHASE });
    const sub = await subscribe({ customerId, planId: plan.id, creditUnitPrice: '0.04' });
    const token = await tokenFor(customerId);

    const bought = await t.ok(
      PurchaseCreditsDocument,
      { input: { customerId, amount: '500', idempotencyKey: 'buy-1' } },
      token,
    );
    expect(bought.purchaseCredits).toMatchObject({
      source: 'PURCHASE',
      fundingMethod: 'INVOICE',
      status: 'PENDING',
      amount: '500.00',
      subscription: { id: sub.data!.createSubscription.id },
      purchase: { currency: 'USD', perUnitCost: '0.04', totalAmount: '20.00' },
      invoice: { status: 'ISSUED', total: '20.00' },
    });
    // the same key and input answer the first grant; another input is a conflict
    const replay = await t.ok(
      PurchaseCreditsDocument,
      { input: { customerId, currency, amount: '500', idempotencyKey: 'buy-1' } },
      token,
    );
    expect(replay.purchaseCredits.id).toBe(bought.purchaseCredits.id);
    const conflict = await t.gql(PurchaseCreditsDocument, {
      input: { customerId, amount: '600', idempotencyKey: 'buy-1' },
    });
    expect(codeOf(conflict)).toBe('IDEMPOTENCY_CONFLICT');
    expect(await grantsOf(customerId)).toHaveLength(1);

    await t.ok(UpdateInvoicePaymentStatusDocument, {
      invoiceId: bought.purchaseCredits.invoice!.id,
      status: 'SETTLED',
    });
    expect((await requireBalance(t, customerId, currency)).settled).toBe('500.00');

    const low = await t.gql(PurchaseCreditsDocument, {
      input: { customerId, amount: '249.99', idempotencyKey: 'low' },
    });
    expect(codeOf(low)).toBe('BAD_USER_INPUT');
    expect(low.errors![0]!.message).toContain('250.00');
    const high = await t.gql(PurchaseCreditsDocument, {
      input: { customerId, amount: '8000.01', idempotencyKey: 'high' },
    });
    expect(codeOf(high)).toBe('BAD_USER_INPUT');
    expect(high.errors![0]!.message).toContain('8000.00');
    const empty = await t.gql(PurchaseCreditsDocument, {
      input: { customerId, amount: '300', idempotencyKey: '' },
    });
    expect(codeOf(empty)).toBe('BAD_USER_INPUT');

    // a customer token for someone else's customer: NOT_FOUND, as for every foreign id
    const other = await newCustomer(t);
    const foreign = await t.gql(
      PurchaseCreditsDocument,
      { input: { customerId: other.customerId, amount: '300', idempotencyKey: 'x' } },
      token,
    );
    expect(codeOf(foreign)).toBe('NOT_FOUND');
    // no active subscription with a credit price: INVALID_STATE
    const none = await t.gql(PurchaseCreditsDocument, {
      input: { customerId: other.customerId, currency, amount: '300', idempotencyKey: 'y' },
    });
    expect(codeOf(none)).toBe('INVALID_STATE');
    await subscribe({ customerId: other.customerId, planId: (await programPlan(currency)).id });
    const unpriced = await t.gql(PurchaseCreditsDocument, {
      input: { customerId: other.customerId, amount: '300', idempotencyKey: 'z' },
    });
    expect(codeOf(unpriced)).toBe('INVALID_STATE');
    expect(await grantsOf(customerId)).toHaveLength(1);
    expect(await grantsOf(other.customerId)).toHaveLength(0);
    await checkLedgerInvariants([customerId, other.customerId]);
  });

  it('prices at the earliest started active subscription with a credit price', async () => {
    const { currency, customerId } = await currencyAndCustomer(t);
    const cheap = await programPlan(currency, { creditPurchase: { currency: 'USD', unitPrice: '0.02' } });
    const dear = await programPlan(currency, { creditPurchase: { currency: 'USD', unitPrice: '0.09' } });
    const first = await subscribe({
      customerId,
      planId: dear.id,
      activeFrom: new Date(Date.now() - 7_200_000).toISOString(),
    });
    await subscribe({
      customerId,
      planId: cheap.id,
      activeFrom: new Date(Date.now() - 60_000).toISOString(),
    });
    const g = await t.ok(PurchaseCreditsDocument, {
      input: { customerId, amount: '10', idempotencyKey: uniq('k') },
    });
    expect(g.purchaseCredits.purchase!.perUnitCost).toBe('0.09');
    expect(g.purchaseCredits.subscription!.id).toBe(first.data!.createSubscription.id);
    await checkLedgerInvariants([customerId]);
  });
});

describe('grant source and updateCreditGrantExpiry', () => {
  it('manual grants and adjustments read MANUAL', async () => {
    const { currency, customerId } = await currencyAndCustomer(t);
    await grantCredits(t, customerId, currency, '10');
    await adjustCredits(t, customerId, currency, '5');
    const grants = await grantsOf(customerId, currency);
    expect(grants.map((g) => [g.source, g.subscription, g.rolledFrom])).toEqual([
      ['MANUAL', null, null],
      ['MANUAL', null, null],
    ]);
    await checkLedgerInvariants([customerId]);
  });

  it('moves an expiry, clears it, and expires now; the draw-down order follows at once', async () => {
    const { currency, customerId } = await currencyAndCustomer(t);
    const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString();
    const a = await grantCredits(t, customerId, currency, '10', { expiresAt: inDays(10) });
    const b = await grantCredits(t, customerId, currency, '10', { expiresAt: inDays(20) });
    // b now expires first: a deduction draws from it
    const five = inDays(5);
    const moved = await t.ok(UpdateCreditGrantExpiryDocument, { grantId: b.id, expiresAt: five });
    expect(moved.updateCreditGrantExpiry).toMatchObject({ expiresAt: five, status: 'ACTIVE' });
    await adjustCredits(t, customerId, currency, '-4');
    let grants = await grantsOf(customerId, currency);
    expect(grants.find((g) => g.id === b.id)!.remaining).toBe('6.00');
    expect(grants.find((g) => g.id === a.id)!.remaining).toBe('10.00');

    const never = await t.ok(UpdateCreditGrantExpiryDocument, { grantId: b.id, expiresAt: null });
    expect(never.updateCreditGrantExpiry.expiresAt).toBeNull();
    await adjustCredits(t, customerId, currency, '-1');
    grants = await grantsOf(customerId, currency);
    expect(grants.find((g) => g.id === a.id)!.remaining).toBe('9.00');

    // an instant in the past (before effectiveAt, even): expires now with EXPIRED of the remainder
    const before = Date.now();
    const gone = await t.ok(UpdateCreditGrantExpiryDocument, {
      grantId: b.id,
      expiresAt: '2000-01-01T00:00:00.000Z',
    });
    expect(gone.updateCreditGrantExpiry).toMatchObject({ status: 'EXPIRED', remaining: '0.00' });
    const at = new Date(gone.updateCreditGrantExpiry.expiresAt!).getTime();
    expect(at).toBeGreaterThanOrEqual(before - 1000);
    const expired = (await historyOf(t, customerId, currency)).find((m) => m.type === 'EXPIRED')!;
    expect(expired.amount).toBe('-6.00');
    expect(new Date(expired.bookedAt).getTime()).toBe(at);
    expect((await requireBalance(t, customerId, currency)).settled).toBe('9.00');

    // on an expired, voided or depleted grant: INVALID_STATE; an unknown grant: NOT_FOUND
    expect(
      codeOf(await t.gql(UpdateCreditGrantExpiryDocument, { grantId: b.id, expiresAt: inDays(3) })),
    ).toBe('INVALID_STATE');
    const c = await grantCredits(t, customerId, currency, '1');
    await adjustCredits(t, customerId, currency, '-10');
    expect(codeOf(await t.gql(UpdateCreditGrantExpiryDocument, { grantId: c.id, expiresAt: null }))).toBe(
      'INVALID_STATE',
    );
    expect(
      codeOf(
        await t.gql(UpdateCreditGrantExpiryDocument, {
          grantId: 'grt_01ARZ3NDEKTSV4RRFFQ69G5FAV',
          expiresAt: null,
        }),
      ),
    ).toBe('NOT_FOUND');
    // a customer token may not
    const token = await tokenFor(customerId);
    expect(
      codeOf(await t.gql(UpdateCreditGrantExpiryDocument, { grantId: a.id, expiresAt: null }, token)),
    ).toBe('FORBIDDEN');
    await checkLedgerInvariants([customerId]);
  });

  it('expires a PENDING (future) grant now without a movement', async () => {
    const { currency, customerId } = await currencyAndCustomer(t);
    const g = await grantCredits(t, customerId, currency, '3', {
      effectiveAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    const gone = await t.ok(UpdateCreditGrantExpiryDocument, {
      grantId: g.id,
      expiresAt: new Date().toISOString(),
    });
    expect(gone.updateCreditGrantExpiry.status).toBe('EXPIRED');
    expect((await historyOf(t, customerId, currency)).filter((m) => m.type === 'EXPIRED')).toEqual([]);
    await checkLedgerInvariants([customerId]);
  });
});
