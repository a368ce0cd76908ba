/**
 * SPEC §13 "live fan-out to 1,000 subscribers", the baseline: a raw `ws` broadcast with no GraphQL, no
 * database and no ORM, measured exactly as bench/live.ts measures the server.
 *
 * The server (this file with `--serve`, in its own process like the Drawdown server in live.ts) speaks just
 * enough of graphql-transport-ws for the graphql-ws client: `connection_init` → `connection_ack`,
 * `subscribe` puts the (socket, id) on the topic named by the `c` variable, `complete` takes it off,
 * `ping` → `pong`. `POST /publish {"topic"}` takes the topic's next sequence, serializes one update payload of the same shape and
 * size as a `creditBalanceChanged { sequence movement { id } balance { settled } }` result, once, and sends
 * `{"id":…,"type":"next","payload":…}` to every subscriber of the topic, then answers with the sequence. That is the best a
 * raw broadcast does: one serialization per update, one frame per subscriber.
 *
 * The client side is live.ts's (bench/lib.ts: openSubscribers, publishRoundRobin, FanoutProbe): SUBS
 * (1,000) graphql-ws subscriptions over SOCKETS (100) sockets on CUSTOMERS (10) topics, a warm-up update
 * per topic that every subscription must receive, FANOUT_WARMUP (1,000) uncounted updates, then UPDATES (1,000) updates round-robin over the topics from
 * PUBLISHERS (20) concurrent publishers, each one update at a time over HTTP. Prints deliveries/s (all
 * deliveries over the time from the first publish to the last delivery), publish → receipt p50/p99, and
 * the server's CPU time per delivery.
 */
import fs from 'node:fs';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { WebSocketServer, type WebSocket } from 'ws';
import { IdPrefix, newId } from '../src/core/ids';
import {
  FanoutProbe,
  envInt,
  fmt,
  openSubscribers,
  ownCpuSeconds,
  processCpuSeconds,
  publishRoundRobin,
  result,
  warmUpSubscribers,
  warmUpFanout,
  FANOUT_WARMUP,
} from './lib';

const CUSTOMERS = envInt('CUSTOMERS', 10);
const SUBS = envInt('SUBS', 1000);
const SOCKETS = envInt('SOCKETS', 100);
const UPDATES = envInt('UPDATES', 1000);
const PUBLISHERS = envInt('PUBLISHERS', 20);
const PROTOCOL = 'graphql-transport-ws';

/** The payload of one balance update, shaped and sized like the server's (ids are `mov_<ulid>`). */
function updatePayload(sequence: number): string {
  return JSON.stringify({
    data: {
      creditBalanceChanged: {
        sequence,
        movement: { id: newId(IdPrefix.CreditMovement) },
        balance: { settled: (100_000 - sequence).toFixed(2) },
      },
    },
  });
}

function serve(): void {
  const topics = new Map<string, Map<WebSocket, Set<string>>>();
  /** Per topic, the last sequence published (a ledger's sequence, in the server under test). */
  const sequences = new Map<string, number>();
  const server = http.createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/publish') {
      res.writeHead(404).end();
      return;
    }
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const { topic } = JSON.parse(body) as { topic: string };
      const sequence = (sequences.get(topic) ?? 0) + 1;
      sequences.set(topic, sequence);
      const payload = updatePayload(sequence);
      let sent = 0;
      for (const [socket, ids] of topics.get(topic) ?? []) {
        for (const id of ids) {
          socket.send(`{"id":${JSON.stringify(id)},"type":"next","payload":${payload}}`);
          sent++;
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sequence, sent }));
    });
  });
  const wss = new WebSocketServer({
    server,
    path: '/graphql',
    handleProtocols: (protocols) => (protocols.has(PROTOCOL) ? PROTOCOL : false),
  });
  wss.on('connection', (socket) => {
    const mine = new Map<string, string>(); // subscription id → topic
    const leave = (id: string) => {
      const topic = mine.get(id);
      if (topic === undefined) return;
      mine.delete(id);
      const subs = topics.get(topic)!;
      subs.get(socket)?.delete(id);
      if (subs.get(socket)?.size === 0) subs.delete(socket);
    };
    socket.on('message', (raw) => {
      const m = JSON.parse(String(raw)) as {
        type: string;
        id?: string;
        payload?: { variables?: { c?: string } };
      };
      if (m.type === 'connection_init') socket.send('{"type":"connection_ack"}');
      else if (m.type === 'ping') socket.send('{"type":"pong"}');
      else if (m.type === 'subscribe') {
        const topic = String(m.payload?.variables?.c);
        mine.set(m.id!, topic);
        let subs = topics.get(topic);
        if (!subs) topics.set(topic, (subs = new Map()));
        let ids = subs.get(socket);
        if (!ids) subs.set(socket, (ids = new Set()));
        ids.add(m.id!);
      } else if (m.type === 'complete') leave(m.id!);
    });
    socket.on('close', () => {
      for (const id of [...mine.keys()]) leave(id);
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    console.log(`ws-baseline ready on ${port}`);
  });
  process.once('SIGTERM', () => process.exit(0));
}

async function measure(): Promise<void> {
  const child = spawn(process.execPath, [__filename, '--serve'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((r) => child.once('exit', r));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      const m = /ready on (\d+)/.exec(d.toString());
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (c) => reject(new Error(`baseline server exited with ${c}`)));
  });
  const rss = () =>
    Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024;
  const probe = new FanoutProbe();
  const subscribers = await openSubscribers({
    url: `ws://127.0.0.1:${port}/graphql`,
    sockets: SOCKETS,
    subs: SUBS,
    topics: CUSTOMERS,
    request: (topic) => ({
      query: `subscription($c: ID!) { creditBalanceChanged(customerId: $c) { sequence movement { id } balance { settled } } }`,
      variables: { c: `t${topic}` },
    }),
    sequenceOf: (data) =>
      (data as { creditBalanceChanged?: { sequence: number } } | null)?.creditBalanceChanged?.sequence ??
      null,
    probe,
  });
  try {
    const publish = async (topic: number) => {
      const res = await fetch(`http://127.0.0.1:${port}/publish`, {
        method: 'POST',
        body: JSON.stringify({ topic: `t${topic}` }),
      });
      return ((await res.json()) as { sequence: number }).sequence;
    };
    // warm-up: every subscription is live once it received its topic's first update
    const round = (updates: number) =>
      publishRoundRobin({ updates, topics: CUSTOMERS, publishers: PUBLISHERS, probe, publish });
    await warmUpSubscribers(probe, SUBS, () => round(CUSTOMERS));
    // then uncounted updates, as live.ts runs before its measured window
    await warmUpFanout(probe, FANOUT_WARMUP, SUBS / CUSTOMERS, round);

    probe.start();
    const cpu0 = processCpuSeconds(child.pid!);
    const own0 = ownCpuSeconds();
    await publishRoundRobin({
      updates: UPDATES,
      topics: CUSTOMERS,
      publishers: PUBLISHERS,
      probe,
      publish,
    });
    const expected = UPDATES * (SUBS / CUSTOMERS);
    await probe.drain(expected);
    const s = probe.summary();
    const serverCpu = processCpuSeconds(child.pid!) - cpu0;
    const ownCpu = ownCpuSeconds() - own0;
    const cpuPerDelivery = (serverCpu / s.delivered) * 1e6;
    console.log(
      `raw ws fan-out: ${UPDATES} updates on ${CUSTOMERS} topics from ${PUBLISHERS} publishers, ${SUBS} subscriptions over ${SOCKETS} sockets`,
    );
    console.log(
      `  deliveries: ${s.delivered}/${expected} in ${fmt(s.seconds, 2)} s = ${fmt(s.perSecond, 0)} deliveries/s`,
    );
    console.log(
      `  answer→receipt:                   p50 ${fmt(s.answeredP50)} ms, p99 ${fmt(s.answeredP99)} ms`,
    );
    console.log(`  publish→receipt, all deliveries:  p50 ${fmt(s.p50)} ms, p99 ${fmt(s.p99)} ms`);
    console.log(`  publish→first receipt per update: p50 ${fmt(s.firstP50)} ms, p99 ${fmt(s.firstP99)} ms`);
    console.log(`  baseline server CPU: ${fmt(cpuPerDelivery)} µs per delivery; RSS ${fmt(rss(), 0)} MB`);
    console.log(
      `  CPU in % of one core: server ${fmt((serverCpu / s.seconds) * 100, 0)}, ` +
        `subscribers and publishers ${fmt((ownCpu / s.seconds) * 100, 0)}`,
    );
    result('ws_baseline_deliveries_per_s', s.perSecond);
    result('ws_baseline_p50_ms', s.p50);
    result('ws_baseline_p99_ms', s.p99);
    result('ws_baseline_answer_p99_ms', s.answeredP99);
    result('ws_baseline_delivered', s.delivered);
    result('ws_baseline_server_cpu_us_per_delivery', cpuPerDelivery);
  } finally {
    subscribers.unsubscribe();
    await Promise.all(subscribers.clients.map((c) => c.dispose()));
    child.kill('SIGTERM');
    await exited;
  }
}

if (process.argv.includes('--serve')) serve();
else
  measure().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
