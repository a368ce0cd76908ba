import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateCurrencyDocument,
  CreateCustomerDocument,
  CreatePlanDocument,
  CreateSubscriptionDocument,
  CustomerDocument,
  CustomersDocument,
  IssueCustomerTokenDocument,
  NodeDocument,
  PublishPlanDocument,
} from '../gql/graphql';
import { codeOf, startTestApp, uniq, uniqCode, type TestApp } from '../support/app';
import { wsClient, wsOnce } from '../support/ws';

let t: TestApp;
let alice: { id: string; key: string };
let bob: { id: string; key: string };
let aliceToken: string;

beforeAll(async () => {
  t = await startTestApp();
  alice = (await t.ok(CreateCustomerDocument, { input: { key: uniq('alice'), name: 'Alice' } }))
    .createCustomer;
  bob = (await t.ok(CreateCustomerDocument, { input: { key: uniq('bob'), name: 'Bob' } })).createCustomer;
  const currency = uniqCode('A');
  await t.ok(CreateCurrencyDocument, { input: { code: currency, name: 'A' } });
  const plan = await t.ok(CreatePlanDocument, {
    input: { key: uniq('p'), name: 'P', currency, settlementMode: 'CREDIT_ONLY', rateCards: [] },
  });
  await t.ok(PublishPlanDocument, { id: plan.createPlan.id });
  await t.ok(CreateSubscriptionDocument, { input: { customerId: alice.id, planId: plan.createPlan.id } });
  aliceToken = (await t.ok(IssueCustomerTokenDocument, { customerId: alice.id, ttlSeconds: 600 }))
    .issueCustomerToken.token;
});
afterAll(async () => {
  await t.stop();
});

/** customer { subscriptions { customer { subscriptions ... } } } nested to `levels` fields deep. */
function deepQuery(customerId: string, levels: number): string {
  let inner = 'id';
  for (let depth = levels - 1; depth >= 1; depth--) {
    inner = depth % 2 === 1 ? `subscriptions { ${inner} }` : `customer { ${inner} }`;
  }
  return `{ customer(id: "${customerId}") { ${inner} } }`;
}

function aliasQuery(n: number): string {
  return `{ ${Array.from({ length: n }, (_, i) => `a${i}: currencies { code }`).join(' ')} }`;
}

describe('authentication', () => {
  it('answers UNAUTHENTICATED (401) without a token, with a wrong token and with an expired token', async () => {
    const none = await t.raw('{ currencies { code } }', undefined, null);
    expect(none.status).toBe(401);
    expect(codeOf(none)).toBe('UNAUTHENTICATED');
    expect(codeOf(await t.raw('{ currencies { code } }', undefined, 'not-a-key'))).toBe('UNAUTHENTICATED');
    const forged = aliceToken.slice(0, -2) + (aliceToken.endsWith('A') ? 'BB' : 'AA');
    expect(codeOf(await t.raw('{ currencies { code } }', undefined, forged))).toBe('UNAUTHENTICATED');
    const short = (await t.ok(IssueCustomerTokenDocument, { customerId: alice.id, ttlSeconds: 1 }))
      .issueCustomerToken;
    expect(codeOf(await t.gql(CustomerDocument, { id: alice.id }, short.token))).toBeUndefined();
    await new Promise((r) => setTimeout(r, Date.parse(short.expiresAt) - Date.now() + 50));
    expect(codeOf(await t.gql(CustomerDocument, { id: alice.id }, short.token))).toBe('UNAUTHENTICATED');
  });

  it('rejects bad token lifetimes and unknown customers', async () => {
    expect(codeOf(await t.gql(IssueCustomerTokenDocument, { customerId: alice.id, ttlSeconds: 0 }))).toBe(
      'BAD_USER_INPUT',
    );
    expect(codeOf(await t.gql(IssueCustomerTokenDocument, { customerId: 'cus_nope' }))).toBe('NOT_FOUND');
  });
});

describe('customer tokens', () => {
  it('read their own customer and subscriptions', async () => {
    const own = await t.ok(CustomerDocument, { id: alice.id }, aliceToken);
    expect(own.customer!.key).toBe(alice.key);
    expect(own.customer!.subscriptions).toHaveLength(1);
    expect((await t.ok(NodeDocument, { id: alice.id }, aliceToken)).node!.id).toBe(alice.id);
  });

  it("answer NOT_FOUND for another customer's ids", async () => {
    expect(codeOf(await t.gql(CustomerDocument, { id: bob.id }, aliceToken))).toBe('NOT_FOUND');
    expect(codeOf(await t.gql(CustomerDocument, { key: bob.key }, aliceToken))).toBe('NOT_FOUND');
    expect(codeOf(await t.gql(NodeDocument, { id: bob.id }, aliceToken))).toBe('NOT_FOUND');
  });

  it('answer FORBIDDEN for every mutation and vendor-wide list, and change nothing', async () => {
    const key = uniq('evil');
    const res = await t.gql(CreateCustomerDocument, { input: { key, name: 'Evil' } }, aliceToken);
    expect(codeOf(res)).toBe('FORBIDDEN');
    expect((await t.ok(CustomerDocument, { key })).customer).toBeNull();
    expect(
      codeOf(await t.gql(CreateCurrencyDocument, { input: { code: uniqCode('E'), name: 'E' } }, aliceToken)),
    ).toBe('FORBIDDEN');
    expect(codeOf(await t.gql(IssueCustomerTokenDocument, { customerId: bob.id }, aliceToken))).toBe(
      'FORBIDDEN',
    );
    expect(codeOf(await t.gql(CustomersDocument, {}, aliceToken))).toBe('FORBIDDEN');
  });
});

describe('decimal input grammar (SPEC §2)', () => {
  const bad = [
    '1e3',
    '0x10',
    'NaN',
    'Infinity',
    ' 1',
    '1 ',
    '+1',
    '1.',
    '.5',
    '1_000',
    '',
    '-',
    '1'.repeat(29),
  ];
  it.each(bad)(
    'rejects %j with BAD_USER_INPUT as a variable and as a literal, creating nothing',
    async (value) => {
      const code = uniqCode('G');
      const res = await t.gql(CreateCurrencyDocument, {
        input: { code, name: 'G', fiatCode: 'USD', fiatValue: value },
      });
      expect(codeOf(res)).toBe('BAD_USER_INPUT');
      const literal = await t.raw(
        `mutation { createCurrency(input: { code: "${code}", name: "G", fiatCode: "USD", fiatValue: ${JSON.stringify(value)} }) { id } }`,
      );
      expect(codeOf(literal)).toBe('BAD_USER_INPUT');
      expect((await t.ok(NodeDocument, { id: 'cur_x' })).node).toBeNull();
    },
  );

  it('rejects numbers that are not strings, and more decimals than allowed', async () => {
    const numeric = await t.raw(
      `mutation { createCurrency(input: { code: "${uniqCode('N')}", name: "N", fiatCode: "USD", fiatValue: 0.04 }) { id } }`,
    );
    expect(codeOf(numeric)).toBe('BAD_USER_INPUT');
    const tooPrecise = await t.gql(CreateCurrencyDocument, {
      input: { code: uniqCode('P'), name: 'P', fiatCode: 'USD', fiatValue: '0.0000000000001' },
    });
    expect(codeOf(tooPrecise)).toBe('BAD_USER_INPUT');
    const ok = await t.ok(CreateCurrencyDocument, {
      input: { code: uniqCode('K'), name: 'K', fiatCode: 'USD', fiatValue: '9'.repeat(28) },
    });
    expect(ok.createCurrency.fiatValue).toBe('9'.repeat(28));
  });
});

describe('query limits', () => {
  it('rejects a 20-level-deep query and a 2,000-alias query over HTTP before execution', async () => {
    const shallow = await t.raw(deepQuery(alice.id, 6));
    expect(shallow.errors).toBeUndefined();
    const deep = await t.raw(deepQuery(alice.id, 20));
    expect(deep.status).toBe(400);
    expect(deep.data).toBeUndefined();
    expect(deep.errors![0]!.message).toMatch(/depth/i);
    const wide = await t.raw(aliasQuery(2000));
    expect(wide.status).toBe(400);
    expect(wide.data).toBeUndefined();
    expect(wide.errors![0]!.message).toMatch(/aliases limit/i);
  });

  it('rejects the same queries over WebSocket, and closes a socket without auth', async () => {
    const ws = wsClient(t.wsUrl);
    try {
      const ok = await wsOnce<{ customer: { subscriptions: unknown[] } }>(ws.client, deepQuery(alice.id, 4));
      expect(ok.errors).toBeUndefined();
      expect(ok.data!.customer.subscriptions).toHaveLength(1);
      const deep = await wsOnce(ws.client, deepQuery(alice.id, 20));
      expect(deep.data).toBeUndefined();
      expect(String(deep.errors![0]!.message)).toMatch(/depth/i);
      const wide = await wsOnce(ws.client, aliasQuery(2000));
      expect(wide.data).toBeUndefined();
      expect(String(wide.errors![0]!.message)).toMatch(/aliases limit/i);
    } finally {
      await ws.dispose();
    }
    const anon = wsClient(t.wsUrl, null);
    expect(await anon.closed).toBe(4403);
    await anon.dispose();
  });

  it('rejects oversized request bodies and pages over 100', async () => {
    const res = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer test-admin-key' },
      body: JSON.stringify({ query: '{ currencies { code } }', padding: 'x'.repeat(1_100_000) }),
    });
    expect(res.status).toBe(413);
    expect(codeOf(await t.gql(CustomersDocument, { first: 101 }))).toBe('BAD_USER_INPUT');
  });

  it('keeps introspection on outside production', async () => {
    const res = await t.raw('{ __schema { queryType { name } } }');
    expect(res.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });
});

describe('production mode', () => {
  it('turns introspection off over HTTP and WebSocket', async () => {
    const prod = await startTestApp({ NODE_ENV: 'production' });
    try {
      const res = await prod.raw('{ __schema { queryType { name } } }');
      expect(res.data).toBeUndefined();
      expect(res.errors![0]!.message).toMatch(/introspection/i);
      const ws = wsClient(prod.wsUrl);
      const viaWs = await wsOnce(ws.client, '{ __type(name: "Query") { name } }');
      expect(viaWs.errors?.length).toBeGreaterThan(0);
      await ws.dispose();
    } finally {
      await prod.stop();
    }
  });
});

describe('health', () => {
  it('answers /healthz and /readyz', async () => {
    const base = t.url.replace(/\/graphql$/, '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });
});

describe('WebSocket message size', () => {
  it('closes a socket that sends a message over the limit (1009)', async () => {
    const socket = new WebSocket(t.wsUrl, 'graphql-transport-ws');
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const closed = new Promise<number>((resolve) => socket.once('close', (code: number) => resolve(code)));
    socket.send(
      JSON.stringify({
        type: 'connection_init',
        payload: { authorization: 'Bearer x', pad: 'x'.repeat(300_000) },
      }),
    );
    expect(await closed).toBe(1009);
  });
});
