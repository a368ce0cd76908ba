import { print } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  CreateCreditGrantDocument,
  CreditBalancesDocument,
  IssueCustomerTokenDocument,
  type BalanceChangedSubscription,
} from '../gql/graphql';
import { BalanceChangedDocument } from '../gql/graphql';
import { startTestApp, useTestApp, type TestApp } from '../support/app';
import { currencyAndCustomer, grantCredits } from '../support/builders';
import { checkLedgerInvariants } from '../support/invariants';
import { collect, wsClient, type Collector, type WsClient } from '../support/ws';

const CHANGED = print(BalanceChangedDocument);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const PER_SOCKET = 5;
const PER_TOKEN = 8;
const t = useTestApp({
  DRAWDOWN_MAX_SUBSCRIPTIONS_PER_SOCKET: String(PER_SOCKET),
  DRAWDOWN_MAX_SUBSCRIPTIONS_PER_TOKEN: String(PER_TOKEN),
});

async function customer(app: TestApp = t) {
  const { currency, customerId } = await currencyAndCustomer(app, {
    prefix: 'S',
    name: 'Caps',
    keyPrefix: 'caps',
    customerName: 'Caps customer',
  });
  const token = (await app.ok(IssueCustomerTokenDocument, { customerId, ttlSeconds: 3600 }))
    .issueCustomerToken.token;
  return { currency, customerId, token };
}

const grant = grantCredits;

type Sub = Collector<BalanceChangedSubscription>;

/** The `extensions.code` of a subscription's error (the error frame graphql-ws hands to the sink). */
async function errorCode(sub: Sub): Promise<string | undefined> {
  for (let i = 0; i < 100 && sub.errors.length === 0; i++) await sleep(20);
  const first = sub.errors[0] as { extensions?: { code?: string } }[] | { extensions?: { code?: string } };
  return (Array.isArray(first) ? first[0] : first)?.extensions?.code;
}

/** Waits until every subscription has `n` updates (each one is live: it received what was booked). */
const allGet = (subs: Sub[], n: number, ms = 10_000) => Promise.all(subs.map((s) => s.until(n, ms)));

describe('subscription caps', () => {
  it('refuses the subscription over the per-socket cap with BAD_USER_INPUT; the others keep receiving', async () => {
    const { currency, customerId, token } = await customer();
    const ws = wsClient(t.wsUrl, token);
    const subs = Array.from({ length: PER_SOCKET }, () =>
      collect<BalanceChangedSubscription>(ws.client, CHANGED, { customerId }),
    );
    await sleep(300);
    const over = collect<BalanceChangedSubscription>(ws.client, CHANGED, { customerId });
    expect(await errorCode(over)).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(over.errors)).toMatch(/per socket/);
    await grant(t, customerId, currency, '10');
    await allGet(subs, 1);
    expect(subs.every((s) => s.errors.length === 0)).toBe(true);
    // completing one frees its place on the socket
    subs[0]!.stop();
    await sleep(100);
    const again = collect<BalanceChangedSubscription>(ws.client, CHANGED, { customerId });
    await sleep(300);
    await grant(t, customerId, currency, '1');
    await allGet([again, ...subs.slice(1)], 2 - 1);
    await allGet(subs.slice(1), 2);
    expect(again.errors).toEqual([]);
    expect(over.items).toHaveLength(0);
    await ws.dispose();
    await checkLedgerInvariants([customerId]);
  });

  it('counts a token across its sockets; closing a socket frees its share; other principals are not affected', async () => {
    const { currency, customerId, token } = await customer();
    const a = wsClient(t.wsUrl, token);
    const b = wsClient(t.wsUrl, token);
    const onA = Array.from({ length: PER_SOCKET }, () =>
      collect<BalanceChangedSubscription>(a.client, CHANGED, { customerId }),
    );
    await sleep(200);
    const onB = Array.from({ length: PER_TOKEN - PER_SOCKET }, () =>
      collect<BalanceChangedSubscription>(b.client, CHANGED, { customerId }),
    );
    await sleep(200);
    const over = collect<BalanceChangedSubscription>(b.client, CHANGED, { customerId });
    expect(await errorCode(over)).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(over.errors)).toMatch(/per token/);
    // a second token of the same customer, and the admin key, have budgets of their own
    const other = (await t.ok(IssueCustomerTokenDocument, { customerId, ttlSeconds: 600 })).issueCustomerToken
      .token;
    const c = wsClient(t.wsUrl, other);
    const admin = wsClient(t.wsUrl);
    const onC = collect<BalanceChangedSubscription>(c.client, CHANGED, { customerId });
    const onAdmin = collect<BalanceChangedSubscription>(admin.client, CHANGED, { customerId });
    await sleep(300);
    await grant(t, customerId, currency, '5');
    await allGet([...onA, ...onB, onC, onAdmin], 1);
    expect(over.items).toHaveLength(0);

    // closing socket A releases its five; the token may subscribe on B again
    await a.dispose();
    expect(await a.closed).toBe(1000);
    await sleep(200);
    const later = Array.from({ length: PER_SOCKET - (PER_TOKEN - PER_SOCKET) }, () =>
      collect<BalanceChangedSubscription>(b.client, CHANGED, { customerId }),
    );
    await sleep(300);
    await grant(t, customerId, currency, '1');
    await allGet(later, 1);
    await allGet(onB, 2);
    expect(later.every((s) => s.errors.length === 0)).toBe(true);
    for (const s of [b, c, admin]) await s.dispose();
    await checkLedgerInvariants([customerId]);
  });

  it('releases the counts of subscriptions that failed to start (foreign customer) and of a dropped socket', async () => {
    const mine = await customer();
    const other = await customer();
    const ws = wsClient(t.wsUrl, mine.token);
    // NOT_FOUND answers do not keep their places
    for (let i = 0; i < PER_TOKEN + 2; i++) {
      const foreign = collect<BalanceChangedSubscription>(ws.client, CHANGED, {
        customerId: other.customerId,
      });
      expect(await errorCode(foreign)).toBe('NOT_FOUND');
    }
    const subs = Array.from({ length: PER_SOCKET }, () =>
      collect<BalanceChangedSubscription>(ws.client, CHANGED, { customerId: mine.customerId }),
    );
    await sleep(300);
    // the socket goes away without completing anything
    await ws.dispose();
    await sleep(200);
    const again = wsClient(t.wsUrl, mine.token);
    const fresh = Array.from({ length: PER_SOCKET }, () =>
      collect<BalanceChangedSubscription>(again.client, CHANGED, { customerId: mine.customerId }),
    );
    const more = wsClient(t.wsUrl, mine.token);
    const rest = Array.from({ length: PER_TOKEN - PER_SOCKET }, () =>
      collect<BalanceChangedSubscription>(more.client, CHANGED, { customerId: mine.customerId }),
    );
    await sleep(300);
    await grant(t, mine.customerId, mine.currency, '2');
    await allGet([...fresh, ...rest], 1);
    expect(subs.every((s) => s.items.length === 0)).toBe(true);
    await again.dispose();
    await more.dispose();
    await checkLedgerInvariants([mine.customerId]);
  });
});

describe('a subscription storm', () => {
  it('2,000 replaying subscriptions starting on 4 sockets do not stop admin reads; closing frees the budget', async () => {
    const SOCKETS = 4;
    const EACH = 500;
    const app = await startTestApp({
      DRAWDOWN_MAX_SUBSCRIPTIONS_PER_SOCKET: String(EACH),
      DRAWDOWN_MAX_SUBSCRIPTIONS_PER_TOKEN: String(SOCKETS * EACH),
    });
    try {
      const hot = await customer(app);
      const quiet = await customer(app);
      // a grant that becomes effective during the storm: the background job that books it must still run
      const later = await customer(app);
      await app.ok(CreateCreditGrantDocument, {
        input: {
          customerId: later.customerId,
          currency: later.currency,
          amount: '3',
          fundingMethod: 'PROMOTIONAL',
          effectiveAt: new Date(Date.now() + 2000).toISOString(),
        },
      });
      await grant(app, hot.customerId, hot.currency, '100');
      await grant(app, quiet.customerId, quiet.currency, '7');

      const sockets: WsClient[] = Array.from({ length: SOCKETS }, () => wsClient(app.wsUrl, hot.token));
      const started = Date.now();
      const subs: Sub[] = [];
      for (const s of sockets)
        for (let i = 0; i < EACH; i++)
          subs.push(
            collect<BalanceChangedSubscription>(s.client, CHANGED, {
              customerId: hot.customerId,
              afterSequence: 0,
            }),
          );

      // unrelated admin reads while the storm starts
      const latencies: number[] = [];
      let answered = 0;
      while (subs.some((s) => s.items.length < 1) && Date.now() - started < 120_000) {
        const t0 = Date.now();
        const res = await app.gql(CreditBalancesDocument, { customerId: quiet.customerId });
        latencies.push(Date.now() - t0);
        expect(res.errors).toBeUndefined();
        expect(res.data!.creditBalances[0]!.settled).toBe('7.00');
        answered++;
        await sleep(50);
      }
      await allGet(subs, 1, 60_000); // each replayed the FUNDED movement
      const startedAll = Date.now() - started;
      console.log(
        `storm: ${SOCKETS * EACH} subscriptions started in ${startedAll} ms; ${answered} admin reads, ` +
          `latency max ${Math.max(...latencies)} ms, median ${latencies.sort((x, y) => x - y)[latencies.length >> 1]} ms`,
      );
      expect(answered).toBeGreaterThan(0);
      expect(subs.every((s) => s.errors.length === 0)).toBe(true);

      for (let i = 0; i < 60; i++) {
        const b = await app.ok(CreditBalancesDocument, { customerId: later.customerId });
        if (b.creditBalances[0]?.settled === '3.00') break;
        await sleep(500);
      }
      const booked = await app.ok(CreditBalancesDocument, { customerId: later.customerId });
      expect(booked.creditBalances[0]!.settled).toBe('3.00');

      // every one of them is live
      await grant(app, hot.customerId, hot.currency, '1');
      await allGet(subs, 2, 60_000);

      // closing the sockets frees the token's budget: a new socket may start a full socket's worth again
      for (const s of sockets) await s.dispose();
      await sleep(500);
      const again = wsClient(app.wsUrl, hot.token);
      const fresh = Array.from({ length: 20 }, () =>
        collect<BalanceChangedSubscription>(again.client, CHANGED, { customerId: hot.customerId }),
      );
      await sleep(500);
      await grant(app, hot.customerId, hot.currency, '1');
      await allGet(fresh, 1);
      await again.dispose();
      await checkLedgerInvariants([hot.customerId, quiet.customerId, later.customerId]);
    } finally {
      await app.stop();
    }
  }, 240_000);
});
