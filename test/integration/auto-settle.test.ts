import { describe, expect, it } from 'vitest';
import {
  ChargesDocument,
  CreateCreditGrantDocument,
  CreateCurrencyDocument,
  CreateCustomerDocument,
  CreditTransactionsDocument,
  IngestUsageDocument,
} from '../gql/graphql';
import { uniq, uniqCode, useTestApp } from '../support/app';
import { checkLedgerInvariants } from '../support/invariants';
import { subscribeToUnitPlan } from '../support/usage';

const t = useTestApp({ DRAWDOWN_SETTLE_INTERVAL: '300ms' });

describe('automatic settlement', () => {
  it('books open charges every DRAWDOWN_SETTLE_INTERVAL on the job runner, without settleCharges', async () => {
    const currency = uniqCode('A');
    await t.ok(CreateCurrencyDocument, { input: { code: currency, name: 'Auto', scale: 2 } });
    const key = uniq('auto');
    const customerId = (await t.ok(CreateCustomerDocument, { input: { key, name: 'Auto' } })).createCustomer
      .id;
    const { eventType } = await subscribeToUnitPlan(t, customerId, currency, '0.50');
    await t.ok(CreateCreditGrantDocument, {
      input: { customerId, currency, amount: '10', fundingMethod: 'PROMOTIONAL' },
    });
    await t.ok(IngestUsageDocument, {
      events: [1, 2, 3].map((i) => ({ id: uniq(`e${i}`), subject: key, type: eventType })),
    });
    let consumed: { amount: string }[] = [];
    for (let i = 0; i < 100 && consumed.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const h = await t.ok(CreditTransactionsDocument, { customerId, types: ['CONSUMED'] });
      consumed = h.creditTransactions.edges.map((e) => e.node);
    }
    expect(consumed.map((m) => m.amount)).toEqual(['-1.50']);
    const charges = await t.ok(ChargesDocument, { customerId });
    expect(charges.charges.edges[0]!.node).toMatchObject({ creditedAmount: '1.50', status: 'OPEN' });
    await checkLedgerInvariants([customerId]);
  });
});
