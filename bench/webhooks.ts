/* Webhook delivery benchmark (SPEC §15): EVENTS events fanned out to RECEIVERS local receivers, and the
 * API's own latency while they are delivered, as a ratio to the same probe measured just before.
 *
 * The server runs in this process (startDrawdown, as the other benchmarks); the receivers run on a worker
 * thread (their own event loop), answer 200 at once and verify every SAMPLE-th request's signature with
 * the `standardwebhooks` package. Every receiver's endpoint subscribes to `credit_balance.updated`; the
 * events are recorded with `recordWebhookEvents` in transactions of BATCH, as the ledger does, so EVENTS
 * events make EVENTS × RECEIVERS deliveries. The probe is PROBE_CLIENTS clients reading one page of
 * customers (a real query through Apollo, the ORM and PostgreSQL) back to back.
 * Prints figures only; run with `npm run build && npx swc bench -d dist -q && node dist/bench/webhooks.js`.
 */
import 'reflect-metadata';
import { Worker } from 'node:worker_threads';
import { recordWebhookEvents, type WebhookEventInput } from '../src/modules/webhooks';
import { fmt, percentile, withBenchApp, type BenchApp } from './lib';

const EVENTS = Number(process.env.WEBHOOK_EVENTS ?? 10_000);
const RECEIVERS = Number(process.env.WEBHOOK_RECEIVERS ?? 10);
const BATCH = Number(process.env.WEBHOOK_BATCH ?? 500);
const SAMPLE = Number(process.env.WEBHOOK_VERIFY_EVERY ?? 100);
const PROBE_CLIENTS = Number(process.env.WEBHOOK_PROBE_CLIENTS ?? 4);
const PROBE_SECONDS = Number(process.env.WEBHOOK_PROBE_SECONDS ?? 5);
const CONCURRENCY = process.env.WEBHOOK_CONCURRENCY ?? '10';

// the receivers: RECEIVERS servers on 127.0.0.1, counting requests and verifying a sample of signatures
const RECEIVER_SOURCE = `
const http = require('node:http');
const { parentPort, workerData } = require('node:worker_threads');
const { Webhook } = require(workerData.standardwebhooks);
const secrets = new Map();
let received = 0, verified = 0, badSignatures = 0;
const servers = [];
parentPort.on('message', (m) => {
  if (m.type === 'secret') secrets.set(m.port, new Webhook(m.secret));
  if (m.type === 'count') parentPort.postMessage({ type: 'count', received, verified, badSignatures });
  if (m.type === 'close') for (const s of servers) { s.closeAllConnections(); s.close(); }
});
let ready = 0;
for (let i = 0; i < workerData.receivers; i++) {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received++;
      if (received % workerData.sample === 0) {
        try {
          secrets.get(server.address().port).verify(Buffer.concat(chunks).toString('utf8'), req.headers);
          verified++;
        } catch { badSignatures++; }
      }
      res.writeHead(200);
      res.end();
    });
  });
  server.keepAliveTimeout = 30000;
  server.listen(0, '127.0.0.1', () => {
    servers.push(server);
    if (++ready === workerData.receivers)
      parentPort.postMessage({ type: 'ready', ports: servers.map((s) => s.address().port) });
  });
}
`;

interface Counts {
  received: number;
  verified: number;
  badSignatures: number;
}

async function probe(b: BenchApp, until: () => boolean): Promise<{ perS: number; p50: number; p99: number }> {
  const lat: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: PROBE_CLIENTS }, async () => {
      while (!until()) {
        const t0 = performance.now();
        await b.gql.request(`{ customers(first: 20) { edges { node { id key name } } } }`);
        lat.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { perS: lat.length / seconds, p50: percentile(lat, 50), p99: percentile(lat, 99) };
}

async function main(b: BenchApp): Promise<void> {
  const worker = new Worker(RECEIVER_SOURCE, {
    eval: true,
    workerData: {
      receivers: RECEIVERS,
      sample: SAMPLE,
      standardwebhooks: require.resolve('standardwebhooks'),
    },
  });
  const ports = await new Promise<number[]>((resolve) =>
    worker.on('message', (m: { type: string; ports?: number[] }) => m.type === 'ready' && resolve(m.ports!)),
  );
  const counts = () =>
    new Promise<Counts>((resolve) => {
      const on = (m: Counts & { type: string }) => {
        if (m.type !== 'count') return;
        worker.off('message', on);
        resolve(m);
      };
      worker.on('message', on);
      worker.postMessage({ type: 'count' });
    });
  try {
    for (let i = 0; i < 40; i++) {
      await b.gql.request(`mutation ($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }`, {
        i: { key: `wh_bench_${i}`, name: `Customer ${i}` },
      });
    }
    // the baseline: the API with no webhook work at all
    const baseEnd = Date.now() + PROBE_SECONDS * 1000;
    const base = await probe(b, () => Date.now() >= baseEnd);
    console.log(
      `baseline API probe (${PROBE_CLIENTS} clients, no webhooks): ${fmt(base.perS)} reads/s, ` +
        `p50 ${fmt(base.p50, 2)} ms, p99 ${fmt(base.p99, 2)} ms`,
    );

    for (const port of ports) {
      const res = await b.gql.request<{ createWebhookEndpoint: { secret: string } }>(
        `mutation ($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { secret } }`,
        { i: { url: `http://127.0.0.1:${port}/hook`, eventTypes: ['credit_balance.updated'] } },
      );
      worker.postMessage({ type: 'secret', port, secret: res.createWebhookEndpoint.secret });
    }

    const expected = EVENTS * RECEIVERS;
    let done = false;
    const t0 = performance.now();
    let recordMs = 0;
    const recording = (async () => {
      for (let i = 0; i < EVENTS; i += BATCH) {
        const events: WebhookEventInput[] = Array.from({ length: Math.min(BATCH, EVENTS - i) }, (_, k) => ({
          type: 'credit_balance.updated',
          customerId: 'cus_bench',
          occurredAt: new Date(),
          data: { customerId: 'cus_bench', movement: { id: `mov_${i + k}`, amount: '-1.00' } },
        }));
        await b.app.orm.em.fork().transactional((em) => recordWebhookEvents(em, events));
      }
      recordMs = performance.now() - t0;
    })();
    const during = probe(b, () => done);
    during.catch(() => undefined); // interrupted: the server stops under the probe; drop the database anyway
    let last: Counts = { received: 0, verified: 0, badSignatures: 0 };
    let lastLog = performance.now();
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      last = await counts();
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        console.log(`  ... ${last.received} of ${expected} delivered`);
      }
      if (last.received >= expected) break;
    }
    const deliverMs = performance.now() - t0;
    done = true;
    await recording;
    const load = await during;
    const row = (
      await b.app.orm.em
        .fork()
        .execute<{ n: string }[]>(
          `select count(*)::text as n from webhook_delivery where status = 'SUCCEEDED'`,
        )
    )[0];
    console.log(
      `recorded ${EVENTS} events (${expected} deliveries) in ${fmt(recordMs / 1000, 2)} s; ` +
        `all received in ${fmt(deliverMs / 1000, 2)} s`,
    );
    console.log(
      `receivers: ${last.received} requests, ${last.verified} sampled signatures verified, ` +
        `${last.badSignatures} bad; deliveries SUCCEEDED in the log: ${row?.n}`,
    );
    console.log(
      `API probe while delivering: ${fmt(load.perS)} reads/s, p50 ${fmt(load.p50, 2)} ms, p99 ${fmt(load.p99, 2)} ms`,
    );
    console.log(`RESULT webhook_deliveries_per_s=${(expected / (deliverMs / 1000)).toFixed(1)}`);
    console.log(`RESULT webhook_events_recorded_per_s=${(EVENTS / (recordMs / 1000)).toFixed(1)}`);
    console.log(`RESULT webhook_bad_signatures=${last.badSignatures}`);
    console.log(`RESULT webhook_api_base_p50_ms=${base.p50.toFixed(2)}`);
    console.log(`RESULT webhook_api_load_p50_ms=${load.p50.toFixed(2)}`);
    console.log(`RESULT webhook_api_p50_ratio=${(load.p50 / base.p50).toFixed(2)}`);
    console.log(`RESULT webhook_api_p99_ratio=${(load.p99 / base.p99).toFixed(2)}`);
    console.log(`RESULT webhook_api_reads_ratio=${(load.perS / base.perS).toFixed(2)}`);
  } finally {
    worker.postMessage({ type: 'close' });
    await worker.terminate();
  }
}

void withBenchApp('webhooks', main, {
  DRAWDOWN_WEBHOOK_ALLOW_PRIVATE: 'true',
  DRAWDOWN_WEBHOOK_CONCURRENCY: CONCURRENCY,
});
