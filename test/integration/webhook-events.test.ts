import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateChargeDocument,
  CreateCreditGrantDocument,
  CreateTopUpPlanDocument,
  CreateSubscriptionDocument,
  CreditTransactionsDocument,
  EventsEndpointDocument,
  EventTypesDocument,
  IngestUsageDocument,
  PublishPlanDocument,
  ReserveCreditsDocument,
  SetAutoTopUpDocument,
  SetCreditAlertsDocument,
  SettleChargesDocument,
  UpdateInvoicePaymentStatusDocument,
  VoidCreditGrantDocument,
} from '../gql/graphql';
import { codeOf, startTestApp, uniq, type TestApp } from '../support/app';
import {
  adjustCredits,
  currencyAndCustomer,
  grantCredits,
  newCurrency,
  newCustomer,
  subscribeToUnitPlan,
} from '../support/builders';
import { useDb } from '../support/db';
import { checkLedgerInvariants } from '../support/invariants';
import {
  ALERT_KEYS,
  BALANCE_KEYS,
  GRANT_KEYS,
  INVOICE_KEYS,
  MOVEMENT_KEYS,
  delivered as deliveredTo,
  expectBody,
  only,
  outbox as outboxCount,
  startReceiver,
  typesOf,
  type Receiver,
} from '../support/webhook-receiver';

/**
 * SPEC §15 event types, end to end: every cause is driven through the API, a real receiver on 127.0.0.1
 * verifies every signature with the `standardwebhooks` package, and each event type arrives with the
 * documented body. Changes that did not happen (idempotent replays, voiding a voided grant, a refused
 * request) write no event: the outbox is written in the cause's transaction, so its rows are the proof.
 */

let t: TestApp;
let receiver: Receiver;
const db = useDb();

beforeAll(async () => {
  receiver = await startReceiver();
  t = await startTestApp({ DRAWDOWN_WEBHOOK_ALLOW_PRIVATE: 'true', DRAWDOWN_WEBHOOK_RETRY_BASE: '1s' });
  const types = (await t.ok(EventTypesDocument)).webhookEventTypes;
  expect(types).toHaveLength(12);
  const created = await t.ok(EventsEndpointDocument, {
    input: { url: receiver.url, eventTypes: types, description: 'every event type' },
  });
  receiver.setSecret(created.createWebhookEndpoint.secret);
});
afterAll(async () => {
  await t?.stop();
  await receiver?.close();
});

const outbox = (customerId: string) => outboxCount(db, customerId);
const delivered = (customerId: string, min: number) => deliveredTo(db, receiver, customerId, min);

async function movements(customerId: string, currency: string) {
  const h = await t.ok(CreditTransactionsDocument, { customerId, currency, first: 100 });
  return h.creditTransactions.edges.map((e) => e.node);
}

describe('webhook events (SPEC §15)', () => {
  it('a promotional grant: created, funded, balance updated, recovered; a replay sends nothing', async () => {
    const { currency, customerId } = await currencyAndCustomer(t, { prefix: 'WE' });
    const key = uniq('grant');
    const input = {
      customerId,
      currency,
      amount: '100',
      fundingMethod: 'PROMOTIONAL' as const,
      name: 'Welcome',
      idempotencyKey: key,
    };
    const grant = (await t.ok(CreateCreditGrantDocument, { input })).createCreditGrant;
    const events = await delivered(customerId, 4);
    expect(typesOf(events)).toEqual([
      'credit_balance.recovered',
      'credit_balance.updated',
      'credit_grant.created',
      'credit_grant.funded',
    ]);

    const created = only(events, 'credit_grant.created');
    expectBody(created, customerId, { grant: GRANT_KEYS });
    expect(created.timestamp).toBe(grant.effectiveAt);
    expect(created.data.grant).toEqual({
      id: grant.id,
      currency,
      name: 'Welcome',
      amount: '100.00',
      remaining: '100.00',
      fundingMethod: 'PROMOTIONAL',
      status: 'ACTIVE',
      priority: 10,
      effectiveAt: grant.effectiveAt,
      expiresAt: null,
      purchase: null,
      paymentStatus: null,
      invoiceId: null,
      featureKeys: null,
      adjustment: false,
      source: 'MANUAL',
      subscriptionId: null,
      rolledFromId: null,
      // right after its creation; the funding is the next change
      fundedAt: null,
      voidedAt: null,
      createdAt: grant.effectiveAt,
    });

    const funded = only(events, 'credit_grant.funded');
    expectBody(funded, customerId, { grant: GRANT_KEYS });
    expect(funded.timestamp).toBe(grant.fundedAt);
    expect(funded.data.grant).toMatchObject({ id: grant.id, status: 'ACTIVE', fundedAt: grant.fundedAt });

    const [movement] = await movements(customerId, currency);
    const updated = only(events, 'credit_balance.updated');
    expectBody(updated, customerId, { movement: MOVEMENT_KEYS, balance: BALANCE_KEYS });
    expect(updated.timestamp).toBe(movement!.bookedAt);
    expect(updated.data.movement).toEqual({
      id: movement!.id,
      sequence: 1,
      type: 'FUNDED',
      currency,
      amount: '100.00',
      balanceBefore: '0.00',
      balanceAfter: '100.00',
      bookedAt: movement!.bookedAt,
      description: null,
      grantId: grant.id,
      chargeId: null,
      correctsId: null,
      allocations: [{ grantId: grant.id, amount: '100.00' }],
    });
    expect(updated.data.balance).toMatchObject({
      currency,
      settled: '100.00',
      pending: '100.00',
      held: '0.00',
      upcoming: '0.00',
    });

    const recovered = only(events, 'credit_balance.recovered');
    expectBody(recovered, customerId, { alert: ALERT_KEYS });
    expect(recovered.data.alert).toEqual({
      customerId,
      type: 'RECOVERED',
      currency,
      threshold: null,
      balance: '100.00',
      at: movement!.bookedAt,
    });
    expect(recovered.timestamp).toBe(movement!.bookedAt);

    // the same key and input again: the first result, no change, no event
    const replay = (await t.ok(CreateCreditGrantDocument, { input })).createCreditGrant;
    expect(replay.id).toBe(grant.id);
    expect(await outbox(customerId)).toBe(4);

    // a hold books no movement; the next movement's balance shows it held and taken from pending
    await t.ok(ReserveCreditsDocument, { input: { customerId, currency, amount: '10' } });
    expect(await outbox(customerId)).toBe(4);
    await adjustCredits(t, customerId, currency, '-5');
    const later = (await delivered(customerId, 5)).slice(4);
    expect(typesOf(later)).toEqual(['credit_balance.updated']);
    expect(later[0]!.data.balance).toMatchObject({ settled: '95.00', held: '10.00', pending: '85.00' });
    expect(receiver.refused).toEqual([]);
    await checkLedgerInvariants([customerId]);
  });

  it('thresholds: dropped below, depleted, recovered; a refused deduction sends nothing', async () => {
    const { currency, customerId } = await currencyAndCustomer(t, { prefix: 'WT' });
    await grantCredits(t, customerId, currency, '100');
    await t.ok(SetCreditAlertsDocument, { input: { customerId, currency, thresholds: ['50'] } });
    await delivered(customerId, 4);

    await adjustCredits(t, customerId, currency, '-60');
    let events = (await delivered(customerId, 6)).slice(4);
    expect(typesOf(events)).toEqual(['credit_balance.dropped_below_threshold', 'credit_balance.updated']);
    const dropped = only(events, 'credit_balance.dropped_below_threshold');
    expectBody(dropped, customerId, { alert: ALERT_KEYS });
    const [adjusted] = await movements(customerId, currency);
    expect(dropped.data.alert).toEqual({
      customerId,
      type: 'DROPPED_BELOW_THRESHOLD',
      currency,
      threshold: '50.00',
      balance: '40.00',
      at: adjusted!.bookedAt,
    });
    expect(only(events, 'credit_balance.updated').data.movement).toMatchObject({
      type: 'ADJUSTED',
      amount: '-60.00',
      balanceAfter: '40.00',
      description: 'test adjustment',
    });

    await adjustCredits(t, customerId, currency, '-40');
    events = (await delivered(customerId, 8)).slice(6);
    expect(typesOf(events)).toEqual(['credit_balance.depleted', 'credit_balance.updated']);
    expect(only(events, 'credit_balance.depleted').data.alert).toMatchObject({
      type: 'DEPLETED',
      threshold: null,
      balance: '0.00',
    });

    // refused (INSUFFICIENT_CREDITS): the transaction rolls back, and its events with it
    const before = await outbox(customerId);
    const deduct = await t.raw(
      `mutation($input: AdjustCreditsInput!) { adjustCredits(input: $input) { id } }`,
      { input: { customerId, currency, amount: '-1000', reason: 'too much' } },
    );
    expect(codeOf(deduct)).toBe('INSUFFICIENT_CREDITS');
    expect(await outbox(customerId)).toBe(before);

    await grantCredits(t, customerId, currency, '100');
    events = (await delivered(customerId, before + 5)).slice(before);
    expect(typesOf(events)).toEqual([
      'credit_balance.recovered',
      'credit_balance.recovered',
      'credit_balance.updated',
      'credit_grant.created',
      'credit_grant.funded',
    ]);
    expect(
      events
        .filter((e) => e.type === 'credit_balance.recovered')
        .map((e) => e.data.alert.threshold)
        .sort(),
    ).toEqual(['50.00', null]);
    await checkLedgerInvariants([customerId]);
  });

  it('voiding: voided with its movement; voiding the voided grant again sends nothing', async () => {
    const { currency, customerId } = await currencyAndCustomer(t, { prefix: 'WV' });
    const grant = await grantCredits(t, customerId, currency, '30');
    await delivered(customerId, 4);
    const voided = (await t.ok(VoidCreditGrantDocument, { grantId: grant.id, reason: 'goodwill ended' }))
      .voidCreditGrant;
    const events = (await delivered(customerId, 7)).slice(4);
    expect(typesOf(events)).toEqual([
      'credit_balance.depleted',
      'credit_balance.updated',
      'credit_grant.voided',
    ]);
    const e = only(events, 'credit_grant.voided');
    expectBody(e, customerId, { grant: GRANT_KEYS });
    expect(e.data.grant).toMatchObject({
      id: grant.id,
      status: 'VOIDED',
      remaining: '0.00',
      amount: '30.00',
    });
    expect(voided.status).toBe('VOIDED');
    expect(e.timestamp).toBe(e.data.grant.voidedAt);
    expect(only(events, 'credit_balance.updated').data.movement).toMatchObject({
      type: 'VOIDED',
      amount: '-30.00',
      description: 'goodwill ended',
      grantId: grant.id,
    });

    await t.ok(VoidCreditGrantDocument, { grantId: grant.id });
    expect(await outbox(customerId)).toBe(7);
    await checkLedgerInvariants([customerId]);
  });

  it('an INVOICE grant: created and invoice.issued at once; funded and invoice.paid at payment', async () => {
    const { currency, customerId } = await currencyAndCustomer(t, { prefix: 'WI' });
    const grant = (
      await t.ok(CreateCreditGrantDocument, {
        input: {
          customerId,
          currency,
          amount: '100',
          fundingMethod: 'INVOICE',
          purchase: { currency: 'USD', perUnitCost: '0.05' },
        },
      })
    ).createCreditGrant;
    let events = await delivered(customerId, 2);
    expect(typesOf(events)).toEqual(['credit_grant.created', 'invoice.issued']);
    expect(only(events, 'credit_grant.created').data.grant).toMatchObject({
      id: grant.id,
      status: 'PENDING',
      paymentStatus: 'PENDING',
      fundingMethod: 'INVOICE',
      invoiceId: grant.invoice!.id,
      purchase: { currency: 'USD', perUnitCost: '0.05', totalAmount: '5.00' },
      fundedAt: null,
    });
    const issued = only(events, 'invoice.issued');
    expectBody(issued, customerId, { invoice: INVOICE_KEYS });
    expect(issued.data.invoice).toEqual({
      id: grant.invoice!.id,
      number: grant.invoice!.number,
      currency: 'USD',
      kind: 'CREDIT_PURCHASE',
      status: 'ISSUED',
      paymentStatus: 'PENDING',
      total: '5.00',
      lines: [
        { description: 'Credits: 100.00 ' + currency, quantity: '100.00', unitPrice: '0.05', amount: '5.00' },
      ],
      issuedAt: issued.timestamp,
      periodStart: null,
      periodEnd: null,
    });

    await t.ok(UpdateInvoicePaymentStatusDocument, { invoiceId: grant.invoice!.id, status: 'AUTHORIZED' });
    expect(await outbox(customerId)).toBe(2); // AUTHORIZED neither funds nor pays
    await t.ok(UpdateInvoicePaymentStatusDocument, { invoiceId: grant.invoice!.id, status: 'SETTLED' });
    events = (await delivered(customerId, 6)).slice(2);
    expect(typesOf(events)).toEqual([
      'credit_balance.recovered',
      'credit_balance.updated',
      'credit_grant.funded',
      'invoice.paid',
    ]);
    expect(only(events, 'invoice.paid').data.invoice).toMatchObject({
      id: grant.invoice!.id,
      status: 'PAID',
      paymentStatus: 'SETTLED',
      total: '5.00',
    });
    expect(only(events, 'credit_grant.funded').data.grant).toMatchObject({
      id: grant.id,
      status: 'ACTIVE',
      paymentStatus: 'SETTLED',
      remaining: '100.00',
    });
    // a repeated status changes nothing
    await t.ok(UpdateInvoicePaymentStatusDocument, { invoiceId: grant.invoice!.id, status: 'SETTLED' });
    expect(await outbox(customerId)).toBe(6);
    await checkLedgerInvariants([customerId]);
  });

  it('the due-work job funds a future grant and expires it: funded and expired at their instants', async () => {
    const { currency, customerId } = await currencyAndCustomer(t, { prefix: 'WD' });
    const effectiveAt = new Date(Date.now() + 1500).toISOString();
    const expiresAt = new Date(Date.now() + 3000).toISOString();
    const grant = (
      await t.ok(CreateCreditGrantDocument, {
        input: { customerId, currency, amount: '20', fundingMethod: 'PROMOTIONAL', effectiveAt, expiresAt },
      })
    ).createCreditGrant;
    const [created] = await delivered(customerId, 1);
    expect(created!.type).toBe('credit_grant.created');
    expect(created!.data.grant).toMatchObject({ id: grant.id, status: 'PENDING', remaining: '20.00' });

    // the funding and the expiry each bring three more
    const events = await delivered(customerId, 7);
    expect(typesOf(events)).toEqual([
      'credit_balance.depleted',
      'credit_balance.recovered',
      'credit_balance.updated',
      'credit_balance.updated',
      'credit_grant.created',
      'credit_grant.expired',
      'credit_grant.funded',
    ]);
    const funded = only(events, 'credit_grant.funded');
    expect(funded.timestamp).toBe(effectiveAt);
    expect(funded.data.grant).toMatchObject({ status: 'ACTIVE', fundedAt: effectiveAt });
    const expired = only(events, 'credit_grant.expired');
    expect(expired.timestamp).toBe(expiresAt);
    expect(expired.data.grant).toMatchObject({ status: 'EXPIRED', remaining: '0.00' });
    const booked = events.filter((e) => e.type === 'credit_balance.updated').map((e) => e.data.movement);
    expect(booked.map((m) => [m.type, m.bookedAt])).toEqual([
      ['FUNDED', effectiveAt],
      ['EXPIRED', expiresAt],
    ]);
    await checkLedgerInvariants([customerId]);
  });

  it('settlement and a one-off charge: consumption updates the balance; the remainder invoice is issued', async () => {
    const { currency, customerId, key } = await currencyAndCustomer(t, {
      prefix: 'WS',
      fiatCode: 'USD',
      fiatValue: '0.01',
    });
    await grantCredits(t, customerId, currency, '10');
    const { eventType } = await subscribeToUnitPlan(t, customerId, currency, '1');
    await delivered(customerId, 4);
    const ingested = await t.ok(IngestUsageDocument, {
      events: [1, 2, 3].map((i) => ({ id: uniq(`u${i}`), subject: key, type: eventType })),
    });
    expect(ingested.ingestUsage.accepted).toBe(3);
    const settled = await t.ok(SettleChargesDocument, { customerId });
    const consumed = settled.settleCharges.movements[0]!;
    let events = (await delivered(customerId, 5)).slice(4);
    expect(typesOf(events)).toEqual(['credit_balance.updated']);
    expect(events[0]!.data.movement).toMatchObject({
      id: consumed.id,
      type: 'CONSUMED',
      amount: '-3.00',
      balanceAfter: '7.00',
      chargeId: consumed.charge!.id,
    });
    // the figures of the whole settlement: the charge's booked part is no longer pending
    expect(events[0]!.data.balance).toMatchObject({ settled: '7.00', pending: '7.00', upcoming: '0.00' });

    const charge = await t.ok(CreateChargeDocument, {
      input: {
        customerId,
        currency,
        amount: '12',
        description: 'Setup fee',
        settlementMode: 'CREDIT_THEN_INVOICE',
      },
    });
    expect(charge.createCharge).toMatchObject({ creditedAmount: '7.00', invoicedAmount: '5.00' });
    events = (await delivered(customerId, 8)).slice(5);
    expect(typesOf(events)).toEqual(['credit_balance.depleted', 'credit_balance.updated', 'invoice.issued']);
    const issued = only(events, 'invoice.issued');
    expectBody(issued, customerId, { invoice: INVOICE_KEYS });
    // issued empty and given its line in the same transaction: the event shows it as committed
    expect(issued.data.invoice).toMatchObject({
      kind: 'USAGE',
      status: 'ISSUED',
      paymentStatus: 'PENDING',
      currency: 'USD',
      total: '0.05',
      lines: [{ description: 'Setup fee', quantity: '5', unitPrice: '0.01', amount: '0.05' }],
    });
    await checkLedgerInvariants([customerId]);
  });

  it('auto top-up: credit_top_up.created with its grant, credit_top_up.failed when its payment fails', async () => {
    const currency = await newCurrency(t, { prefix: 'WU', scale: 2, fiatCode: 'USD', fiatValue: '1.00' });
    const { customerId } = await newCustomer(t, { keyPrefix: 'wtopup' });
    const plan = await t.ok(CreateTopUpPlanDocument, {
      input: {
        key: uniq('wtopup_plan'),
        name: 'Prepaid',
        currency,
        settlementMode: 'CREDIT_ONLY',
        rateCards: [],
        creditPurchase: { currency: 'USD', unitPrice: '0.04' },
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
    // enabled while the balance (none) is below the threshold: it fires
    await t.ok(SetAutoTopUpDocument, {
      input: { customerId, currency, enabled: true, threshold: '50', amount: '200' },
    });
    let events = await delivered(customerId, 3);
    expect(typesOf(events)).toEqual(['credit_grant.created', 'credit_top_up.created', 'invoice.issued']);
    const topUp = only(events, 'credit_top_up.created');
    expectBody(topUp, customerId, { grant: GRANT_KEYS });
    expect(topUp.data.grant).toEqual(only(events, 'credit_grant.created').data.grant);
    expect(topUp.data.grant).toMatchObject({
      amount: '200.00',
      source: 'AUTO_TOP_UP',
      fundingMethod: 'INVOICE',
      status: 'PENDING',
      paymentStatus: 'PENDING',
      subscriptionId: sub.createSubscription.id,
      purchase: { currency: 'USD', perUnitCost: '0.04', totalAmount: '8.00' },
    });
    expect(only(events, 'invoice.issued').data.invoice).toMatchObject({
      id: topUp.data.grant.invoiceId,
      total: '8.00',
    });

    await t.ok(UpdateInvoicePaymentStatusDocument, {
      invoiceId: topUp.data.grant.invoiceId,
      status: 'FAILED',
    });
    events = (await delivered(customerId, 5)).slice(3);
    expect(typesOf(events)).toEqual(['credit_grant.voided', 'credit_top_up.failed']);
    const failed = only(events, 'credit_top_up.failed');
    expectBody(failed, customerId, { grant: GRANT_KEYS });
    expect(failed.data.grant).toMatchObject({
      id: topUp.data.grant.id,
      status: 'VOIDED',
      paymentStatus: 'FAILED',
      remaining: '0.00',
    });
    expect(failed.timestamp).toBe(failed.data.grant.voidedAt);
    await checkLedgerInvariants([customerId]);
  });
});
