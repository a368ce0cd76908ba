import { print } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  BalanceChangedDocument,
  CaptureCreditHoldDocument,
  CreateChargeDocument,
  CustomerHoldsDocument,
  HeldBalancesDocument,
  IssueCustomerTokenDocument,
  ReleaseCreditHoldDocument,
  ReserveCreditsDocument,
  type BalanceChangedSubscription,
  type ReserveCreditsInput,
} from '../gql/graphql';
import { codeOf, uniq, useTestApp } from '../support/app';
import { currencyAndCustomer, grantCredits, historyOf } from '../support/builders';
import { checkLedgerInvariants } from '../support/invariants';
import { collect, wsClient } from '../support/ws';

const t = useTestApp();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const customer = () => currencyAndCustomer(t, { prefix: 'H', keyPrefix: 'hold' });

async function balance(customerId: string, currency: string) {
  return (await t.ok(HeldBalancesDocument, { customerId, currency })).creditBalances[0]!;
}

const reserve = (input: ReserveCreditsInput) => t.gql(ReserveCreditsDocument, { input });
async function reserveOk(input: ReserveCreditsInput) {
  return (await t.ok(ReserveCreditsDocument, { input })).reserveCredits;
}

describe('reserveCredits', () => {
  it('holds an amount: held rises, pending falls, settled and the ledger stay as they are', async () => {
    const { currency, customerId } = await customer();
    await grantCredits(t, customerId, currency, '100');
    const before = await historyOf(t, customerId, currency);
    const h = await reserveOk({ customerId, currency, amount: '30', description: 'an AI call' });
    expect(h).toMatchObject({
      amount: '30.00',
      capturedAmount: '0.00',
      status: 'HELD',
      description: 'an AI call',
      movement: null,
      currency: { code: currency },
      customer: { id: customerId },
    });
    // default expiresIn PT15M
    expect(new Date(h.expiresAt).getTime() - new Date(h.createdAt).getTime()).toBe(15 * 60_000);
    expect(await balance(customerId, currency)).toMatchObject({
      settled: '100.00',
      pending: '70.00',
      held: '30.00',
    });
    expect(await historyOf(t, customerId, currency)).toEqual(before);
    await checkLedgerInvariants([customerId]);
  });

  it('is refused with INSUFFICIENT_CREDITS when pending is smaller; a reserve that fits is taken', async () => {
    const { currency, customerId } = await customer();
    await grantCredits(t, customerId, currency, '10');
    await reserveOk({ customerId, currency, amount: '6' });
    const over = await reserve({ customerId, currency, amount: '4.01' });
    expect(codeOf(over)).toBe('INSUFFICIENT_CREDITS');
    expect(over.errors?.[0]?.extensions?.available).toBe('4.00');
    await reserveOk({ customerId, currency, amount: '4' });
    expect(await balance(customerId, currency)).toMatchObject({ pending: '0.00', held: '10.00' });
    // a customer without credit at all
    const other = await customer();
    expect(
      codeOf(await reserve({ customerId: other.customerId, currency: other.currency, amount: '1' })),
    ).toBe('INSUFFICIENT_CREDITS');
    await checkLedgerInvariants([customerId, other.customerId]);
  });

  it('takes expiresIn as a positive ISO-8601 duration of at most 24 hours', async () => {
    const { currency, customerId } = await customer();
    await grantCredits(t, customerId, currency, '100');
    for (const expiresIn of ['PT0S', 'P2D', 'PT24H1S', 'P1M', 'soon', '', 'PT-5M', 'P1DT1S']) {
      const r = await reserve({ customerId, currency, amount: '1', expiresIn });
      expect(codeOf(r), expiresIn).toBe('BAD_USER_INPUT');
    }
    for (const [expiresIn, ms] of [
      ['P1D', 86_400_000],
      ['PT24H', 86_400_000],
      ['PT1S', 1000],
      ['PT90M', 5_400_000],
    ] as const) {
      const h = await reserveOk({ customerId, currency, amount: '1', expiresIn });
      expect(new Date(h.expiresAt).getTime() - new Date(h.createdAt).getTime(), expiresIn).toBe(ms);
    }
    for (const amount of ['0', '-1', '1.001', '1e2', '']) {
      expect(codeOf(await reserve({ customerId, currency, amount })), amount).toBe('BAD_USER_INPUT');
    }
    await checkLedgerInvariants([customerId]);
  });

  it('answers an idempotent replay before any state or amount check', async () => {
    const { currency, customerId } = await customer();
    await grantCredits(t, customerId, currency, '10');
    const key = uniq('idem');
    const first = await reserveOk({ customerId, currency, amount: '10', idempotencyKey: key });
    // pending is 0 now: a new reserve of 10 would be refused, the replay is not
    const again = await reserveOk({ customerId, currency, amount: '10', idempotencyKey: key });
    expect(again.id).toBe(first.id);
    await t.ok(ReleaseCreditHoldDocument, { holdId: first.id });
    const afterRelease = await reserveOk({ customerId, currency, amount: '10', idempotencyKey: key });
    expect(afterRelease).toMatchObject({ id: first.id, status: 'RELEASED' });
    expect(codeOf(await reserve({ customerId, currency, amount: '9', idempotencyKey: key }))).toBe(
      'IDEMPOTENCY_CONFLICT',
    );
    const holds = await t.ok(CustomerHoldsDocument, { id: customerId });
    expect(holds.customer!.creditHolds.edges).toHaveLength(1);
    await checkLedgerInvariants([customerId]);
  });

  it('20 concurrent reserves on one ledger never hold more than pending, and every one that fits is taken', async () => {
    const { currency, customerId } = await customer();
    await grantCredits(t, customerId, currency, '10');
    const results = await Promise.all(
      Array.from({ length: 20 }, () => reserve({ customerId, currency, amount: '1' })),
    );
    const ok = results.filter((r) => !r.errors);
    expect(ok).toHaveLength(10);
    expect(results.filter((r) => codeOf(r) === 'INSUFFICIENT_CREDITS')).toHaveLength(10);
    expect(await balance(customerId, currency)).toMatchObject({
      settled: '10.00',
      held: '10.00',
      pending: '0.00',
    });
    await checkLedgerInvariants([customerId]);
  });
});

describe('captureCreditHold', () => {
  it('books the captured part like createCharge with CREDIT_ONLY (draw-down order) and releases the rest', async () => {
    const { currency, customerId } = await customer();
    const later = await grantCredits(t, customerId, currency, '50', { priority: 20 });
    const first = await grantCredits(t, customerId, currency, '5', { priority: 1 });
    const h = await reserveOk({ customerId, currency, amount: '20', description: 'agent run 7' });
    const c = (
      await t.ok(CaptureCreditHoldDocument, {
        input: { holdId: h.id, amount: '12.5', idempotencyKey: 'cap' },
      })
    ).captureCreditHold;
    expect(c).toMatchObject({ id: h.id, status: 'CAPTURED', amount: '20.00', capturedAmount: '12.50' });
    expect(c.movement).toMatchObject({
      type: 'CONSUMED',
      amount: '-12.50',
      charge: { description: 'agent run 7', settlementMode: 'CREDIT_ONLY' },
      allocations: [
        { amount: '-5.00', grant: { id: first.id } },
        { amount: '-7.50', grant: { id: later.id } },
      ],
    });
    expect(await balance(customerId, currency)).toMatchObject({
      settled: '42.50',
      held: '0.00',
      pending: '42.50',
    });
    // a replay answers the first result; another input with the key conflicts; a second capture is refused
    const replay = await t.ok(CaptureCreditHoldDocument, {
      input: { holdId: h.id, amount: '12.5', idempotencyKey: 'cap' },
    });
    expect(replay.captureCreditHold.movement!.id).toBe(c.movement!.id);
    expect(
      codeOf(
        await t.gql(CaptureCreditHoldDocument, {
          input: { holdId: h.id, amount: '1', idempotencyKey: 'cap' },
        }),
      ),
    ).toBe('IDEMPOTENCY_CONFLICT');
    expect(codeOf(await t.gql(CaptureCreditHoldDocument, { input: { holdId: h.id } }))).toBe('INVALID_STATE');
    expect(codeOf(await t.gql(ReleaseCreditHoldDocument, { holdId: h.id }))).toBe('INVALID_STATE');
    expect((await historyOf(t, customerId, currency)).filter((m) => m.type === 'CONSUMED')).toHaveLength(1);
    await checkLedgerInvariants([customerId]);
  });

  it('captures everything by default; above the held amount is BAD_USER_INPUT', async () => {
    const { currency, customerId } = await customer();
    await grantCredits(t, customerId, currency, '10');
    const h = await reserveOk({ customerId, currency, amount: '4' });
    const over = await t.gql(CaptureCreditHoldDocument, { input: { holdId: h.id, amount: '4.01' } });
    expect(codeOf(over)).toBe('BAD_USER_INPUT');
    expect(codeOf(await t.gql(CaptureCreditHoldDocument, { input: { holdId: h.id, amount: '0' } }))).toBe(
      'BAD_USER_INPUT',
    );
    const c = (await t.ok(CaptureCreditHoldDocument, { input: { holdId: h.id } })).captureCreditHold;
    expect(c).toMatchObject({ status: 'CAPTURED', capturedAmount: '4.00', movement: { amount: '-4.00' } });
    expect(c.movement!.charge!.description).toBe(`Capture of credit hold ${h.id}`);
    expect(codeOf(await t.gql(CaptureCreditHoldDocument, { input: { holdId: 'hld_nope' } }))).toBe(
      'NOT_FOUND',
    );
    await checkLedgerInvariants([customerId]);
  });

  it('never fails for lack of credit: what grants no longer cover becomes debt', async () => {
    const { currency, customerId } = await customer();
    await grantCredits(t, customerId, currency, '10');
    const h = await reserveOk({ customerId, currency, amount: '10' });
    // CREDIT_ONLY one-off charges draw as before, holds or not
    await t.ok(CreateChargeDocument, {
      input: { customerId, currency, amount: '8', description: 'fee', settlementMode: 'CREDIT_ONLY' },
    });
    expect(await balance(customerId, currency)).toMatchObject({
      settled: '2.00',
      held: '10.00',
      pending: '-8.00',
    });
    const c = (await t.ok(CaptureCreditHoldDocument, { input: { holdId: h.id } })).captureCreditHold;
    expect(c.movement!.allocations.map((a) => [a.amount, a.grant?.id ?? null])).toEqual([
      ['-2.00', expect.any(String)],
      ['-8.00', null],
    ]);
    expect(await balance(customerId, currency)).toMatchObject({
      settled: '-8.00',
      held: '0.00',
      pending: '-8.00',
    });
    await checkLedgerInvariants([customerId]);
  });
});

describe('held credit and CREDIT_THEN_INVOICE', () => {
  it('credit pays down to the held amount; the rest is invoiced', async () => {
    const { currency, customerId } = await customer();
    await grantCredits(t, customerId, currency, '10');
    await reserveOk({ customerId, currency, amount: '6' });
    const charge = (
      await t.ok(CreateChargeDocument, {
        input: {
          customerId,
          currency,
          amount: '7',
          description: 'invoiced',
          settlementMode: 'CREDIT_THEN_INVOICE',
        },
      })
    ).createCharge;
    expect(charge).toMatchObject({ creditedAmount: '4.00', invoicedAmount: '3.00' });
    expect(await balance(customerId, currency)).toMatchObject({
      settled: '6.00',
      held: '6.00',
      pending: '0.00',
    });
    await checkLedgerInvariants([customerId]);
  });
});

describe('releaseCreditHold and expiry', () => {
  it('a release frees the hold and books nothing; releasing again returns it unchanged', async () => {
    const { currency, customerId } = await customer();
    await grantCredits(t, customerId, currency, '10');
    const h = await reserveOk({ customerId, currency, amount: '3' });
    const r = (await t.ok(ReleaseCreditHoldDocument, { holdId: h.id })).releaseCreditHold;
    expect(r).toMatchObject({ status: 'RELEASED', capturedAmount: '0.00', movement: null });
    const again = (await t.ok(ReleaseCreditHoldDocument, { holdId: h.id })).releaseCreditHold;
    expect(again).toEqual(r);
    expect(codeOf(await t.gql(CaptureCreditHoldDocument, { input: { holdId: h.id } }))).toBe('INVALID_STATE');
    expect(await balance(customerId, currency)).toMatchObject({
      settled: '10.00',
      held: '0.00',
      pending: '10.00',
    });
    expect(await historyOf(t, customerId, currency)).toHaveLength(1);
    await checkLedgerInvariants([customerId]);
  });

  it('at expiresAt a HELD hold is EXPIRED: reads count nothing of it, with no job run', async () => {
    const { currency, customerId } = await customer();
    await grantCredits(t, customerId, currency, '10');
    const h = await reserveOk({ customerId, currency, amount: '10', expiresIn: 'PT1S' });
    expect(await balance(customerId, currency)).toMatchObject({ held: '10.00', pending: '0.00' });
    await sleep(Math.max(0, new Date(h.expiresAt).getTime() - Date.now()) + 50);
    expect(await balance(customerId, currency)).toMatchObject({ held: '0.00', pending: '10.00' });
    const expired = await t.ok(CustomerHoldsDocument, { id: customerId, status: ['EXPIRED'] });
    expect(expired.customer!.creditHolds.edges.map((e) => e.node)).toMatchObject([
      { id: h.id, status: 'EXPIRED' },
    ]);
    expect((await t.ok(ReleaseCreditHoldDocument, { holdId: h.id })).releaseCreditHold.status).toBe(
      'EXPIRED',
    );
    expect(codeOf(await t.gql(CaptureCreditHoldDocument, { input: { holdId: h.id } }))).toBe('INVALID_STATE');
    // its credit may be reserved again
    await reserveOk({ customerId, currency, amount: '10' });
    await checkLedgerInvariants([customerId]);
  });
});

describe('Customer.creditHolds', () => {
  it('pages newest first with currency and status filters; customer tokens read their own, cannot reserve', async () => {
    const { currency, customerId } = await customer();
    const { currency: other } = await currencyAndCustomer(t, { prefix: 'HO' });
    await grantCredits(t, customerId, currency, '100');
    await grantCredits(t, customerId, other, '100');
    const a = await reserveOk({ customerId, currency, amount: '1' });
    const b = await reserveOk({ customerId, currency, amount: '2' });
    const c = await reserveOk({ customerId, currency: other, amount: '3' });
    await t.ok(ReleaseCreditHoldDocument, { holdId: b.id });
    const ids = async (vars: { currency?: string; status?: ('HELD' | 'RELEASED')[] }) =>
      (await t.ok(CustomerHoldsDocument, { id: customerId, ...vars })).customer!.creditHolds.edges.map(
        (e) => e.node.id,
      );
    expect(await ids({})).toEqual([c.id, b.id, a.id]);
    expect(await ids({ currency })).toEqual([b.id, a.id]);
    expect(await ids({ status: ['HELD'] })).toEqual([c.id, a.id]);
    expect(await ids({ currency, status: ['RELEASED'] })).toEqual([b.id]);
    const p1 = (await t.ok(CustomerHoldsDocument, { id: customerId, first: 2 })).customer!.creditHolds;
    expect(p1.pageInfo.hasNextPage).toBe(true);
    const p2 = (await t.ok(CustomerHoldsDocument, { id: customerId, first: 2, after: p1.pageInfo.endCursor }))
      .customer!.creditHolds;
    expect(p2.edges.map((e) => e.node.id)).toEqual([a.id]);
    // a cursor is bound to its filter
    expect(
      codeOf(
        await t.gql(CustomerHoldsDocument, {
          id: customerId,
          currency,
          first: 2,
          after: p1.pageInfo.endCursor,
        }),
      ),
    ).toBe('BAD_USER_INPUT');

    const token = (await t.ok(IssueCustomerTokenDocument, { customerId, ttlSeconds: 60 })).issueCustomerToken
      .token;
    const own = await t.ok(CustomerHoldsDocument, { id: customerId }, token);
    expect(own.customer!.creditHolds.edges).toHaveLength(3);
    expect(
      codeOf(await t.gql(ReserveCreditsDocument, { input: { customerId, currency, amount: '1' } }, token)),
    ).toBe('FORBIDDEN');
    expect(codeOf(await t.gql(ReleaseCreditHoldDocument, { holdId: a.id }, token))).toBe('FORBIDDEN');
    await checkLedgerInvariants([customerId]);
  });
});

describe('live updates', () => {
  it('a reserve and a release send subscribers a pending-only update', async () => {
    const { currency, customerId } = await customer();
    await grantCredits(t, customerId, currency, '10');
    const ws = wsClient(t.wsUrl);
    const sub = collect<BalanceChangedSubscription>(ws.client, print(BalanceChangedDocument), {
      customerId,
      currency,
    });
    await sleep(150);
    const h = await reserveOk({ customerId, currency, amount: '4' });
    const [first] = await sub.until(1);
    expect(first!.creditBalanceChanged).toMatchObject({
      movement: null,
      balance: { settled: '10.00', pending: '6.00' },
    });
    // coalesced to at most 4 per second per customer: the release's update may come a moment later
    await t.ok(ReleaseCreditHoldDocument, { holdId: h.id });
    const got = await sub.until(2);
    expect(got[got.length - 1]!.creditBalanceChanged).toMatchObject({
      movement: null,
      balance: { settled: '10.00', pending: '10.00' },
    });
    sub.stop();
    await ws.dispose();
    await checkLedgerInvariants([customerId]);
  });
});

describe('node(id)', () => {
  it('finds a hold by id; another customer’s token gets NOT_FOUND', async () => {
    const { currency, customerId } = await customer();
    await grantCredits(t, customerId, currency, '5');
    const h = await reserveOk({ customerId, currency, amount: '2' });
    const query = `query ($id: ID!) { node(id: $id) { id ... on CreditHold { amount status } } }`;
    expect((await t.raw(query, { id: h.id })).data).toEqual({
      node: { id: h.id, amount: '2.00', status: 'HELD' },
    });
    const stranger = await customer();
    const token = (
      await t.ok(IssueCustomerTokenDocument, { customerId: stranger.customerId, ttlSeconds: 60 })
    ).issueCustomerToken.token;
    expect(codeOf(await t.raw(query, { id: h.id }, token))).toBe('NOT_FOUND');
    await checkLedgerInvariants([customerId]);
  });
});
