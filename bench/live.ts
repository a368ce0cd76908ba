/* Live fan-out benchmark (SPEC §13 "live fan-out to 1,000 subscribers", "10,000 idle subscriptions").
 *
 * Starts `dist/src/main.js` as a separate process on a scratch database (so its CPU and RSS are its own;
 * bench/server-process.ts), with the subscription caps raised to fit the workload. Opens SUBS (1,000)
 * `creditBalanceChanged` subscriptions over SOCKETS (100) graphql-ws sockets on CUSTOMERS (10) customers
 * (bench/lib.ts openSubscribers: the same client code as the raw `ws` baseline, bench/ws-baseline.ts), books
 * one warm-up movement per customer until every subscription received one, then FANOUT_WARMUP (1,000)
 * uncounted updates as in 1 (bench/lib.ts), then:
 *
 * 1. fan-out: UPDATES (1,000) `adjustCredits` movements round-robin over the customers from PUBLISHERS (20)
 *    concurrent publishers (each one mutation at a time): deliveries/s (all deliveries over the time from
 *    the first send to the last receipt) and, per delivery, the time from sending the mutation to the
 *    subscriber receiving the update. That is an upper bound on commit → client: it includes the
 *    mutation's own work. Also the server's CPU time per delivery (the mutations' work included).
 * 2. the same while settlement runs: a loop ingests one usage event for each of SETTLE_CUSTOMERS (500)
 *    other customers (batches of 500) and calls `settleCharges`, over and over, while UPDATES more
 *    movements are sent as in 1. Prints the same figures and the movements settlement booked per second.
 * 3. idle: IDLE (10,000) subscriptions held on max(CUSTOMERS, IDLE / 10) customers; the server's RSS.
 *
 * Prints figures only: `npx swc src migrations bench -d $B -q` (see bench/README.md), then
 * `node $B/bench/live.js`.
 */
import 'reflect-metadata';
import os from 'node:os';
import {
  FanoutProbe,
  INGEST_MUTATION,
  createCustomers,
  createScratchDatabase,
  envInt,
  fmt,
  gqlClient,
  openSubscribers,
  pool,
  processCpuSeconds,
  ownCpuSeconds,
  postgresCpuSeconds,
  mainThreadSched,
  schedSince,
  type ThreadSched,
  publishRoundRobin,
  result,
  setupCatalog,
  warmUpSubscribers,
  warmUpFanout,
  FANOUT_WARMUP,
  type GqlClient,
  type IngestAnswer,
  CURRENCY,
  EVENT_TYPE,
} from './lib';
import { spawnDrawdown } from './server-process';

const CUSTOMERS = envInt('CUSTOMERS', 10);
const SUBS = envInt('SUBS', 1000);
const SOCKETS = envInt('SOCKETS', 100);
const UPDATES = envInt('UPDATES', 1000);
const PUBLISHERS = envInt('PUBLISHERS', 20);
const SETTLE_CUSTOMERS = envInt('SETTLE_CUSTOMERS', 500);
const IDLE = envInt('IDLE', 10_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CHANGED = `subscription($c: ID!) { creditBalanceChanged(customerId: $c) { sequence movement { id } balance { settled } } }`;
const ADJUST = `mutation($c: ID!) { adjustCredits(input: { customerId: $c, currency: "${CURRENCY}", amount: "-1", reason: "bench" }) { sequence } }`;

/** Creates `n` customers with no subscription or grant, 50 requests in flight. */
async function plainCustomers(gql: GqlClient, n: number): Promise<string[]> {
  const ids = new Array<string>(n);
  await pool(n, 50, async (i) => {
    const r = await gql.request<{ createCustomer: { id: string } }>(
      `mutation($k: String!) { createCustomer(input: { key: $k, name: "Idle" }) { id } }`,
      { k: `idle-${i}` },
    );
    ids[i] = r.createCustomer.id;
  });
  return ids;
}

/** Ingests one event per customer and settles, over and over, until `stop()`; counts what it booked. */
function settlementLoop(gql: GqlClient, keys: string[]) {
  let running = true;
  let round = 0;
  let booked = 0;
  let firstRound!: () => void;
  const started = new Promise<void>((r) => (firstRound = r));
  const t0 = performance.now();
  const done = (async () => {
    while (running) {
      for (let from = 0; from < keys.length; from += 500) {
        const events = keys
          .slice(from, from + 500)
          .map((subject) => ({ id: `r${round}-${subject}`, subject, type: EVENT_TYPE }));
        await gql.request<IngestAnswer>(INGEST_MUTATION, { e: events });
      }
      round++;
      firstRound();
      const r = await gql.request<{ settleCharges: { settledCharges: number } }>(
        `mutation { settleCharges { settledCharges } }`,
      );
      booked += r.settleCharges.settledCharges;
    }
  })();
  return {
    started,
    async stop() {
      running = false;
      await done;
      return { rounds: round, booked, seconds: (performance.now() - t0) / 1000 };
    },
  };
}

/** CPU seconds so far of the server, of this process (the subscribers and publishers) and of PostgreSQL. */
function cpuNow(pid: number) {
  return { server: processCpuSeconds(pid), clients: ownCpuSeconds(), database: postgresCpuSeconds() };
}

function report(
  label: string,
  prefix: string,
  probe: FanoutProbe,
  expected: number,
  cpu0: ReturnType<typeof cpuNow>,
  cpu1: ReturnType<typeof cpuNow>,
  sched: ThreadSched,
) {
  const s = probe.summary();
  const cpuSeconds = cpu1.server - cpu0.server;
  const cpuPerDelivery = (cpuSeconds / s.delivered) * 1e6;
  console.log(`  ${label}`);
  console.log(
    `    deliveries: ${s.delivered}/${expected} in ${fmt(s.seconds, 2)} s = ${fmt(s.perSecond, 0)} deliveries/s`,
  );
  console.log(
    `    commit→receipt (answer→receipt): p50 ${fmt(s.answeredP50)} ms, p99 ${fmt(s.answeredP99)} ms`,
  );
  console.log(`    send→receipt, all deliveries:     p50 ${fmt(s.p50)} ms, p99 ${fmt(s.p99)} ms`);
  console.log(`    send→first receipt per update:    p50 ${fmt(s.firstP50)} ms, p99 ${fmt(s.firstP99)} ms`);
  result(`${prefix}deliveries_per_s`, s.perSecond);
  result(`${prefix}p50_ms`, s.answeredP50);
  result(`${prefix}p99_ms`, s.answeredP99);
  result(`${prefix}send_p50_ms`, s.p50);
  result(`${prefix}send_p99_ms`, s.p99);
  console.log(`    server CPU: ${fmt(cpuPerDelivery)} µs per delivery (mutations included)`);
  const share = (k: keyof typeof cpu0) => fmt(((cpu1[k] - cpu0[k]) / s.seconds) * 100, 0);
  console.log(
    `    CPU in % of one core: server ${share('server')}, subscribers and publishers ${share('clients')}, ` +
      `PostgreSQL ${share('database')} (${os.cpus().length} cores)`,
  );
  result(`${prefix}delivered`, s.delivered);
  result(`${prefix}server_cpu_us_per_delivery`, cpuPerDelivery);
  console.log(
    `    server main thread: ran ${fmt(sched.ran, 2)} s, waited ${fmt(sched.waited, 2)} s for a core; ` +
      `context switches ${sched.involuntary} involuntary, ${sched.voluntary} voluntary`,
  );
  result(`${prefix}main_thread_waited_over_ran`, sched.waited / sched.ran);
}

async function main(): Promise<void> {
  const db = await createScratchDatabase('live');
  const server = await spawnDrawdown(db.url, {
    DRAWDOWN_SETTLE_INTERVAL: '3600s',
    // the benchmark holds every subscription under the one admin key
    DRAWDOWN_MAX_SUBSCRIPTIONS_PER_TOKEN: String(SUBS + IDLE + 100),
    DRAWDOWN_MAX_SUBSCRIPTIONS_PER_SOCKET: String(Math.ceil((SUBS + IDLE) / SOCKETS) + 100),
  }).catch(async (e: unknown) => {
    await db.drop();
    throw e;
  });
  const gql = gqlClient(server.url);
  let clients: { dispose(): Promise<void> | void }[] = [];
  try {
    const planId = await setupCatalog(gql);
    const hot = (
      await createCustomers(gql, {
        n: CUSTOMERS,
        planId,
        grantAmount: '100000',
        concurrency: 8,
        prefix: 'hot',
      })
    ).map((c) => c.id);
    const settling = await createCustomers(gql, {
      n: SETTLE_CUSTOMERS,
      planId,
      grantAmount: '1000000',
      concurrency: 8,
      prefix: 'settle',
    });

    const probe = new FanoutProbe();
    const subscribers = await openSubscribers({
      url: server.wsUrl,
      sockets: SOCKETS,
      subs: SUBS,
      topics: CUSTOMERS,
      connectionParams: { authorization: 'Bearer bench-key' },
      request: (topic) => ({ query: CHANGED, variables: { c: hot[topic] } }),
      sequenceOf: (data) =>
        (data as { creditBalanceChanged?: { sequence: number; movement: unknown } } | null)
          ?.creditBalanceChanged?.sequence ?? null,
      probe,
    });
    clients = subscribers.clients;
    const publish = async (topic: number) =>
      (await gql.request<{ adjustCredits: { sequence: number } }>(ADJUST, { c: hot[topic] })).adjustCredits
        .sequence;
    const round = (updates: number) =>
      publishRoundRobin({ updates, topics: CUSTOMERS, publishers: PUBLISHERS, probe, publish });
    await warmUpSubscribers(probe, SUBS, () => round(CUSTOMERS));
    await warmUpFanout(probe, FANOUT_WARMUP, SUBS / CUSTOMERS, round);

    const expected = UPDATES * (SUBS / CUSTOMERS);
    console.log(
      `live fan-out: ${UPDATES} updates on ${CUSTOMERS} customers from ${PUBLISHERS} publishers, ${SUBS} subscriptions over ${SOCKETS} sockets`,
    );
    probe.start();
    let cpu0 = cpuNow(server.pid);
    let sched0 = mainThreadSched(server.pid);
    await round(UPDATES);
    await probe.drain(expected);
    report(
      'quiet:',
      'live_',
      probe,
      expected,
      cpu0,
      cpuNow(server.pid),
      schedSince(sched0, mainThreadSched(server.pid)),
    );
    const fanOutRss = server.rssMb();
    console.log(`    server RSS with ${SUBS} subscriptions: ${fmt(fanOutRss, 0)} MB`);
    result('live_rss_mb', fanOutRss);

    const settle = settlementLoop(
      gql,
      settling.map((c) => c.key),
    );
    await settle.started;
    probe.start();
    cpu0 = cpuNow(server.pid);
    sched0 = mainThreadSched(server.pid);
    await round(UPDATES);
    await probe.drain(expected);
    const settleCpu = cpuNow(server.pid);
    const settleSched = schedSince(sched0, mainThreadSched(server.pid));
    const s = await settle.stop();
    report(
      `while settlement runs (${SETTLE_CUSTOMERS} customers ingesting and settling in a loop):`,
      'live_settle_',
      probe,
      expected,
      cpu0,
      settleCpu,
      settleSched,
    );
    console.log(
      `    settlement: ${s.rounds} rounds, ${s.booked} charges settled in ${fmt(s.seconds, 1)} s = ${fmt(s.booked / s.seconds, 0)}/s`,
    );
    result('live_settle_charges_per_s', s.booked / s.seconds);
    subscribers.unsubscribe();

    // idle: IDLE subscriptions spread over the sockets and over max(CUSTOMERS, IDLE / 10) customers
    const extra = Math.max(0, Math.ceil(IDLE / 10) - hot.length - settling.length);
    const idleCustomers = [...hot, ...settling.map((c) => c.id), ...(await plainCustomers(gql, extra))].slice(
      0,
      Math.max(CUSTOMERS, Math.ceil(IDLE / 10)),
    );
    for (let i = 0; i < IDLE; i++) {
      subscribers.clients[i % subscribers.clients.length]!.subscribe(
        {
          query: `subscription($c: ID!) { creditBalanceChanged(customerId: $c) { sequence } }`,
          variables: { c: idleCustomers[i % idleCustomers.length] },
        },
        { next: () => undefined, error: (e) => console.error('idle error', e), complete: () => undefined },
      );
      if (i % 500 === 499) await sleep(50);
    }
    // started once the server counts them and its CPU has gone quiet (starts read the database)
    let open = 0;
    for (let i = 0; i < 240; i++) {
      const before = processCpuSeconds(server.pid);
      await sleep(500);
      open = (await server.metrics()).get('drawdown_ws_subscriptions') ?? NaN;
      if (!(open < IDLE) && processCpuSeconds(server.pid) - before < 0.05) break;
    }
    const idleRss = server.rssMb();
    console.log(
      `idle: ${IDLE} subscriptions (server counts ${open} open) on ${idleCustomers.length} customers over ${SOCKETS} sockets → server RSS ${fmt(idleRss, 0)} MB`,
    );
    result('live_idle_subscriptions', open);
    result('live_idle_rss_mb', idleRss);
  } finally {
    await Promise.all(clients.map((c) => c.dispose()));
    await server.stop();
    await db.drop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
