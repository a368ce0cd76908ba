import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateCustomerDocument, IssueCustomerTokenDocument } from '../gql/graphql';
import { codeOf, startTestApp, uniq, type GqlResult, type TestApp } from '../support/app';
import { checkLedgerInvariants } from '../support/invariants';
import { wsClient, wsOnce } from '../support/ws';

let t: TestApp;
let customerId: string;
let token: string;

beforeAll(async () => {
  t = await startTestApp();
  customerId = (await t.ok(CreateCustomerDocument, { input: { key: uniq('lim'), name: 'Limits' } }))
    .createCustomer.id;
  token = (await t.ok(IssueCustomerTokenDocument, { customerId, ttlSeconds: 600 })).issueCustomerToken.token;
});
afterAll(async () => {
  // nothing here books anything: the customer's ledgers hold whatever the hostile documents did not
  await checkLedgerInvariants([customerId]);
  await t.stop();
});

/**
 * About 1 KB: F0 spreads F1 twice, F1 spreads F2 twice, … so a rule that re-walks every spread visits
 * 2^levels selections. graphql's own executor and the limit rules count each fragment once.
 */
function fragmentBomb(levels: number): string {
  let doc = 'query Bomb { ...F0 }\n';
  for (let i = 0; i < levels; i++) doc += `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }\n`;
  return doc + `fragment F${levels} on Query { __typename }\n`;
}

/** `customers` without `first` (20) × `aliases` nested `creditTransactions`, each without `first` (20). */
function nestedConnections(aliases: number, args = ''): string {
  const inner = Array.from(
    { length: aliases },
    (_, i) => `t${i}: creditTransactions${args} { edges { node { id } } }`,
  ).join(' ');
  return `{ customers { edges { node { id ${inner} } } } }`;
}

const ms = (since: number) => `${(performance.now() - since).toFixed(0)} ms`;
const messages = (res: { errors?: readonly { message: string }[] }) =>
  (res.errors ?? []).map((e) => e.message).join('\n');

describe('fragment-spread bomb', () => {
  it('is rejected with BAD_USER_INPUT over HTTP with a customer token, and the server keeps answering', async () => {
    const bomb = fragmentBomb(24);
    expect(bomb.length).toBeLessThan(1_200);
    const started = performance.now();
    const [rejected, alive] = await Promise.all([
      t.raw(bomb, undefined, token).then((r) => ({ ...r, took: ms(started) })),
      t.raw<{ __typename: string }>('{ __typename }', undefined, token),
    ]);
    console.info(`fragment bomb (24 levels, ${bomb.length} bytes) over HTTP answered in ${rejected.took}`);
    expect(rejected.status).toBe(400);
    expect(rejected.data).toBeUndefined();
    expect(codeOf(rejected)).toBe('BAD_USER_INPUT');
    expect(messages(rejected)).toMatch(/cost/i);
    expect(alive.data).toEqual({ __typename: 'Query' });
  });

  it('is rejected with BAD_USER_INPUT over WebSocket with a customer token', async () => {
    const ws = wsClient(t.wsUrl, token);
    try {
      const started = performance.now();
      const [rejected, alive] = await Promise.all([
        wsOnce(ws.client, fragmentBomb(24)).then((r) => ({ ...r, took: ms(started) })),
        wsOnce<{ __typename: string }>(ws.client, '{ __typename }'),
      ]);
      console.info(`fragment bomb (24 levels) over WebSocket answered in ${rejected.took}`);
      expect(rejected.data).toBeUndefined();
      expect(rejected.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(messages(rejected)).toMatch(/cost/i);
      expect(alive.data).toEqual({ __typename: 'Query' });
    } finally {
      await ws.dispose();
    }
  });

  it('costs time linear in its size: 32 levels (2^32 spreads if each were walked) answer like 24', async () => {
    // a rule that re-walks every spread would hold the event loop for hours here, past the test timeout
    const started = performance.now();
    const res = await t.raw(fragmentBomb(32), undefined, token);
    console.info(`fragment bomb (32 levels) over HTTP answered in ${ms(started)}`);
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
  });

  it('still runs when it is small: the same shape 4 levels deep is an ordinary query', async () => {
    const res = await t.raw(fragmentBomb(4), undefined, token);
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ __typename: 'Query' });
  });
});

describe('cost of connections without first/last', () => {
  it('rejects 100 aliased nested creditTransactions without first (40,000 movements, 82,041 objects)', async () => {
    const res = await t.raw(nestedConnections(100));
    expect(res.status).toBe(400);
    expect(res.data).toBeUndefined();
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(messages(res)).toMatch(/more than 5000 objects/);
  });

  it('counts a connection without first as 20: 15 aliases are rejected, the same with first: 1 are not', async () => {
    // within the alias limit: 20 customers × 15 connections × 20 movements, each with its edge: 12,341 objects;
    // counted at one movement per connection it would be 941, as with first: 1
    const byDefault = await t.raw(nestedConnections(15));
    expect(codeOf(byDefault)).toBe('BAD_USER_INPUT');
    expect(messages(byDefault)).toMatch(/more than 5000 objects/);
    // the same through fragments, one spread inside the connection
    const aliases = Array.from(
      { length: 15 },
      (_, i) => `t${i}: creditTransactions { edges { node { id } } }`,
    );
    const viaFragments = await t.raw(
      `{ customers { ...Page } } fragment Page on CustomerConnection { edges { node { ...Tx } } } ` +
        `fragment Tx on Customer { ${aliases.join(' ')} }`,
    );
    expect(messages(viaFragments)).toMatch(/more than 5000 objects/);
    const explicit = await t.raw(nestedConnections(15, '(first: 1)'));
    expect(explicit.errors).toBeUndefined();
    // a variable page size is not known while validating: counted at the maximum page (100)
    const variable = await t.raw(
      `query ($n: Int) { customers { edges { node { ${Array.from(
        { length: 3 },
        (_, i) => `t${i}: creditTransactions(first: $n) { edges { node { id } } }`,
      ).join(' ')} } } } }`,
      { n: 1 },
    );
    expect(messages(variable)).toMatch(/more than 5000 objects/);
  });

  it('accepts a modest nested query without first', async () => {
    const res = await t.raw<{ customers: { edges: unknown[] } }>(nestedConnections(2));
    expect(res.errors).toBeUndefined();
    expect(res.data!.customers.edges.length).toBeGreaterThan(0);
  });

  it('rejects more aliases and directives than allowed, over HTTP and WebSocket', async () => {
    const aliases = `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: currencies { code }`).join(' ')} }`;
    const directives = `{ __typename ${'@include(if: true) '.repeat(51)}}`;
    for (const doc of [aliases, directives]) {
      const res = await t.raw(doc);
      expect(codeOf(res)).toBe('BAD_USER_INPUT');
    }
    expect(messages(await t.raw(aliases))).toMatch(/aliases limit of 30/i);
    expect(messages(await t.raw(directives))).toMatch(/directives limit of 50/i);
    const ws = wsClient(t.wsUrl, token);
    try {
      expect((await wsOnce(ws.client, aliases)).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    } finally {
      await ws.dispose();
    }
  });
});

describe('parser token limit', () => {
  it('refuses a 1 MB document over HTTP with GRAPHQL_PARSE_FAILED', async () => {
    const doc = `{ ${'__typename '.repeat(90_000)}}`;
    expect(doc.length).toBeGreaterThan(980_000);
    const started = performance.now();
    const res = await t.raw(doc, undefined, token);
    console.info(`a ${doc.length}-character document over HTTP answered in ${ms(started)}`);
    expect(res.status).toBe(400);
    expect(res.data).toBeUndefined();
    expect(codeOf(res)).toBe('GRAPHQL_PARSE_FAILED');
    expect(messages(res)).toMatch(/more tha[nt] 20000 tokens/);
  });

  it('refuses a long document over WebSocket with the same code, not an internal error', async () => {
    const ws = wsClient(t.wsUrl, token);
    try {
      const res = await wsOnce(ws.client, `{ ${'__typename '.repeat(20_000)}}`);
      expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
      const syntax = await wsOnce(ws.client, '{ __typename');
      expect(syntax.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    } finally {
      await ws.dispose();
    }
  });
});

describe('echoed inputs', () => {
  const huge = 'x'.repeat(900_000);
  const size = (res: GqlResult<unknown>) => JSON.stringify(res).length;

  it('bounds a message that quotes a 900 KB variable', async () => {
    const res = await t.raw('query ($id: ID!) { customer(id: $id) { id } }', { id: { a: huge } }, token);
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(size(res)).toBeLessThan(3_000);
    expect(messages(res)).toMatch(/…\(\d+ characters\)/);
  });

  it('bounds a message that quotes a 900 KB literal', async () => {
    const res = await t.raw(`{ customer(id: ["${huge}"]) { id } }`, undefined, token);
    expect(codeOf(res)).toBeDefined();
    expect(size(res)).toBeLessThan(3_000);
  });

  it('bounds a domain error whose message and details echo a long value', async () => {
    const res = await t.raw(
      `mutation { createPlan(input: { key: "${uniq('p')}", name: "P", currency: "${huge}", settlementMode: CREDIT_ONLY, rateCards: [] }) { id } }`,
    );
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(size(res)).toBeLessThan(3_000);
  });
});

describe('suggestions', () => {
  const typo = '{ customr(id: "x") { id } }';
  const enumTypo = 'query ($s: [PlanStatus!]) { plans(status: $s) { edges { node { id } } } }';

  it('are kept outside production (the test below is not vacuous)', async () => {
    expect(messages(await t.raw(typo))).toMatch(/Did you mean "customer/);
    expect(messages(await t.raw(enumTypo, { s: ['PUBLISHD'] }))).toMatch(/Did you mean the enum value/);
  });

  it('are not given in production, over HTTP and WebSocket', async () => {
    const prod = await startTestApp({ NODE_ENV: 'production' });
    try {
      const http = await prod.raw(typo);
      expect(codeOf(http)).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(messages(http)).toMatch(/Cannot query field "customr"/);
      expect(messages(http)).not.toMatch(/did you mean|"customer"/i);
      const coerced = await prod.raw(enumTypo, { s: ['PUBLISHD'] });
      expect(codeOf(coerced)).toBe('BAD_USER_INPUT');
      expect(messages(coerced)).not.toMatch(/did you mean|PUBLISHED/i);
      const ws = wsClient(prod.wsUrl);
      try {
        const viaWs = await wsOnce(ws.client, typo);
        expect(viaWs.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
        expect(messages(viaWs)).toMatch(/Cannot query field "customr"/);
        expect(messages(viaWs)).not.toMatch(/did you mean|"customer"/i);
      } finally {
        await ws.dispose();
      }
    } finally {
      await prod.stop();
    }
  });
});
