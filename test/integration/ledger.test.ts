import { Client } from 'pg';
import { describe, expect, inject, it } from 'vitest';
import {
  AdjustCreditsDocument,
  CreateChargeDocument,
  CreateCreditGrantDocument,
  CreateCurrencyDocument,
  CreateCustomerDocument,
  CreateFeatureDocument,
  CreditGrantsDocument,
  CreditTransactionsDocument,
  CustomerLedgerDocument,
  InvoicesDocument,
  UpdateExternalSettlementDocument,
  UpdateInvoicePaymentStatusDocument,
  VoidCreditGrantDocument,
  type CreditTransactionsQuery,
} from '../gql/graphql';
import { codeOf, uniq, uniqCode, useTestApp } from '../support/app';
import { balanceOf, currencyAndCustomer, grantCredits, historyOf } from '../support/builders';
import { checkLedgerInvariants } from '../support/invariants';

const t = useTestApp();

const customerWith = (scale = 2, extra: { fiatCode?: string; fiatValue?: string } = {}) =>
  currencyAndCustomer(t, {
    prefix: 'L',
    name: 'Ledger currency',
    scale,
    ...extra,
    keyPrefix: 'led',
    customerName: 'Ledger customer',
  });
const balance = (customerId: string, currency: string) => balanceOf(t, customerId, currency);
const history = (customerId: string, currency?: string) => historyOf(t, customerId, currency);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  ms = 8000,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('promotional credits', () => {
  it('funds at once: balance, then a FUNDED movement with its allocation', async () => {
    const { currency, customerId } = await customerWith();
    const g = await grantCredits(t, customerId, currency, '100', { name: 'Welcome' });
    expect(g).toMatchObject({
      amount: '100.00',
      remaining: '100.00',
      status: 'ACTIVE',
      priority: 10,
      paymentStatus: null,
    });
    expect(await balance(customerId, currency)).toMatchObject({
      settled: '100.00',
      pending: '100.00',
      upcoming: '0.00',
    });
    const [m] = await history(customerId, currency);
    expect(m).toMatchObject({
      sequence: 1,
      type: 'FUNDED',
      amount: '100.00',
      balanceBefore: '0.00',
      balanceAfter: '100.00',
    });
    expect(m!.grant!.id).toBe(g.id);
    expect(m!.allocations).toEqual([{ amount: '100.00', grant: { id: g.id } }]);
    const viaCustomer = await t.ok(CustomerLedgerDocument, { id: customerId });
    expect(viaCustomer.customer!.creditBalances).toEqual([
      { settled: '100.00', currency: { code: currency } },
    ]);
    await checkLedgerInvariants([customerId]);
  });

  it('rejects bad grants with every problem at once and books nothing', async () => {
    const { currency, customerId } = await customerWith();
    const now = Date.now();
    const bad = await t.gql(CreateCreditGrantDocument, {
      input: {
        customerId,
        currency,
        amount: '1.001',
        fundingMethod: 'PROMOTIONAL',
        priority: 0,
        effectiveAt: new Date(now + 60_000).toISOString(),
        expiresAt: new Date(now + 30_000).toISOString(),
      },
    });
    expect(codeOf(bad)).toBe('BAD_USER_INPUT');
    const fields = (bad.errors![0]!.extensions!.problems as { field: string }[]).map((p) => p.field).sort();
    expect(fields).toEqual(['amount', 'expiresAt', 'priority']);
    for (const amount of ['0', '-5', '1e3']) {
      const res = await t.gql(CreateCreditGrantDocument, {
        input: { customerId, currency, amount, fundingMethod: 'PROMOTIONAL' },
      });
      expect(codeOf(res), amount).toBe('BAD_USER_INPUT');
    }
    expect(
      codeOf(
        await t.gql(CreateCreditGrantDocument, {
          input: { customerId, currency: 'NOPE', amount: '1', fundingMethod: 'PROMOTIONAL' },
        }),
      ),
    ).toBe('BAD_USER_INPUT');
    expect(
      codeOf(
        await t.gql(CreateCreditGrantDocument, {
          input: { customerId: 'cus_x', currency, amount: '1', fundingMethod: 'PROMOTIONAL' },
        }),
      ),
    ).toBe('NOT_FOUND');
    expect(
      codeOf(
        await t.gql(CreateCreditGrantDocument, {
          input: { customerId, currency, amount: '1', fundingMethod: 'INVOICE' },
        }),
      ),
    ).toBe('BAD_USER_INPUT');
    expect(await balance(customerId, currency)).toBeUndefined();
    await checkLedgerInvariants([customerId]);
  });
});

describe('invoice-funded credits', () => {
  it('upcoming → authorized → settled → FUNDED, with a credit-purchase invoice of amount × perUnitCost', async () => {
    const { currency, customerId } = await customerWith(6, { fiatCode: 'USD', fiatValue: '0.04' });
    const g = (
      await t.ok(CreateCreditGrantDocument, {
        input: {
          customerId,
          currency,
          amount: '1000',
          fundingMethod: 'INVOICE',
          purchase: { currency: 'USD', perUnitCost: '0.035' },
        },
      })
    ).createCreditGrant;
    expect(g).toMatchObject({
      status: 'PENDING',
      paymentStatus: 'PENDING',
      purchase: { currency: 'USD', perUnitCost: '0.035', totalAmount: '35.00' },
    });
    expect(g.invoice).toMatchObject({
      status: 'ISSUED',
      paymentStatus: 'PENDING',
      total: '35.00',
      currency: 'USD',
    });
    expect(await balance(customerId, currency)).toMatchObject({
      settled: '0.000000',
      upcoming: '1000.000000',
    });

    await t.ok(UpdateInvoicePaymentStatusDocument, { invoiceId: g.invoice!.id, status: 'AUTHORIZED' });
    expect(await balance(customerId, currency)).toMatchObject({
      settled: '0.000000',
      upcoming: '1000.000000',
    });
    expect(await history(customerId, currency)).toEqual([]);

    const paid = await t.ok(UpdateInvoicePaymentStatusDocument, {
      invoiceId: g.invoice!.id,
      status: 'SETTLED',
    });
    expect(paid.updateInvoicePaymentStatus).toMatchObject({ status: 'PAID', paymentStatus: 'SETTLED' });
    expect(await balance(customerId, currency)).toMatchObject({
      settled: '1000.000000',
      upcoming: '0.000000',
    });
    const [m] = await history(customerId, currency);
    expect(m).toMatchObject({ type: 'FUNDED', amount: '1000.000000', sequence: 1 });
    // settling again is accepted unchanged; a settled payment cannot fail any more
    await t.ok(UpdateInvoicePaymentStatusDocument, { invoiceId: g.invoice!.id, status: 'SETTLED' });
    expect(
      codeOf(await t.gql(UpdateInvoicePaymentStatusDocument, { invoiceId: g.invoice!.id, status: 'FAILED' })),
    ).toBe('INVALID_STATE');
    expect(await history(customerId, currency)).toHaveLength(1);
    const inv = await t.ok(InvoicesDocument, { customerId });
    expect(inv.invoices.edges.map((e) => e.node.status)).toEqual(['PAID']);
    await checkLedgerInvariants([customerId]);
  });

  it('a failed payment voids the grant and the invoice and books nothing', async () => {
    const { currency, customerId } = await customerWith();
    const g = (
      await t.ok(CreateCreditGrantDocument, {
        input: {
          customerId,
          currency,
          amount: '20',
          fundingMethod: 'INVOICE',
          purchase: { currency: 'EUR', perUnitCost: '1' },
        },
      })
    ).createCreditGrant;
    // voiding a grant voids its unpaid invoice: paying it later is refused
    const other = (
      await t.ok(CreateCreditGrantDocument, {
        input: {
          customerId,
          currency,
          amount: '5',
          fundingMethod: 'INVOICE',
          purchase: { currency: 'EUR', perUnitCost: '1' },
        },
      })
    ).createCreditGrant;
    await t.ok(VoidCreditGrantDocument, { grantId: other.id });
    const payVoided = await t.gql(UpdateInvoicePaymentStatusDocument, {
      invoiceId: other.invoice!.id,
      status: 'SETTLED',
    });
    expect(codeOf(payVoided)).toBe('INVALID_STATE');
    const failed = await t.ok(UpdateInvoicePaymentStatusDocument, {
      invoiceId: g.invoice!.id,
      status: 'FAILED',
    });
    expect(failed.updateInvoicePaymentStatus).toMatchObject({ status: 'VOID', paymentStatus: 'FAILED' });
    const grants = await t.ok(CreditGrantsDocument, { customerId, status: ['VOIDED'] });
    expect(grants.creditGrants.edges.map((e) => e.node.id)).toEqual([other.id, g.id]);
    expect(grants.creditGrants.edges[1]!.node).toMatchObject({
      status: 'VOIDED',
      remaining: '0.00',
      paymentStatus: 'FAILED',
    });
    expect(await balance(customerId, currency)).toMatchObject({ settled: '0.00', upcoming: '0.00' });
    expect(await history(customerId, currency)).toEqual([]);
    await checkLedgerInvariants([customerId]);
  });
});

describe('external credits', () => {
  it('are available at once, record the outside payment, and a failure voids only the unused remainder', async () => {
    const { currency, customerId } = await customerWith();
    const g = (
      await t.ok(CreateCreditGrantDocument, {
        input: {
          customerId,
          currency,
          amount: '50',
          fundingMethod: 'EXTERNAL',
          purchase: { currency: 'USD', perUnitCost: '0.5' },
        },
      })
    ).createCreditGrant;
    expect(g).toMatchObject({ status: 'ACTIVE', paymentStatus: 'PENDING', invoice: null });
    await t.ok(AdjustCreditsDocument, {
      input: { customerId, currency, amount: '-20', reason: 'manual usage' },
    });
    const authorized = await t.ok(UpdateExternalSettlementDocument, { grantId: g.id, status: 'AUTHORIZED' });
    expect(authorized.updateExternalSettlement.paymentStatus).toBe('AUTHORIZED');
    const failed = await t.ok(UpdateExternalSettlementDocument, { grantId: g.id, status: 'FAILED' });
    expect(failed.updateExternalSettlement).toMatchObject({
      status: 'VOIDED',
      paymentStatus: 'FAILED',
      remaining: '0.00',
    });
    const types = (await history(customerId, currency)).map((m) => [m.type, m.amount]);
    expect(types).toEqual([
      ['VOIDED', '-30.00'],
      ['ADJUSTED', '-20.00'],
      ['FUNDED', '50.00'],
    ]);
    expect(await balance(customerId, currency)).toMatchObject({ settled: '0.00' });
    const promo = await grantCredits(t, customerId, currency, '1');
    expect(
      codeOf(await t.gql(UpdateExternalSettlementDocument, { grantId: promo.id, status: 'SETTLED' })),
    ).toBe('INVALID_STATE');
    await checkLedgerInvariants([customerId]);
  });
});

describe('draw-down order', () => {
  it('takes A 50, B 40, C 0 from a debit of 90 (the worked example)', async () => {
    const { currency, customerId } = await customerWith();
    const now = Date.now();
    const grant = async (name: string, priority: number, amount: string, expiresInDays: number | null) =>
      (
        await t.ok(CreateCreditGrantDocument, {
          input: {
            customerId,
            currency,
            amount,
            name,
            priority,
            fundingMethod: 'PROMOTIONAL',
            expiresAt:
              expiresInDays === null ? null : new Date(now + expiresInDays * 86_400_000).toISOString(),
          },
        })
      ).createCreditGrant;
    // created in an order that is not the draw-down order
    await grant('C', 2, '100', null);
    const b = await grant('B', 1, '80', 20);
    const a = await grant('A', 1, '50', 10);
    const debit = (
      await t.ok(AdjustCreditsDocument, { input: { customerId, currency, amount: '-90', reason: 'debit' } })
    ).adjustCredits;
    expect(debit).toMatchObject({
      type: 'ADJUSTED',
      amount: '-90.00',
      balanceBefore: '230.00',
      balanceAfter: '140.00',
    });
    expect(debit.allocations).toEqual([
      { amount: '-50.00', grant: { id: a.id } },
      { amount: '-40.00', grant: { id: b.id } },
    ]);
    // the mutation answers the movement as booked, without reading it back: the history shows the same
    expect((await history(customerId, currency)).find((m) => m.id === debit.id)).toEqual(debit);
    const grants = await t.ok(CreditGrantsDocument, { customerId });
    const byName = Object.fromEntries(
      grants.creditGrants.edges.map((e) => [e.node.name, [e.node.remaining, e.node.status]]),
    );
    expect(byName).toEqual({ A: ['0.00', 'DEPLETED'], B: ['40.00', 'ACTIVE'], C: ['100.00', 'ACTIVE'] });
    const depleted = await t.ok(CreditGrantsDocument, { customerId, status: ['DEPLETED'] });
    expect(depleted.creditGrants.edges.map((e) => e.node.id)).toEqual([a.id]);
    const tooMuch = await t.gql(AdjustCreditsDocument, {
      input: { customerId, currency, amount: '-140.01', reason: 'too much' },
    });
    expect(codeOf(tooMuch)).toBe('INSUFFICIENT_CREDITS');
    expect(await balance(customerId, currency)).toMatchObject({ settled: '140.00' });
    // a positive adjustment funds a grant of its own: answered as booked, the same as the history shows
    const bonus = (
      await t.ok(AdjustCreditsDocument, { input: { customerId, currency, amount: '2.5', reason: 'bonus' } })
    ).adjustCredits;
    expect(bonus).toMatchObject({
      type: 'ADJUSTED',
      amount: '2.50',
      balanceAfter: '142.50',
      description: 'bonus',
    });
    expect((await history(customerId, currency)).find((m) => m.id === bonus.id)).toEqual(bonus);
    await checkLedgerInvariants([customerId]);
  });
});

describe('voiding', () => {
  it('books a VOIDED movement of the remainder, is idempotent, and refuses depleted grants', async () => {
    const { currency, customerId } = await customerWith();
    const g = await grantCredits(t, customerId, currency, '30');
    await t.ok(AdjustCreditsDocument, { input: { customerId, currency, amount: '-10', reason: 'use' } });
    const voided = (await t.ok(VoidCreditGrantDocument, { grantId: g.id, reason: 'fraud' })).voidCreditGrant;
    expect(voided).toMatchObject({ status: 'VOIDED', remaining: '0.00' });
    const again = (await t.ok(VoidCreditGrantDocument, { grantId: g.id })).voidCreditGrant;
    expect(again.status).toBe('VOIDED');
    const moves = await history(customerId, currency);
    expect(moves.map((m) => [m.type, m.amount, m.description])).toEqual([
      ['VOIDED', '-20.00', 'fraud'],
      ['ADJUSTED', '-10.00', 'use'],
      ['FUNDED', '30.00', null],
    ]);
    const small = await grantCredits(t, customerId, currency, '5');
    await t.ok(AdjustCreditsDocument, { input: { customerId, currency, amount: '-5', reason: 'all' } });
    expect(codeOf(await t.gql(VoidCreditGrantDocument, { grantId: small.id }))).toBe('INVALID_STATE');
    const pending = await grantCredits(t, customerId, currency, '7', {
      effectiveAt: new Date(Date.now() + 3600_000).toISOString(),
    });
    expect(pending.status).toBe('PENDING');
    expect((await t.ok(VoidCreditGrantDocument, { grantId: pending.id })).voidCreditGrant.status).toBe(
      'VOIDED',
    );
    expect(await balance(customerId, currency)).toMatchObject({ settled: '0.00', upcoming: '0.00' });
    expect(await history(customerId, currency)).toHaveLength(5);
    await checkLedgerInvariants([customerId]);
  });
});

describe('time', () => {
  it('never shows credit past its expiry, and the job books EXPIRED at expiresAt', async () => {
    const { currency, customerId } = await customerWith();
    const expiresAt = new Date(Date.now() + 1500);
    await grantCredits(t, customerId, currency, '12', { expiresAt: expiresAt.toISOString() });
    await grantCredits(t, customerId, currency, '3');
    expect(await balance(customerId, currency)).toMatchObject({ settled: '15.00' });
    await sleep(expiresAt.getTime() - Date.now() + 5);
    // the very first read after the instant already leaves it out, booked or not
    expect(await balance(customerId, currency)).toMatchObject({ settled: '3.00' });
    const expired = await t.ok(CreditGrantsDocument, { customerId, status: ['EXPIRED'] });
    expect(expired.creditGrants.edges.map((e) => [e.node.amount, e.node.remaining])).toEqual([
      ['12.00', '0.00'],
    ]);
    const m = await waitFor('the EXPIRED movement', async () =>
      (await history(customerId, currency)).find((x) => x.type === 'EXPIRED'),
    );
    expect(m).toMatchObject({ amount: '-12.00', bookedAt: expiresAt.toISOString(), balanceAfter: '3.00' });
    expect(await balance(customerId, currency)).toMatchObject({ settled: '3.00' });
    await checkLedgerInvariants([customerId]);
  });

  it('funds a future grant at its effective date: upcoming before, FUNDED at effectiveAt after', async () => {
    const { currency, customerId } = await customerWith();
    const effectiveAt = new Date(Date.now() + 1500);
    await grantCredits(t, customerId, currency, '40', { effectiveAt: effectiveAt.toISOString() });
    expect(await balance(customerId, currency)).toMatchObject({ settled: '0.00', upcoming: '40.00' });
    await sleep(effectiveAt.getTime() - Date.now() + 5);
    expect(await balance(customerId, currency)).toMatchObject({ settled: '40.00', upcoming: '0.00' });
    const m = await waitFor('the FUNDED movement', async () => (await history(customerId, currency))[0]);
    expect(m).toMatchObject({ type: 'FUNDED', amount: '40.00', bookedAt: effectiveAt.toISOString() });
    await checkLedgerInvariants([customerId]);
  });
});

describe('idempotency', () => {
  it('replays the first result for the same key and input, and conflicts for other input', async () => {
    const { currency, customerId } = await customerWith();
    const input = {
      customerId,
      currency,
      amount: '10',
      fundingMethod: 'PROMOTIONAL' as const,
      idempotencyKey: uniq('k'),
    };
    const first = (await t.ok(CreateCreditGrantDocument, { input })).createCreditGrant;
    const second = (await t.ok(CreateCreditGrantDocument, { input })).createCreditGrant;
    expect(second.id).toBe(first.id);
    expect(codeOf(await t.gql(CreateCreditGrantDocument, { input: { ...input, amount: '11' } }))).toBe(
      'IDEMPOTENCY_CONFLICT',
    );
    const adj = { customerId, currency, amount: '-1', reason: 'r', idempotencyKey: uniq('a') };
    const a1 = (await t.ok(AdjustCreditsDocument, { input: adj })).adjustCredits;
    const a2 = (await t.ok(AdjustCreditsDocument, { input: adj })).adjustCredits;
    // the first answer is the movement as booked, the replay's is read back: the same in every field
    expect(a2).toEqual(a1);
    expect(codeOf(await t.gql(AdjustCreditsDocument, { input: { ...adj, reason: 'other' } }))).toBe(
      'IDEMPOTENCY_CONFLICT',
    );
    expect(await history(customerId, currency)).toHaveLength(2);
    expect(await balance(customerId, currency)).toMatchObject({ settled: '9.00' });
    await checkLedgerInvariants([customerId]);
  });

  it('gives one effect to concurrent requests with one key', async () => {
    const { currency, customerId } = await customerWith();
    const input = {
      customerId,
      currency,
      amount: '25',
      fundingMethod: 'PROMOTIONAL' as const,
      idempotencyKey: uniq('c'),
    };
    const results = await Promise.all(
      Array.from({ length: 8 }, () => t.ok(CreateCreditGrantDocument, { input })),
    );
    expect(new Set(results.map((r) => r.createCreditGrant.id)).size).toBe(1);
    expect(await history(customerId, currency)).toHaveLength(1);
    await checkLedgerInvariants([customerId]);
  });
});

describe('concurrency', () => {
  it('20 concurrent deductions of 1.00 from 5.00: exactly 5 succeed, 20 times over', async () => {
    for (let round = 0; round < 20; round++) {
      const { currency, customerId } = await customerWith();
      await grantCredits(t, customerId, currency, '5.00');
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          t.gql(AdjustCreditsDocument, {
            input: { customerId, currency, amount: '-1.00', reason: `r${i}`, idempotencyKey: `k${i}` },
          }),
        ),
      );
      const codes = results.map((r) => codeOf(r) ?? 'OK');
      expect(
        codes.filter((c) => c === 'OK'),
        `round ${round}`,
      ).toHaveLength(5);
      expect(
        codes.filter((c) => c === 'INSUFFICIENT_CREDITS'),
        `round ${round}`,
      ).toHaveLength(15);
      expect(await balance(customerId, currency)).toMatchObject({ settled: '0.00' });
      await checkLedgerInvariants([customerId]);
    }
  });
});

describe('history', () => {
  it('pages 45+ movements forward and back with sizes 1, 7 and 100 to the same list, with filters and bound cursors', async () => {
    const { currency, customerId } = await customerWith();
    const other = uniqCode('O');
    await t.ok(CreateCurrencyDocument, { input: { code: other, name: 'Other' } });
    await grantCredits(t, customerId, currency, '1000');
    await grantCredits(t, customerId, other, '5');
    for (let i = 0; i < 46; i++) {
      await t.ok(AdjustCreditsDocument, {
        input: { customerId, currency, amount: i % 3 === 0 ? '2' : '-1', reason: `m${i}` },
      });
    }
    type Node = CreditTransactionsQuery['creditTransactions']['edges'][number]['node'];
    const forward = async (
      size: number,
      filter: { currency?: string; types?: ('ADJUSTED' | 'FUNDED')[] } = { currency },
    ) => {
      const out: Node[] = [];
      let after: string | null | undefined;
      for (;;) {
        const page: CreditTransactionsQuery = await t.ok(CreditTransactionsDocument, {
          customerId,
          ...filter,
          first: size,
          after,
        });
        out.push(...page.creditTransactions.edges.map((e) => e.node));
        if (!page.creditTransactions.pageInfo.hasNextPage) return out;
        after = page.creditTransactions.pageInfo.endCursor;
      }
    };
    const backward = async (size: number) => {
      const out: Node[] = [];
      let before: string | null | undefined;
      for (;;) {
        const page: CreditTransactionsQuery = await t.ok(CreditTransactionsDocument, {
          customerId,
          currency,
          last: size,
          before,
        });
        out.unshift(...page.creditTransactions.edges.map((e) => e.node));
        if (!page.creditTransactions.pageInfo.hasPreviousPage) return out;
        before = page.creditTransactions.pageInfo.startCursor;
      }
    };
    const all = await forward(100);
    expect(all).toHaveLength(47);
    expect(all.map((m) => m.sequence)).toEqual(Array.from({ length: 47 }, (_, i) => 47 - i));
    for (const size of [1, 7, 100]) {
      expect(
        (await forward(size)).map((m) => m.id),
        `forward ${size}`,
      ).toEqual(all.map((m) => m.id));
      expect(
        (await backward(size)).map((m) => m.id),
        `backward ${size}`,
      ).toEqual(all.map((m) => m.id));
    }
    // every currency: both ledgers, newest first
    const everything = await forward(7, {});
    expect(everything).toHaveLength(48);
    expect(everything.filter((m) => m.currency.code === other)).toHaveLength(1);
    const funded = await forward(7, { types: ['FUNDED'] });
    expect(funded.map((m) => m.currency.code).sort()).toEqual([currency, other].sort());

    const page = await t.ok(CreditTransactionsDocument, { customerId, currency, first: 7 });
    const cursor = page.creditTransactions.pageInfo.endCursor!;
    // a cursor is bound to its customer and filter
    const stranger = (await t.ok(CreateCustomerDocument, { input: { key: uniq('s'), name: 'S' } }))
      .createCustomer.id;
    expect(
      codeOf(
        await t.gql(CreditTransactionsDocument, { customerId: stranger, currency, first: 7, after: cursor }),
      ),
    ).toBe('BAD_USER_INPUT');
    expect(codeOf(await t.gql(CreditTransactionsDocument, { customerId, first: 7, after: cursor }))).toBe(
      'BAD_USER_INPUT',
    );
    expect(
      codeOf(
        await t.gql(CreditTransactionsDocument, { customerId, currency, types: ['FUNDED'], after: cursor }),
      ),
    ).toBe('BAD_USER_INPUT');
    const [body, sig] = cursor.split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), k: '1' }),
    ).toString('base64url');
    expect(
      codeOf(await t.gql(CreditTransactionsDocument, { customerId, currency, after: `${forged}.${sig}` })),
    ).toBe('BAD_USER_INPUT');
    expect(codeOf(await t.gql(CreditTransactionsDocument, { customerId, currency, after: 'garbage' }))).toBe(
      'BAD_USER_INPUT',
    );
    expect(codeOf(await t.gql(CreditTransactionsDocument, { customerId, currency, first: 101 }))).toBe(
      'BAD_USER_INPUT',
    );
    await checkLedgerInvariants([customerId, stranger]);
  });
});

describe('append-only', () => {
  it('refuses to update or delete movements and allocations in the database', async () => {
    const { currency, customerId } = await customerWith();
    await grantCredits(t, customerId, currency, '1');
    const db = new Client({ connectionString: inject('databaseUrl') });
    await db.connect();
    try {
      await expect(
        db.query(`update movement set amount = 2 where customer_id = $1`, [customerId]),
      ).rejects.toThrow(/append-only/);
      await expect(db.query(`delete from movement where customer_id = $1`, [customerId])).rejects.toThrow(
        /append-only/,
      );
      await expect(
        db.query(
          `update allocation set amount = 2 where movement_id in (select id from movement where customer_id = $1)`,
          [customerId],
        ),
      ).rejects.toThrow(/append-only/);
      await expect(
        db.query(
          `insert into movement (id, ledger_id, customer_id, currency_id, sequence, type, amount, balance_before, balance_after, booked_at)
                  select 'mov_bad', ledger_id, customer_id, currency_id, 2, 'ADJUSTED', 1, 1, 5, now() from movement where customer_id = $1`,
          [customerId],
        ),
      ).rejects.toThrow(/check/);
    } finally {
      await db.end();
    }
    await checkLedgerInvariants([customerId]);
  });
});

describe('feature-restricted grants', () => {
  it('are drawn by an admin deduction like any other grant', async () => {
    const { currency, customerId } = await customerWith();
    const feature = uniq('emails');
    await t.ok(CreateFeatureDocument, {
      input: { key: feature, name: 'Emails', eventType: feature, aggregation: 'COUNT' },
    });
    const g = await grantCredits(t, customerId, currency, '100', { featureKeys: [feature] });
    expect(g.featureKeys).toEqual([feature]);
    const m = (
      await t.ok(AdjustCreditsDocument, { input: { customerId, currency, amount: '-10', reason: 'manual' } })
    ).adjustCredits;
    expect(m.allocations).toEqual([{ amount: '-10.00', grant: { id: g.id } }]);
    const unknown = await t.gql(CreateCreditGrantDocument, {
      input: {
        customerId,
        currency,
        amount: '1',
        fundingMethod: 'PROMOTIONAL',
        featureKeys: ['no-such-feature'],
      },
    });
    expect(codeOf(unknown)).toBe('BAD_USER_INPUT');
    await checkLedgerInvariants([customerId]);
  });
});

describe('lock granularity', () => {
  it("a writer holding one customer's ledger never makes another customer wait", async () => {
    const a = await customerWith();
    const b = await customerWith();
    await grantCredits(t, a.customerId, a.currency, '5');
    await grantCredits(t, b.customerId, b.currency, '5');
    const db = new Client({ connectionString: inject('databaseUrl') });
    await db.connect();
    try {
      await db.query('begin');
      await db.query('select 1 from ledger where customer_id = $1 for update', [a.customerId]);
      let aDone = false;
      const aWrite = t
        .ok(AdjustCreditsDocument, {
          input: { customerId: a.customerId, currency: a.currency, amount: '-1', reason: 'a' },
        })
        .then(() => {
          aDone = true;
        });
      // B is served while A's ledger is held
      const bMove = (
        await t.ok(AdjustCreditsDocument, {
          input: { customerId: b.customerId, currency: b.currency, amount: '-1', reason: 'b' },
        })
      ).adjustCredits;
      expect(bMove.balanceAfter).toBe('4.00');
      expect(aDone).toBe(false);
      await db.query('commit');
      await aWrite;
      expect(aDone).toBe(true);
    } finally {
      await db.end();
    }
    expect(await balance(a.customerId, a.currency)).toMatchObject({ settled: '4.00' });
    await checkLedgerInvariants([a.customerId, b.customerId]);
  });
});

describe('a writer that waited for the ledger lock', () => {
  it('sees a grant committed by the holder it waited for, and funds and draws it before its own debit', async () => {
    const a = await customerWith();
    const first = await grantCredits(t, a.customerId, a.currency, '1', { priority: 10 });
    const db = new Client({ connectionString: inject('databaseUrl') });
    await db.connect();
    const grantId = `grt_race${uniq('').replace(/[^a-z0-9]/gi, '')}`;
    try {
      await db.query('begin');
      await db.query('select 1 from ledger where customer_id = $1 for update', [a.customerId]);
      // the charge starts, takes its statement's snapshot and waits for the ledger row
      const debit = t.gql(CreateChargeDocument, {
        input: {
          customerId: a.customerId,
          currency: a.currency,
          amount: '5',
          description: 'after the race',
          settlementMode: 'CREDIT_ONLY',
        },
      });
      await waitFor('the charge to wait for the ledger lock', async () => {
        await db.query('select pg_stat_clear_snapshot()'); // activity is read once per transaction otherwise
        const { rows } = await db.query<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock' and query ilike '%ledger%'`,
        );
        return rows[0]!.n > 0;
      });
      // meanwhile the holder adds a grant that is due now (unfunded; whoever writes next funds it)
      await db.query(
        `insert into credit_grant (id, ledger_id, customer_id, currency_id, source, funding_method, amount, remaining,
                                   priority, effective_at, created_at)
         select $1, ledger_id, customer_id, currency_id, 'GRANT', 'PROMOTIONAL', 10, 10, 1, now() - interval '1 second', now()
           from credit_grant where id = $2`,
        [grantId, first.id],
      );
      await db.query('commit');
      const answer = await debit;
      expect(answer.errors).toBeUndefined();
    } finally {
      await db.end();
    }
    // the charge saw the new grant: funded first, then 5.00 drawn from it (priority 1), none from the first
    // grant and none into debt
    const moves = (await history(a.customerId, a.currency)).sort((x, y) => x.sequence - y.sequence);
    expect(moves.map((m) => [m.type, m.amount, m.grant?.id ?? null])).toEqual([
      ['FUNDED', '1.00', first.id],
      ['FUNDED', '10.00', grantId],
      ['CONSUMED', '-5.00', null],
    ]);
    expect(moves[2]!.allocations.map((x) => [x.grant?.id ?? null, x.amount])).toEqual([[grantId, '-5.00']]);
    expect(await balance(a.customerId, a.currency)).toMatchObject({ settled: '6.00' });
    await checkLedgerInvariants([a.customerId]);
  });
});
