import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateCreditGrantDocument,
  CreateCurrencyDocument,
  CreateCustomerDocument,
  IngestUsageDocument,
  IssueCustomerTokenDocument,
  SettleChargesDocument,
} from '../gql/graphql';
import { ADMIN_KEY, codeOf, uniq, uniqCode, useTestApp } from '../support/app';
import { rowCounts, withDb } from '../support/db';
import { checkLedgerInvariants } from '../support/invariants';
import { subscribeToUnitPlan } from '../support/usage';
import { wsClient, wsOnce, type WsClient } from '../support/ws';

/**
 * A table of hostile inputs, each with the answer it must get: GraphQL rows run over HTTP and over
 * WebSocket, transport rows over the one they abuse. After every row, the seeded customers' ledgers
 * (balances, movements, grants, charges, invoices) and every table's row count are what they were.
 */
const t = useTestApp();

interface Seed {
  currency: string;
  victim: { id: string; key: string };
  other: { id: string; key: string };
  token: string;
  otherToken: string;
  grantId: string;
  movementId: string;
  chargeId: string;
  invoiceId: string;
  planId: string;
  otherGrantId: string;
  otherMovementId: string;
  otherChargeId: string;
  otherInvoiceId: string;
  /** A cursor of the victim's creditTransactions, of its creditTransactions in one currency, of its charges. */
  movementCursor: string;
  currencyCursor: string;
  chargeCursor: string;
  otherMovementCursor: string;
}
let s: Seed;
let before: Snapshot;
let adminWs: WsClient;
let customerWs: WsClient;

type Snapshot = Record<string, unknown>;

/** Everything a hostile request could have changed: the two customers' ledgers, and every table's size. */
async function snapshot(): Promise<Snapshot> {
  return withDb(async (db) => {
    const ids = [s.victim.id, s.other.id];
    const q = async (sql: string) => (await db.query(sql, [ids])).rows;
    const counts = await rowCounts(db);
    return {
      counts,
      customers: await q(
        `select id, key, name, email, metadata from customer where id = any($1) order by id`,
      ),
      ledgers: await q(
        `select id, balance::text, debt::text, last_sequence from ledger where customer_id = any($1) order by id`,
      ),
      movements: await q(
        `select m.id, m.sequence, m.type, m.amount::text, m.balance_after::text from movement m
           join ledger l on l.id = m.ledger_id where l.customer_id = any($1) order by m.id`,
      ),
      grants: await q(
        `select g.id, g.amount::text, g.remaining::text, g.funded_at, g.voided_at, g.payment_status
           from credit_grant g join ledger l on l.id = g.ledger_id where l.customer_id = any($1) order by g.id`,
      ),
      charges: await q(
        `select id, status, quantity::text, amount::text, credited_amount::text from charge
          where customer_id = any($1) order by id`,
      ),
      invoices: await q(
        `select id, status, payment_status, total::text from invoice where customer_id = any($1) order by id`,
      ),
      subscriptions: await q(
        `select id, active_from, active_to from subscription where customer_id = any($1) order by id`,
      ),
    };
  });
}

async function seedCustomer(currency: string, name: string) {
  const subject = uniq('s');
  const c = (await t.ok(CreateCustomerDocument, { input: { key: uniq(name), name, subjectKeys: [subject] } }))
    .createCustomer;
  const { eventType } = await subscribeToUnitPlan(t, c.id, currency, '1.00');
  const grant = (
    await t.ok(CreateCreditGrantDocument, {
      input: { customerId: c.id, currency, amount: '50.00', fundingMethod: 'PROMOTIONAL' },
    })
  ).createCreditGrant;
  await t.ok(IngestUsageDocument, {
    events: [
      { id: uniq('e'), subject, type: eventType },
      { id: uniq('e'), subject, type: eventType },
    ],
  });
  const settled = await t.ok(SettleChargesDocument, { customerId: c.id });
  const movement = settled.settleCharges.movements[0]!;
  const invoiced = (
    await t.ok(CreateCreditGrantDocument, {
      input: {
        customerId: c.id,
        currency,
        amount: '10.00',
        fundingMethod: 'INVOICE',
        purchase: { currency: 'USD', perUnitCost: '1' },
      },
    })
  ).createCreditGrant;
  const token = (await t.ok(IssueCustomerTokenDocument, { customerId: c.id, ttlSeconds: 3600 }))
    .issueCustomerToken.token;
  return {
    customer: c,
    token,
    grantId: grant.id,
    movementId: movement.id,
    chargeId: movement.charge!.id,
    invoiceId: invoiced.invoice!.id,
  };
}

beforeAll(async () => {
  const currency = uniqCode('T');
  await t.ok(CreateCurrencyDocument, { input: { code: currency, name: 'Table', scale: 2 } });
  const v = await seedCustomer(currency, 'victim');
  const o = await seedCustomer(currency, 'other');
  const page = async (query: string, token: string) => {
    const res = await t.raw<Record<string, { edges: { cursor: string }[] }>>(query, undefined, token);
    return Object.values(res.data!)[0]!.edges[0]!.cursor;
  };
  const plans = await t.raw<{ plans: { edges: { node: { id: string } }[] } }>(
    '{ plans(first: 1) { edges { node { id } } } }',
  );
  s = {
    currency,
    victim: v.customer,
    other: o.customer,
    token: v.token,
    otherToken: o.token,
    grantId: v.grantId,
    movementId: v.movementId,
    chargeId: v.chargeId,
    invoiceId: v.invoiceId,
    planId: plans.data!.plans.edges[0]!.node.id,
    otherGrantId: o.grantId,
    otherMovementId: o.movementId,
    otherChargeId: o.chargeId,
    otherInvoiceId: o.invoiceId,
    movementCursor: await page(
      `{ creditTransactions(customerId: "${v.customer.id}", first: 1) { edges { cursor } } }`,
      v.token,
    ),
    currencyCursor: await page(
      `{ creditTransactions(customerId: "${v.customer.id}", currency: "${currency}", first: 1) { edges { cursor } } }`,
      v.token,
    ),
    chargeCursor: await page(
      `{ charges(customerId: "${v.customer.id}", first: 1) { edges { cursor } } }`,
      v.token,
    ),
    otherMovementCursor: await page(
      `{ creditTransactions(customerId: "${o.customer.id}", first: 1) { edges { cursor } } }`,
      o.token,
    ),
  };
  adminWs = wsClient(t.wsUrl, ADMIN_KEY);
  customerWs = wsClient(t.wsUrl, s.token);
  before = await snapshot();
});

afterAll(async () => {
  await adminWs?.dispose();
  await customerWs?.dispose();
});

/** A row's outcome: the first error's code, else `NULL` when the first field is null, else `OK`. */
type Outcome = string;

function outcomeOf(result: { data?: unknown; errors?: readonly { extensions?: unknown }[] | null }): Outcome {
  const code = (result.errors?.[0]?.extensions as { code?: string } | undefined)?.code;
  if (code) return code;
  if (result.errors?.length) return 'ERROR';
  const first = result.data ? Object.values(result.data as Record<string, unknown>)[0] : undefined;
  return first === null ? 'NULL' : 'OK';
}

interface GqlRow {
  name: string;
  query: () => string;
  vars?: () => Record<string, unknown>;
  /** The seeded victim's customer token instead of the admin key. */
  customer?: boolean;
  expect: Outcome;
  /** Subscriptions run over WebSocket only. */
  wsOnly?: boolean;
}

const grant = (input: () => Record<string, unknown>): Pick<GqlRow, 'query' | 'vars'> => ({
  query: () => 'mutation($input: CreateCreditGrantInput!) { createCreditGrant(input: $input) { id } }',
  vars: () => ({
    input: {
      customerId: s.victim.id,
      currency: s.currency,
      amount: '1.00',
      fundingMethod: 'PROMOTIONAL',
      idempotencyKey: uniq('k'),
      ...input(),
    },
  }),
});
const amount = (a: unknown) => grant(() => ({ amount: a }));
const txPage = (args: () => string): Pick<GqlRow, 'query' | 'customer'> => ({
  customer: true,
  query: () =>
    `{ creditTransactions(customerId: "${s.victim.id}", ${args()}) { edges { cursor node { id } } } }`,
});

/** A fragment-spread bomb: each fragment spreads the next twice, `levels` deep (2^levels field visits naively). */
function fragmentBomb(levels: number): string {
  const frags = [];
  for (let i = 0; i < levels; i++) frags.push(`fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`);
  frags.push(`fragment F${levels} on Query { currencies { code } }`);
  return `query Bomb { ...F0 } ${frags.join(' ')}`;
}

const deep = (levels: number) => {
  let inner = 'id';
  for (let d = levels - 1; d >= 1; d--)
    inner = d % 2 ? `subscriptions { ${inner} }` : `customer { ${inner} }`;
  return `{ customer(id: "${s.victim.id}") { ${inner} } }`;
};

const gqlRows: GqlRow[] = [
  // malformed and extreme decimals
  { name: 'amount in exponent notation', ...amount('1e5'), expect: 'BAD_USER_INPUT' },
  { name: 'amount in hex', ...amount('0x10'), expect: 'BAD_USER_INPUT' },
  { name: 'amount with digit separators', ...amount('1_000'), expect: 'BAD_USER_INPUT' },
  { name: 'amount with a plus sign', ...amount('+1'), expect: 'BAD_USER_INPUT' },
  { name: 'amount with spaces', ...amount(' 1.00'), expect: 'BAD_USER_INPUT' },
  { name: 'amount ".5"', ...amount('.5'), expect: 'BAD_USER_INPUT' },
  { name: 'amount "1."', ...amount('1.'), expect: 'BAD_USER_INPUT' },
  { name: 'amount NaN', ...amount('NaN'), expect: 'BAD_USER_INPUT' },
  { name: 'amount Infinity', ...amount('Infinity'), expect: 'BAD_USER_INPUT' },
  { name: 'amount with 29 integer digits', ...amount('1'.repeat(29)), expect: 'BAD_USER_INPUT' },
  { name: 'amount beyond the currency scale', ...amount('1.001'), expect: 'BAD_USER_INPUT' },
  { name: 'amount with 17,000 decimals', ...amount(`1.${'0'.repeat(17_000)}`), expect: 'BAD_USER_INPUT' },
  { name: 'zero amount', ...amount('0.00'), expect: 'BAD_USER_INPUT' },
  { name: 'negative amount', ...amount('-5.00'), expect: 'BAD_USER_INPUT' },
  { name: 'empty amount', ...amount(''), expect: 'BAD_USER_INPUT' },
  {
    name: 'Decimal literal as a number',
    query: () =>
      `mutation { adjustCredits(input: { customerId: "${s.victim.id}", currency: "${s.currency}", amount: 5, reason: "r" }) { id } }`,
    expect: 'BAD_USER_INPUT',
  },
  // wrong types
  { name: 'amount as a JSON number', ...amount(5), expect: 'BAD_USER_INPUT' },
  { name: 'amount as an object', ...amount({ value: '1' }), expect: 'BAD_USER_INPUT' },
  { name: 'customerId as an object', ...grant(() => ({ customerId: { id: 1 } })), expect: 'BAD_USER_INPUT' },
  { name: 'priority as a float', ...grant(() => ({ priority: 1.5 })), expect: 'BAD_USER_INPUT' },
  { name: 'priority beyond Int', ...grant(() => ({ priority: 2 ** 31 })), expect: 'BAD_USER_INPUT' },
  { name: 'unknown enum value', ...grant(() => ({ fundingMethod: 'FREE' })), expect: 'BAD_USER_INPUT' },
  { name: 'unknown input field', ...grant(() => ({ owner: 'me' })), expect: 'BAD_USER_INPUT' },
  { name: 'missing required field', ...grant(() => ({ amount: null })), expect: 'BAD_USER_INPUT' },
  {
    name: 'metadata as an array',
    query: () => 'mutation($input: UpdateCustomerInput!) { updateCustomer(id: "x", input: $input) { id } }',
    vars: () => ({ input: { metadata: [1, 2] } }),
    expect: 'BAD_USER_INPUT',
  },
  // unknown and mismatched currencies
  { name: 'unknown currency', ...grant(() => ({ currency: 'NOPE' })), expect: 'BAD_USER_INPUT' },
  {
    name: 'purchase in a non-fiat currency',
    ...grant(() => ({ fundingMethod: 'INVOICE', purchase: { currency: s.currency, perUnitCost: '1' } })),
    expect: 'BAD_USER_INPUT',
  },
  {
    name: 'purchase terms on a PROMOTIONAL grant',
    ...grant(() => ({ purchase: { currency: 'USD', perUnitCost: '1' } })),
    expect: 'BAD_USER_INPUT',
  },
  {
    name: 'INVOICE grant whose total rounds to 0.00',
    ...grant(() => ({
      amount: '0.01',
      fundingMethod: 'INVOICE',
      purchase: { currency: 'USD', perUnitCost: '0.1' },
    })),
    expect: 'BAD_USER_INPUT',
  },
  {
    name: 'charge in an unknown currency',
    query: () =>
      `mutation { createCharge(input: { customerId: "${s.victim.id}", currency: "NOPE", amount: "1.00", description: "d", settlementMode: CREDIT_ONLY }) { id } }`,
    expect: 'BAD_USER_INPUT',
  },
  {
    name: 'balances in an unknown currency',
    customer: true,
    query: () => `{ creditBalances(customerId: "${s.victim.id}", currency: "NOPE") { settled } }`,
    expect: 'OK',
  },
  {
    name: 'alerts in an unknown currency',
    query: () =>
      `mutation { setCreditAlerts(input: { customerId: "${s.victim.id}", currency: "NOPE", thresholds: ["1"] }) }`,
    expect: 'BAD_USER_INPUT',
  },
  // impossible dates
  { name: 'February 30', ...grant(() => ({ expiresAt: '2099-02-30T00:00:00Z' })), expect: 'BAD_USER_INPUT' },
  {
    name: 'February 29 of a common year',
    ...grant(() => ({ expiresAt: '2099-02-29T00:00:00Z' })),
    expect: 'BAD_USER_INPUT',
  },
  { name: 'month 13', ...grant(() => ({ expiresAt: '2099-13-01T00:00:00Z' })), expect: 'BAD_USER_INPUT' },
  { name: 'hour 24', ...grant(() => ({ expiresAt: '2099-01-01T24:00:00Z' })), expect: 'BAD_USER_INPUT' },
  {
    name: 'date without offset',
    ...grant(() => ({ expiresAt: '2099-01-01T00:00:00' })),
    expect: 'BAD_USER_INPUT',
  },
  { name: 'year 0000', ...grant(() => ({ effectiveAt: '0000-06-01T00:00:00Z' })), expect: 'BAD_USER_INPUT' },
  {
    name: 'past year 9999 in UTC',
    ...grant(() => ({ expiresAt: '9999-12-31T23:00:00-14:00' })),
    expect: 'BAD_USER_INPUT',
  },
  { name: 'date as a number', ...grant(() => ({ expiresAt: 1_900_000_000_000 })), expect: 'BAD_USER_INPUT' },
  {
    name: 'expiry before the effective date',
    ...grant(() => ({ effectiveAt: '2099-01-02T00:00:00Z', expiresAt: '2099-01-01T00:00:00Z' })),
    expect: 'BAD_USER_INPUT',
  },
  // oversized and impossible pages
  { name: 'first: 101', ...txPage(() => 'first: 101'), expect: 'BAD_USER_INPUT' },
  { name: 'first: -1', ...txPage(() => 'first: -1'), expect: 'BAD_USER_INPUT' },
  { name: 'last: 1000', ...txPage(() => 'last: 1000'), expect: 'BAD_USER_INPUT' },
  {
    name: 'first: 2^31 (not an Int) as a literal',
    ...txPage(() => 'first: 2147483648'),
    expect: 'BAD_USER_INPUT',
  },
  // tampered and foreign cursors
  {
    name: 'tampered cursor',
    ...txPage(
      () =>
        `first: 1, after: "${s.movementCursor.slice(0, -2)}${s.movementCursor.endsWith('A') ? 'BB' : 'AA'}"`,
    ),
    expect: 'BAD_USER_INPUT',
  },
  {
    name: 'cursor of garbage',
    ...txPage(() => 'first: 1, after: "bm9wZQ.bm9wZQ"'),
    expect: 'BAD_USER_INPUT',
  },
  {
    name: 'cursor of 100 KB',
    ...txPage(() => `first: 1, after: "${'A'.repeat(100_000)}"`),
    expect: 'BAD_USER_INPUT',
  },
  {
    name: "another customer's cursor",
    query: () =>
      `{ creditTransactions(customerId: "${s.victim.id}", first: 1, after: "${s.otherMovementCursor}") { edges { cursor } } }`,
    expect: 'BAD_USER_INPUT',
  },
  {
    name: "another filter's cursor",
    ...txPage(() => `first: 1, after: "${s.currencyCursor}"`),
    expect: 'BAD_USER_INPUT',
  },
  {
    name: "another connection's cursor",
    ...txPage(() => `first: 1, after: "${s.chargeCursor}"`),
    expect: 'BAD_USER_INPUT',
  },
  {
    name: 'a movements cursor used on charges',
    customer: true,
    query: () =>
      `{ charges(customerId: "${s.victim.id}", first: 1, after: "${s.movementCursor}") { edges { cursor } } }`,
    expect: 'BAD_USER_INPUT',
  },
  // foreign ids in every argument a customer token reaches
  {
    name: 'customer(id: foreign)',
    customer: true,
    query: () => `{ customer(id: "${s.other.id}") { id } }`,
    expect: 'NOT_FOUND',
  },
  {
    name: 'customer(key: foreign)',
    customer: true,
    query: () => `{ customer(key: "${s.other.key}") { id } }`,
    expect: 'NOT_FOUND',
  },
  {
    name: 'node(foreign customer)',
    customer: true,
    query: () => `{ node(id: "${s.other.id}") { id } }`,
    expect: 'NOT_FOUND',
  },
  {
    name: 'node(foreign grant)',
    customer: true,
    query: () => `{ node(id: "${s.otherGrantId}") { id } }`,
    expect: 'NOT_FOUND',
  },
  {
    name: 'node(foreign movement)',
    customer: true,
    query: () => `{ node(id: "${s.otherMovementId}") { id } }`,
    expect: 'NOT_FOUND',
  },
  {
    name: 'node(foreign charge)',
    customer: true,
    query: () => `{ node(id: "${s.otherChargeId}") { id } }`,
    expect: 'NOT_FOUND',
  },
  {
    name: 'node(foreign invoice)',
    customer: true,
    query: () => `{ node(id: "${s.otherInvoiceId}") { id } }`,
    expect: 'NOT_FOUND',
  },
  {
    name: 'creditBalances(foreign)',
    customer: true,
    query: () => `{ creditBalances(customerId: "${s.other.id}") { settled } }`,
    expect: 'NOT_FOUND',
  },
  {
    name: 'creditGrants(foreign)',
    customer: true,
    query: () => `{ creditGrants(customerId: "${s.other.id}") { edges { cursor } } }`,
    expect: 'NOT_FOUND',
  },
  {
    name: 'creditTransactions(foreign)',
    customer: true,
    query: () => `{ creditTransactions(customerId: "${s.other.id}") { edges { cursor } } }`,
    expect: 'NOT_FOUND',
  },
  {
    name: 'charges(foreign)',
    customer: true,
    query: () => `{ charges(customerId: "${s.other.id}") { edges { cursor } } }`,
    expect: 'NOT_FOUND',
  },
  {
    name: 'invoices(foreign)',
    customer: true,
    query: () => `{ invoices(customerId: "${s.other.id}") { edges { cursor } } }`,
    expect: 'NOT_FOUND',
  },
  {
    name: 'creditBalanceChanged(foreign)',
    customer: true,
    wsOnly: true,
    query: () => `subscription { creditBalanceChanged(customerId: "${s.other.id}") { sequence } }`,
    expect: 'NOT_FOUND',
  },
  {
    name: 'creditBalanceAlerts(foreign)',
    customer: true,
    wsOnly: true,
    query: () => `subscription { creditBalanceAlerts(customerId: "${s.other.id}") { customerId } }`,
    expect: 'NOT_FOUND',
  },
  {
    name: 'a customer token granting itself credits',
    customer: true,
    ...grant(() => ({})),
    expect: 'FORBIDDEN',
  },
  {
    name: 'a customer token issuing a token for another customer',
    customer: true,
    query: () => `mutation { issueCustomerToken(customerId: "${s.other.id}") { token } }`,
    expect: 'FORBIDDEN',
  },
  // ids of the wrong kind, as admin
  {
    name: 'voidCreditGrant(movement id)',
    query: () => `mutation { voidCreditGrant(grantId: "${s.movementId}") { id } }`,
    expect: 'NOT_FOUND',
  },
  {
    name: 'correctMovement(grant id)',
    query: () => `mutation { correctMovement(input: { movementId: "${s.grantId}", reason: "r" }) { id } }`,
    expect: 'NOT_FOUND',
  },
  {
    name: 'updateInvoicePaymentStatus(grant id)',
    query: () => `mutation { updateInvoicePaymentStatus(invoiceId: "${s.grantId}", status: SETTLED) { id } }`,
    expect: 'NOT_FOUND',
  },
  {
    name: 'updateExternalSettlement(invoice id)',
    query: () => `mutation { updateExternalSettlement(grantId: "${s.invoiceId}", status: SETTLED) { id } }`,
    expect: 'NOT_FOUND',
  },
  {
    name: 'cancelSubscription(customer id)',
    query: () => `mutation { cancelSubscription(id: "${s.victim.id}") { id } }`,
    expect: 'NOT_FOUND',
  },
  {
    name: 'createSubscription(plan: customer id)',
    query: () =>
      `mutation { createSubscription(input: { customerId: "${s.victim.id}", planId: "${s.victim.id}" }) { id } }`,
    expect: 'NOT_FOUND',
  },
  {
    name: 'createCreditGrant(customer: plan id)',
    ...grant(() => ({ customerId: s.planId })),
    expect: 'NOT_FOUND',
  },
  {
    name: 'settleCharges(grant id)',
    query: () => `mutation { settleCharges(customerId: "${s.grantId}") { settledCharges } }`,
    expect: 'NOT_FOUND',
  },
  // the bombs
  {
    name: 'fragment-spread bomb, 24 levels',
    customer: true,
    query: () => fragmentBomb(24),
    expect: 'BAD_USER_INPUT',
  },
  {
    name: '1,000 aliases',
    customer: true,
    query: () => `{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: currencies { code }`).join(' ')} }`,
    expect: 'BAD_USER_INPUT',
  },
  { name: 'a 40-level-deep query', customer: true, query: () => deep(40), expect: 'BAD_USER_INPUT' },
  {
    name: '500 directives on one field',
    customer: true,
    query: () => `{ currencies ${'@include(if: true) '.repeat(500)} { code } }`,
    expect: 'BAD_USER_INPUT',
  },
  {
    name: 'connections without first, costed at their default page size',
    query: () =>
      `{ customers { edges { node { ${Array.from(
        { length: 14 },
        (_, i) => `c${i}: creditTransactions { edges { node { id } } }`,
      ).join(' ')} } } } }`,
    expect: 'BAD_USER_INPUT',
  },
  {
    name: 'a 30,000-token document',
    customer: true,
    query: () => `{ currencies { ${'code '.repeat(30_000)} } }`,
    expect: 'GRAPHQL_PARSE_FAILED',
  },
];

/** Runs a GraphQL row over HTTP. */
async function overHttp(row: GqlRow): Promise<Outcome> {
  const res = await t.raw(row.query(), row.vars?.(), row.customer ? s.token : ADMIN_KEY);
  return outcomeOf(res);
}

async function overWs(row: GqlRow): Promise<Outcome> {
  const ws = row.customer ? customerWs : adminWs;
  return outcomeOf(await wsOnce(ws.client, row.query(), row.vars?.()));
}

// ---- transport rows: HTTP ----------------------------------------------------------------------------

const post = (
  body: string | URLSearchParams | FormData,
  contentType?: string,
  token: string | null = ADMIN_KEY,
) =>
  fetch(t.url, {
    method: 'POST',
    headers: {
      ...(contentType ? { 'content-type': contentType } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body,
  });

async function httpOutcome(res: Response): Promise<Outcome> {
  const text = await res.text();
  let code = '';
  try {
    code =
      (JSON.parse(text) as { errors?: { extensions?: { code?: string } }[] }).errors?.[0]?.extensions?.code ??
      '';
  } catch {
    // not JSON
  }
  return `HTTP ${res.status}${code ? ` ${code}` : ''}`;
}

const mutation = () => `mutation { createCustomer(input: { key: "${uniq('csrf')}", name: "x" }) { id } }`;
const query = JSON.stringify({ query: '{ currencies { code } }' });

interface RawRow {
  name: string;
  run: () => Promise<Outcome>;
  expect: Outcome;
}

const httpRows: RawRow[] = [
  {
    name: 'batched array body',
    run: async () =>
      httpOutcome(
        await post(JSON.stringify([{ query: mutation() }, { query: mutation() }]), 'application/json'),
      ),
    expect: 'HTTP 400 BAD_REQUEST',
  },
  {
    name: 'mutation over GET',
    run: async () =>
      httpOutcome(
        await fetch(`${t.url}?query=${encodeURIComponent(mutation())}`, {
          headers: { authorization: `Bearer ${ADMIN_KEY}`, 'apollo-require-preflight': 'true' },
        }),
      ),
    expect: 'HTTP 405 BAD_REQUEST',
  },
  {
    name: 'text/plain post (CSRF shape)',
    run: async () => httpOutcome(await post(JSON.stringify({ query: mutation() }), 'text/plain')),
    expect: 'HTTP 400 BAD_REQUEST',
  },
  {
    name: 'form post',
    run: async () =>
      httpOutcome(
        await post(
          new URLSearchParams({ query: mutation() }).toString(),
          'application/x-www-form-urlencoded',
        ),
      ),
    expect: 'HTTP 400 BAD_REQUEST',
  },
  {
    name: 'multipart post',
    run: async () => {
      const form = new FormData();
      form.set('query', mutation());
      return httpOutcome(await post(form));
    },
    expect: 'HTTP 400 BAD_REQUEST',
  },
  {
    name: 'body over the size limit (2 MB)',
    run: async () =>
      httpOutcome(
        await post(JSON.stringify({ query: mutation(), pad: 'x'.repeat(2_000_000) }), 'application/json'),
      ),
    expect: 'HTTP 413 BAD_USER_INPUT',
  },
  {
    name: 'malformed JSON',
    run: async () => httpOutcome(await post('{"query": "{ currencies { code } }"', 'application/json')),
    expect: 'HTTP 400 BAD_REQUEST',
  },
  {
    name: 'a JSON string as the body',
    run: async () => httpOutcome(await post('"{ currencies { code } }"', 'application/json')),
    expect: 'HTTP 400 BAD_REQUEST',
  },
  {
    name: 'query as a number',
    run: async () => httpOutcome(await post(JSON.stringify({ query: 42 }), 'application/json')),
    expect: 'HTTP 400 BAD_REQUEST',
  },
  {
    name: 'variables as a string',
    run: async () =>
      httpOutcome(
        await post(JSON.stringify({ query: '{ currencies { code } }', variables: '{}' }), 'application/json'),
      ),
    expect: 'HTTP 400 BAD_REQUEST',
  },
  {
    name: 'two operations, no operationName',
    run: async () =>
      httpOutcome(
        await post(
          JSON.stringify({ query: 'query A { currencies { code } } query B { features { key } }' }),
          'application/json',
        ),
      ),
    expect: 'HTTP 400 OPERATION_RESOLUTION_FAILURE',
  },
  {
    name: 'a subscription over HTTP',
    run: async () =>
      httpOutcome(
        await post(
          JSON.stringify({
            query: `subscription { creditBalanceChanged(customerId: "${s.victim.id}") { sequence } }`,
          }),
          'application/json',
        ),
      ),
    expect: 'HTTP 400 BAD_REQUEST',
  },
  {
    name: 'no Authorization',
    run: async () => httpOutcome(await post(query, 'application/json', null)),
    expect: 'HTTP 401 UNAUTHENTICATED',
  },
  {
    name: 'customer token with ".x" appended',
    run: async () => httpOutcome(await post(query, 'application/json', `${s.token}.x`)),
    expect: 'HTTP 401 UNAUTHENTICATED',
  },
  {
    name: "a token signed for another customer's body",
    run: async () => {
      const [prefix, , sig] = s.token.split('.');
      const body = s.otherToken.split('.')[1];
      return httpOutcome(await post(query, 'application/json', `${prefix}.${body}.${sig}`));
    },
    expect: 'HTTP 401 UNAUTHENTICATED',
  },
  {
    name: 'Basic authorization',
    run: async () =>
      httpOutcome(
        await fetch(t.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Basic ${btoa('admin:x')}` },
          body: query,
        }),
      ),
    expect: 'HTTP 401 UNAUTHENTICATED',
  },
];

// ---- transport rows: WebSocket protocol abuse -------------------------------------------------------

/** Opens a raw graphql-ws socket, sends `messages` in order and resolves with its close code. */
async function wsClose(
  messages: (string | Buffer)[],
  opts: { protocol?: string; init?: boolean; token?: string } = {},
): Promise<Outcome> {
  const protocol = opts.protocol ?? 'graphql-transport-ws';
  const socket = protocol ? new WebSocket(t.wsUrl, protocol) : new WebSocket(t.wsUrl);
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
  socket.on('error', () => undefined);
  const opened = await Promise.race([
    new Promise<boolean>((resolve) => socket.once('open', () => resolve(true))),
    closed.then(() => false),
  ]);
  if (opened) {
    if (opts.init) {
      const ack = new Promise((resolve) => socket.once('message', resolve));
      socket.send(
        JSON.stringify({
          type: 'connection_init',
          payload: { authorization: `Bearer ${opts.token ?? ADMIN_KEY}` },
        }),
      );
      await ack;
    }
    for (const m of messages) socket.send(m);
  }
  return `WS ${await closed}`;
}

const sub = (id: string) =>
  JSON.stringify({
    id,
    type: 'subscribe',
    payload: { query: `subscription { creditBalanceChanged(customerId: "${s.victim.id}") { sequence } }` },
  });

const wsRows: RawRow[] = [
  { name: 'subscribe before connection_init', run: () => wsClose([sub('1')]), expect: 'WS 4401' },
  { name: 'a message that is not JSON', run: () => wsClose(['{nope'], { init: true }), expect: 'WS 4400' },
  {
    name: 'an unknown message type',
    run: () => wsClose([JSON.stringify({ type: 'hack' })], { init: true }),
    expect: 'WS 4400',
  },
  {
    name: 'a binary frame',
    run: () => wsClose([Buffer.from([0, 159, 146, 150])], { init: true }),
    expect: 'WS 4400',
  },
  {
    name: 'two subscriptions with one id',
    run: () => wsClose([sub('dup'), sub('dup')], { init: true }),
    expect: 'WS 4409',
  },
  {
    name: 'a second connection_init',
    run: () => wsClose([JSON.stringify({ type: 'connection_init', payload: {} })], { init: true }),
    expect: 'WS 4429',
  },
  {
    name: 'subscribe without a query',
    run: () => wsClose([JSON.stringify({ id: '1', type: 'subscribe', payload: {} })], { init: true }),
    expect: 'WS 4400',
  },
  {
    name: 'subscribe with a numeric id',
    run: () =>
      wsClose([JSON.stringify({ id: 1, type: 'subscribe', payload: { query: '{ currencies { code } }' } })], {
        init: true,
      }),
    expect: 'WS 4400',
  },
  {
    name: 'connection_init with an array payload',
    run: () => wsClose([JSON.stringify({ type: 'connection_init', payload: [1] })]),
    expect: 'WS 4400',
  },
  {
    name: 'connection_init with a forged token',
    run: () =>
      wsClose([
        JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${s.token}.x` } }),
      ]),
    expect: 'WS 4403',
  },
  {
    name: 'a frame over the message size limit (300 KB)',
    run: () => wsClose([JSON.stringify({ type: 'connection_init', payload: { pad: 'x'.repeat(300_000) } })]),
    expect: 'WS 1009',
  },
  {
    // the handshake settles on no subprotocol, so the client never gets a connection
    name: 'an unknown subprotocol',
    run: () => wsClose([], { protocol: 'graphql-ws-evil' }),
    expect: 'WS 1006',
  },
  {
    name: 'no subprotocol',
    run: () => wsClose([JSON.stringify({ type: 'connection_init' })], { protocol: '' }),
    expect: 'WS 4406',
  },
];

describe('hostile inputs, each with its expected answer', () => {
  describe.each(gqlRows.filter((r) => !r.wsOnly))('HTTP: $name', (row) => {
    it(`answers ${row.expect}`, async () => {
      expect(await overHttp(row)).toBe(row.expect);
    });
  });
  describe.each(gqlRows)('WebSocket: $name', (row) => {
    it(`answers ${row.expect}`, async () => {
      expect(await overWs(row)).toBe(row.expect);
    });
  });
  describe.each(httpRows)('HTTP transport: $name', (row) => {
    it(`answers ${row.expect}`, async () => {
      expect(await row.run()).toBe(row.expect);
    });
  });
  describe.each(wsRows)('WebSocket protocol: $name', (row) => {
    it(`closes with ${row.expect}`, async () => {
      expect(await row.run()).toBe(row.expect);
    });
  });

  it('leaves the ledgers and every table as they were', async () => {
    expect(await snapshot()).toEqual(before);
    const checked = await checkLedgerInvariants([s.victim.id, s.other.id]);
    expect(checked.movements).toBeGreaterThan(0);
    // and the server still answers both transports
    expect(
      codeOf(await t.raw(`{ customer(id: "${s.victim.id}") { id } }`, undefined, s.token)),
    ).toBeUndefined();
    const ok = await wsOnce<{ customer: { id: string } }>(
      customerWs.client,
      `{ customer(id: "${s.victim.id}") { id } }`,
    );
    expect(ok.data?.customer.id).toBe(s.victim.id);
  });

  it('has at least 40 rows', () => {
    const cases = gqlRows.filter((r) => !r.wsOnly).length + gqlRows.length + httpRows.length + wsRows.length;
    expect(cases).toBeGreaterThanOrEqual(40);
  });
});
