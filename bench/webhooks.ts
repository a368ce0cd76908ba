/* Webhook delivery benchmark (SPEC §15): EVENTS events fanned out to RECEIVERS local receivers, and the
 * API's own latency while they are delivered, as a ratio to the same probe measured just before.
 *
 * Laid out as a deployment is: the API server (`node src/main.js`, DRAWDOWN_ROLE=api) and the delivery
 * worker (DRAWDOWN_ROLE=worker, which lowers its CPU priority by DRAWDOWN_WORKER_NICE) are processes of
 * their own, and the receivers (bench/webhook-receivers.ts) run in a third; this process only drives the
 * load. WEBHOOK_SPLIT=0 runs one server process with DRAWDOWN_ROLE=all instead (API and delivery sharing
 * an event loop), for comparison. Every receiver's endpoint subscribes to `credit_balance.updated`; the
 * events are recorded with `recordWebhookEvents` in transactions of BATCH from this process (on its own
 * connection, as the ledger would inside its transactions), so EVENTS events make EVENTS × RECEIVERS
 * deliveries. The probe offers PROBE_RATE reads per second of one page of customers, open-loop (see
 * `probe`), before the events (the baseline) and while they are delivered.
 * Prints figures only; run with `npm run build && npx swc bench -d dist -q && node dist/bench/webhooks.js`.
 */
import 'reflect-metadata';
import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openOrm, type Orm } from '../src/db/orm';
import { allEntities } from '../src/modules';
import { recordWebhookEvents, type WebhookEventInput } from '../src/modules/webhooks';
import { API_KEY, createScratchDatabase, fmt, gqlClient, openLoopLoad, percentile } from './lib';

const EVENTS = Number(process.env.WEBHOOK_EVENTS ?? 10_000);
const RECEIVERS = Number(process.env.WEBHOOK_RECEIVERS ?? 10);
const BATCH = Number(process.env.WEBHOOK_BATCH ?? 500);
const WARMUP = Number(process.env.WEBHOOK_WARMUP_EVENTS ?? 1_000);
const PROBE_RATE = Number(process.env.WEBHOOK_PROBE_RATE ?? 100);
const PROBE_SECONDS = Number(process.env.WEBHOOK_PROBE_SECONDS ?? 5);
const CONCURRENCY = process.env.WEBHOOK_CONCURRENCY ?? '10';
const SPLIT = process.env.WEBHOOK_SPLIT !== '0';
const RECEIVER_NICE = Number(process.env.WEBHOOK_RECEIVER_NICE ?? 10);
const MAIN = path.join(__dirname, '../src/main.js');

interface Counts {
  received: number;
  verified: number;
  badSignatures: number;
}

interface Server {
  child: ChildProcess;
  /** The API's /graphql URL (empty for a worker). */
  url: string;
  stop(): Promise<void>;
}

/** `node src/main.js` with `env`, resolved once it prints that it is ready. */
function startServer(name: string, env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), 25_000);
    await exited;
    clearTimeout(force);
  };
  return new Promise<Server>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Drawdown (worker )?ready in \d+ ms(?: at (\S+))?/.exec(out);
      if (m) resolve({ child, url: m[2] ?? '', stop });
    });
    child.once('exit', (code) =>
      reject(new Error(`${name} exited (${code}) before it was ready:\n${stderr}`)),
    );
  });
}

function startReceivers(): Promise<{ child: ChildProcess; ports: number[] }> {
  const child = fork(path.join(__dirname, 'webhook-receivers.js'), [], {
    env: { ...process.env, WEBHOOK_RECEIVERS: String(RECEIVERS) },
  });
  // the receivers stand for other companies' machines: at a lower priority, so that on this one machine
  // they do not take the API's CPU (RECEIVER_NICE, default 10; 0 leaves them as they are)
  if (RECEIVER_NICE > 0) os.setPriority(child.pid!, RECEIVER_NICE);
  return new Promise((resolve, reject) => {
    child.on('message', (m: { type: string; ports?: number[] }) => {
      if (m.type === 'ready') resolve({ child, ports: m.ports! });
    });
    child.once('exit', (code) => reject(new Error(`receivers exited (${code})`)));
  });
}

const PROBE_QUERY = { query: `{ customers(first: 20) { edges { node { id key name } } } }` };

/**
 * The API's own latency: PROBE_RATE reads per second of one page of customers (a real query through the
 * GraphQL pipeline, the ORM and PostgreSQL), offered open-loop from a worker thread in windows of
 * PROBE_SECONDS until `until()` holds, each latency counted from its scheduled instant. Open-loop, because
 * the question is how long the API's users wait while deliveries run, not how much more the probe itself
 * could take away from the delivery worker.
 */
interface ProbeWindow {
  /** When the window began (performance.now()). */
  at: number;
  latencies: number[];
  seconds: number;
}

interface ProbeSummary {
  perS: number;
  p50: number;
  p99: number;
  n: number;
}

function summarize(windows: ProbeWindow[]): ProbeSummary {
  const lat = windows.flatMap((w) => w.latencies);
  const seconds = windows.reduce((a, w) => a + w.seconds, 0);
  return { perS: lat.length / seconds, p50: percentile(lat, 50), p99: percentile(lat, 99), n: lat.length };
}

async function probe(url: string, until: () => boolean): Promise<ProbeWindow[]> {
  const windows: ProbeWindow[] = [];
  do {
    const at = performance.now();
    const w = await openLoopLoad(url, [PROBE_QUERY], PROBE_RATE, PROBE_SECONDS);
    if (w.errors.length > 0) throw new Error(`probe errors: ${w.errors.slice(0, 3).join('; ')}`);
    windows.push({ at, latencies: w.latencies, seconds: w.seconds });
    if (process.env.WEBHOOK_PROBE_WINDOWS === '1')
      console.log(
        `  probe window: p50 ${fmt(percentile(w.latencies, 50), 2)} ms, p99 ${fmt(percentile(w.latencies, 99), 2)} ms`,
      );
  } while (!until());
  return windows;
}

async function run(orm: Orm, api: Server, receivers: ChildProcess, ports: number[]) {
  const gql = gqlClient(api.url, API_KEY);
  const counts = () =>
    new Promise<Counts>((resolve) => {
      const on = (m: Counts & { type: string }) => {
        if (m.type !== 'count') return;
        receivers.off('message', on);
        resolve(m);
      };
      receivers.on('message', on);
      // interrupted: the receivers are gone; end the run rather than wait for them
      if (!receivers.connected) throw new Error('the receivers exited');
      receivers.send({ type: 'count' });
    });
  for (let i = 0; i < 40; i++) {
    await gql.request(`mutation ($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }`, {
      i: { key: `wh_bench_${i}`, name: `Customer ${i}` },
    });
  }
  for (const port of ports) {
    const res = await gql.request<{ createWebhookEndpoint: { secret: string } }>(
      `mutation ($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { secret } }`,
      { i: { url: `http://127.0.0.1:${port}/hook`, eventTypes: ['credit_balance.updated'] } },
    );
    receivers.send({ type: 'secret', port, secret: res.createWebhookEndpoint.secret });
  }

  const record = async (from: number, n: number) => {
    for (let i = from; i < from + n; i += BATCH) {
      const events: WebhookEventInput[] = Array.from({ length: Math.min(BATCH, from + n - i) }, (_, k) => ({
        type: 'credit_balance.updated',
        customerId: 'cus_bench',
        occurredAt: new Date(),
        data: { customerId: 'cus_bench', movement: { id: `mov_${i + k}`, amount: '-1.00' } },
      }));
      await orm.em.fork().transactional((em) => recordWebhookEvents(em, events));
    }
  };
  // the warm-up: a live database has delivered webhooks before and its tables have statistics (autovacuum
  // analyzes them); a scratch one starts empty, and the planner's guesses for tables that grew from nothing
  // in seconds scan whole tables. WARMUP events are delivered and the database analyzed before measuring.
  if (WARMUP > 0) {
    await record(-WARMUP, WARMUP);
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      if ((await counts()).received >= WARMUP * RECEIVERS) break;
    }
    await orm.em.fork().execute('analyze');
    console.log(`warm-up: ${WARMUP} events (${WARMUP * RECEIVERS} deliveries) delivered; database analyzed`);
  }

  // the baseline: the API with no webhook work going on
  let count = 0;
  const base = summarize(await probe(api.url, () => ++count >= 2));
  console.log(
    `baseline API probe (${PROBE_RATE}/s offered open-loop, no webhooks): ${fmt(base.perS)} reads/s, ` +
      `p50 ${fmt(base.p50, 2)} ms, p99 ${fmt(base.p99, 2)} ms`,
  );

  const expected = EVENTS * RECEIVERS;
  const already = WARMUP * RECEIVERS;
  let done = false;
  const t0 = performance.now();
  let recordMs = 0;
  let recordedAt = Infinity;
  const recording = (async () => {
    await record(0, EVENTS);
    recordedAt = performance.now();
    recordMs = recordedAt - t0;
  })();
  const during = probe(api.url, () => done);
  during.catch(() => undefined); // interrupted: the server stops under the probe; drop the database anyway
  let last: Counts = { received: 0, verified: 0, badSignatures: 0 };
  let lastLog = performance.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    last = await counts();
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      console.log(`  ... ${last.received - already} of ${expected} delivered`);
    }
    if (last.received >= already + expected) break;
  }
  const deliverMs = performance.now() - t0;
  done = true;
  await recording;
  const windows = await during;
  const load = summarize(windows);
  // the windows that began while the events were still being recorded (a burst the bench writes far faster
  // than a ledger books), and those that began after: the API beside delivery alone
  const whileRecording = summarize(windows.filter((w) => w.at < recordedAt));
  const deliveringOnly = summarize(windows.filter((w) => w.at >= recordedAt));
  // the worker records successes asynchronously and in batches: give the last ones a moment
  let succeeded = '';
  for (let i = 0; i < 20; i++) {
    const row = (
      await orm.em
        .fork()
        .execute<{ n: string }[]>(
          `select count(*)::text as n from webhook_delivery where status = 'SUCCEEDED'`,
        )
    )[0];
    succeeded = row?.n ?? '';
    if (Number(succeeded) >= already + expected) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  console.log(
    `recorded ${EVENTS} events (${expected} deliveries) in ${fmt(recordMs / 1000, 2)} s; ` +
      `all received in ${fmt(deliverMs / 1000, 2)} s`,
  );
  console.log(
    `receivers: ${last.received} requests (${already} of them the warm-up), ${last.verified} sampled signatures verified, ` +
      `${last.badSignatures} bad; deliveries SUCCEEDED in the log: ${succeeded}`,
  );
  const line = (what: string, x: ProbeSummary) =>
    console.log(
      `API probe ${what}: ${fmt(x.perS)} reads/s, p50 ${fmt(x.p50, 2)} ms (${fmt(x.p50 / base.p50, 2)}×), ` +
        `p99 ${fmt(x.p99, 2)} ms (${fmt(x.p99 / base.p99, 2)}×), ${x.n} reads`,
    );
  line('from the first event to the last delivery', load);
  line(`while the ${EVENTS} events were being recorded (${fmt(recordMs / 1000, 1)} s)`, whileRecording);
  line('after that, while they were delivered', deliveringOnly);
  console.log(
    `layout: ${SPLIT ? 'api, worker and receivers in processes of their own' : 'one server process (role all)'}`,
  );
  console.log(`RESULT webhook_deliveries_per_s=${(expected / (deliverMs / 1000)).toFixed(1)}`);
  console.log(`RESULT webhook_events_recorded_per_s=${(EVENTS / (recordMs / 1000)).toFixed(1)}`);
  console.log(`RESULT webhook_bad_signatures=${last.badSignatures}`);
  console.log(`RESULT webhook_api_base_p50_ms=${base.p50.toFixed(2)}`);
  console.log(`RESULT webhook_api_load_p50_ms=${load.p50.toFixed(2)}`);
  console.log(`RESULT webhook_api_p50_ratio=${(load.p50 / base.p50).toFixed(2)}`);
  console.log(`RESULT webhook_api_p99_ratio=${(load.p99 / base.p99).toFixed(2)}`);
  console.log(`RESULT webhook_api_recording_p99_ratio=${(whileRecording.p99 / base.p99).toFixed(2)}`);
  console.log(`RESULT webhook_api_delivering_p50_ratio=${(deliveringOnly.p50 / base.p50).toFixed(2)}`);
  console.log(`RESULT webhook_api_delivering_p99_ratio=${(deliveringOnly.p99 / base.p99).toFixed(2)}`);
  console.log(`RESULT webhook_api_reads_ratio=${(load.perS / base.perS).toFixed(2)}`);
}

async function main(): Promise<void> {
  const db = await createScratchDatabase('webhooks');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'drawdown-bench-'));
  const started: { stop(): Promise<void> }[] = [];
  let stopping: Promise<void> | null = null;
  const stopAll = () =>
    (stopping ??= (async () => {
      for (const s of started.reverse()) await s.stop().catch(() => undefined);
      fs.rmSync(dataDir, { recursive: true, force: true });
      await db.drop();
    })());
  const onSignal = () => {
    console.error('\ninterrupted: stopping the servers and dropping the scratch database ...');
    void stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const env = {
    DATABASE_URL: db.url,
    DRAWDOWN_API_KEYS: API_KEY,
    DRAWDOWN_DATA_DIR: dataDir,
    DRAWDOWN_SETTLE_INTERVAL: process.env.BENCH_SETTLE_INTERVAL ?? '3600s',
    DRAWDOWN_WEBHOOK_ALLOW_PRIVATE: 'true',
    DRAWDOWN_WEBHOOK_CONCURRENCY: CONCURRENCY,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'error',
  };
  try {
    const api = await startServer('the API', { ...env, DRAWDOWN_ROLE: SPLIT ? 'api' : 'all' });
    started.push(api);
    if (SPLIT) started.push(await startServer('the worker', { ...env, DRAWDOWN_ROLE: 'worker' }));
    const receivers = await startReceivers();
    started.push({
      stop: async () => {
        if (receivers.child.exitCode !== null) return;
        const exited = new Promise((r) => receivers.child.once('exit', r));
        receivers.child.send({ type: 'close' });
        const force = setTimeout(() => receivers.child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(force);
      },
    });
    const orm = await openOrm(db.url, allEntities, 4);
    started.push({ stop: () => orm.close(true) });
    await run(orm, api, receivers.child, receivers.ports);
  } catch (e) {
    console.error(e);
    process.exitCode = 1;
  } finally {
    await stopAll();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

void main();
