/* eslint-disable @typescript-eslint/no-explicit-any -- benchmark reads loosely typed JSON */
/* Live fan-out benchmark: commit → subscriber receipt over graphql-ws, and idle-subscription memory.
 *
 * Starts `node dist/src/main.js` as a separate process on a scratch database (so its RSS is its own), opens
 * SUBS subscriptions over SOCKETS graphql-ws sockets on CUSTOMERS customers, books UPDATES movements
 * (adjustCredits, round-robin over the customers) and measures, for every delivery, the time from sending
 * the mutation to the subscriber receiving the update (an upper bound on commit → receipt: it includes
 * the mutation's own work). Then it holds IDLE idle subscriptions and reads the server's RSS.
 * Prints figures only; run with `npm run build && npx swc bench -d dist -q && node dist/bench/live.js`.
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createClient, type Client as WsClient } from 'graphql-ws';
import { Client } from 'pg';
import WebSocket from 'ws';

const BASE = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const KEY = 'bench-key';
const CUSTOMERS = Number(process.env.CUSTOMERS ?? 10);
const SUBS = Number(process.env.SUBS ?? 1000);
const SOCKETS = Number(process.env.SOCKETS ?? 100);
const UPDATES = Number(process.env.UPDATES ?? 1000);
const IDLE = Number(process.env.IDLE ?? 10_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

async function main(): Promise<void> {
  const name = `bench_live_${randomBytes(3).toString('hex')}`;
  const admin = new Client({ connectionString: BASE });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(BASE);
  url.pathname = `/${name}`;
  const port = 4600 + Math.floor(Math.random() * 300);
  const server = spawn(process.execPath, [path.resolve(__dirname, '../src/main.js')], {
    env: {
      ...process.env,
      DATABASE_URL: url.toString(),
      DRAWDOWN_API_KEYS: KEY,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    server.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    server.on('exit', (c) => reject(new Error(`server exited ${c}`)));
  });
  const http = `http://127.0.0.1:${port}/graphql`;
  const gql = async (query: string, variables: Record<string, unknown> = {}) => {
    const res = await fetch(http, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: Record<string, any>; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data!;
  };
  const rss = () => {
    const status = fs.readFileSync(`/proc/${server.pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
  };
  const sockets: WsClient[] = [];
  try {
    await gql(`mutation { createCurrency(input: { code: "BLV", name: "Bench", scale: 2 }) { id } }`);
    const need = Math.max(CUSTOMERS, Math.ceil(IDLE / 10));
    const customers: string[] = [];
    for (let i = 0; i < need; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, need - i) }, (_, j) =>
          gql(`mutation($k: String!) { createCustomer(input: { key: $k, name: "B" }) { id } }`, {
            k: `c${i + j}`,
          }),
        ),
      );
      customers.push(...batch.map((b) => b.createCustomer.id as string));
    }
    const hot = customers.slice(0, CUSTOMERS);
    for (const c of hot) {
      await gql(
        `mutation($c: ID!) { createCreditGrant(input: { customerId: $c, currency: "BLV", amount: "100000", fundingMethod: PROMOTIONAL }) { id } }`,
        { c },
      );
    }
    for (let i = 0; i < SOCKETS; i++) {
      sockets.push(
        createClient({
          url: `ws://127.0.0.1:${port}/graphql`,
          webSocketImpl: WebSocket,
          lazy: false,
          retryAttempts: 0,
          connectionParams: { authorization: `Bearer ${KEY}` },
        }),
      );
    }
    // fan-out phase
    const sentAt = new Map<number, number>(); // movement sequence per customer → send time (keyed below)
    const latencies: number[] = [];
    const firstLatencies = new Map<string, number>();
    let delivered = 0;
    const unsubs: (() => void)[] = [];
    for (let s = 0; s < SUBS; s++) {
      const customerId = hot[s % hot.length]!;
      const ci = s % hot.length;
      unsubs.push(
        sockets[s % sockets.length]!.subscribe(
          {
            query: `subscription($c: ID!) { creditBalanceChanged(customerId: $c) { sequence movement { id } balance { settled } } }`,
            variables: { c: customerId },
          },
          {
            next: (r) => {
              const u = (r.data as any)?.creditBalanceChanged;
              if (!u?.movement) return;
              const sent = sentAt.get(ci * 1_000_000 + u.sequence);
              if (sent === undefined) return;
              const ms = performance.now() - sent;
              latencies.push(ms);
              const key = `${ci}:${u.sequence}`;
              if (!firstLatencies.has(key)) firstLatencies.set(key, ms);
              delivered++;
            },
            error: (e) => console.error('subscription error', e),
            complete: () => undefined,
          },
        ),
      );
    }
    await sleep(2000);
    const heldDuringFanOut = SUBS;
    const started = performance.now();
    const seq = new Array<number>(hot.length).fill(1);
    for (let u = 0; u < UPDATES; u++) {
      const ci = u % hot.length;
      seq[ci]!++;
      sentAt.set(ci * 1_000_000 + seq[ci]!, performance.now());
      await gql(
        `mutation($c: ID!) { adjustCredits(input: { customerId: $c, currency: "BLV", amount: "-1", reason: "bench" }) { sequence } }`,
        { c: hot[ci] },
      );
    }
    const expected = UPDATES * (SUBS / hot.length);
    for (let i = 0; i < 100 && delivered < expected; i++) await sleep(100);
    const secs = (performance.now() - started) / 1000;
    console.log(
      `live fan-out: ${UPDATES} updates on ${hot.length} customers, ${heldDuringFanOut} subscriptions over ${SOCKETS} sockets`,
    );
    console.log(
      `  deliveries: ${delivered}/${expected} in ${secs.toFixed(1)} s = ${(delivered / secs).toFixed(0)} deliveries/s`,
    );
    console.log(
      `  send→receipt over all deliveries: median ${pct(latencies, 50).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms`,
    );
    const first = [...firstLatencies.values()];
    console.log(
      `  send→first receipt per update:    median ${pct(first, 50).toFixed(1)} ms, p99 ${pct(first, 99).toFixed(1)} ms`,
    );
    console.log(`  server RSS with ${SUBS} subscriptions: ${rss().toFixed(0)} MB`);
    for (const u of unsubs) u();

    // idle phase: IDLE subscriptions spread over the sockets and customers
    for (let s = 0; s < IDLE; s++) {
      sockets[s % sockets.length]!.subscribe(
        {
          query: `subscription($c: ID!) { creditBalanceChanged(customerId: $c) { sequence } }`,
          variables: { c: customers[s % customers.length] },
        },
        { next: () => undefined, error: (e) => console.error('idle error', e), complete: () => undefined },
      );
      if (s % 500 === 499) await sleep(50);
    }
    await sleep(5000);
    console.log(
      `idle: ${IDLE} subscriptions on ${Math.min(customers.length, IDLE)} customers over ${SOCKETS} sockets → server RSS ${rss().toFixed(0)} MB`,
    );
  } finally {
    for (const s of sockets) await s.dispose();
    server.kill('SIGTERM');
    await new Promise((r) => server.on('exit', r));
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
