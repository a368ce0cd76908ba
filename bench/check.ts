/**
 * SPEC §13 "`checkCredits`, 50 connections": ≥ 0.5× bare graphql-js; p99 ≤ 10 ms at half that load offered
 * open-loop; with a hot customer changing under it.
 *
 * 1. A bare graphql-js server on node:http answers the same check query from a constant (no database, ORM or
 *    Apollo): the baseline of this run, measured with the same clients; then offered half its own rate in the
 *    open loop of step 4, for the latency tail this machine gives any node:http server at such a load.
 * 2. Drawdown with CHECK_CUSTOMERS customers (a subscription, a grant). Half the checks ask about one hot
 *    customer, the other half cycle through the rest; meanwhile one client books on the hot customer back to
 *    back (a one-off charge, then a hold and its release), so the hot customer's kept read is voided all the
 *    time and its checks keep meeting fresh changes.
 * 3. Closed loop: CHECK_READS checks from CHECK_CLIENTS (50) clients on a worker thread: reads/s, and its
 *    ratio to the baseline's reads/s.
 * 4. Open loop: half the closed-loop reads/s offered for CHECK_OPEN_SECONDS, requests sent on schedule; the
 *    latency counts from the instant each was due: p50/p99. The same rate runs CHECK_OPEN_WARMUP_SECONDS first,
 *    not counted, so the client's connections are open and its code warm (as a gateway's are).
 *
 * Env: CHECK_CUSTOMERS (100), CHECK_CLIENTS (50), CHECK_READS (20000), CHECK_OPEN_SECONDS (10),
 * CHECK_OPEN_WARMUP_SECONDS (2), CHECK_BASELINE_READS (20000).
 */
import http from 'node:http';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { buildSchema, graphql } from 'graphql';
import type { CheckLoadJob, CheckLoadResult } from './check-worker';
import type { HotChangerJob, HotChangerResult } from './hot-changer-worker';
import {
  API_KEY,
  CURRENCY,
  FEATURE_KEY,
  cpuMeter,
  createCustomers,
  envInt,
  fmt,
  mainThreadSched,
  schedSince,
  percentile,
  pool,
  result,
  runLoadProcess,
  runLoadWorker,
  setupCatalog,
  withBenchApp,
} from './lib';

const CUSTOMERS = envInt('CHECK_CUSTOMERS', 100);
const CLIENTS = envInt('CHECK_CLIENTS', 50);
const READS = envInt('CHECK_READS', 20000);
const OPEN_SECONDS = envInt('CHECK_OPEN_SECONDS', 10);
const BASELINE_READS = envInt('CHECK_BASELINE_READS', 20000);
const CLIENT_NICE = Number(process.env.CHECK_CLIENT_NICE ?? -5);
const OPEN_WARMUP_SECONDS = envInt('CHECK_OPEN_WARMUP_SECONDS', 2);
const HOT_CHANGES = Number(process.env.CHECK_HOT_CHANGES_PER_S ?? 0);

/** What an API gateway asks before it serves a request. */
const QUERY = `query($c:ID!,$f:String!,$q:Decimal){checkCredits(customerId:$c,featureKey:$f,quantity:$q){
  allowed reason cost available uncovered allocations{amount}}}`;

function load(job: CheckLoadJob): Promise<CheckLoadResult> {
  return runLoadWorker('check-worker.js', job);
}

const line = (label: string, r: CheckLoadResult, count: number) =>
  `${label}: ${fmt(count / r.seconds)} reads/s, p50 ${fmt(percentile(r.latencies, 50), 2)} ms, ` +
  `p99 ${fmt(percentile(r.latencies, 99), 2)} ms, errors ${r.errors.length}`;

/**
 * `count` requests offered at `rate` per second after the warm-up, whatever the answers (check-worker.ts). The
 * clients run in a process of their own ahead of the server (CHECK_CLIENT_NICE, default -5): on 2 shared cores
 * a client thread waiting for a core would count its own wait as the server's.
 */
async function openLoop(
  url: string,
  requests: CheckLoadJob['requests'],
  rate: number,
  count: number,
): Promise<CheckLoadResult> {
  const job: CheckLoadJob = {
    url,
    token: API_KEY,
    requests,
    count,
    concurrency: CLIENTS,
    rate,
    warmupSeconds: OPEN_WARMUP_SECONDS,
  };
  return (await runLoadProcess('check-worker.js', job, CLIENT_NICE)) as CheckLoadResult;
}

/** The bare graphql-js baseline: the same query answered from a constant, the same clients. */
async function baseline(): Promise<number> {
  const schema = buildSchema(`
    enum Reason { NO_ACTIVE_SUBSCRIPTION FEATURE_NOT_IN_PLAN INSUFFICIENT_CREDITS }
    type Allocation { amount: String! }
    type Check { allowed: Boolean! reason: Reason cost: String! available: String! uncovered: String!
      allocations: [Allocation!]! }
    type Query { checkCredits(customerId: ID!, featureKey: String!, quantity: String): Check! }
  `);
  const answer = {
    allowed: true,
    reason: null,
    cost: '0.01',
    available: '99.95',
    uncovered: '0.00',
    allocations: [{ amount: '-0.01' }],
  };
  const rootValue = { checkCredits: () => answer };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        query: string;
        variables?: Record<string, unknown>;
      };
      void graphql({ schema, source: body.query, rootValue, variableValues: body.variables }).then((r) => {
        const out = JSON.stringify(r);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
        res.end(out);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/graphql`;
  const query = QUERY.replace('$q:Decimal', '$q:String');
  const requests = [{ query, variables: { c: 'cus_x', f: FEATURE_KEY, q: '1' } }];
  try {
    await load({ url, token: API_KEY, requests, count: 1000, concurrency: CLIENTS }); // warm-up
    const r = await load({ url, token: API_KEY, requests, count: BASELINE_READS, concurrency: CLIENTS });
    if (r.errors.length) throw new Error(`baseline errors: ${r.errors[0]}`);
    console.log(line(`bare graphql-js, static check answer, ${CLIENTS} clients`, r, BASELINE_READS));
    const perSecond = BASELINE_READS / r.seconds;
    // the same open loop as Drawdown's below, at half the baseline's own rate: the tail this machine gives
    // a server that does nothing but parse, execute and answer over node:http
    const rate = perSecond / 2;
    const open = await openLoop(url, requests, rate, Math.round(rate * OPEN_SECONDS));
    console.log(
      line(`bare graphql-js, open loop at ${fmt(rate)} reads/s offered`, open, open.latencies.length),
    );
    result('check_baseline_open_p99_ms', percentile(open.latencies, 99));
    return perSecond;
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * Books on the hot customer back to back until stopped (a one-off charge, then a hold and its release), from a
 * thread of its own (bench/hot-changer-worker.ts): a client, so not on the server's event loop.
 */
async function changeHotCustomer(url: string, customerId: string, rate: number) {
  const { Worker } = await import('node:worker_threads');
  const job: HotChangerJob = { url, token: API_KEY, customerId, currency: CURRENCY, rate };
  const w = new Worker(path.join(__dirname, 'hot-changer-worker.js'), { workerData: job });
  const done = new Promise<HotChangerResult>((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`hot-changer-worker exited with ${code}`)));
  });
  return {
    async stop(): Promise<HotChangerResult> {
      w.postMessage('stop');
      const r = await done;
      await w.terminate();
      return r;
    },
  };
}

async function main(): Promise<void> {
  const baseReads = await baseline();
  result('check_baseline_reads_per_s', baseReads);

  await withBenchApp('check', async (b) => {
    const planId = await setupCatalog(b.gql);
    const customers = await createCustomers(b.gql, {
      n: CUSTOMERS,
      planId,
      grantAmount: '1000000',
      concurrency: 16,
    });
    const hot = customers[0]!;
    // half the checks ask about the hot customer, the other half about every other customer in turn
    const requests = customers.slice(1).flatMap((c) => [
      { query: QUERY, variables: { c: hot.id, f: FEATURE_KEY, q: '1' } },
      { query: QUERY, variables: { c: c.id, f: FEATURE_KEY, q: '1' } },
    ]);
    // warm-up: every customer read once, the server's code paths hot
    await pool(customers.length, 8, async (i) => {
      await b.gql.request(QUERY, { c: customers[i]!.id, f: FEATURE_KEY, q: '1' });
    });
    await load({ url: b.app.url, token: API_KEY, requests, count: 2000, concurrency: CLIENTS });

    // closed loop: throughput
    const changer = await changeHotCustomer(b.app.url, hot.id, HOT_CHANGES);
    b.queries.reset();
    let cpu = cpuMeter();
    const closed = await load({
      url: b.app.url,
      token: API_KEY,
      requests,
      count: READS,
      concurrency: CLIENTS,
    });
    const cpuClosed = cpu.stop();
    const statementsClosed = b.queries.total;
    const changedClosed = await changer.stop();
    const reads = READS / closed.seconds;
    console.log(line(`checkCredits, ${CLIENTS} clients, closed loop`, closed, READS));
    console.log(
      `  hot customer meanwhile: ${changedClosed.changes} changes (${fmt(changedClosed.changes / closed.seconds)}/s), ` +
        `${changedClosed.errors} errors; ${cpuClosed}`,
    );
    b.queries.print('  issued', READS, 'check (the hot customer changing included)', 8);
    if (closed.errors.length) console.log(`  first error: ${closed.errors[0]}`);

    // open loop at half that load: latency
    const rate = reads / 2;
    const count = Math.max(1, Math.round(rate * OPEN_SECONDS));
    // half the load means half of all of it: the hot customer's changes too, at half the closed loop's pace
    // (back to back, they would take whatever the checks leave and the load would not be half)
    const hotRate = HOT_CHANGES || changedClosed.changes / closed.seconds / 2;
    const changer2 = await changeHotCustomer(b.app.url, hot.id, hotRate);
    b.queries.reset();
    const loopDelay = monitorEventLoopDelay({ resolution: 5 });
    loopDelay.enable();
    cpu = cpuMeter();
    const sched0 = mainThreadSched(process.pid);
    const open = await openLoop(b.app.url, requests, rate, count);
    const cpuOpen = cpu.stop();
    const sched = schedSince(sched0, mainThreadSched(process.pid));
    loopDelay.disable();
    const changedOpen = await changer2.stop();
    console.log(line(`checkCredits, open loop at ${fmt(rate)} checks/s offered`, open, count));
    console.log(
      `  hot customer meanwhile: ${changedOpen.changes} changes (${fmt(changedOpen.changes / open.seconds)}/s), ` +
        `${changedOpen.errors} errors; ${cpuOpen}`,
    );
    b.queries.print('  issued', count, 'check (the hot customer changing included)', 8);
    if (open.errors.length) console.log(`  first error: ${open.errors[0]}`);
    // the requests alternate: even ones ask about the hot customer, odd ones about the others
    const hotLat = open.latencies.filter((_, i) => i % 2 === 0);
    const otherLat = open.latencies.filter((_, i) => i % 2 === 1);
    console.log(
      `  the server's event loop meanwhile: delay p50 ${fmt(loopDelay.percentile(50) / 1e6, 2)} ms, ` +
        `p99 ${fmt(loopDelay.percentile(99) / 1e6, 2)} ms, max ${fmt(loopDelay.max / 1e6, 2)} ms`,
    );
    if (open.clientDelay)
      console.log(
        `  the client's own event loop meanwhile (timer resolution 1 ms included): delay p99 ` +
          `${fmt(open.clientDelay.p99, 2)} ms, max ${fmt(open.clientDelay.max, 2)} ms`,
      );
    console.log(
      `  the server's main thread meanwhile: ran ${fmt(sched.ran, 2)} s, waited for a core ${fmt(sched.waited, 2)} s; ` +
        `context switches ${sched.voluntary} voluntary, ${sched.involuntary} involuntary`,
    );
    console.log(
      `  p99 of checks on the hot customer ${fmt(percentile(hotLat, 99), 2)} ms, ` +
        `on the others ${fmt(percentile(otherLat, 99), 2)} ms`,
    );

    const p99 = percentile(open.latencies, 99);
    console.log(
      `checkCredits / bare graphql-js: ${fmt(reads / baseReads, 2)}× (goal ≥ 0.5×); ` +
        `p99 at half load ${fmt(p99, 2)} ms (goal ≤ 10 ms)`,
    );
    result('check_reads_per_s', reads);
    result('check_ratio_to_baseline', reads / baseReads);
    result('check_p99_closed_ms', percentile(closed.latencies, 99));
    result('check_open_rate', rate);
    result('check_open_p50_ms', percentile(open.latencies, 50));
    result('check_open_p99_ms', p99);
    result('check_errors', closed.errors.length + open.errors.length);
    result('check_statements_per_read', statementsClosed / READS);
    result('check_hot_changes_per_s', changedClosed.changes / closed.seconds);
    result('check_open_main_thread_waited_over_ran', sched.waited / sched.ran);
  });
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
