import { describe, expect, it } from 'vitest';
import { AdjustCreditsDocument, CreateCreditGrantDocument } from '../gql/graphql';
import { useTestApp } from '../support/app';
import { currencyAndCustomer } from '../support/builders';
import { checkLedgerInvariants } from '../support/invariants';
import { wsClient } from '../support/ws';

/**
 * The live path executes one update once for every subscription of the same document and variables
 * (src/events/README.md, "Shared execution"). What is shared must be exactly the same request.
 */
const t = useTestApp();

const TWO_OPERATIONS = `
  subscription Sequences($c: ID!, $a: Int) {
    creditBalanceChanged(customerId: $c, afterSequence: $a) { sequence }
  }
  subscription Balances($c: ID!, $a: Int) {
    creditBalanceChanged(customerId: $c, afterSequence: $a) { balance { settled } }
  }
`;

describe('shared execution of live updates', () => {
  it('two operations of one document with the same variables each get their own selection', async () => {
    const { currency, customerId } = await currencyAndCustomer(t, { prefix: 'SH' });
    const ws = wsClient(t.wsUrl);
    const got: Record<string, { data?: unknown; errors?: unknown }[]> = { Sequences: [], Balances: [] };
    const waiting: (() => void)[] = [];
    const until = (n: number) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (got.Sequences!.length >= n && got.Balances!.length >= n) resolve();
          else waiting.push(check);
        };
        check();
      });
    const stops = ['Sequences', 'Balances'].map((operationName) =>
      ws.client.subscribe(
        // from the start of the ledger: the first update arrives however late the subscription starts
        { query: TWO_OPERATIONS, operationName, variables: { c: customerId, a: 0 } },
        {
          next: (r) => {
            got[operationName]!.push(r);
            for (const w of waiting.splice(0)) w();
          },
          error: (e) => got[operationName]!.push({ errors: [{ message: JSON.stringify(e) }] }),
          complete: () => undefined,
        },
      ),
    );
    await t.ok(CreateCreditGrantDocument, {
      input: { customerId, currency, amount: '10', fundingMethod: 'PROMOTIONAL' },
    });
    await until(1);
    // both subscriptions are attached now: this movement reaches both through one shared read
    await t.ok(AdjustCreditsDocument, { input: { customerId, currency, amount: '-4', reason: 'shared' } });
    await until(2);
    expect(got.Sequences!.map((r) => r.data)).toEqual([
      { creditBalanceChanged: { sequence: 1 } },
      { creditBalanceChanged: { sequence: 2 } },
    ]);
    expect(got.Balances!.map((r) => r.data)).toEqual([
      { creditBalanceChanged: { balance: { settled: '10.00' } } },
      { creditBalanceChanged: { balance: { settled: '6.00' } } },
    ]);
    for (const stop of stops) stop();
    await ws.dispose();
    await checkLedgerInvariants([customerId]);
  });
});
