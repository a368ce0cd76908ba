/**
 * SPEC §13 "30-minute mixed soak": throughput drop ≤ 10%, p99 at most doubles, RSS growth < 20%.
 *
 * 1. Starts the server as its own process (`dist/src/main.js`, so its RSS is its own) on a scratch database,
 *    with automatic settlement every SOAK_SETTLE_INTERVAL (5s): settlement runs all through the soak.
 * 2. Sets up USD, a COUNT feature, a CREDIT_ONLY plan and SOAK_CUSTOMERS customers, each with a subscription
 *    and a large grant; the first SOAK_HOT of them also take charges, adjustments, holds and subscriptions.
 * 3. Runs a fixed mixed load from a worker thread (soak-worker.ts) for SOAK_WARMUP seconds (not counted), then
 *    SOAK_SECONDS: closed-loop clients per kind (their ops/s show throughput drift), an open-loop probe at
 *    SOAK_PROBE_RATE requests/s (its p50/p99 show latency drift: a closed loop slows down instead of queueing,
 *    so it hides latency growth, and a fixed rate does not show throughput), and live subscriptions.
 * 4. Every WINDOW seconds prints ops/s per kind, the probe's p50/p99, the server's RSS (median of one
 *    reading a second) and heap, its CPU and the machine's, the settlement backlog and the database size.
 * 5. At the end: the drift figures (first window vs last), then the live check (every subscription saw its
 *    customer's last movement) and SPEC §6's invariants over the whole database with reconcileLedgers (the
 *    reconcile module's SQL, as `npm run reconcile` runs it).
 *
 * Env: SOAK_SECONDS (1800), SOAK_WINDOW or WINDOW (60), SOAK_WARMUP (WINDOW), SOAK_CUSTOMERS (100),
 * SOAK_HOT (10), SOAK_BATCH (100 events per ingest batch), SOAK_PROBE_RATE (20/s), SOAK_SUBSCRIBERS (20),
 * SOAK_SOCKETS (4), SOAK_SETTLE_INTERVAL (5s), clients per kind SOAK_INGEST_CLIENTS (2), SOAK_CHARGE_CLIENTS
 * (1), SOAK_ADJUST_CLIENTS (1), SOAK_BALANCE_CLIENTS (2), SOAK_HISTORY_CLIENTS (2), SOAK_CHECK_CLIENTS (2),
 * SOAK_HOLD_CLIENTS (1).
 */
import 'reflect-metadata';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Client } from 'pg';
import {
  CLOSED_KINDS,
  type ClosedKind,
  type SoakJob,
  type SoakMessage,
  type SoakWindow,
} from './soak-worker';
import {
  API_KEY,
  CURRENCY,
  EVENT_TYPE,
  FEATURE_KEY,
  createCustomers,
  createScratchDatabase,
  envInt,
  fmt,
  gqlClient,
  percentile,
  result,
  setupCatalog,
  type ScratchDatabase,
} from './lib';
import { machineTicks, spawnDrawdown, type DrawdownProcess } from './server-process';
import { trendDrop } from './stats';

const WINDOW = envInt('SOAK_WINDOW', envInt('WINDOW', 60));
const SECONDS = envInt('SOAK_SECONDS', 1800);
const WARMUP = envInt('SOAK_WARMUP', WINDOW);
const CUSTOMERS = envInt('SOAK_CUSTOMERS', 100);
const HOT = envInt('SOAK_HOT', 10);
const BATCH = envInt('SOAK_BATCH', 100);
const PROBE_RATE = envInt('SOAK_PROBE_RATE', 20);
const SUBSCRIBERS = envInt('SOAK_SUBSCRIBERS', 20);
const SOCKETS = envInt('SOAK_SOCKETS', 4);
const SETTLE_INTERVAL = process.env.SOAK_SETTLE_INTERVAL || '5s';
const CLIENTS: Record<ClosedKind, number> = {
  ingest: envInt('SOAK_INGEST_CLIENTS', 2),
  charge: envInt('SOAK_CHARGE_CLIENTS', 1),
  adjust: envInt('SOAK_ADJUST_CLIENTS', 1),
  balance: envInt('SOAK_BALANCE_CLIENTS', 2),
  history: envInt('SOAK_HISTORY_CLIENTS', 2),
  check: envInt('SOAK_CHECK_CLIENTS', 2),
  hold: envInt('SOAK_HOLD_CLIENTS', 1),
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface WindowFigures {
  opsPerS: number;
  perKind: Record<ClosedKind, number>;
  p50: number;
  p99: number;
  rss: number;
  errors: number;
}

class Load {
  private readonly worker: Worker;
  private readonly waiting: ((m: SoakMessage) => void)[] = [];
  readonly failed: Promise<never>;
  constructor(job: SoakJob) {
    this.worker = new Worker(path.join(__dirname, 'soak-worker.js'), { workerData: job });
    this.worker.on('message', (m: SoakMessage) => this.waiting.shift()?.(m));
    this.failed = new Promise<never>((_, reject) => {
      this.worker.once('error', reject);
      this.worker.once('exit', (code) => code !== 0 && reject(new Error(`soak worker exited with ${code}`)));
    });
    this.failed.catch(() => undefined);
  }
  private ask(type: string): Promise<SoakMessage> {
    const answer = new Promise<SoakMessage>((resolve) => this.waiting.push(resolve));
    this.worker.postMessage({ type });
    return Promise.race([answer, this.failed]);
  }
  async window(type: 'flush' | 'stop'): Promise<SoakWindow> {
    const m = await this.ask(type);
    if (m.type !== 'window') throw new Error(`unexpected ${m.type}`);
    return m.window;
  }
  async live(): Promise<{ customerId: string; sequence: number }[]> {
    const m = await this.ask('live');
    if (m.type !== 'live') throw new Error(`unexpected ${m.type}`);
    return m.last;
  }
  async close(): Promise<void> {
    const exited = new Promise((r) => this.worker.once('exit', r));
    this.worker.postMessage({ type: 'close' });
    await Promise.race([exited, sleep(5000)]);
    await this.worker.terminate();
  }
}

/**
 * The server's RSS sampled every second (one reading at a window's end lands anywhere in a GC cycle: the
 * window's median is what the growth figure compares), and its CPU and the machine's over each window.
 */
class Sampler {
  private rss: number[] = [];
  private cpu0: number;
  private machine0 = machineTicks();
  private at = Date.now();
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly server: DrawdownProcess) {
    this.cpu0 = server.cpuSeconds();
    this.timer = setInterval(() => this.rss.push(server.rssMb()), 1000);
    this.timer.unref();
  }
  /** This window's figures; starts the next window. */
  take(): { rssMedian: number; rssMax: number; serverCpu: number; machineBusy: number } {
    if (this.rss.length === 0) this.rss.push(this.server.rssMb());
    const cpu = this.server.cpuSeconds();
    const m = machineTicks();
    const seconds = (Date.now() - this.at) / 1000;
    const out = {
      rssMedian: percentile(this.rss, 50),
      rssMax: Math.max(...this.rss),
      serverCpu: ((cpu - this.cpu0) / seconds) * 100,
      machineBusy:
        m && this.machine0 ? ((m.busy - this.machine0.busy) / (m.total - this.machine0.total)) * 100 : NaN,
    };
    this.rss = [];
    this.cpu0 = cpu;
    this.machine0 = m;
    this.at = Date.now();
    return out;
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

/** Prints one window's line and returns its figures. */
async function report(
  label: string,
  w: SoakWindow,
  server: DrawdownProcess,
  sampler: Sampler,
  db: Client,
  dbName: string,
): Promise<WindowFigures> {
  const perKind = {} as Record<ClosedKind, number>;
  let ops = 0;
  let errors = w.kinds.probe.errors + w.liveErrors + w.liveGaps;
  const closedLatencies: number[] = [];
  for (const k of CLOSED_KINDS) {
    perKind[k] = w.kinds[k].ops / w.seconds;
    ops += w.kinds[k].ops;
    errors += w.kinds[k].errors;
    for (const l of w.kinds[k].latencies) closedLatencies.push(l);
  }
  const probe = w.kinds.probe.latencies;
  const s = sampler.take();
  const m = await server.metrics().catch(() => new Map<string, number>());
  const heap = (m.get('nodejs_heap_size_used_bytes') ?? NaN) / 1048576;
  const unbooked = m.get('drawdown_settlement_unbooked_charges') ?? NaN;
  const lag = m.get('drawdown_settlement_lag_seconds') ?? NaN;
  const { rows } = await db.query<{ mb: number }>(`select pg_database_size($1)::float8 / 1048576 as mb`, [
    dbName,
  ]);
  const f: WindowFigures = {
    opsPerS: ops / w.seconds,
    perKind,
    p50: percentile(probe, 50),
    p99: percentile(probe, 99),
    rss: s.rssMedian,
    errors,
  };
  console.log(
    `${label.padEnd(12)} ${fmt(f.opsPerS).padStart(7)} ops/s [` +
      CLOSED_KINDS.map((k) => `${k} ${fmt(perKind[k])}`).join(', ') +
      `; ${fmt(w.events / w.seconds, 0)} events/s, ${fmt(w.deliveries / w.seconds)} live/s]` +
      ` probe ${fmt(w.kinds.probe.ops / w.seconds)}/s p50 ${fmt(f.p50, 1)} ms p99 ${fmt(f.p99, 1)} ms (closed-loop p99 ${fmt(percentile(closedLatencies, 99), 0)} ms)` +
      ` | rss ${fmt(s.rssMedian, 0)} MB (max ${fmt(s.rssMax, 0)}) heap ${fmt(heap, 0)} MB` +
      ` | cpu server ${fmt(s.serverCpu, 0)}% of a core, machine ${fmt(s.machineBusy, 0)}%` +
      ` | unbooked ${unbooked} lag ${fmt(lag, 1)} s` +
      ` | db ${fmt(rows[0]!.mb, 0)} MB | errors ${errors}`,
  );
  for (const e of w.errorSamples) console.log(`    error: ${e}`);
  return f;
}

async function main(): Promise<void> {
  const scratch: ScratchDatabase = await createScratchDatabase('soak');
  let server: DrawdownProcess | null = null;
  let load: Load | null = null;
  const pg = new Client({ connectionString: scratch.url });
  const cleanup = async () => {
    await load?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await pg.end().catch(() => undefined);
    await scratch.drop();
  };
  const onSignal = () => {
    console.error('\ninterrupted: stopping the load and the server, dropping the scratch database ...');
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    server = await spawnDrawdown(scratch.url, { DRAWDOWN_SETTLE_INTERVAL: SETTLE_INTERVAL });
    await pg.connect();
    const gql = gqlClient(server.url);
    const t0 = Date.now();
    const planId = await setupCatalog(gql);
    const customers = await createCustomers(gql, {
      n: CUSTOMERS,
      planId,
      grantAmount: '10000000',
      concurrency: 16,
    });
    console.log(
      `soak: ${CUSTOMERS} customers (${HOT} hot) set up in ${fmt((Date.now() - t0) / 1000, 1)} s; ` +
        `server pid ${server.pid}, auto-settle every ${SETTLE_INTERVAL}; ${WARMUP} s warm-up, then ` +
        `${SECONDS} s in ${WINDOW} s windows`,
    );
    console.log(
      `load (worker thread, closed loop): ${CLOSED_KINDS.map((k) => `${k} ×${CLIENTS[k]}`).join(', ')} ` +
        `(ingest batches of ${BATCH}); open-loop probe ${PROBE_RATE}/s; ${SUBSCRIBERS} live subscriptions ` +
        `over ${SOCKETS} sockets`,
    );

    load = new Load({
      url: server.url,
      wsUrl: server.wsUrl,
      token: API_KEY,
      customers,
      hot: HOT,
      clients: CLIENTS,
      batch: BATCH,
      probeRate: PROBE_RATE,
      subscribers: SUBSCRIBERS,
      sockets: SOCKETS,
      currency: CURRENCY,
      eventType: EVENT_TYPE,
      featureKey: FEATURE_KEY,
    });
    const sampler = new Sampler(server);
    const windows: WindowFigures[] = [];
    let errors = 0;
    if (WARMUP > 0) {
      await Promise.race([sleep(WARMUP * 1000), load.failed]);
      errors += (await report('warm-up', await load.window('flush'), server, sampler, pg, scratch.name))
        .errors;
    }
    const count = Math.max(1, Math.round(SECONDS / WINDOW));
    for (let i = 1; i <= count; i++) {
      await Promise.race([sleep(WINDOW * 1000), load.failed]);
      const w = await load.window(i === count ? 'stop' : 'flush');
      const f = await report(`${i * WINDOW} s`, w, server, sampler, pg, scratch.name);
      windows.push(f);
      errors += f.errors;
    }

    sampler.stop();
    const first = windows[0]!;
    const last = windows[windows.length - 1]!;
    const drop = 1 - last.opsPerS / first.opsPerS;
    const kindDrops = CLOSED_KINDS.map((k) => [k, 1 - last.perKind[k] / first.perKind[k]] as const);
    const worst = kindDrops.reduce((a, b) => (b[1] > a[1] ? b : a));
    const p99Ratio = last.p99 / first.p99;
    const rssGrowth = last.rss / first.rss - 1;
    const trend = trendDrop(windows.map((w) => w.opsPerS));
    console.log('');
    console.log(
      `first window vs last: ${fmt(first.opsPerS)} → ${fmt(last.opsPerS)} ops/s, drop ${fmt(drop * 100)}% (goal ≤ 10%); ` +
        `per kind: ${kindDrops.map(([k, d]) => `${k} ${fmt(d * 100)}%`).join(', ')}`,
    );
    console.log(
      `  least-squares line through all ${windows.length} windows: ${fmt(trend.from)} → ${fmt(trend.to)} ops/s, ` +
        `drop ${fmt(trend.drop * 100)}% (a second reading of the same goal, less swayed by one window's noise)`,
    );
    console.log(
      `  probe p99 ${fmt(first.p99, 1)} → ${fmt(last.p99, 1)} ms = ${fmt(p99Ratio, 2)}× (goal ≤ 2×); ` +
        `server RSS (window medians) ${fmt(first.rss, 0)} → ${fmt(last.rss, 0)} MB = ${fmt(rssGrowth * 100)}% (goal < 20%); ` +
        `errors ${errors}`,
    );

    // quiesce: settle what is open, then every subscription must have seen its customer's last movement
    const hotIds = [...new Set(customers.slice(0, Math.max(1, HOT)).map((c) => c.id))];
    let behind = hotIds.length;
    for (let attempt = 0; attempt < 30 && behind > 0; attempt++) {
      if (attempt > 0) await sleep(1000);
      await gql.request(`mutation{settleCharges{settledCharges}}`);
      const { rows } = await pg.query<{ customer_id: string; last_sequence: number }>(
        `select customer_id, last_sequence from ledger where customer_id = any($1)`,
        [hotIds],
      );
      const want = new Map(rows.map((r) => [r.customer_id, r.last_sequence]));
      const seen = await load.live();
      behind = seen.filter((s) => s.sequence !== want.get(s.customerId)).length;
    }
    console.log(
      `live: ${SUBSCRIBERS} subscriptions, ${behind} short of their customer's last movement after settling`,
    );

    const { reconcileLedgers: rec } = await gql.request<{
      reconcileLedgers: {
        clean: boolean;
        ledgers: number;
        movements: number;
        grants: number;
        charges: number;
        truncated: boolean;
        drift: { kind: string; detail: string }[];
      };
    }>(`{reconcileLedgers{clean ledgers movements grants charges truncated drift{kind detail}}}`);
    console.log(
      `§6 invariants (reconcileLedgers over ${rec.ledgers} ledgers, ${rec.movements} movements, ${rec.grants} grants, ` +
        `${rec.charges} charges): ${rec.clean ? 'clean' : `${rec.drift.length}${rec.truncated ? '+' : ''} drift items`}`,
    );
    for (const d of rec.drift.slice(0, 10)) console.log(`  ${d.kind}: ${d.detail}`);

    result('soak_ops_per_s_first', first.opsPerS);
    result('soak_ops_per_s_last', last.opsPerS);
    result('soak_throughput_drop', drop);
    result('soak_worst_kind_drop', worst[1]);
    result('soak_trend_drop', trend.drop);
    result('soak_p99_first_ms', first.p99);
    result('soak_p99_last_ms', last.p99);
    result('soak_p99_ratio', p99Ratio);
    result('soak_rss_first_mb', first.rss);
    result('soak_rss_last_mb', last.rss);
    result('soak_rss_growth', rssGrowth);
    result('soak_errors', errors);
    result('soak_live_behind', behind);
    result('soak_drift', rec.drift.length);
    if (!rec.clean || behind > 0) process.exitCode = 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
