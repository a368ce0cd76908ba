import { describe, expect, it } from 'vitest';
import {
  CorrectMovementDocument,
  CreateChargeDocument,
  CreditForecastDocument,
  IssueCustomerTokenDocument,
  ReserveCreditsDocument,
} from '../gql/graphql';
import { codeOf, useTestApp } from '../support/app';
import { currencyAndCustomer, grantCredits, newCurrency } from '../support/builders';
import { checkLedgerInvariants } from '../support/invariants';

const t = useTestApp();
const DAY = 86_400_000;

async function forecast(customerId: string, currency: string, token?: string) {
  const before = Date.now();
  const f = (await t.ok(CreditForecastDocument, { id: customerId, currency }, token)).customer!
    .creditForecast;
  return { f, before, after: Date.now() };
}

/** `runOutAt` is `days` after the request's instant, which lies between `before` and `after`. */
function expectRunOut(r: Awaited<ReturnType<typeof forecast>>, days: number) {
  expect(r.f.runOutAt).not.toBeNull();
  const at = new Date(r.f.runOutAt!).getTime();
  expect(at).toBeGreaterThanOrEqual(r.before + days * DAY);
  expect(at).toBeLessThanOrEqual(r.after + days * DAY);
}

describe('Customer.creditForecast', () => {
  it('expiry schedule, net burn rate of the last 7 days, and the run-out instant counting expiries and holds', async () => {
    const { currency, customerId } = await currencyAndCustomer(t, { prefix: 'F', keyPrefix: 'fc' });
    const expiresAt = new Date(Date.now() + 2 * DAY).toISOString();
    const expiring = await grantCredits(t, customerId, currency, '10', { priority: 20, expiresAt });
    const main = await grantCredits(t, customerId, currency, '30', { priority: 1 });
    // nothing consumed yet: no rate, no run-out
    const idle = await forecast(customerId, currency);
    expect(idle.f).toMatchObject({ burnRatePerDay: '0.00', runOutAt: null, currency: { code: currency } });
    expect(idle.f.expiring).toEqual([{ grant: { id: expiring.id }, at: expiresAt, amount: '10.00' }]);

    // 14 consumed, 7 corrected: net 7 in the week, 1.00 a day
    const charge = await t.ok(CreateChargeDocument, {
      input: { customerId, currency, amount: '14', description: 'usage', settlementMode: 'CREDIT_ONLY' },
    });
    expect(charge.createCharge.creditedAmount).toBe('14.00');
    const consumed = await t.raw<{ creditTransactions: { edges: { node: { id: string } }[] } }>(
      `query ($id: ID!) { creditTransactions(customerId: $id, types: [CONSUMED], first: 1) { edges { node { id } } } }`,
      { id: customerId },
    );
    await t.ok(CorrectMovementDocument, {
      input: {
        movementId: consumed.data!.creditTransactions.edges[0]!.node.id,
        amount: '7',
        reason: 'refund',
      },
    });
    // pending 33: 2 days at 1.00 from the main grant, then the 10 expire: 21 left, 21 more days
    const r = await forecast(customerId, currency);
    expect(r.f.burnRatePerDay).toBe('1.00');
    expect(r.f.expiring).toEqual([{ grant: { id: expiring.id }, at: expiresAt, amount: '10.00' }]);
    expectRunOut(r, 23);

    // a hold takes its share first: pending 26, 2 days, 10 expire, 14 left
    await t.ok(ReserveCreditsDocument, { input: { customerId, currency, amount: '7' } });
    expectRunOut(await forecast(customerId, currency), 16);

    // customers read their own forecast
    const token = (await t.ok(IssueCustomerTokenDocument, { customerId, ttlSeconds: 60 })).issueCustomerToken
      .token;
    expectRunOut(await forecast(customerId, currency, token), 16);
    expect(main.id).not.toBe(expiring.id);
    await checkLedgerInvariants([customerId]);
  });

  it('a currency without a ledger forecasts nothing; an unknown currency is BAD_USER_INPUT', async () => {
    const { customerId } = await currencyAndCustomer(t, { prefix: 'F', keyPrefix: 'fc' });
    const other = await newCurrency(t, { prefix: 'FO', scale: 3 });
    expect((await forecast(customerId, other)).f).toEqual({
      currency: { code: other },
      expiring: [],
      burnRatePerDay: '0.000',
      runOutAt: null,
    });
    expect(codeOf(await t.gql(CreditForecastDocument, { id: customerId, currency: 'NOPE' }))).toBe(
      'BAD_USER_INPUT',
    );
    await checkLedgerInvariants([customerId]);
  });
});
