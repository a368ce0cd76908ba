import { GraphQLError } from 'graphql';
import WebSocket from 'ws';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatError } from '../../src/graphql/errors';
import {
  CreateCreditGrantDocument,
  CreateCurrencyDocument,
  CreateCustomerDocument,
  IngestUsageDocument,
  IssueCustomerTokenDocument,
  SettleChargesDocument,
} from '../gql/graphql';
import { codeOf, uniq, uniqCode, useTestApp, type GqlResult } from '../support/app';
import { rowCounts, withDb } from '../support/db';
import { checkLedgerInvariants } from '../support/invariants';
import { subscribeToUnitPlan } from '../support/usage';
import { wsClient, wsOnce } from '../support/ws';

const t = useTestApp();

const NUL = 'a\u0000b';
const HIGH = 'a\ud800b'; // a lone high surrogate
const LOW = '\udc00b'; // a lone low surrogate

let currency: string;
let customer: { id: string; key: string };
let subject: string;
let eventType: string;
let token: string;
let grantId: string;
let movementId: string;
let planId: string;
let invoiceId: string;

/** Row counts of every table a mutation could write. */
async function tableCounts(): Promise<Record<string, number>> {
  return withDb(async (db) => {
    const out = await rowCounts(db);
    const c = await db.query(`select name, email, metadata from customer where id = $1`, [customer.id]);
    out[`customer row ${JSON.stringify(c.rows[0])}`] = 1;
    return out;
  });
}

beforeAll(async () => {
  currency = uniqCode('H');
  await t.ok(CreateCurrencyDocument, { input: { code: currency, name: 'Hostile', scale: 2 } });
  subject = uniq('subj');
  customer = (
    await t.ok(CreateCustomerDocument, {
      input: { key: uniq('victim'), name: 'Victim', subjectKeys: [subject] },
    })
  ).createCustomer;
  ({ eventType } = await subscribeToUnitPlan(t, customer.id, currency, '1.00'));
  grantId = (
    await t.ok(CreateCreditGrantDocument, {
      input: { customerId: customer.id, currency, amount: '100.00', fundingMethod: 'PROMOTIONAL' },
    })
  ).createCreditGrant.id;
  await t.ok(IngestUsageDocument, { events: [{ id: uniq('e'), subject, type: eventType }] });
  const settled = await t.ok(SettleChargesDocument, { customerId: customer.id });
  movementId = settled.settleCharges.movements[0]!.id;
  const plans = await t.raw<{ plans: { edges: { node: { id: string } }[] } }>(
    '{ plans(first: 1) { edges { node { id } } } }',
  );
  planId = plans.data!.plans.edges[0]!.node.id;
  const invoiced = await t.ok(CreateCreditGrantDocument, {
    input: {
      customerId: customer.id,
      currency,
      amount: '10.00',
      fundingMethod: 'INVOICE',
      purchase: { currency: 'USD', perUnitCost: '1' },
    },
  });
  invoiceId = invoiced.createCreditGrant.invoice!.id;
  token = (await t.ok(IssueCustomerTokenDocument, { customerId: customer.id, ttlSeconds: 3600 }))
    .issueCustomerToken.token;
});

interface Row {
  name: string;
  query: string;
  vars: (bad: string) => Record<string, unknown>;
  /** Sent with the customer token instead of the admin key. */
  customer?: boolean;
}

const M = {
  currency: 'mutation($input: CreateCurrencyInput!) { createCurrency(input: $input) { id } }',
  feature: 'mutation($input: CreateFeatureInput!) { createFeature(input: $input) { id } }',
  plan: 'mutation($input: CreatePlanInput!) { createPlan(input: $input) { id } }',
  customer: 'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }',
  update:
    'mutation($id: ID!, $input: UpdateCustomerInput!) { updateCustomer(id: $id, input: $input) { id } }',
  grant: 'mutation($input: CreateCreditGrantInput!) { createCreditGrant(input: $input) { id } }',
  adjust: 'mutation($input: AdjustCreditsInput!) { adjustCredits(input: $input) { id } }',
  charge: 'mutation($input: CreateChargeInput!) { createCharge(input: $input) { id } }',
  correct: 'mutation($input: CorrectMovementInput!) { correctMovement(input: $input) { id } }',
};

const grantInput = (o: Record<string, unknown>) => ({
  input: { customerId: customer.id, currency, amount: '1.00', fundingMethod: 'PROMOTIONAL', ...o },
});
const adjustInput = (o: Record<string, unknown>) => ({
  input: { customerId: customer.id, currency, amount: '1.00', reason: 'r', ...o },
});
const chargeInput = (o: Record<string, unknown>) => ({
  input: {
    customerId: customer.id,
    currency,
    amount: '1.00',
    description: 'd',
    settlementMode: 'CREDIT_ONLY',
    ...o,
  },
});
const planInput = (o: Record<string, unknown>) => ({
  input: { key: uniq('p'), name: 'P', currency, settlementMode: 'CREDIT_ONLY', rateCards: [], ...o },
});
const featureInput = (o: Record<string, unknown>) => ({
  input: { key: uniq('f'), name: 'F', eventType: uniq('t'), aggregation: 'COUNT', ...o },
});

/** Every string, id and JSON input of the schema, and the read paths a customer token reaches. */
const rows: Row[] = [
  { name: 'createCurrency.code', query: M.currency, vars: (b) => ({ input: { code: b, name: 'X' } }) },
  {
    name: 'createCurrency.name',
    query: M.currency,
    vars: (b) => ({ input: { code: uniqCode('N'), name: b } }),
  },
  {
    name: 'createCurrency.fiatCode',
    query: M.currency,
    vars: (b) => ({ input: { code: uniqCode('N'), name: 'X', fiatCode: b, fiatValue: '1' } }),
  },
  { name: 'createFeature.key', query: M.feature, vars: (b) => featureInput({ key: b }) },
  { name: 'createFeature.name', query: M.feature, vars: (b) => featureInput({ name: b }) },
  { name: 'createFeature.unit', query: M.feature, vars: (b) => featureInput({ unit: b }) },
  { name: 'createFeature.eventType', query: M.feature, vars: (b) => featureInput({ eventType: b }) },
  { name: 'createPlan.key', query: M.plan, vars: (b) => planInput({ key: b }) },
  { name: 'createPlan.name', query: M.plan, vars: (b) => planInput({ name: b }) },
  { name: 'createPlan.currency', query: M.plan, vars: (b) => planInput({ currency: b }) },
  { name: 'createPlan.billingCadence', query: M.plan, vars: (b) => planInput({ billingCadence: b }) },
  {
    name: 'createPlan.rateCards.featureKey',
    query: M.plan,
    vars: (b) => planInput({ rateCards: [{ featureKey: b, price: { model: 'UNIT', unitAmount: '1' } }] }),
  },
  { name: 'createCustomer.key', query: M.customer, vars: (b) => ({ input: { key: b, name: 'N' } }) },
  { name: 'createCustomer.name', query: M.customer, vars: (b) => ({ input: { key: uniq('c'), name: b } }) },
  {
    name: 'createCustomer.email',
    query: M.customer,
    vars: (b) => ({ input: { key: uniq('c'), name: 'N', email: `${b}@x.test` } }),
  },
  {
    name: 'createCustomer.subjectKeys',
    query: M.customer,
    vars: (b) => ({ input: { key: uniq('c'), name: 'N', subjectKeys: [b] } }),
  },
  {
    name: 'createCustomer.metadata value',
    query: M.customer,
    vars: (b) => ({ input: { key: uniq('c'), name: 'N', metadata: { nested: { list: ['ok', b] } } } }),
  },
  {
    name: 'createCustomer.metadata key',
    query: M.customer,
    vars: (b) => ({ input: { key: uniq('c'), name: 'N', metadata: { [b]: 1 } } }),
  },
  { name: 'updateCustomer.id', query: M.update, vars: (b) => ({ id: b, input: { name: 'N' } }) },
  { name: 'updateCustomer.name', query: M.update, vars: (b) => ({ id: customer.id, input: { name: b } }) },
  { name: 'updateCustomer.email', query: M.update, vars: (b) => ({ id: customer.id, input: { email: b } }) },
  {
    name: 'updateCustomer.metadata',
    query: M.update,
    vars: (b) => ({ id: customer.id, input: { metadata: { note: b } } }),
  },
  {
    name: 'updateCustomer.subjectKeys',
    query: M.update,
    vars: (b) => ({ id: customer.id, input: { subjectKeys: [subject, b] } }),
  },
  {
    name: 'createSubscription.customerId',
    query: 'mutation($c: ID!, $p: ID!) { createSubscription(input: { customerId: $c, planId: $p }) { id } }',
    vars: (b) => ({ c: b, p: planId }),
  },
  {
    name: 'createSubscription.planId',
    query: 'mutation($c: ID!, $p: ID!) { createSubscription(input: { customerId: $c, planId: $p }) { id } }',
    vars: (b) => ({ c: customer.id, p: b }),
  },
  {
    name: 'cancelSubscription.id',
    query: 'mutation($id: ID!) { cancelSubscription(id: $id) { id } }',
    vars: (b) => ({ id: b }),
  },
  {
    name: 'publishPlan.id',
    query: 'mutation($id: ID!) { publishPlan(id: $id) { id } }',
    vars: (b) => ({ id: b }),
  },
  {
    name: 'archivePlan.id',
    query: 'mutation($id: ID!) { archivePlan(id: $id) { id } }',
    vars: (b) => ({ id: b }),
  },
  { name: 'createCreditGrant.customerId', query: M.grant, vars: (b) => grantInput({ customerId: b }) },
  { name: 'createCreditGrant.currency', query: M.grant, vars: (b) => grantInput({ currency: b }) },
  { name: 'createCreditGrant.name', query: M.grant, vars: (b) => grantInput({ name: b }) },
  { name: 'createCreditGrant.featureKeys', query: M.grant, vars: (b) => grantInput({ featureKeys: [b] }) },
  {
    name: 'createCreditGrant.idempotencyKey',
    query: M.grant,
    vars: (b) => grantInput({ idempotencyKey: b }),
  },
  {
    name: 'createCreditGrant.purchase.currency',
    query: M.grant,
    vars: (b) => grantInput({ fundingMethod: 'INVOICE', purchase: { currency: b, perUnitCost: '1' } }),
  },
  {
    name: 'voidCreditGrant.grantId',
    query: 'mutation($g: ID!) { voidCreditGrant(grantId: $g) { id } }',
    vars: (b) => ({ g: b }),
  },
  {
    name: 'voidCreditGrant.reason',
    query: 'mutation($g: ID!, $r: String) { voidCreditGrant(grantId: $g, reason: $r) { id } }',
    vars: (b) => ({ g: grantId, r: b }),
  },
  {
    name: 'updateExternalSettlement.grantId',
    query: 'mutation($g: ID!) { updateExternalSettlement(grantId: $g, status: SETTLED) { id } }',
    vars: (b) => ({ g: b }),
  },
  {
    name: 'updateInvoicePaymentStatus.invoiceId',
    query: 'mutation($i: ID!) { updateInvoicePaymentStatus(invoiceId: $i, status: FAILED) { id } }',
    vars: (b) => ({ i: b }),
  },
  { name: 'adjustCredits.customerId', query: M.adjust, vars: (b) => adjustInput({ customerId: b }) },
  { name: 'adjustCredits.currency', query: M.adjust, vars: (b) => adjustInput({ currency: b }) },
  { name: 'adjustCredits.reason', query: M.adjust, vars: (b) => adjustInput({ reason: b }) },
  { name: 'adjustCredits.idempotencyKey', query: M.adjust, vars: (b) => adjustInput({ idempotencyKey: b }) },
  { name: 'createCharge.currency', query: M.charge, vars: (b) => chargeInput({ currency: b }) },
  { name: 'createCharge.description', query: M.charge, vars: (b) => chargeInput({ description: b }) },
  { name: 'createCharge.idempotencyKey', query: M.charge, vars: (b) => chargeInput({ idempotencyKey: b }) },
  {
    name: 'correctMovement.movementId',
    query: M.correct,
    vars: (b) => ({ input: { movementId: b, reason: 'r', amount: '0.10' } }),
  },
  {
    name: 'correctMovement.reason',
    query: M.correct,
    vars: (b) => ({ input: { movementId, reason: b, amount: '0.10' } }),
  },
  {
    name: 'correctMovement.idempotencyKey',
    query: M.correct,
    vars: (b) => ({ input: { movementId, reason: 'r', amount: '0.10', idempotencyKey: b } }),
  },
  {
    name: 'setCreditAlerts.currency',
    query:
      'mutation($c: ID!, $cur: String!) { setCreditAlerts(input: { customerId: $c, currency: $cur, thresholds: ["5"] }) }',
    vars: (b) => ({ c: customer.id, cur: b }),
  },
  {
    name: 'issueCustomerToken.customerId',
    query: 'mutation($c: ID!) { issueCustomerToken(customerId: $c) { token } }',
    vars: (b) => ({ c: b }),
  },
  {
    name: 'settleCharges.customerId',
    query: 'mutation($c: ID) { settleCharges(customerId: $c) { settledCharges } }',
    vars: (b) => ({ c: b }),
  },
  // read paths, with the customer token
  {
    name: 'customer(key)',
    customer: true,
    query: 'query($k: String) { customer(key: $k) { id } }',
    vars: (b) => ({ k: b }),
  },
  {
    name: 'customer(id)',
    customer: true,
    query: 'query($id: ID) { customer(id: $id) { id } }',
    vars: (b) => ({ id: b }),
  },
  {
    name: 'node(id)',
    customer: true,
    query: 'query($id: ID!) { node(id: $id) { id } }',
    vars: (b) => ({ id: b }),
  },
  {
    name: 'creditBalances(currency)',
    customer: true,
    query: 'query($c: ID!, $cur: String) { creditBalances(customerId: $c, currency: $cur) { settled } }',
    vars: (b) => ({ c: customer.id, cur: b }),
  },
  {
    name: 'creditGrants(currency, after)',
    customer: true,
    query:
      'query($c: ID!, $cur: String, $a: String) { creditGrants(customerId: $c, currency: $cur, after: $a) { edges { cursor } } }',
    vars: (b) => ({ c: customer.id, cur: b, a: b }),
  },
  {
    name: 'creditTransactions(after)',
    customer: true,
    query:
      'query($c: ID!, $a: String) { creditTransactions(customerId: $c, after: $a) { edges { cursor } } }',
    vars: (b) => ({ c: customer.id, a: b }),
  },
  {
    name: 'creditTransactions(before, currency)',
    customer: true,
    query:
      'query($c: ID!, $b: String, $cur: String) { creditTransactions(customerId: $c, before: $b, last: 5, currency: $cur) { edges { cursor } } }',
    vars: (b) => ({ c: customer.id, b, cur: b }),
  },
  {
    name: 'customer.creditTransactions(after) nested',
    customer: true,
    query:
      'query($id: ID, $a: String) { customer(id: $id) { creditTransactions(after: $a) { edges { cursor } } } }',
    vars: (b) => ({ id: customer.id, a: b }),
  },
  {
    name: 'charges(after)',
    customer: true,
    query: 'query($c: ID!, $a: String) { charges(customerId: $c, after: $a) { edges { cursor } } }',
    vars: (b) => ({ c: customer.id, a: b }),
  },
  {
    name: 'invoices(customerId)',
    customer: true,
    query: 'query($c: ID!) { invoices(customerId: $c) { edges { cursor } } }',
    vars: (b) => ({ c: b }),
  },
  {
    name: 'customers(search, after)',
    query: 'query($s: String, $a: String) { customers(search: $s, after: $a) { edges { cursor } } }',
    vars: (b) => ({ s: b, a: b }),
  },
  {
    name: 'plan(key)',
    query: 'query($k: String) { plan(key: $k) { id } }',
    vars: (b) => ({ k: b }),
  },
  {
    name: 'plans(after)',
    query: 'query($a: String) { plans(after: $a) { edges { cursor } } }',
    vars: (b) => ({ a: b }),
  },
];

const run = (row: Row, bad: string) => t.raw(row.query, row.vars(bad), row.customer ? token : undefined);

describe('text PostgreSQL cannot store (NUL bytes, lone surrogates)', () => {
  it(`answers BAD_USER_INPUT for each of ${rows.length} inputs and changes nothing`, async () => {
    const before = await tableCounts();
    const wrong: string[] = [];
    for (const row of rows) {
      for (const bad of [NUL, HIGH, LOW]) {
        const res = await run(row, bad);
        if (res.status !== 200 || codeOf(res) !== 'BAD_USER_INPUT')
          wrong.push(`${row.name} ${JSON.stringify(bad)}: ${res.status} ${JSON.stringify(res.errors)}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(await tableCounts()).toEqual(before);
    await checkLedgerInvariants([customer.id]);
  });

  it('rejects a NUL written as a literal in the document, over HTTP and WebSocket', async () => {
    const literal = '{ customer(key: "a\\u0000b") { id } }';
    expect(codeOf(await t.raw(literal, undefined, token))).toBe('BAD_USER_INPUT');
    expect(codeOf(await t.raw(`{ customer(key: "a${'\u0000'}b") { id } }`, undefined, token))).toBe(
      'BAD_USER_INPUT',
    );
    const ws = wsClient(t.wsUrl, token);
    try {
      const q = await wsOnce(ws.client, literal);
      expect((q.errors?.[0] as GraphQLError | undefined)?.extensions?.code).toBe('BAD_USER_INPUT');
      const v = await wsOnce(ws.client, 'query($k: String) { customer(key: $k) { id } }', { k: HIGH });
      expect((v.errors?.[0] as GraphQLError | undefined)?.extensions?.code).toBe('BAD_USER_INPUT');
      const sub = await wsOnce(
        ws.client,
        'subscription($c: ID!, $cur: String) { creditBalanceChanged(customerId: $c, currency: $cur) { sequence } }',
        { c: customer.id, cur: NUL },
      );
      expect((sub.errors?.[0] as GraphQLError | undefined)?.extensions?.code).toBe('BAD_USER_INPUT');
      // the socket still serves
      const ok = await wsOnce<{ customer: { id: string } }>(
        ws.client,
        `{ customer(id: "${customer.id}") { id } }`,
      );
      expect(ok.data?.customer.id).toBe(customer.id);
    } finally {
      await ws.dispose();
    }
  });
});

describe('logs', () => {
  it('log a database error without the values of its statement', async () => {
    const lines: string[] = [];
    const format = formatError((level, msg, extra) => lines.push(JSON.stringify({ level, msg, ...extra })));
    let error: unknown;
    try {
      await t.app.orm.em
        .fork()
        .execute('select ?::int as n, ? as email', ['jane@example.com', 'jane@example.com']);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    const wrapped = new GraphQLError('boom', { originalError: error as Error, path: ['customer'] });
    const out = format(wrapped.toJSON(), wrapped);
    expect(out.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('jane');
    expect(lines[0]).toContain('22P02'); // the SQLSTATE still says what went wrong
    expect(lines[0]).toContain('select');
  });
});

describe('usage events: each one is accepted or rejected on its own', () => {
  type Ingest = {
    ingestUsage: { accepted: number; duplicates: number; rejected: { id: string; code: string }[] };
  };
  const ingest = (events: Record<string, unknown>[]) =>
    t.raw<Ingest>(
      'mutation($events: [UsageEventInput!]!) { ingestUsage(events: $events) { accepted duplicates rejected { id code } } }',
      { events },
    );

  it('a value with 17,000 decimals is rejected alone; the 9 valid events of its batch are accepted', async () => {
    const valid = Array.from({ length: 9 }, () => ({ id: uniq('ok'), subject, type: eventType }));
    const bad = { id: uniq('long'), subject, type: eventType, value: `1.${'1'.repeat(17_000)}` };
    const res = await ingest([...valid.slice(0, 4), bad, ...valid.slice(4)]);
    expect(res.errors).toBeUndefined();
    expect(res.data!.ingestUsage).toEqual({
      accepted: 9,
      duplicates: 0,
      rejected: [{ id: bad.id, code: 'BAD_VALUE' }],
    });
  });

  it('rejects each event with unstorable text, too many decimals, or data too large or too deep', async () => {
    const nest = (levels: number): Record<string, unknown> => {
      let v: Record<string, unknown> = { leaf: 1 };
      for (let i = 1; i < levels; i++) v = { n: v };
      return v;
    };
    const base = () => ({ id: uniq('ev'), subject, type: eventType });
    const cases: [Record<string, unknown>, string | null][] = [
      [{ ...base(), id: `${uniq('id')}${NUL}` }, 'BAD_ID'],
      [{ ...base(), id: `${uniq('id')}${HIGH}` }, 'BAD_ID'],
      [{ ...base(), subject: `${subject}${NUL}` }, 'BAD_VALUE'],
      [{ ...base(), type: `${eventType}${LOW}` }, 'BAD_VALUE'],
      [{ ...base(), data: { note: NUL } }, 'BAD_VALUE'],
      [{ ...base(), data: { [HIGH]: 1 } }, 'BAD_VALUE'],
      [{ ...base(), data: { list: [[['x', LOW]]] } }, 'BAD_VALUE'],
      [{ ...base(), value: `1.${'0'.repeat(41)}` }, 'BAD_VALUE'],
      [{ ...base(), value: `1.${'0'.repeat(40)}` }, null],
      [{ ...base(), data: { blob: 'x'.repeat(17_000) } }, 'BAD_VALUE'],
      [{ ...base(), data: { blob: 'x'.repeat(16_000) } }, null],
      [{ ...base(), data: nest(33) }, 'BAD_VALUE'],
      [{ ...base(), data: nest(32) }, null],
      [{ ...base(), data: { emoji: '\ud83d\ude00 ok' } }, null], // a surrogate pair is fine
    ];
    const res = await ingest(cases.map(([e]) => e));
    expect(res.errors).toBeUndefined();
    const r = res.data!.ingestUsage;
    expect(r.accepted).toBe(cases.filter(([, code]) => code === null).length);
    expect(r.rejected.map((x) => x.code)).toEqual(cases.filter(([, c]) => c).map(([, c]) => c));
    await checkLedgerInvariants([customer.id]);
  });

  it('data nested 200,000 levels deep is a clean rejection over HTTP and WebSocket, not a crash', async () => {
    const depth = 200_000;
    const id = uniq('deep');
    const query =
      'mutation($events: [UsageEventInput!]!) { ingestUsage(events: $events) { accepted rejected { id code } } }';
    // built as text: JSON.stringify itself would overflow the stack on such a value
    const events = `[{"id":"${id}","subject":"${subject}","type":"${eventType}","data":{"a":${'['.repeat(depth)}${']'.repeat(depth)}}}]`;
    const body = `{"query":${JSON.stringify(query)},"variables":{"events":${events}}}`;
    const res = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer test-admin-key' },
      body,
    });
    const json = (await res.json()) as GqlResult<{
      ingestUsage: { accepted: number; rejected: { code: string }[] };
    }>;
    expect(json.errors).toBeUndefined();
    expect(json.data!.ingestUsage).toEqual({ accepted: 0, rejected: [{ id, code: 'BAD_VALUE' }] });

    // over WebSocket, below its message size limit
    const wsDepth = 100_000;
    const wsEvents = `[{"id":"${id}","subject":"${subject}","type":"${eventType}","data":{"a":${'['.repeat(wsDepth)}${']'.repeat(wsDepth)}}}]`;
    const socket = new WebSocket(t.wsUrl, 'graphql-transport-ws');
    const messages: { type: string; id?: string; payload?: unknown }[] = [];
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    await new Promise((resolve) => socket.on('open', resolve));
    const next = () =>
      new Promise<{ type: string; payload?: unknown }>((resolve) => {
        socket.once('message', (data) => {
          const m = JSON.parse(String(data)) as { type: string; payload?: unknown };
          messages.push(m);
          resolve(m);
        });
      });
    socket.send(
      JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer test-admin-key' } }),
    );
    expect((await next()).type).toBe('connection_ack');
    socket.send(
      `{"type":"subscribe","id":"1","payload":{"query":${JSON.stringify(query)},"variables":{"events":${wsEvents}}}}`,
    );
    const answer = await next();
    expect(answer).toEqual({
      type: 'next',
      id: '1',
      payload: { data: { ingestUsage: { accepted: 0, rejected: [{ id, code: 'BAD_VALUE' }] } } },
    });
    socket.close(1000);
    expect(await closed).toBe(1000);
    // still serving
    expect(codeOf(await t.raw('{ currencies { code } }'))).toBeUndefined();
  });
});

describe('customer tokens', () => {
  it('a valid token with anything appended does not authenticate, over HTTP or WebSocket', async () => {
    const q = `{ customer(id: "${customer.id}") { id } }`;
    expect(codeOf(await t.raw(q, undefined, token))).toBeUndefined();
    for (const tampered of [`${token}.x`, `${token}.`, `${token}x`, `${token}.${token.split('.')[2]}`]) {
      const res = await t.raw(q, undefined, tampered);
      expect(res.status, tampered).toBe(401);
      expect(codeOf(res)).toBe('UNAUTHENTICATED');
    }
    const ws = wsClient(t.wsUrl, `${token}.x`);
    expect(await ws.closed).toBe(4403);
    await ws.dispose();
  });
});

describe('INVOICE grants', () => {
  it('refuses a grant whose purchase total rounds to 0.00 and creates nothing', async () => {
    const before = await tableCounts();
    const res = await t.gql(CreateCreditGrantDocument, {
      input: {
        customerId: customer.id,
        currency,
        amount: '0.01',
        fundingMethod: 'INVOICE',
        purchase: { currency: 'USD', perUnitCost: '0.4' },
      },
    });
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0]!.message).toContain('purchase.perUnitCost');
    expect(await tableCounts()).toEqual(before);
    // 0.01 × 0.5 = 0.005 rounds half-even to 0.00 as well; 0.01 × 0.51 rounds to 0.01 and is a real invoice
    expect(
      codeOf(
        await t.gql(CreateCreditGrantDocument, {
          input: {
            customerId: customer.id,
            currency,
            amount: '0.01',
            fundingMethod: 'INVOICE',
            purchase: { currency: 'USD', perUnitCost: '0.5' },
          },
        }),
      ),
    ).toBe('BAD_USER_INPUT');
    const ok = await t.ok(CreateCreditGrantDocument, {
      input: {
        customerId: customer.id,
        currency,
        amount: '0.01',
        fundingMethod: 'INVOICE',
        purchase: { currency: 'USD', perUnitCost: '0.51' },
      },
    });
    expect(ok.createCreditGrant.invoice!.total).toBe('0.01');
    await checkLedgerInvariants([customer.id]);
  });
});

// keep the invoice id referenced: the table above voids nothing, so it stays payable
it('the seeded invoice is untouched', async () => {
  const res = await t.raw<{ invoices: { edges: { node: { id: string; status: string } }[] } }>(
    `{ invoices(customerId: "${customer.id}", first: 10) { edges { node { id status } } } }`,
  );
  expect(res.data!.invoices.edges.find((e) => e.node.id === invoiceId)?.node.status).toBe('ISSUED');
});
