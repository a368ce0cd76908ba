import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { fastPathStats } from '../../src/server/fast-graphql';
import { ADMIN_KEY, useTestApp } from '../support/app';
import { adjustCredits, currencyAndCustomer, grantCredits } from '../support/builders';
import { checkLedgerInvariants } from '../support/invariants';

const t = useTestApp();

interface Answer {
  status: number;
  body: unknown;
}

/** POST with a Content-Length: the fast path's request. */
async function fast(body: unknown, token: string | null = ADMIN_KEY): Promise<Answer> {
  const res = await fetch(t.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** The same request chunked (no Content-Length): the fast path never takes it, so Apollo answers. */
async function viaApollo(body: unknown, token: string | null = ADMIN_KEY): Promise<Answer> {
  const res = await fetch(t.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: Readable.toWeb(Readable.from([Buffer.from(JSON.stringify(body))])) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  return { status: res.status, body: await res.json() };
}

/**
 * Answers a request both ways; `served` tells whether the fast path answered it itself. The fast request goes
 * three times: a document is executed by graphql-js on its first use and compiled (graphql-jit) from its
 * second on, and every one of the three answers must be Apollo's.
 */
async function both(body: unknown, token: string | null = ADMIN_KEY) {
  const before = fastPathStats.served;
  const compiledBefore = fastPathStats.compiled;
  const [a, ...again] = [await fast(body, token), await fast(body, token), await fast(body, token)];
  const served = fastPathStats.served - before;
  // served: the first by graphql-js, the other two compiled
  if (served === 3) expect(fastPathStats.compiled - compiledBefore).toBe(2);
  const b = await viaApollo(body, token);
  expect(fastPathStats.served - before).toBe(served); // the chunked request never takes the fast path
  for (const r of again) expect(r).toEqual(a);
  return { fast: a!, apollo: b, served: served === 3 };
}

describe('POST /graphql fast path (issue 14): the same answers as Apollo', () => {
  const cases: { name: string; body: unknown; token?: string | null; served: boolean }[] = [
    { name: 'a query', body: { query: '{ currencies { code } }' }, served: true },
    {
      name: 'a query with variables and an operation name among two',
      body: {
        query: 'query A { currencies { code } } query B($id: ID!) { node(id: $id) { id } }',
        variables: { id: 'cus_nope' },
        operationName: 'B',
      },
      served: true,
    },
    {
      name: 'a domain error (NOT_FOUND) with partial data',
      body: { query: '{ currencies { code } creditBalances(customerId: "cus_nope") { settled } }' },
      served: true,
    },
    {
      name: 'a mutation refused with BAD_USER_INPUT (nothing written)',
      body: {
        query: 'mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }',
        variables: { i: { key: 'bad key with spaces', name: 'X' } },
      },
      served: true,
    },
    {
      name: 'variables that do not coerce: handed to Apollo',
      body: { query: 'query($n: Int!) { customers(first: $n) { edges { cursor } } }', variables: { n: 'x' } },
      served: false,
    },
    { name: 'a parse error: handed to Apollo', body: { query: '{ currencies { code ' }, served: false },
    {
      name: 'a validation error: handed to Apollo',
      body: { query: '{ currencies { nope } }' },
      served: false,
    },
    {
      name: 'no token: handed to Apollo (401)',
      body: { query: '{ currencies { code } }' },
      token: null,
      served: false,
    },
    { name: 'a batch: handed to Apollo', body: [{ query: '{ currencies { code } }' }], served: false },
    {
      name: 'a subscription: handed to Apollo',
      body: { query: 'subscription { __typename }' },
      served: false,
    },
    {
      name: 'an unknown body key: handed to Apollo',
      body: { query: '{ __typename }', extensions: {} },
      served: false,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await both(c.body, c.token === undefined ? ADMIN_KEY : c.token);
      expect(r.served).toBe(c.served);
      expect(r.fast.status).toBe(r.apollo.status);
      expect(r.fast.body).toEqual(r.apollo.body);
    });
  }

  it('a compiled document answers as graphql-js and Apollo do: a connection, decimals, dates, enums, nested lists', async () => {
    const { currency, customerId } = await currencyAndCustomer(t);
    const grant = await grantCredits(t, customerId, currency, '10.50', { priority: 2 });
    const expiresAt = new Date(Date.now() + 30 * 86_400_000).toISOString();
    await grantCredits(t, customerId, currency, '5', { priority: 1, expiresAt });
    await adjustCredits(t, customerId, currency, '-3.25');
    await adjustCredits(t, customerId, currency, '-9.00'); // drawn from both grants: two allocations
    const body = {
      query: `query($c: ID!, $n: Int) { creditTransactions(customerId: $c, first: $n) {
        edges { cursor node { id sequence type amount balanceBefore balanceAfter bookedAt description
          currency { code scale } grant { id status remaining expiresAt } allocations { amount grant { id priority } } } }
        pageInfo { hasNextPage endCursor } }
        creditBalances(customerId: $c) { settled pending held currency { code } } }`,
      variables: { c: customerId, n: 10 },
    };
    const r = await both(body);
    expect(r.apollo.body).not.toHaveProperty('errors');
    expect(r.served).toBe(true);
    expect(r.fast).toEqual(r.apollo);
    const page = (
      r.fast.body as {
        data: {
          creditTransactions: { edges: { node: { allocations: unknown[]; grant: { id: string } | null } }[] };
        };
      }
    ).data.creditTransactions;
    expect(page.edges).toHaveLength(4);
    expect(page.edges.some((e) => e.node.grant?.id === grant.id)).toBe(true);
    await checkLedgerInvariants([customerId]);
  });

  it('answers malformed JSON and a JSON string body with 400 BAD_REQUEST, as the express path does', async () => {
    for (const text of ['{"query": ', '"just a string"']) {
      const res = await fetch(t.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
        body: text,
      });
      expect(res.status).toBe(400);
      expect(
        ((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code,
      ).toBe('BAD_REQUEST');
    }
  });
});
