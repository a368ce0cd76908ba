/* eslint-disable no-console */
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config';
import { loadProgramsStory } from './demo-programs';

/**
 * `npm run demo`: loads the "get started with prepaid credits" story into a running server through its
 * public API. Safe to run twice: every step is idempotent (existing objects are reused, event ids and the
 * grant's idempotency key make repeats no-ops).
 */
const config = loadConfig();
const url = process.env.DRAWDOWN_URL ?? `http://localhost:${config.port}/graphql`;
const keyFile = path.join(config.dataDir, 'admin-api-key');
const key =
  process.env.DRAWDOWN_API_KEY ??
  config.apiKeys[0] ??
  (fs.existsSync(keyFile) ? fs.readFileSync(keyFile, 'utf8').trim() : undefined);

type Gql = { data?: Record<string, unknown>; errors?: { message: string; extensions?: { code?: string } }[] };

async function gql(
  query: string,
  variables: Record<string, unknown> = {},
  tolerate: string[] = [],
  token: string | undefined = key,
): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as Gql;
  const err = body.errors?.[0];
  if (err && !tolerate.includes(err.extensions?.code ?? ''))
    throw new Error(`${err.extensions?.code}: ${err.message}`);
  return body.data ?? {};
}

async function main(): Promise<void> {
  if (!key)
    throw new Error(
      `no admin key: set DRAWDOWN_API_KEY, DRAWDOWN_API_KEYS, or start the server once so ${keyFile} exists`,
    );
  console.log(`loading the demo into ${url}`);
  await gql(`mutation { createCurrency(input: { code: "USD", name: "US Dollar" }) { id } }`, {}, [
    'CONFLICT',
  ]);
  await gql(
    `mutation { createFeature(input: { key: "api_requests", name: "API requests", unit: "request",
       eventType: "api_request", aggregation: COUNT }) { id } }`,
    {},
    ['CONFLICT'],
  );
  let plan = (await gql(`{ plan(key: "starter") { id status } }`)).plan as {
    id: string;
    status: string;
  } | null;
  if (!plan) {
    plan = (
      await gql(`mutation { createPlan(input: { key: "starter", name: "Starter", currency: "USD", settlementMode: CREDIT_ONLY,
        rateCards: [{ featureKey: "api_requests", price: { model: UNIT, unitAmount: "0.10" } }] }) { id status } }`)
    ).createPlan as { id: string; status: string };
  }
  if (plan.status === 'DRAFT')
    await gql(`mutation($id: ID!) { publishPlan(id: $id) { id } }`, { id: plan.id });
  let customer = (await gql(`{ customer(key: "acme") { id } }`)).customer as { id: string } | null;
  customer ??= (
    await gql(
      `mutation { createCustomer(input: { key: "acme", name: "Acme Inc", email: "billing@acme.test" }) { id } }`,
    )
  ).createCustomer as { id: string };
  await gql(
    `mutation($c: ID!, $p: ID!) { createSubscription(input: { customerId: $c, planId: $p }) { id } }`,
    { c: customer.id, p: plan.id },
    ['CONFLICT'],
  );
  await gql(
    `mutation($c: ID!) { createCreditGrant(input: { customerId: $c, currency: "USD", amount: "100", fundingMethod: PROMOTIONAL,
       name: "Welcome credits", idempotencyKey: "demo-welcome-credits" }) { id } }`,
    { c: customer.id },
  );
  const events = Array.from({ length: 30 }, (_, i) => ({
    id: `demo-acme-${i + 1}`,
    subject: 'acme',
    type: 'api_request',
  }));
  const ingest = (
    await gql(`mutation($e: [UsageEventInput!]!) { ingestUsage(events: $e) { accepted duplicates } }`, {
      e: events,
    })
  ).ingestUsage as { accepted: number; duplicates: number };
  const pending = (
    await gql(`query($c: ID!) { creditBalances(customerId: $c) { settled pending } }`, { c: customer.id })
  ).creditBalances as { settled: string; pending: string }[];
  console.log(
    `usage: ${ingest.accepted} accepted, ${ingest.duplicates} duplicates; balance before settlement:`,
    pending[0],
  );
  await gql(`mutation($c: ID) { settleCharges(customerId: $c) { settledCharges } }`, { c: customer.id });
  const after = (
    await gql(`query($c: ID!) { creditBalances(customerId: $c) { settled pending } }`, { c: customer.id })
  ).creditBalances as { settled: string; pending: string }[];
  console.log('balance after settlement:', after[0]);
  console.log(
    `\ncustomer id: ${customer.id}\nsee README.md ("The demo") for the queries to look at its balance and history.`,
  );
  console.log('\nthe prepaid-plan story (credit programs):');
  await loadProgramsStory(gql);
}

main().catch((e: unknown) => {
  console.error(`demo failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
