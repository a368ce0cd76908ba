/**
 * SPEC §13 "settlement of 10k customers' open charges": CUSTOMERS customers, each with a subscription, a
 * promotional grant and one open usage charge, then ONE settleCharges mutation (all customers) is timed.
 * Prints movements booked/s = settledCharges / seconds of that mutation, and the setup time.
 *
 * Setup: customers, their subject keys and subscriptions are inserted with multi-row SQL (SETTLE_SETUP=sql,
 * the default) or created over GraphQL (SETTLE_SETUP=graphql); grants always go through GraphQL
 * createCreditGrant so the ledger is built by the application; usage goes through ingestUsage.
 *
 * Env: SETTLE_CUSTOMERS (10000), SETTLE_EVENTS_PER_CUSTOMER (1), SETTLE_SETUP (sql|graphql),
 *      SETTLE_CONCURRENCY (16, setup requests in flight).
 */
import 'reflect-metadata';
import { Client } from 'pg';
import { IdPrefix, newId } from '../src/core/ids';
import {
  CURRENCY,
  EVENT_TYPE,
  INGEST_MUTATION,
  cpuMeter,
  createCustomers,
  envInt,
  fmt,
  ms,
  now,
  pool,
  rejectionCodes,
  result,
  setupCatalog,
  withBenchApp,
  type BenchCustomer,
  type GqlClient,
  type IngestAnswer,
} from './lib';

const CUSTOMERS = envInt('SETTLE_CUSTOMERS', 10_000);
const EVENTS_PER_CUSTOMER = Math.max(1, envInt('SETTLE_EVENTS_PER_CUSTOMER', 1));
const CONCURRENCY = envInt('SETTLE_CONCURRENCY', 16);
const SETUP = process.env.SETTLE_SETUP ?? 'sql';
const BATCH = 500;
const GRANT_AMOUNT = '1000.00';

/** Customers, subjects and subscriptions with multi-row inserts (1,000 customers per statement). */
async function insertCustomersSql(dbUrl: string, n: number, planId: string): Promise<BenchCustomer[]> {
  const pg = new Client({ connectionString: dbUrl });
  await pg.connect();
  try {
    const customers: BenchCustomer[] = [];
    const activeFrom = new Date(Date.now() - 3600_000).toISOString();
    await pg.query('begin');
    for (let from = 0; from < n; from += 1000) {
      const chunk: BenchCustomer[] = [];
      for (let i = from; i < Math.min(n, from + 1000); i++)
        chunk.push({ id: newId(IdPrefix.Customer), key: `cust-${i}` });
      const subs = chunk.map(() => newId(IdPrefix.Subscription));
      await pg.query(
        `insert into customer (id, key, name) select id, key, 'Customer ' || key from unnest($1::text[], $2::text[]) as t(id, key)`,
        [chunk.map((c) => c.id), chunk.map((c) => c.key)],
      );
      await pg.query(
        `insert into customer_subject (subject_key, customer_id) select * from unnest($1::text[], $2::text[])`,
        [chunk.map((c) => c.key), chunk.map((c) => c.id)],
      );
      await pg.query(
        `insert into subscription (id, customer_id, plan_id, plan_key, active_from)
         select s, c, p.id, p.key, $3::timestamptz from unnest($1::text[], $2::text[]) as t(s, c), plan p where p.id = $4`,
        [subs, chunk.map((c) => c.id), activeFrom, planId],
      );
      customers.push(...chunk);
    }
    await pg.query('commit');
    return customers;
  } finally {
    await pg.end();
  }
}

async function createGrants(gql: GqlClient, customers: BenchCustomer[]): Promise<void> {
  await pool(customers.length, CONCURRENCY, async (i) => {
    await gql.request(`mutation($i:CreateCreditGrantInput!){createCreditGrant(input:$i){id}}`, {
      i: {
        customerId: customers[i]!.id,
        currency: CURRENCY,
        amount: GRANT_AMOUNT,
        fundingMethod: 'PROMOTIONAL',
        name: 'bench credit',
      },
    });
  });
}

void withBenchApp('settle', async ({ gql, db, queries }) => {
  console.log(
    `settle: ${CUSTOMERS} customers, ${EVENTS_PER_CUSTOMER} event(s) each, setup via ${SETUP === 'graphql' ? 'GraphQL' : 'SQL (customers, subscriptions) + GraphQL (grants)'}`,
  );
  const setupStart = now();
  const planId = await setupCatalog(gql);

  let t = now();
  let customers: BenchCustomer[];
  if (SETUP === 'graphql') {
    customers = await createCustomers(gql, {
      n: CUSTOMERS,
      planId,
      grantAmount: GRANT_AMOUNT,
      concurrency: CONCURRENCY,
    });
    const s = ms(t) / 1000;
    console.log(
      `setup: ${CUSTOMERS} customers + subscriptions + grants over GraphQL in ${fmt(s, 2)} s (${fmt((3 * CUSTOMERS) / s)} mutations/s)`,
    );
  } else {
    customers = await insertCustomersSql(db.url, CUSTOMERS, planId);
    console.log(`setup: ${CUSTOMERS} customers + subscriptions via SQL in ${fmt(ms(t) / 1000, 2)} s`);
    t = now();
    queries.reset();
    const cpu = cpuMeter();
    await createGrants(gql, customers);
    const s = ms(t) / 1000;
    const cpuLine = cpu.stop();
    console.log(
      `setup: ${CUSTOMERS} grants via createCreditGrant (${CONCURRENCY} in flight) in ${fmt(s, 2)} s (${fmt(CUSTOMERS / s)} grants/s)`,
    );
    console.log(`  ${cpuLine}`);
    queries.print('  createCreditGrant issued', CUSTOMERS, 'grant', 20);
  }

  // usage: batches of 500 events, each customer getting EVENTS_PER_CUSTOMER events → one open charge each
  t = now();
  const total = CUSTOMERS * EVENTS_PER_CUSTOMER;
  const batches = Math.ceil(total / BATCH);
  let accepted = 0;
  const rejected: Record<string, number> = {};
  await pool(batches, 8, async (b) => {
    const events = [];
    for (let j = b * BATCH; j < Math.min(total, (b + 1) * BATCH); j++) {
      events.push({
        id: `s-${j}`,
        subject: customers[Math.floor(j / EVENTS_PER_CUSTOMER)]!.key,
        type: EVENT_TYPE,
      });
    }
    const r = await gql.request<IngestAnswer>(INGEST_MUTATION, { e: events });
    accepted += r.ingestUsage.accepted;
    rejectionCodes(r.ingestUsage.rejected, rejected);
  });
  console.log(
    `setup: ${total} events in ${batches} batches in ${fmt(ms(t) / 1000, 2)} s (accepted ${accepted}, rejected ${JSON.stringify(rejected)})`,
  );

  const pg = new Client({ connectionString: db.url });
  await pg.connect();
  try {
    const open = await pg.query<{ n: string; customers: string }>(
      `select count(*) as n, count(distinct customer_id) as customers from charge where status = 'OPEN' and amount <> booked`,
    );
    const setupSeconds = ms(setupStart) / 1000;
    console.log(
      `setup total: ${fmt(setupSeconds, 2)} s; open charges with unbooked amounts: ${open.rows[0]!.n} (${open.rows[0]!.customers} customers)`,
    );
    await pg.query('vacuum analyze');

    // the measured part: one settleCharges over every customer (about 3 s: the stand-in held, see lib.ts)
    const { r, seconds, cpuLine } = await db.withoutStandIn(async () => {
      queries.reset();
      const cpu = cpuMeter();
      const t0 = now();
      const answer = await gql.request<{ settleCharges: { settledCharges: number } }>(
        `mutation{settleCharges{settledCharges}}`,
      );
      return { r: answer, seconds: ms(t0) / 1000, cpuLine: cpu.stop() };
    });
    const settled = r.settleCharges.settledCharges;

    const check = await pg.query<{ consumed: string; open: string; ledgers: string }>(
      `select (select count(*) from movement where type = 'CONSUMED') as consumed,
              (select count(*) from charge where status = 'OPEN' and amount <> booked) as open,
              (select count(distinct ledger_id) from movement where type = 'CONSUMED') as ledgers`,
    );
    const c = check.rows[0]!;
    console.log('');
    console.log(`settleCharges      ${settled} charges settled in ${fmt(seconds, 2)} s (one mutation)`);
    console.log(`movements booked/s ${fmt(settled / seconds)}`);
    console.log(`${cpuLine}`);
    console.log(
      `check              CONSUMED movements ${c.consumed} on ${c.ledgers} ledgers; charges still unbooked ${c.open}`,
    );
    console.log(`setup time         ${fmt(setupSeconds, 2)} s`);
    console.log('');
    // counted on the app's ORM connection only (the checks above use their own client)
    queries.print('settleCharges issued', Math.max(1, settled), 'settled charge');
    result('settle_movements_per_s', settled / seconds);
    result('settle_seconds', seconds);
    result('settle_settled_charges', settled);
    result('settle_setup_seconds', setupSeconds);
  } finally {
    await pg.end();
  }
});
