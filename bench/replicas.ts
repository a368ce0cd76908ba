/* Replicas benchmark (docs/scaling.md "Several API processes"): one API process against two on one database.
 *
 * Starts `src/main.js` of this build as a child process (bench/server-process.ts, as live.ts does) on a
 * scratch database, creates REPLICAS_CUSTOMERS (200) customers with a subscription and a large grant, then runs
 * the same mixed load twice from a worker thread (bench/replicas-worker.ts): REPLICAS_CLIENTS (32) closed-loop
 * clients for REPLICAS_SECONDS (10) each, every request a `createCharge` of 0.01 (CREDIT_ONLY) with probability
 * REPLICAS_CHARGE_SHARE (0.2) and otherwise a `creditBalances` read, on a random customer:
 *
 * 1. one: every client sends to the first process;
 * 2. two: a second process (its own port) joins on the same database, and the clients alternate between them.
 *
 * A warm-up of REPLICAS_WARMUP (3) seconds precedes each phase. Prints reads/s, charges/s, all requests/s,
 * p50/p99 per kind, errors and the two-to-one ratios. Both processes, PostgreSQL and the load share this
 * machine's cores, so the ratio says what a second process buys on the same machine, not on a second one.
 *
 * `npx swc src migrations bench -d $B -q` (see bench/README.md), then `node $B/bench/replicas.js`.
 */
import 'reflect-metadata';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  API_KEY,
  CURRENCY,
  createCustomers,
  createScratchDatabase,
  envInt,
  fmt,
  gqlClient,
  percentile,
  result,
  setupCatalog,
} from './lib';
import type { ReplicaLoadJob, ReplicaLoadResult } from './replicas-worker';
import { spawnDrawdown, type DrawdownProcess } from './server-process';

const CUSTOMERS = envInt('REPLICAS_CUSTOMERS', 200);
const CLIENTS = envInt('REPLICAS_CLIENTS', 32);
const SECONDS = envInt('REPLICAS_SECONDS', 10);
const WARMUP = envInt('REPLICAS_WARMUP', 3);
const CHARGE_SHARE = Number(process.env.REPLICAS_CHARGE_SHARE ?? '0.2');

const SERVER_ENV = { DRAWDOWN_SETTLE_INTERVAL: '3600s' };

function load(urls: string[], customerIds: string[], seconds: number): Promise<ReplicaLoadResult> {
  const job: ReplicaLoadJob = {
    urls,
    token: API_KEY,
    customerIds,
    currency: CURRENCY,
    clients: CLIENTS,
    seconds,
    chargeShare: CHARGE_SHARE,
  };
  return new Promise((resolve, reject) => {
    const w = new Worker(path.join(__dirname, 'replicas-worker.js'), { workerData: job });
    w.once('message', (m: ReplicaLoadResult) => {
      resolve(m);
      void w.terminate();
    });
    w.once('error', reject);
    w.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load worker exited with ${code}`));
    });
  });
}

interface Phase {
  reads: number;
  charges: number;
  ops: number;
}

async function phase(name: string, servers: DrawdownProcess[], customerIds: string[]): Promise<Phase> {
  const urls = servers.map((s) => s.url);
  await load(urls, customerIds, WARMUP);
  const cpu0 = servers.map((s) => s.cpuSeconds());
  const r = await load(urls, customerIds, SECONDS);
  const cpu = servers.map((s, i) => fmt(((s.cpuSeconds() - cpu0[i]!) / r.seconds) * 100, 0));
  const reads = r.reads.length / r.seconds;
  const charges = r.charges.length / r.seconds;
  const ops = reads + charges;
  const ms = (v: number[], p: number) => fmt(percentile(v, p), 1);
  console.log(
    `${name}: ${servers.length} process(es), ${CLIENTS} clients for ${fmt(r.seconds, 1)} s: ` +
      `${fmt(reads)} reads/s (p50 ${ms(r.reads, 50)} ms, p99 ${ms(r.reads, 99)} ms), ` +
      `${fmt(charges)} charges/s (p50 ${ms(r.charges, 50)} ms, p99 ${ms(r.charges, 99)} ms), ` +
      `${r.errors} errors; requests per process ${r.perUrl.join(' / ')}; server CPU ${cpu.join(' / ')}% of a core`,
  );
  for (const e of r.firstErrors) console.log(`  error: ${e}`);
  result(`replicas_${name}_reads_per_s`, reads);
  result(`replicas_${name}_charges_per_s`, charges);
  result(`replicas_${name}_ops_per_s`, ops);
  result(`replicas_${name}_read_p99_ms`, percentile(r.reads, 99));
  result(`replicas_${name}_charge_p99_ms`, percentile(r.charges, 99));
  result(`replicas_${name}_errors`, r.errors);
  return { reads, charges, ops };
}

async function main(): Promise<void> {
  const db = await createScratchDatabase('replicas');
  const servers: DrawdownProcess[] = [];
  const stopAll = async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await db.drop();
  };
  process.once('SIGINT', () => void stopAll().finally(() => process.exit(130)));
  try {
    servers.push(await spawnDrawdown(db.url, SERVER_ENV));
    const gql = gqlClient(servers[0]!.url);
    const t0 = Date.now();
    const planId = await setupCatalog(gql);
    const customers = await createCustomers(gql, {
      n: CUSTOMERS,
      planId,
      grantAmount: '100000000',
      concurrency: 16,
      prefix: 'rep',
    });
    console.log(`setup: ${CUSTOMERS} customers in ${fmt((Date.now() - t0) / 1000, 1)} s`);
    const ids = customers.map((c) => c.id);
    const one = await phase('one', servers, ids);
    servers.push(await spawnDrawdown(db.url, SERVER_ENV));
    const two = await phase('two', servers, ids);
    const ratio = (a: number, b: number) => (b > 0 ? a / b : NaN);
    console.log(
      `two processes / one: reads ${fmt(ratio(two.reads, one.reads), 2)}×, charges ` +
        `${fmt(ratio(two.charges, one.charges), 2)}×, all requests ${fmt(ratio(two.ops, one.ops), 2)}×`,
    );
    result('replicas_reads_ratio', ratio(two.reads, one.reads));
    result('replicas_charges_ratio', ratio(two.charges, one.charges));
    result('replicas_ops_ratio', ratio(two.ops, one.ops));
  } finally {
    await stopAll();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
