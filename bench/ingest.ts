/**
 * SPEC §13 "usage ingest over GraphQL, batches of 500": CLIENTS concurrent HTTP clients send ingestUsage
 * batches of BATCH events, spread across CUSTOMERS customers (subject = customer key), for SECONDS seconds
 * (and at most MAX_BATCHES batches per client). Prints events accepted/s, batches/s and batch latency.
 *
 * Env: INGEST_CUSTOMERS (200), INGEST_CLIENTS (8), INGEST_BATCH (500), INGEST_SECONDS (20),
 *      INGEST_MAX_BATCHES (per client, 2000), INGEST_PARTITION (0: every batch spreads over all customers;
 *      1: each client owns a disjoint slice of the customers).
 */
import 'reflect-metadata';
import {
  INGEST_MUTATION,
  cpuMeter,
  createCustomers,
  envInt,
  fmt,
  ms,
  now,
  percentile,
  rejectionCodes,
  result,
  setupCatalog,
  withBenchApp,
  EVENT_TYPE,
  type IngestAnswer,
} from './lib';

const CUSTOMERS = envInt('INGEST_CUSTOMERS', 200);
const CLIENTS = envInt('INGEST_CLIENTS', 8);
const BATCH = envInt('INGEST_BATCH', 500);
const SECONDS = envInt('INGEST_SECONDS', 20);
const MAX_BATCHES = envInt('INGEST_MAX_BATCHES', 2000);
const PARTITION = envInt('INGEST_PARTITION', 0) === 1;

void withBenchApp('ingest', async ({ gql, queries }) => {
  console.log(
    `ingest: ${CUSTOMERS} customers, ${CLIENTS} clients, batches of ${BATCH}, ${SECONDS}s ` +
      `(at most ${MAX_BATCHES} batches per client), ${PARTITION ? 'each client on its own customers' : 'every batch spread over all customers'}`,
  );
  const setupStart = now();
  const planId = await setupCatalog(gql);
  const customers = await createCustomers(gql, {
    n: CUSTOMERS,
    planId,
    grantAmount: '1000000.00',
    concurrency: 16,
  });
  console.log(
    `setup: ${CUSTOMERS} customers with subscription + grant in ${fmt(ms(setupStart) / 1000, 2)} s`,
  );

  // warm-up: one small batch per client (JIT, connection pool, prepared plans); not counted
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      const events = Array.from({ length: 10 }, (_, i) => ({
        id: `warm-${c}-${i}`,
        subject: customers[(c * 10 + i) % customers.length]!.key,
        type: EVENT_TYPE,
      }));
      await gql.request<IngestAnswer>(INGEST_MUTATION, { e: events });
    }),
  );

  queries.reset();
  const cpu = cpuMeter();
  const latencies: number[] = [];
  let sent = 0;
  let accepted = 0;
  let duplicates = 0;
  const rejected: Record<string, number> = {};
  const errors: string[] = [];
  const start = now();
  const deadline = Date.now() + SECONDS * 1000;

  const client = async (c: number) => {
    // the customers this client sends for
    const mine = PARTITION
      ? customers.filter((_, i) => i % CLIENTS === c)
      : customers.slice(c % customers.length).concat(customers.slice(0, c % customers.length));
    let cursor = 0;
    for (let b = 0; b < MAX_BATCHES && Date.now() < deadline; b++) {
      const events = new Array(BATCH);
      for (let i = 0; i < BATCH; i++) {
        events[i] = { id: `e-${c}-${b}-${i}`, subject: mine[cursor % mine.length]!.key, type: EVENT_TYPE };
        cursor++;
      }
      const t = now();
      try {
        const r = await gql.request<IngestAnswer>(INGEST_MUTATION, { e: events });
        latencies.push(ms(t));
        sent += BATCH;
        accepted += r.ingestUsage.accepted;
        duplicates += r.ingestUsage.duplicates;
        rejectionCodes(r.ingestUsage.rejected, rejected);
      } catch (e) {
        latencies.push(ms(t));
        sent += BATCH;
        errors.push((e as Error).message);
        if (errors.length > 20) throw new Error(`too many failed batches; first: ${errors[0]}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
  const seconds = ms(start) / 1000;
  const cpuLine = cpu.stop();

  const batches = latencies.length;
  console.log('');
  console.log(`batches            ${batches} (${sent} events) in ${fmt(seconds, 2)} s`);
  console.log(`events accepted/s  ${fmt(accepted / seconds)}`);
  console.log(`batches/s          ${fmt(batches / seconds, 2)}`);
  console.log(
    `batch latency      p50 ${fmt(percentile(latencies, 50))} ms, p99 ${fmt(percentile(latencies, 99))} ms, max ${fmt(Math.max(...latencies))} ms`,
  );
  console.log(
    `accepted == sent   ${accepted === sent ? 'yes' : 'NO'} (accepted ${accepted}, duplicates ${duplicates}, ` +
      `rejected ${JSON.stringify(rejected)}, failed batches ${errors.length})`,
  );
  if (errors.length > 0) console.log(`first failure: ${errors[0]}`);
  console.log(cpuLine);
  console.log('');
  queries.print('ingestUsage issued', Math.max(1, batches), 'batch', 16);
  result('ingest_events_per_s', accepted / seconds);
  result('ingest_batches_per_s', batches / seconds);
  result('ingest_p50_ms', percentile(latencies, 50));
  result('ingest_p99_ms', percentile(latencies, 99));
  result('ingest_accepted_equals_sent', accepted === sent ? 1 : 0);
});
