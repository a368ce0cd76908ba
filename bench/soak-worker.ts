/* eslint-disable @typescript-eslint/no-explicit-any -- benchmark reads loosely typed JSON */
/**
 * The load of bench/soak.ts, on its own thread (own event loop; the server is another process):
 *
 * - closed loop, a fixed number of clients per kind, each sending its next request when the last one
 *   answered: `ingest` (ingestUsage batches over every customer), `charge` (createCharge) and `adjust`
 *   (adjustCredits −0.01) on the hot customers, `balance` (creditBalances), `history`
 *   (creditTransactions first: 20), `check` (checkCredits), `hold` (reserveCredits then releaseCreditHold:
 *   one op is the pair). Their ops/s are the throughput figure;
 * - open loop, the `probe`: a fixed rate of creditBalances / checkCredits / creditTransactions sent on
 *   schedule whatever the answers, latency counted from the instant each was due (no coordinated omission).
 *   Its p50/p99 are the latency figure;
 * - `live`: graphql-ws subscriptions to creditBalanceChanged on the hot customers, counting deliveries and
 *   checking that movement updates arrive in sequence order without gaps (SPEC §10).
 *
 * Messages from the parent: `flush` (post this window's figures and start the next), `stop` (stop the
 * closed and open loops, post the last window), `live` (post each subscription's last movement sequence),
 * `close` (dispose the sockets and exit).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface SoakJob {
  url: string;
  wsUrl: string;
  token: string;
  customers: { id: string; key: string }[];
  /** How many of the first customers take charges, adjustments, holds and subscriptions. */
  hot: number;
  clients: Record<ClosedKind, number>;
  batch: number;
  probeRate: number;
  subscribers: number;
  sockets: number;
  currency: string;
  eventType: string;
  featureKey: string;
}

export const CLOSED_KINDS = ['ingest', 'charge', 'adjust', 'balance', 'history', 'check', 'hold'] as const;
export type ClosedKind = (typeof CLOSED_KINDS)[number];

export interface KindWindow {
  ops: number;
  errors: number;
  latencies: number[];
}

export interface SoakWindow {
  seconds: number;
  kinds: Record<ClosedKind | 'probe', KindWindow>;
  events: number;
  deliveries: number;
  liveGaps: number;
  liveErrors: number;
  errorSamples: string[];
}

export type SoakMessage =
  { type: 'window'; window: SoakWindow } | { type: 'live'; last: { customerId: string; sequence: number }[] };

const HISTORY = `query($c:ID!){creditTransactions(customerId:$c,first:20){
  edges{cursor node{id sequence type amount balanceBefore balanceAfter bookedAt currency{code} allocations{amount grant{id}}}}
  pageInfo{hasNextPage endCursor}}}`;
const BALANCE = `query($c:ID!){creditBalances(customerId:$c){settled pending held upcoming currency{code}}}`;
const CHECK = `query($c:ID!,$f:String!,$q:Decimal){checkCredits(customerId:$c,featureKey:$f,quantity:$q){
  allowed reason cost available uncovered allocations{amount}}}`;
const INGEST = `mutation($e:[UsageEventInput!]!){ingestUsage(events:$e){accepted duplicates rejected{code}}}`;
const CHARGE = `mutation($i:CreateChargeInput!){createCharge(input:$i){id}}`;
const ADJUST = `mutation($i:AdjustCreditsInput!){adjustCredits(input:$i){sequence}}`;
const RESERVE = `mutation($i:ReserveCreditsInput!){reserveCredits(input:$i){id}}`;
const RELEASE = `mutation($id:ID!){releaseCreditHold(holdId:$id){id}}`;
const LIVE = `subscription($c:ID!){creditBalanceChanged(customerId:$c){sequence movement{id} balance{settled pending}}}`;

const clock = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Stats {
  private started = clock();
  kinds = {} as Record<ClosedKind | 'probe', KindWindow>;
  events = 0;
  deliveries = 0;
  liveGaps = 0;
  liveErrors = 0;
  errorSamples: string[] = [];
  constructor() {
    this.reset();
  }
  reset(): void {
    for (const k of [...CLOSED_KINDS, 'probe' as const]) this.kinds[k] = { ops: 0, errors: 0, latencies: [] };
    this.events = 0;
    this.deliveries = 0;
    this.liveGaps = 0;
    this.liveErrors = 0;
    this.errorSamples = [];
    this.started = clock();
  }
  error(kind: string, message: string): void {
    if (this.errorSamples.length < 5) this.errorSamples.push(`${kind}: ${message.slice(0, 300)}`);
  }
  take(): SoakWindow {
    const w: SoakWindow = {
      seconds: (clock() - this.started) / 1000,
      kinds: this.kinds,
      events: this.events,
      deliveries: this.deliveries,
      liveGaps: this.liveGaps,
      liveErrors: this.liveErrors,
      errorSamples: this.errorSamples,
    };
    this.kinds = {} as typeof this.kinds;
    this.reset();
    return w;
  }
}

async function gql(job: SoakJob, query: string, variables: Record<string, unknown>): Promise<any> {
  const res = await fetch(job.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${job.token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  if (body.errors?.length || !body.data) throw new Error(JSON.stringify(body.errors ?? body).slice(0, 500));
  return body.data;
}

function run(job: SoakJob): void {
  const stats = new Stats();
  let stopped = false;
  const all = job.customers;
  const hot = all.slice(0, Math.max(1, Math.min(job.hot, all.length)));
  const pick = (list: typeof all, i: number) => list[i % list.length]!;
  const rnd = (n: number) => Math.floor(Math.random() * n);

  /** One request (or pair) of a kind; throws on any error. */
  const op: Record<ClosedKind, (client: number, n: number) => Promise<void>> = {
    async ingest(client, n) {
      const events = new Array(job.batch);
      for (let i = 0; i < job.batch; i++) {
        events[i] = {
          id: `soak-${client}-${n}-${i}`,
          subject: pick(all, n * job.batch + i + client).key,
          type: job.eventType,
        };
      }
      const r = await gql(job, INGEST, { e: events });
      const accepted = r.ingestUsage.accepted as number;
      stats.events += accepted;
      if (accepted !== job.batch) {
        throw new Error(
          `accepted ${accepted} of ${job.batch}: ${JSON.stringify(r.ingestUsage).slice(0, 300)}`,
        );
      }
    },
    async charge(client, n) {
      await gql(job, CHARGE, {
        i: {
          customerId: pick(hot, n + client).id,
          currency: job.currency,
          amount: '0.01',
          description: 'soak',
          settlementMode: 'CREDIT_ONLY',
        },
      });
    },
    async adjust(client, n) {
      await gql(job, ADJUST, {
        i: {
          customerId: pick(hot, n + client + 1).id,
          currency: job.currency,
          amount: '-0.01',
          reason: 'soak',
        },
      });
    },
    async balance() {
      await gql(job, BALANCE, { c: all[rnd(all.length)]!.id });
    },
    async history() {
      // half on the hot customers (long, growing histories), half on any customer
      const list = Math.random() < 0.5 ? hot : all;
      await gql(job, HISTORY, { c: list[rnd(list.length)]!.id });
    },
    async check() {
      await gql(job, CHECK, { c: all[rnd(all.length)]!.id, f: job.featureKey, q: '1' });
    },
    async hold(client, n) {
      const customerId = pick(hot, n + client + 2).id;
      const r = await gql(job, RESERVE, { i: { customerId, currency: job.currency, amount: '0.05' } });
      await gql(job, RELEASE, { id: r.reserveCredits.id });
    },
  };

  const loops: Promise<void>[] = [];
  for (const kind of CLOSED_KINDS) {
    for (let c = 0; c < job.clients[kind]; c++) {
      loops.push(
        (async () => {
          for (let n = 0; !stopped; n++) {
            const t = clock();
            try {
              await op[kind](c, n);
              const w = stats.kinds[kind];
              w.ops++;
              w.latencies.push(clock() - t);
            } catch (e) {
              stats.kinds[kind].errors++;
              stats.error(kind, (e as Error).message);
              await sleep(100); // a failing server is not hammered in a tight loop
            }
          }
        })(),
      );
    }
  }

  // open-loop probe: requests due at fixed instants; latency from the instant each was due
  const probes = [
    (c: string) => gql(job, BALANCE, { c }),
    (c: string) => gql(job, CHECK, { c, f: job.featureKey, q: '1' }),
    (c: string) => gql(job, HISTORY, { c }),
  ];
  const probeInFlight = new Set<Promise<void>>();
  if (job.probeRate > 0) {
    loops.push(
      (async () => {
        const interval = 1000 / job.probeRate;
        const start = clock();
        for (let i = 0; !stopped; i++) {
          const due = start + i * interval;
          const wait = due - clock();
          if (wait > 1) await sleep(wait);
          if (stopped) break;
          const p = probes[i % probes.length]!(all[rnd(all.length)]!.id).then(
            () => {
              const w = stats.kinds.probe;
              w.ops++;
              w.latencies.push(clock() - due);
            },
            (e: unknown) => {
              stats.kinds.probe.errors++;
              stats.error('probe', (e as Error).message);
            },
          );
          probeInFlight.add(p);
          void p.finally(() => probeInFlight.delete(p));
        }
      })(),
    );
  }

  // live subscriptions on the hot customers
  const sockets: WsClient[] = [];
  for (let s = 0; s < Math.min(Math.max(1, job.sockets), job.subscribers); s++) {
    sockets.push(
      createClient({
        url: job.wsUrl,
        webSocketImpl: WebSocket,
        lazy: false,
        retryAttempts: 0,
        connectionParams: { authorization: `Bearer ${job.token}` },
      }),
    );
  }
  const lastSeq: { customerId: string; sequence: number }[] = [];
  for (let s = 0; s < job.subscribers; s++) {
    const customerId = hot[s % hot.length]!.id;
    const mine = { customerId, sequence: -1 };
    lastSeq.push(mine);
    sockets[s % sockets.length]!.subscribe(
      { query: LIVE, variables: { c: customerId } },
      {
        next: (r) => {
          const u = (r.data as any)?.creditBalanceChanged;
          if (!u) {
            stats.liveErrors++;
            stats.error('live', JSON.stringify(r).slice(0, 300));
            return;
          }
          stats.deliveries++;
          if (!u.movement) return; // a change of pending alone
          if (mine.sequence >= 0 && u.sequence !== mine.sequence + 1) {
            stats.liveGaps++;
            stats.error('live', `sequence ${u.sequence} after ${mine.sequence} on ${customerId}`);
          }
          mine.sequence = u.sequence;
        },
        error: (e) => {
          stats.liveErrors++;
          stats.error('live', e instanceof Error ? e.message : JSON.stringify(e).slice(0, 300));
        },
        complete: () => undefined,
      },
    );
  }

  const post = (m: SoakMessage) => parentPort!.postMessage(m);
  parentPort!.on('message', (m: { type: string }) => {
    if (m.type === 'flush') post({ type: 'window', window: stats.take() });
    else if (m.type === 'stop') {
      stopped = true;
      void Promise.all([...loops, ...probeInFlight]).then(() =>
        post({ type: 'window', window: stats.take() }),
      );
    } else if (m.type === 'live') post({ type: 'live', last: lastSeq.map((x) => ({ ...x })) });
    else if (m.type === 'close') {
      void Promise.all(sockets.map((s) => s.dispose())).then(() => process.exit(0));
    }
  });
}

if (parentPort) run(workerData as SoakJob);
