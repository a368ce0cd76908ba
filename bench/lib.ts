/**
 * Shared pieces of the benchmarks: a scratch database on the local PostgreSQL server, the real Drawdown
 * server started in-process, a small GraphQL-over-HTTP client, a bounded worker pool and percentiles.
 * Benchmarks print figures; they never assert timings.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { startDrawdown, type Drawdown } from '../src/app';
import { loadConfig } from '../src/config';
import { createLog } from '../src/core/log';
import type { Client as WsClient } from 'graphql-ws';

export const API_KEY = 'bench-key';
const DEFAULT_BASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export function baseDatabaseUrl(): string {
  const raw = process.env.DATABASE_URL && process.env.DATABASE_URL !== '' ? process.env.DATABASE_URL : null;
  const url = new URL(raw ?? DEFAULT_BASE_URL);
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(url.hostname)) {
    throw new Error(`benchmarks only run against a local server; DATABASE_URL points at ${url.hostname}`);
  }
  return url.toString();
}

export interface ScratchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
  /**
   * Runs `measure` with the autovacuum stand-in (below) held: a pass under way is finished first, none starts
   * meanwhile, and the next comes STAND_IN_SECONDS after `measure` ends. For a measured window of a few
   * seconds (settle.ts: about 3 s), which a pass every 15 s would otherwise land in one run out of five,
   * measuring the vacuum instead of the workload; the caller has vacuumed and analyzed just before.
   */
  withoutStandIn<T>(measure: () => Promise<T>): Promise<T>;
}

/** How often the stand-in looks for tables to vacuum or analyze when the server's own autovacuum is off. */
const STAND_IN_SECONDS = Number(process.env.BENCH_AUTOVACUUM_STAND_IN_SECONDS ?? 15);

/**
 * The tables autovacuum would pick now, by its default thresholds (`autovacuum_vacuum_threshold` 50 +
 * `_scale_factor` 0.2 of the live rows for dead rows, `autovacuum_vacuum_insert_threshold` 1000 + 0.2 for
 * inserts, `autovacuum_analyze_threshold` 50 + 0.1 for changes since the last analyze).
 */
const DUE_TABLES = `select format('%I.%I', schemaname, relname) as name,
       n_dead_tup > 50 + 0.2 * n_live_tup or n_ins_since_vacuum > 1000 + 0.2 * n_live_tup as vacuum,
       n_mod_since_analyze > 50 + 0.1 * n_live_tup as analyze
  from pg_stat_user_tables`;

/**
 * Production PostgreSQL runs autovacuum; a server with it off (this machine's CI configuration has
 * `autovacuum = off`) never analyzes a table that starts empty and fills during a run, so the planner keeps
 * its no-statistics guesses and picks plans that scan whole tables, and dead rows are never reclaimed. When
 * the server's autovacuum is off, a bench's scratch database gets a stand-in on a connection of its own:
 * every STAND_IN_SECONDS (0 turns it off) it vacuums and analyzes the tables autovacuum would, by its default
 * thresholds, and leaves the others alone, with autovacuum's cost delay (a manual VACUUM is not throttled,
 * and on 2 cores an unthrottled vacuum of a 1M-row table stalled the measured requests for 100+ ms). The
 * server's configuration is left alone.
 */
interface StandIn {
  stop(): Promise<void>;
  hold<T>(measure: () => Promise<T>): Promise<T>;
}

async function autovacuumStandIn(url: string): Promise<StandIn> {
  const c = new Client({ connectionString: url });
  await c.connect();
  const on = (await c.query<{ autovacuum: string }>('show autovacuum')).rows[0]?.autovacuum === 'on';
  if (on || STAND_IN_SECONDS <= 0) {
    await c.end();
    return { stop: async () => undefined, hold: (measure) => measure() };
  }
  // at autovacuum's pace: a manual VACUUM runs unthrottled (vacuum_cost_delay 0), autovacuum sleeps
  // autovacuum_vacuum_cost_delay (2 ms by default) after each vacuum_cost_limit of page work
  const delay = (
    await c.query<{ d: string }>(
      `select case when current_setting('autovacuum_vacuum_cost_delay') like '-1%'
                   then current_setting('vacuum_cost_delay') else current_setting('autovacuum_vacuum_cost_delay') end as d`,
    )
  ).rows[0]!.d;
  await c.query(`set vacuum_cost_delay = '${delay.replace(/'/g, '')}'`);
  console.log(
    `(the server's autovacuum is off: every ${STAND_IN_SECONDS} s a stand-in vacuums and analyzes the tables ` +
      `that autovacuum would, by its default thresholds, throttled as autovacuum is: cost delay ${delay})`,
  );
  const pass = async () => {
    const due = await c.query<{ name: string; vacuum: boolean; analyze: boolean }>(DUE_TABLES);
    for (const t of due.rows) {
      if (t.vacuum) await c.query(`vacuum ${t.analyze ? '(analyze) ' : ''}${t.name}`);
      else if (t.analyze) await c.query(`analyze ${t.name}`);
    }
  };
  let running: Promise<unknown> | null = null;
  const start = () => {
    const t = setInterval(() => {
      // a pass still under way (a big table's first vacuum) is not queued behind
      running ??= pass()
        .catch(() => undefined)
        .finally(() => (running = null));
    }, STAND_IN_SECONDS * 1000);
    t.unref();
    return t;
  };
  let timer: NodeJS.Timeout | null = start();
  return {
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
      await c.end().catch(() => undefined);
    },
    async hold(measure) {
      if (timer) clearInterval(timer);
      const held = timer !== null;
      timer = null;
      await running;
      try {
        return await measure();
      } finally {
        if (held) timer = start();
      }
    },
  };
}

/** `create database bench_<tag>_<random>` on DATABASE_URL's server; drop() removes it (forcefully). */
export async function createScratchDatabase(tag: string): Promise<ScratchDatabase> {
  const base = baseDatabaseUrl();
  const name = `bench_${tag}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  const standIn = await autovacuumStandIn(url.toString());
  let dropped = false;
  return {
    name,
    url: url.toString(),
    withoutStandIn: (measure) => standIn.hold(measure),
    async drop() {
      if (dropped) return;
      dropped = true;
      await standIn.stop();
      const c = new Client({ connectionString: base });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

export interface GqlError {
  message: string;
  extensions?: { code?: string; [k: string]: unknown };
}

export class GqlFailure extends Error {
  constructor(
    readonly status: number,
    readonly errors: GqlError[],
  ) {
    super(`GraphQL request failed (HTTP ${status}): ${JSON.stringify(errors).slice(0, 1000)}`);
  }
}

export interface GqlClient {
  url: string;
  /** POSTs one operation with the bench admin key; throws GqlFailure on any error. */
  request<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<T>;
}

export function gqlClient(url: string, token = API_KEY): GqlClient {
  return {
    url,
    async request<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      const text = await res.text();
      let body: { data?: T | null; errors?: GqlError[] };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        throw new GqlFailure(res.status, [{ message: `non-JSON answer: ${text.slice(0, 300)}` }]);
      }
      if (body.errors?.length || !body.data) throw new GqlFailure(res.status, body.errors ?? []);
      return body.data;
    },
  };
}

/** Counts the SQL statements the app sends, grouped by their first words (a diagnostic, not a timing). */
export class QueryStats {
  total = 0;
  private readonly byShape = new Map<string, number>();
  observe = (sql: string): void => {
    this.total++;
    // from the statement's head only: on the server's thread, shaping a whole group-commit write (kilobytes of
    // inlined values) cost the hot customer ~2% of that thread
    const shape = sql
      .slice(0, 400)
      .replace(/\s+/g, ' ')
      .replace(/'[^']*'/g, '?')
      .replace(/\b\d+\b/g, 'N')
      .slice(0, 90);
    this.byShape.set(shape, (this.byShape.get(shape) ?? 0) + 1);
  };
  reset(): void {
    this.total = 0;
    this.byShape.clear();
  }
  /** The most frequent statement shapes, most frequent first. */
  top(n = 12): [string, number][] {
    return [...this.byShape.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
  }
  print(label: string, per: number, perName: string, n = 12): void {
    console.log(`${label}: ${this.total} SQL statements, ${fmt(this.total / per, 2)} per ${perName}`);
    for (const [shape, count] of this.top(n)) console.log(`  ${String(count).padStart(8)}  ${shape}`);
  }
}

export interface BenchApp {
  app: Drawdown;
  db: ScratchDatabase;
  gql: GqlClient;
  queries: QueryStats;
  stop(): Promise<void>;
}

/**
 * A fresh scratch database and the real server on it, in this process (migrations applied at start).
 * Automatic settlement is pushed out of the measured window (BENCH_SETTLE_INTERVAL, default 3600s) so each
 * benchmark measures only its own workload.
 */
export async function startBenchApp(tag: string, env: Record<string, string> = {}): Promise<BenchApp> {
  const db = await createScratchDatabase(tag);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'drawdown-bench-'));
  try {
    const config = loadConfig({
      DATABASE_URL: db.url,
      DRAWDOWN_API_KEYS: API_KEY,
      DRAWDOWN_DATA_DIR: dataDir,
      DRAWDOWN_MIGRATE: 'true',
      DRAWDOWN_SETTLE_INTERVAL: process.env.BENCH_SETTLE_INTERVAL ?? '3600s',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      ...env,
    });
    const queries = new QueryStats();
    const app = await startDrawdown(config, createLog('error'), { onQuery: queries.observe });
    let stopping: Promise<void> | null = null;
    return {
      app,
      db,
      gql: gqlClient(app.url),
      queries,
      stop() {
        stopping ??= (async () => {
          try {
            await app.stop();
          } finally {
            fs.rmSync(dataDir, { recursive: true, force: true });
            await db.drop();
          }
        })();
        return stopping;
      },
    };
  } catch (e) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    await db.drop().catch(() => undefined);
    throw e;
  }
}

/**
 * Runs `main` with a started app and always stops it (and drops the scratch database), also on Ctrl-C.
 * Exits the process with 1 when `main` throws.
 */
/**
 * The node flags the server runs with (`npm start`, the Dockerfile): a 64 MB young generation, so the short-lived
 * objects of a request die there instead of being copied (the hot customer measured +4% in five paired runs).
 * Spawned servers get them (server-process.ts); a benchmark that hosts the server in its own process needs
 * them on its own command line, as run-all.sh gives them.
 */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=64'];

export async function withBenchApp(
  tag: string,
  main: (b: BenchApp) => Promise<void>,
  env: Record<string, string> = {},
): Promise<void> {
  const missing = SERVER_NODE_FLAGS.filter((f) => !process.execArgv.includes(f));
  if (missing.length > 0)
    console.log(
      `(this process hosts the server without its flags ${missing.join(' ')}: run-all.sh gives them)`,
    );
  const b = await startBenchApp(tag, env);
  const onSignal = () => {
    console.error('\ninterrupted: stopping the server and dropping the scratch database ...');
    b.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let failed = false;
  try {
    await main(b);
  } catch (e) {
    failed = true;
    console.error(e);
  } finally {
    await b.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (failed) process.exitCode = 1;
}

/**
 * Runs `count` tasks with at most `concurrency` in flight; task i gets its index. Rejects on the first
 * failure after the tasks in flight have finished.
 */
export async function pool(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: unknown = null;
  const worker = async () => {
    while (failure === null) {
      const i = next++;
      if (i >= count) return;
      try {
        await task(i);
      } catch (e) {
        failure ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  if (failure !== null) throw failure;
}

/** The p-th percentile (0-100) of a list of numbers, nearest-rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function ms(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e6;
}

export function now(): bigint {
  return process.hrtime.bigint();
}

export function fmt(n: number, digits = 1): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^[0-9]+$/.test(raw)) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return Number(raw);
}

/** Machine-readable result line (`RESULT name=value`), read by run-all.sh. */
export function result(name: string, value: number): void {
  console.log(`RESULT ${name}=${Number.isFinite(value) ? value.toFixed(3) : 'nan'}`);
}

// ---- catalog and customers ----------------------------------------------------------------------

export const CURRENCY = 'USD';
export const EVENT_TYPE = 'api_request';
export const FEATURE_KEY = 'api_requests';

/** USD, a COUNT feature and a published CREDIT_ONLY plan pricing it at UNIT 0.01; returns the plan id. */
export async function setupCatalog(gql: GqlClient): Promise<string> {
  await gql.request(`mutation($i:CreateCurrencyInput!){createCurrency(input:$i){id}}`, {
    i: { code: CURRENCY, name: 'US Dollar' },
  });
  await gql.request(`mutation($i:CreateFeatureInput!){createFeature(input:$i){id}}`, {
    i: {
      key: FEATURE_KEY,
      name: 'API requests',
      unit: 'request',
      eventType: EVENT_TYPE,
      aggregation: 'COUNT',
    },
  });
  const { createPlan } = await gql.request<{ createPlan: { id: string } }>(
    `mutation($i:CreatePlanInput!){createPlan(input:$i){id}}`,
    {
      i: {
        key: 'bench',
        name: 'Bench',
        currency: CURRENCY,
        settlementMode: 'CREDIT_ONLY',
        rateCards: [{ featureKey: FEATURE_KEY, price: { model: 'UNIT', unitAmount: '0.01' } }],
      },
    },
  );
  await gql.request(`mutation($id:ID!){publishPlan(id:$id){status}}`, { id: createPlan.id });
  return createPlan.id;
}

export interface BenchCustomer {
  id: string;
  key: string;
}

/**
 * n customers over GraphQL, each with a subscription to the plan (active from an hour ago) and a
 * promotional grant of `grantAmount`, `concurrency` requests in flight. Keys are `<prefix>-<i>`.
 */
export async function createCustomers(
  gql: GqlClient,
  opts: {
    n: number;
    planId: string;
    grantAmount: string;
    concurrency: number;
    prefix?: string;
    onProgress?: (done: number) => void;
  },
): Promise<BenchCustomer[]> {
  const prefix = opts.prefix ?? 'cust';
  const activeFrom = new Date(Date.now() - 3600_000).toISOString();
  const out: BenchCustomer[] = new Array(opts.n);
  let done = 0;
  await pool(opts.n, opts.concurrency, async (i) => {
    const key = `${prefix}-${i}`;
    const { createCustomer } = await gql.request<{ createCustomer: { id: string } }>(
      `mutation($i:CreateCustomerInput!){createCustomer(input:$i){id}}`,
      { i: { key, name: `Customer ${i}` } },
    );
    await gql.request(`mutation($i:CreateSubscriptionInput!){createSubscription(input:$i){id}}`, {
      i: { customerId: createCustomer.id, planId: opts.planId, activeFrom },
    });
    await gql.request(`mutation($i:CreateCreditGrantInput!){createCreditGrant(input:$i){id}}`, {
      i: {
        customerId: createCustomer.id,
        currency: CURRENCY,
        amount: opts.grantAmount,
        fundingMethod: 'PROMOTIONAL',
        name: 'bench credit',
      },
    });
    out[i] = { id: createCustomer.id, key };
    done++;
    opts.onProgress?.(done);
  });
  return out;
}

export const INGEST_MUTATION = `mutation($e:[UsageEventInput!]!){ingestUsage(events:$e){accepted duplicates rejected{code}}}`;

export interface IngestAnswer {
  ingestUsage: { accepted: number; duplicates: number; rejected: { code: string }[] };
}

/** Counts of rejection codes, e.g. { NO_ACTIVE_SUBSCRIPTION: 3 }. */
export function rejectionCodes(rejected: { code: string }[], into: Record<string, number> = {}) {
  for (const r of rejected) into[r.code] = (into[r.code] ?? 0) + 1;
  return into;
}

// ---- CPU accounting -------------------------------------------------------------------------------

/** Busy and total CPU time of the whole machine so far, in clock ticks (Linux /proc/stat; null elsewhere). */
function machineTicks(): { busy: number; total: number } | null {
  try {
    const cpu = fs
      .readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const total = cpu.reduce((a, b) => a + b, 0);
    const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0); // idle + iowait
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/**
 * Starts measuring CPU over a window: this Node process (the server, the benchmark clients and any load
 * worker thread share it), as % of one core, and the whole machine (PostgreSQL, this process and anything
 * else running), as % of all cores. `stop()` returns one line.
 */
export function cpuMeter(): { stop(): string } {
  const wall = now();
  const node0 = process.cpuUsage();
  const m0 = machineTicks();
  return {
    stop() {
      const seconds = ms(wall) / 1000;
      const d = process.cpuUsage(node0);
      const nodePct = ((d.user + d.system) / 1e6 / seconds) * 100;
      const m1 = machineTicks();
      const machine =
        m0 && m1 && m1.total > m0.total
          ? `${fmt(((m1.busy - m0.busy) / (m1.total - m0.total)) * 100, 0)}% busy`
          : 'n/a';
      return `cpu: node ${fmt(nodePct, 0)}% of a core; machine ${machine} over ${os.cpus().length} cores`;
    },
  };
}

// ---- load from another thread ---------------------------------------------------------------------

/** What the load workers post back: latencies (ms), wall time and errors. */
export interface WorkerLoad {
  latencies: number[];
  seconds: number;
  errors: string[];
}

/** Runs one bench worker script (`file` beside this one) with `job` and answers what it posts back. */
export async function runLoadWorker(file: string, job: object): Promise<WorkerLoad> {
  const { Worker } = await import('node:worker_threads');
  return new Promise((resolve, reject) => {
    const w = new Worker(path.join(__dirname, file), { workerData: job });
    w.once('message', (m: WorkerLoad) => {
      resolve(m);
      void w.terminate();
    });
    w.once('error', reject);
    w.once('exit', (code) => {
      if (code !== 0) reject(new Error(`${file} exited with ${code}`));
    });
  });
}

/**
 * Runs one bench worker script (`file` beside this one) as a child process at CPU priority `nice` (negative:
 * ahead of the server; needs root, else it runs at the default and says so), with `job`, and answers what it
 * posts back. For open-loop latency on a machine the clients share with the server: a client that waits for
 * a core counts its own wait as the server's latency (latencies run from each request's due instant).
 */
export async function runLoadProcess(file: string, job: object, nice: number): Promise<WorkerLoad> {
  const { fork } = await import('node:child_process');
  const child = fork(path.join(__dirname, file), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    os.setPriority(child.pid!, nice);
  } catch {
    console.log(`  (could not give the load process priority ${nice}: it runs at the default)`);
  }
  return new Promise((resolve, reject) => {
    child.once('message', (m: WorkerLoad) => resolve(m));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`${file} exited with ${code}`));
    });
    child.send(job);
  });
}

/**
 * Runs a read load from a worker thread (dist/bench/load-worker.js): the clients get their own event loop,
 * so the in-process server is not slowed by its own load generator. Requests cycle through `requests`.
 */
export function loadFromWorker(
  url: string,
  requests: { query: string; variables?: Record<string, unknown> }[],
  count: number,
  concurrency: number,
  token = API_KEY,
): Promise<WorkerLoad> {
  return runLoadWorker('load-worker.js', { url, token, requests, count, concurrency });
}

/**
 * An open-loop load (dist/bench/check-worker.js) in a process of its own at nice `OPEN_LOOP_NICE`
 * (`BENCH_CLIENT_NICE`, default −5: ahead of the server, as `check.ts` runs its open loop; without root it says
 * so and runs at the default): `rate` requests per second for `seconds`, each sent at its scheduled instant
 * whatever the answers, its latency counted from that instant (no coordinated omission), after
 * `warmupSeconds` at the same rate that are not counted (connections opened, code warm). What SPEC §13's "p99
 * at half that load offered open-loop" measures. On a worker thread of the server's own process, the
 * client's waits for a core counted as the server's latency (bench/README.md, "check.ts").
 */
export const OPEN_LOOP_NICE = Number(process.env.BENCH_CLIENT_NICE ?? -5);

export async function openLoopLoad(
  url: string,
  requests: { query: string; variables?: Record<string, unknown> }[],
  rate: number,
  seconds: number,
  warmupSeconds = 0,
  token = API_KEY,
): Promise<WorkerLoad> {
  const count = Math.max(1, Math.round(rate * seconds));
  const job = { url, token, requests, count, concurrency: 1, rate, warmupSeconds };
  return runLoadProcess('check-worker.js', job, OPEN_LOOP_NICE);
}

// ---- live fan-out: graphql-ws subscribers and a round-robin publisher (live.ts, ws-baseline.ts) -------

/**
 * Publish → receipt timing of a fan-out. Subscribers report each (topic, sequence) they receive; the
 * publisher reports, once its publish answered with the sequence it got, when it sent it and when the answer
 * came (several publishes may be in flight per topic, so the sequence is known only from the answer).
 * Latencies are matched when summarised: send → receipt (an upper bound on commit → receipt: it includes
 * the publish's own work) and answer → receipt (the commit is just before the answer; a receipt before the
 * answer counts 0). Receipts of sequences published before `start()` are ignored.
 */
export class FanoutProbe {
  private readonly sentAt = new Map<number, { sent: number; answered: number }>();
  private receipts: { key: number; at: number }[] = [];
  /** Per topic, the highest sequence published so far; `start()` makes it the window's floor. */
  private readonly published = new Map<number, number>();
  private floor = new Map<number, number>();
  delivered = 0;
  private startedAt = 0;
  private lastAt = 0;

  private static key(topic: number, sequence: number): number {
    return topic * 1_000_000 + sequence;
  }

  /** Starts a measured window: what was published before it no longer counts. */
  start(): void {
    this.floor = new Map(this.published);
    this.sentAt.clear();
    this.receipts = [];
    this.delivered = 0;
    this.startedAt = performance.now();
    this.lastAt = this.startedAt;
  }

  /** `sequence` of `topic` was published by a request sent at `sent` and answered at `answered` (performance.now()). */
  sent(topic: number, sequence: number, sent: number, answered: number): void {
    this.sentAt.set(FanoutProbe.key(topic, sequence), { sent, answered });
    this.published.set(topic, Math.max(this.published.get(topic) ?? 0, sequence));
  }

  received(topic: number, sequence: number): void {
    if (sequence <= (this.floor.get(topic) ?? 0)) return;
    const at = performance.now();
    this.receipts.push({ key: FanoutProbe.key(topic, sequence), at });
    this.delivered++;
    this.lastAt = at;
  }

  /** Waits until `expected` deliveries arrived or nothing arrived for `quietMs`. */
  async drain(expected: number, quietMs = 10_000): Promise<void> {
    let seen = -1;
    let since = performance.now();
    while (this.delivered < expected) {
      if (this.delivered !== seen) {
        seen = this.delivered;
        since = performance.now();
      } else if (performance.now() - since > quietMs) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Deliveries/s over the window (start → last delivery), and latency percentiles. */
  summary(): {
    delivered: number;
    seconds: number;
    perSecond: number;
    /** send → receipt */
    p50: number;
    p99: number;
    /** send → first receipt of each update */
    firstP50: number;
    firstP99: number;
    /** answer → receipt */
    answeredP50: number;
    answeredP99: number;
  } {
    const latencies: number[] = [];
    const afterAnswer: number[] = [];
    const first = new Map<number, number>();
    for (const r of this.receipts) {
      const sent = this.sentAt.get(r.key);
      if (sent === undefined) continue;
      const latency = r.at - sent.sent;
      latencies.push(latency);
      afterAnswer.push(Math.max(0, r.at - sent.answered));
      if (!first.has(r.key) || first.get(r.key)! > latency) first.set(r.key, latency);
    }
    const seconds = (this.lastAt - this.startedAt) / 1000;
    return {
      delivered: this.delivered,
      seconds,
      perSecond: seconds > 0 ? this.delivered / seconds : NaN,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      firstP50: percentile([...first.values()], 50),
      firstP99: percentile([...first.values()], 99),
      answeredP50: percentile(afterAnswer, 50),
      answeredP99: percentile(afterAnswer, 99),
    };
  }
}

export interface Subscribers {
  /** Ends every subscription (the sockets stay open). */
  unsubscribe(): void;
  /** The graphql-ws clients, one per socket. */
  clients: WsClient[];
}

/**
 * `subs` graphql-ws subscriptions over `sockets` sockets (subscription s on socket s % sockets, topic
 * s % topics): the same client code for the server under test and the raw `ws` baseline. `sequenceOf`
 * reads the update's sequence from a `next` payload's data (null: not an update to count).
 */
export async function openSubscribers(opts: {
  url: string;
  sockets: number;
  subs: number;
  topics: number;
  connectionParams?: Record<string, unknown>;
  request: (topic: number) => { query: string; variables?: Record<string, unknown> };
  sequenceOf: (data: unknown) => number | null;
  probe: FanoutProbe;
}): Promise<Subscribers> {
  const { createClient } = await import('graphql-ws');
  const { default: WebSocket } = await import('ws');
  const clients = Array.from({ length: opts.sockets }, () =>
    createClient({
      url: opts.url,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      connectionParams: opts.connectionParams,
    }),
  );
  const stops: (() => void)[] = [];
  for (let s = 0; s < opts.subs; s++) {
    const topic = s % opts.topics;
    stops.push(
      clients[s % clients.length]!.subscribe(opts.request(topic), {
        next: (r) => {
          const seq = opts.sequenceOf(r.data);
          if (seq !== null) opts.probe.received(topic, seq);
        },
        error: (e) => console.error('subscription error', e),
        complete: () => undefined,
      }),
    );
  }
  return {
    clients,
    unsubscribe() {
      for (const stop of stops) stop();
    },
  };
}

/**
 * `updates` publishes round-robin over `topics` (update u on topic u % topics) from `publishers`
 * concurrent publishers, each one publish at a time. `publish(topic)` answers the sequence it booked; the
 * probe gets it with the instant the publish was sent.
 */
export async function publishRoundRobin(opts: {
  updates: number;
  topics: number;
  publishers: number;
  probe: FanoutProbe;
  publish: (topic: number) => Promise<number>;
}): Promise<void> {
  await pool(opts.updates, Math.max(1, opts.publishers), async (u) => {
    const topic = u % opts.topics;
    const at = performance.now();
    const sequence = await opts.publish(topic);
    opts.probe.sent(topic, sequence, at, performance.now());
  });
}

/**
 * Publishes one update per topic until one such round reaches all `subs` subscriptions (subscriptions
 * start asynchronously on the server); gives up after `rounds` rounds.
 */
export async function warmUpSubscribers(
  probe: FanoutProbe,
  subs: number,
  round: () => Promise<void>,
  rounds = 60,
): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    probe.start();
    await round();
    await probe.drain(subs, 1000);
    if (probe.delivered >= subs) return;
  }
  throw new Error(`warm-up: only ${probe.delivered} of ${subs} subscriptions received an update`);
}

/**
 * Updates published and delivered before a fan-out benchmark's measured window, uncounted (FANOUT_WARMUP,
 * 1,000): live.ts and ws-baseline.ts both run them, so each measures its steady state rather than the first
 * hundreds of updates, which a JIT-compiled server runs several times slower.
 */
export const FANOUT_WARMUP = envInt('FANOUT_WARMUP', 1000);

/** Runs `updates` through `round` and waits until their deliveries (`perUpdate` each) arrived. */
export async function warmUpFanout(
  probe: FanoutProbe,
  updates: number,
  perUpdate: number,
  round: (updates: number) => Promise<void>,
): Promise<void> {
  if (updates <= 0) return;
  probe.start();
  await round(updates);
  await probe.drain(updates * perUpdate);
}

/** How a thread has been scheduled so far (Linux /proc; NaN elsewhere). */
export interface ThreadSched {
  /** Seconds on a core. */
  ran: number;
  /** Seconds runnable but waiting for a core. */
  waited: number;
  /** Context switches: it blocked (voluntary) or a core was taken from it (involuntary). */
  voluntary: number;
  involuntary: number;
}

/**
 * The scheduling of a process's main thread (`/proc/<pid>/task/<pid>/schedstat` and `status`). On a machine
 * where the server shares its cores with PostgreSQL and the load, `waited` says how long it was ready to run
 * and could not: time a CPU profile books on whatever call it was in (often a socket write that woke another
 * process).
 */
export function mainThreadSched(pid: number): ThreadSched {
  try {
    const [ran, waited] = fs.readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').trim().split(' ');
    const status = fs.readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8');
    const count = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
    return {
      ran: Number(ran) / 1e9,
      waited: Number(waited) / 1e9,
      voluntary: count('voluntary_ctxt_switches'),
      involuntary: count('nonvoluntary_ctxt_switches'),
    };
  } catch {
    return { ran: NaN, waited: NaN, voluntary: NaN, involuntary: NaN };
  }
}

/** What happened to a thread between two readings. */
export function schedSince(before: ThreadSched, after: ThreadSched): ThreadSched {
  return {
    ran: after.ran - before.ran,
    waited: after.waited - before.waited,
    voluntary: after.voluntary - before.voluntary,
    involuntary: after.involuntary - before.involuntary,
  };
}

/** A process's user + system CPU time so far, in seconds (Linux /proc, 100 clock ticks a second; NaN elsewhere). */
/**
 * CPU seconds used so far by every PostgreSQL process of this machine (backends, WAL writer, checkpointer),
 * from /proc: the benchmarks require a local server. Backends that ended are not counted, so take
 * differences over a phase whose connections stay open.
 */
export function postgresCpuSeconds(): number {
  let total = 0;
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/comm`, 'utf8').trim() !== 'postgres') continue;
    } catch {
      continue;
    }
    const s = processCpuSeconds(Number(name));
    if (Number.isFinite(s)) total += s;
  }
  return total;
}

/** CPU seconds this process used so far (all its threads). */
export function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

export function processCpuSeconds(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}
