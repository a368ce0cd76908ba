import { Client } from 'pg';
import { describe, expect, inject, it } from 'vitest';
import {
  CorrectMovementDocument,
  CreateChargeDocument,
  CreateCreditGrantDocument,
  CreateCustomerDocument,
  CreateSubscriptionDocument,
  IngestUsageDocument,
  SettleChargesDocument,
  UsageInvoicesDocument,
  VoidCreditGrantDocument,
  UpdateInvoicePaymentStatusDocument,
  type PriceInput,
  type SettlementMode,
  type UsageEventInput,
} from '../gql/graphql';
import { codeOf, uniq, useTestApp } from '../support/app';
import {
  chargesOf,
  grantCredits,
  historyOf,
  newCurrency,
  publishedUsagePlan,
  requireBalance,
} from '../support/builders';
import { checkLedgerInvariants } from '../support/invariants';

const t = useTestApp();

interface Setup {
  currency: string;
  eventType: string;
  customerId: string;
  subject: string;
  subscriptionId: string;
}

async function setup(opts: {
  price: PriceInput;
  mode?: SettlementMode;
  aggregation?: 'SUM' | 'COUNT' | 'MAX';
  currency?: { scale?: number; fiatCode?: string; fiatValue?: string };
  cadence?: string;
  activeFrom?: Date;
}): Promise<Setup> {
  const currency = await newCurrency(t, { prefix: 'U', name: 'Usage currency', scale: 2, ...opts.currency });
  const plan = await publishedUsagePlan(t, currency, opts);
  const subject = uniq('subj');
  const customer = await t.ok(CreateCustomerDocument, { input: { key: subject, name: 'Usage customer' } });
  const sub = await t.ok(CreateSubscriptionDocument, {
    input: {
      customerId: customer.createCustomer.id,
      planId: plan.planId,
      activeFrom: (opts.activeFrom ?? new Date(Date.now() - 3600_000)).toISOString(),
    },
  });
  return {
    currency,
    eventType: plan.eventType,
    customerId: customer.createCustomer.id,
    subject,
    subscriptionId: sub.createSubscription.id,
  };
}

const events = (s: Setup, n: number, prefix = uniq('e'), value?: string): UsageEventInput[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `${prefix}-${i}`,
    subject: s.subject,
    type: s.eventType,
    value,
  }));

const grant = (s: Setup, amount: string) => grantCredits(t, s.customerId, s.currency, amount);
const balance = (s: Setup) => requireBalance(t, s.customerId, s.currency);
const history = (s: Setup) => historyOf(t, s.customerId, s.currency);
const charges = (s: Setup) => chargesOf(t, s.customerId);

describe('getting started with prepaid credits', () => {
  it('100 credits, 30 requests at 0.10: pending 97.00 at once; settled 97.00 after a CONSUMED -3.00', async () => {
    const s = await setup({ price: { model: 'UNIT', unitAmount: '0.10' } });
    await grant(s, '100');
    const r = await t.ok(IngestUsageDocument, { events: events(s, 30) });
    expect(r.ingestUsage).toEqual({ accepted: 30, duplicates: 0, rejected: [] });
    expect(await balance(s)).toMatchObject({ settled: '100.00', pending: '97.00' });
    const [charge] = await charges(s);
    expect(charge).toMatchObject({ status: 'OPEN', quantity: '30', amount: '3.00', creditedAmount: '0.00' });

    const settled = await t.ok(SettleChargesDocument, { customerId: s.customerId });
    expect(settled.settleCharges.settledCharges).toBe(1);
    expect(settled.settleCharges.movements[0]).toMatchObject({
      type: 'CONSUMED',
      amount: '-3.00',
      balanceBefore: '100.00',
      balanceAfter: '97.00',
      charge: { id: charge!.id },
    });
    expect(await balance(s)).toMatchObject({ settled: '97.00', pending: '97.00' });
    expect((await charges(s))[0]).toMatchObject({ creditedAmount: '3.00', invoicedAmount: '0.00' });
    // a second run books nothing more
    expect(
      (await t.ok(SettleChargesDocument, { customerId: s.customerId })).settleCharges.settledCharges,
    ).toBe(0);
    expect((await history(s)).map((m) => m.type)).toEqual(['CONSUMED', 'FUNDED']);
    await checkLedgerInvariants([s.customerId]);
  });
});

describe('ingestion', () => {
  it('counts duplicates, rejects conflicting ids and events it cannot rate, each with a code', async () => {
    const s = await setup({ price: { model: 'UNIT', unitAmount: '1' }, aggregation: 'SUM' });
    const batch = events(s, 3, uniq('d'), '2');
    expect((await t.ok(IngestUsageDocument, { events: batch })).ingestUsage).toMatchObject({
      accepted: 3,
      duplicates: 0,
    });
    // the same batch again: nothing changes
    expect((await t.ok(IngestUsageDocument, { events: batch })).ingestUsage).toEqual({
      accepted: 0,
      duplicates: 3,
      rejected: [],
    });
    const conflicting = { ...batch[0]!, value: '5' };
    const other = await setup({ price: { model: 'UNIT', unitAmount: '1' } });
    const lonely = (await t.ok(CreateCustomerDocument, { input: { key: uniq('nosub'), name: 'No sub' } }))
      .createCustomer;
    const r = await t.ok(IngestUsageDocument, {
      events: [
        conflicting,
        { id: uniq('x'), subject: 'nobody-has-this', type: s.eventType },
        { id: uniq('x'), subject: s.subject, type: 'no_such_type' },
        { id: uniq('x'), subject: lonely.key, type: s.eventType },
        { id: uniq('x'), subject: s.subject, type: s.eventType, value: '-1' },
        {
          id: uniq('x'),
          subject: s.subject,
          type: s.eventType,
          timestamp: new Date(Date.now() - 7200_000).toISOString(),
        },
        { id: uniq('x'), subject: s.subject, type: other.eventType },
        {
          id: uniq('x'),
          subject: s.subject,
          type: s.eventType,
          timestamp: new Date(Date.now() + 3600_000).toISOString(),
        },
        { id: uniq('ok'), subject: s.subject, type: s.eventType, value: '0.5' },
      ],
    });
    expect(r.ingestUsage.accepted).toBe(1);
    expect([...r.ingestUsage.rejected.map((x) => x.code)].sort()).toEqual([
      'BAD_TIMESTAMP',
      'BAD_VALUE',
      'IDEMPOTENCY_CONFLICT',
      'NO_ACTIVE_SUBSCRIPTION',
      'NO_ACTIVE_SUBSCRIPTION',
      'NO_RATE_CARD',
      'UNKNOWN_EVENT_TYPE',
      'UNKNOWN_SUBJECT',
    ]);
    expect((await charges(s))[0]).toMatchObject({ quantity: '6.5', amount: '6.50' });
    const tooMany = await t.gql(IngestUsageDocument, { events: events(s, 1001) });
    expect(codeOf(tooMany)).toBe('BAD_USER_INPUT');
    const badDecimal = await t.gql(IngestUsageDocument, {
      events: [{ id: 'x', subject: s.subject, type: s.eventType, value: '1e3' }],
    });
    expect(codeOf(badDecimal)).toBe('BAD_USER_INPUT');
    await checkLedgerInvariants([s.customerId]);
  });
});

describe('CREDIT_ONLY', () => {
  it('goes negative when credit runs out, and the next grant repays the debt first', async () => {
    const s = await setup({ price: { model: 'UNIT', unitAmount: '1' } });
    const small = await grant(s, '1');
    await t.ok(IngestUsageDocument, { events: events(s, 3) });
    expect(await balance(s)).toMatchObject({ settled: '1.00', pending: '-2.00' });
    const m = (await t.ok(SettleChargesDocument, { customerId: s.customerId })).settleCharges.movements[0]!;
    expect(m).toMatchObject({ type: 'CONSUMED', amount: '-3.00', balanceAfter: '-2.00' });
    expect(m.allocations).toEqual([
      { amount: '-1.00', grant: { id: small.id } },
      { amount: '-2.00', grant: null },
    ]);
    const next = await grant(s, '5');
    expect(next.remaining).toBe('3.00');
    const funded = (await history(s))[0]!;
    expect(funded).toMatchObject({
      type: 'FUNDED',
      amount: '5.00',
      balanceBefore: '-2.00',
      balanceAfter: '3.00',
    });
    expect(funded.allocations).toEqual([
      { amount: '3.00', grant: { id: next.id } },
      { amount: '2.00', grant: null },
    ]);
    expect(await balance(s)).toMatchObject({ settled: '3.00', pending: '3.00' });
    await checkLedgerInvariants([s.customerId]);
  });
});

describe('CREDIT_THEN_INVOICE', () => {
  it('pays what credits cover and invoices the rest in fiat; the balance never goes below zero', async () => {
    const s = await setup({
      price: { model: 'UNIT', unitAmount: '1' },
      mode: 'CREDIT_THEN_INVOICE',
      currency: { scale: 2, fiatCode: 'USD', fiatValue: '0.04' },
    });
    await grant(s, '1');
    await t.ok(IngestUsageDocument, { events: events(s, 3) });
    expect(await balance(s)).toMatchObject({ settled: '1.00', pending: '0.00' });
    const m = (await t.ok(SettleChargesDocument, { customerId: s.customerId })).settleCharges.movements[0]!;
    expect(m).toMatchObject({ type: 'CONSUMED', amount: '-1.00', balanceAfter: '0.00' });
    expect((await charges(s))[0]).toMatchObject({
      creditedAmount: '1.00',
      invoicedAmount: '2.00',
      status: 'OPEN',
    });
    const inv = (await t.ok(UsageInvoicesDocument, { customerId: s.customerId })).invoices.edges.map(
      (e) => e.node,
    );
    expect(inv).toHaveLength(1);
    expect(inv[0]).toMatchObject({ kind: 'USAGE', status: 'DRAFT', currency: 'USD', total: '0.08' });
    // a draft is still growing: it takes no payment
    const paid = await t.gql(UpdateInvoicePaymentStatusDocument, {
      invoiceId: inv[0]!.id,
      status: 'SETTLED',
    });
    expect(codeOf(paid)).toBe('INVALID_STATE');
    expect(inv[0]!.lines).toEqual([
      { description: expect.any(String), quantity: '2', unitPrice: '0.04', amount: '0.08' },
    ]);
    // more usage: the same line grows, the balance stays at zero
    await t.ok(IngestUsageDocument, { events: events(s, 2) });
    await t.ok(SettleChargesDocument, { customerId: s.customerId });
    const again = (await t.ok(UsageInvoicesDocument, { customerId: s.customerId })).invoices.edges[0]!.node;
    expect(again).toMatchObject({ total: '0.16' });
    expect(again.lines).toHaveLength(1);
    expect(await balance(s)).toMatchObject({ settled: '0.00', pending: '0.00' });
    expect((await history(s)).map((x) => x.type)).toEqual(['CONSUMED', 'FUNDED']);
    await checkLedgerInvariants([s.customerId]);
  });

  it("converts at the currency's fiat terms when the charge row carries none, never at a default USD 1:1", async () => {
    // the charge columns are nullable; settlement used to fall back to `?? 'USD'` and 1, invoicing credits
    // worth 0.50 EUR as 1.00 USD. One rule (settlementTermsOf) now decides: the currency's own terms.
    const s = await setup({
      price: { model: 'UNIT', unitAmount: '1' },
      mode: 'CREDIT_THEN_INVOICE',
      currency: { scale: 2, fiatCode: 'EUR', fiatValue: '0.5' },
    });
    await t.ok(IngestUsageDocument, { events: events(s, 3) });
    const db = new Client({ connectionString: inject('databaseUrl') });
    await db.connect();
    try {
      const r = await db.query(
        'update charge set fiat_code = null, fiat_value = null where customer_id = $1',
        [s.customerId],
      );
      expect(r.rowCount).toBe(1);
    } finally {
      await db.end();
    }
    await t.ok(SettleChargesDocument, { customerId: s.customerId });
    const inv = (await t.ok(UsageInvoicesDocument, { customerId: s.customerId })).invoices.edges[0]!.node;
    expect(inv).toMatchObject({ kind: 'USAGE', currency: 'EUR', total: '1.50' });
    expect(inv.lines).toEqual([
      { description: expect.any(String), quantity: '3', unitPrice: '0.5', amount: '1.50' },
    ]);
    await checkLedgerInvariants([s.customerId]);
  });
});

describe('pricing', () => {
  const tiers = [{ upTo: '10', unitAmount: '1.00' }, { unitAmount: '0.50' }];
  it.each([
    ['GRADUATED', '12.50'],
    ['VOLUME', '7.50'],
  ] as const)('%s tiers price 15 units at %s', async (model, expected) => {
    const s = await setup({ price: { model, tiers } });
    await grant(s, '100');
    await t.ok(IngestUsageDocument, { events: events(s, 15) });
    expect((await charges(s))[0]).toMatchObject({ quantity: '15', amount: expected });
    const m = (await t.ok(SettleChargesDocument, { customerId: s.customerId })).settleCharges.movements[0]!;
    expect(m.amount).toBe(`-${expected}`);
    await checkLedgerInvariants([s.customerId]);
  });

  it('a unit price of 0.001 settled in 7 steps of 3 units books exactly -0.02 in total', async () => {
    const s = await setup({ price: { model: 'UNIT', unitAmount: '0.001' } });
    await grant(s, '1');
    for (let step = 0; step < 7; step++) {
      await t.ok(IngestUsageDocument, { events: events(s, 3) });
      await t.ok(SettleChargesDocument, { customerId: s.customerId });
    }
    const consumed = (await history(s)).filter((m) => m.type === 'CONSUMED');
    const totalCents = consumed.reduce((sum, m) => sum + Math.round(Number(m.amount) * 100), 0);
    expect(totalCents).toBe(-2);
    expect((await charges(s))[0]).toMatchObject({
      quantity: '21',
      exactAmount: '0.021',
      amount: '0.02',
      creditedAmount: '0.02',
    });
    expect(await balance(s)).toMatchObject({ settled: '0.98' });
    await checkLedgerInvariants([s.customerId]);
  });
});

describe('corrections', () => {
  /** A grant a (2, drawn first) and b (5, priority 20), then `units` of usage at 1.00 settled. */
  async function consumedFromTwoGrants(units: number) {
    const s = await setup({ price: { model: 'UNIT', unitAmount: '1' } });
    const a = await grant(s, '2');
    const b = (
      await t.ok(CreateCreditGrantDocument, {
        input: {
          customerId: s.customerId,
          currency: s.currency,
          amount: '5',
          fundingMethod: 'PROMOTIONAL',
          priority: 20,
        },
      })
    ).createCreditGrant;
    await t.ok(IngestUsageDocument, { events: events(s, units) });
    const consumed = (await t.ok(SettleChargesDocument, { customerId: s.customerId })).settleCharges
      .movements[0]!;
    return { s, a, b, consumed };
  }

  it('restores part, then the rest, in reverse take order; never more than consumed', async () => {
    const { s, a, b, consumed } = await consumedFromTwoGrants(4);
    expect(consumed.allocations).toEqual([
      { amount: '-2.00', grant: { id: a.id } },
      { amount: '-2.00', grant: { id: b.id } },
    ]);
    const part = (
      await t.ok(CorrectMovementDocument, {
        input: { movementId: consumed.id, amount: '1.50', reason: 'outage credit' },
      })
    ).correctMovement;
    expect(part).toMatchObject({
      type: 'CORRECTED',
      amount: '1.50',
      corrects: { id: consumed.id },
      notRestored: [],
    });
    // reverse order: the last grant taken (b) is restored first
    expect(part.allocations).toEqual([{ amount: '1.50', grant: { id: b.id } }]);
    const tooMuch = await t.gql(CorrectMovementDocument, {
      input: { movementId: consumed.id, amount: '2.51', reason: 'x' },
    });
    expect(codeOf(tooMuch)).toBe('BAD_USER_INPUT');
    const rest = (
      await t.ok(CorrectMovementDocument, { input: { movementId: consumed.id, reason: 'the rest' } })
    ).correctMovement;
    expect(rest.amount).toBe('2.50');
    expect(rest.allocations).toEqual([
      { amount: '0.50', grant: { id: b.id } },
      { amount: '2.00', grant: { id: a.id } },
    ]);
    expect(
      codeOf(await t.gql(CorrectMovementDocument, { input: { movementId: consumed.id, reason: 'again' } })),
    ).toBe('INVALID_STATE');
    expect(
      codeOf(
        await t.gql(CorrectMovementDocument, { input: { movementId: rest.id, reason: 'not consumed' } }),
      ),
    ).toBe('INVALID_STATE');
    expect(await balance(s)).toMatchObject({ settled: '7.00' });
    await checkLedgerInvariants([s.customerId]);
  });

  it('does not restore portions whose grant was voided, and says so', async () => {
    const { s, a, b, consumed } = await consumedFromTwoGrants(3);
    await t.ok(VoidCreditGrantDocument, { grantId: b.id, reason: 'chargeback' });
    const c = (
      await t.ok(CorrectMovementDocument, {
        input: { movementId: consumed.id, reason: 'goodwill', idempotencyKey: uniq('k') },
      })
    ).correctMovement;
    expect(c.amount).toBe('2.00');
    expect(c.allocations).toEqual([{ amount: '2.00', grant: { id: a.id } }]);
    expect(c.notRestored).toEqual([{ amount: '1.00', grant: { id: b.id } }]);
    expect(c.description).toMatch(/not restored/);
    await checkLedgerInvariants([s.customerId]);
  });
});

describe('one-off charges', () => {
  it('settle at once under either mode', async () => {
    const s = await setup({
      price: { model: 'UNIT', unitAmount: '1' },
      currency: { scale: 2, fiatCode: 'EUR', fiatValue: '0.5' },
    });
    await grant(s, '3');
    const fee = (
      await t.ok(CreateChargeDocument, {
        input: {
          customerId: s.customerId,
          currency: s.currency,
          amount: '2.50',
          description: 'Setup fee',
          settlementMode: 'CREDIT_ONLY',
        },
      })
    ).createCharge;
    expect(fee).toMatchObject({
      status: 'SETTLED',
      amount: '2.50',
      creditedAmount: '2.50',
      quantity: null,
      feature: null,
    });
    const big = (
      await t.ok(CreateChargeDocument, {
        input: {
          customerId: s.customerId,
          currency: s.currency,
          amount: '4',
          description: 'Overage',
          settlementMode: 'CREDIT_THEN_INVOICE',
          idempotencyKey: uniq('o'),
        },
      })
    ).createCharge;
    expect(big).toMatchObject({ status: 'SETTLED', creditedAmount: '0.50', invoicedAmount: '3.50' });
    const inv = (await t.ok(UsageInvoicesDocument, { customerId: s.customerId })).invoices.edges[0]!.node;
    expect(inv).toMatchObject({ status: 'ISSUED', currency: 'EUR', total: '1.75' });
    expect(await balance(s)).toMatchObject({ settled: '0.00' });
    const bad = await t.gql(CreateChargeDocument, {
      input: {
        customerId: s.customerId,
        currency: s.currency,
        amount: '0',
        description: 'x',
        settlementMode: 'CREDIT_ONLY',
      },
    });
    expect(codeOf(bad)).toBe('BAD_USER_INPUT');
    await checkLedgerInvariants([s.customerId]);
  });
});

describe('period end', () => {
  it('settles and closes the charge, issues the usage invoice and refuses late events for the closed period', async () => {
    // one-minute periods, the current one ending about two seconds from now
    const activeFrom = new Date(Date.now() - 58_000);
    const s = await setup({
      price: { model: 'UNIT', unitAmount: '1' },
      mode: 'CREDIT_THEN_INVOICE',
      cadence: 'PT1M',
      activeFrom,
      currency: { scale: 2, fiatCode: 'USD', fiatValue: '1' },
    });
    await grant(s, '1');
    const ts = new Date().toISOString();
    const first = events(s, 2);
    await t.ok(IngestUsageDocument, { events: first.map((e) => ({ ...e, timestamp: ts })) });
    await new Promise((r) => setTimeout(r, activeFrom.getTime() + 60_000 - Date.now() + 50));
    await t.ok(SettleChargesDocument, { customerId: s.customerId });
    const [c] = await charges(s);
    expect(c).toMatchObject({ status: 'SETTLED', creditedAmount: '1.00', invoicedAmount: '1.00' });
    const inv = (await t.ok(UsageInvoicesDocument, { customerId: s.customerId })).invoices.edges[0]!.node;
    expect(inv).toMatchObject({ status: 'ISSUED', total: '1.00' });
    const late = await t.ok(IngestUsageDocument, {
      events: [{ id: uniq('late'), subject: s.subject, type: s.eventType, timestamp: ts }],
    });
    expect(late.ingestUsage.rejected.map((r) => r.code)).toEqual(['PERIOD_CLOSED']);
    // an event accepted before the period closed is still a duplicate when it is sent again
    const again = await t.ok(IngestUsageDocument, { events: [{ ...first[0]!, timestamp: ts }] });
    expect(again.ingestUsage).toEqual({ accepted: 0, duplicates: 1, rejected: [] });
    await checkLedgerInvariants([s.customerId]);
  });
});

describe('concurrency', () => {
  it('10 parallel batches of 100 events while settlement runs: quantity exactly 1,000, nothing booked twice', async () => {
    const s = await setup({ price: { model: 'UNIT', unitAmount: '0.01' } });
    await grant(s, '100');
    let ingesting = true;
    const settling = (async () => {
      let runs = 0;
      while (ingesting || runs < 1) {
        await t.ok(SettleChargesDocument, { customerId: s.customerId });
        runs++;
      }
      return runs;
    })();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        t.ok(IngestUsageDocument, { events: events(s, 100, uniq(`b${i}`)) }),
      ),
    );
    ingesting = false;
    const runs = await settling;
    await t.ok(SettleChargesDocument, { customerId: s.customerId });
    expect(results.reduce((n, r) => n + r.ingestUsage.accepted, 0)).toBe(1000);
    const [c] = await charges(s);
    expect(c).toMatchObject({ quantity: '1000', amount: '10.00', creditedAmount: '10.00' });
    const consumed = (await history(s)).filter((m) => m.type === 'CONSUMED');
    expect(consumed.reduce((sum, m) => sum + Math.round(Number(m.amount) * 100), 0)).toBe(-1000);
    expect(await balance(s)).toMatchObject({ settled: '90.00', pending: '90.00' });
    expect(runs).toBeGreaterThan(0);
    await checkLedgerInvariants([s.customerId]);
  });
});

describe('concurrent settlement runs', () => {
  it('never book the same amount twice', async () => {
    const s = await setup({ price: { model: 'UNIT', unitAmount: '0.25' } });
    await grant(s, '50');
    await t.ok(IngestUsageDocument, { events: events(s, 40) });
    // four runs at once, two for this customer and two for everyone
    const runs = await Promise.all([
      t.ok(SettleChargesDocument, { customerId: s.customerId }),
      t.ok(SettleChargesDocument, {}),
      t.ok(SettleChargesDocument, { customerId: s.customerId }),
      t.ok(SettleChargesDocument, {}),
    ]);
    const mine = runs
      .flatMap((r) => r.settleCharges.movements)
      .filter((m) => m.charge && m.currency.code === s.currency);
    expect(mine).toHaveLength(1);
    const consumed = (await history(s)).filter((m) => m.type === 'CONSUMED');
    expect(consumed.map((m) => m.amount)).toEqual(['-10.00']);
    expect(await balance(s)).toMatchObject({ settled: '40.00', pending: '40.00' });
    await checkLedgerInvariants([s.customerId]);
  });
});

describe('a run over more ledgers than one batch', () => {
  it('250 customers in concurrent batches: one CONSUMED movement each, and a second run books nothing', async () => {
    const currency = await newCurrency(t, { prefix: 'B', name: 'Batch currency', scale: 2 });
    const plan = await publishedUsagePlan(t, currency, { price: { model: 'UNIT', unitAmount: '0.25' } });
    const from = new Date(Date.now() - 3600_000).toISOString();
    const people: { customerId: string; subject: string }[] = [];
    for (let chunk = 0; chunk < 250; chunk += 25) {
      people.push(
        ...(await Promise.all(
          Array.from({ length: 25 }, async () => {
            const subject = uniq('batch');
            const c = await t.ok(CreateCustomerDocument, { input: { key: subject, name: 'Batch customer' } });
            const customerId = c.createCustomer.id;
            await t.ok(CreateSubscriptionDocument, {
              input: { customerId, planId: plan.planId, activeFrom: from },
            });
            await grantCredits(t, customerId, currency, '10');
            return { customerId, subject };
          }),
        )),
      );
    }
    const ingested = await t.ok(IngestUsageDocument, {
      events: people.flatMap((p) => [
        { id: uniq('e'), subject: p.subject, type: plan.eventType },
        { id: uniq('e'), subject: p.subject, type: plan.eventType },
      ]),
    });
    expect(ingested.ingestUsage.accepted).toBe(500);
    // everyone's open charges (3 batches of 100 and more, in flight together); another file's run may
    // settle some of them first, so what counts is what the ledgers hold afterwards
    await t.ok(SettleChargesDocument, {});
    const again = await t.ok(SettleChargesDocument, {});
    expect(again.settleCharges.movements.filter((m) => m.currency.code === currency)).toEqual([]);
    const ids = people.map((p) => p.customerId);
    const db = new Client({ connectionString: inject('databaseUrl') });
    await db.connect();
    try {
      const { rows } = await db.query<{ customer_id: string; n: number; total: string }>(
        `select m.customer_id, count(*)::int as n, sum(m.amount)::text as total
           from movement m join currency c on c.id = m.currency_id
          where c.code = $1 and m.type = 'CONSUMED' group by m.customer_id`,
        [currency],
      );
      expect(rows).toHaveLength(250);
      expect(new Set(rows.map((r) => r.customer_id))).toEqual(new Set(ids));
      expect(rows.every((r) => r.n === 1 && Number(r.total) === -0.5)).toBe(true);
    } finally {
      await db.end();
    }
    for (const p of people.filter((_, i) => i % 50 === 0))
      expect(await requireBalance(t, p.customerId, currency)).toMatchObject({
        settled: '9.50',
        pending: '9.50',
      });
    const checked = await checkLedgerInvariants(ids);
    expect(checked.ledgers).toBe(250);
  });
});

describe('one hot customer', () => {
  it('16 concurrent one-off charges, shared and conflicting keys: every answer right, nothing booked twice', async () => {
    const s = await setup({ price: { model: 'UNIT', unitAmount: '1' } });
    await grant(s, '100');
    const charge = (amount: string, key?: string) =>
      t.gql(CreateChargeDocument, {
        input: {
          customerId: s.customerId,
          currency: s.currency,
          amount,
          description: 'fee',
          settlementMode: 'CREDIT_ONLY',
          idempotencyKey: key,
        },
      });
    const shared = uniq('shared');
    const results = await Promise.all([
      ...Array.from({ length: 12 }, () => charge('1.00')),
      charge('2.00', shared),
      charge('2.00', shared),
      charge('2.00', shared),
      charge('3.00', shared), // same key, other input
    ]);
    const codes = results.map((r) => codeOf(r) ?? 'OK');
    expect(codes.filter((c) => c === 'OK')).toHaveLength(15);
    expect(codes.filter((c) => c === 'IDEMPOTENCY_CONFLICT')).toHaveLength(1);
    const sharedIds = new Set(results.slice(12, 15).map((r) => r.data!.createCharge.id));
    expect(sharedIds.size).toBe(1);
    const consumed = (await history(s)).filter((m) => m.type === 'CONSUMED');
    expect(consumed).toHaveLength(13);
    expect(consumed.reduce((sum, m) => sum + Math.round(Number(m.amount) * 100), 0)).toBe(-1400);
    expect(await balance(s)).toMatchObject({ settled: '86.00' });
    await checkLedgerInvariants([s.customerId]);
  });
});
