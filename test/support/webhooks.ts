import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import { recordWebhookEvent, type WebhookEventType } from '../../src/modules/webhooks';
import { ADMIN_KEY, type TestApp } from './app';

/** Helpers of the webhook tests: a verifying receiver, the endpoint API through raw GraphQL, events. */

export interface Hit {
  id: string;
  timestamp: string;
  body: string;
  at: number;
  verified: boolean;
  /** Whether the secret before the last rotation also verifies it. */
  verifiedByOld: boolean;
}

export type Reply = number | 'hang';

export interface Receiver {
  url: string;
  hits: Hit[];
  /** The secret signatures must verify with; `old` is kept to prove rotation took effect. */
  secret: { current: string; old: string | null };
  /** What to answer the n-th request (1-based). */
  reply: (n: number) => Reply | Promise<Reply>;
  redirectTo?: string;
  /** The most requests it ever had open at once. */
  maxOpen: number;
  hitsFor(marker: string): Hit[];
  waitFor(marker: string, n: number): Promise<Hit[]>;
  close(): Promise<void>;
}

const receivers: Receiver[] = [];

/** An HTTP receiver on 127.0.0.1 that verifies every request with the `standardwebhooks` package. */
export async function startReceiver(): Promise<Receiver> {
  const hanging = new Set<http.ServerResponse>();
  const r: Receiver = {
    url: '',
    hits: [],
    secret: { current: '', old: null },
    reply: () => 200,
    maxOpen: 0,
    hitsFor: (marker) => r.hits.filter((h) => h.body.includes(marker)),
    async waitFor(marker, n) {
      const deadline = Date.now() + 25_000;
      while (r.hitsFor(marker).length < n) {
        if (Date.now() > deadline)
          throw new Error(`receiver got ${r.hitsFor(marker).length} of ${n} requests for ${marker}`);
        await sleep(25);
      }
      return r.hitsFor(marker);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const verify = (secret: string | null, body: string, headers: http.IncomingHttpHeaders) => {
    if (!secret) return false;
    try {
      new Webhook(secret).verify(body, headers as Record<string, string>);
      return true;
    } catch {
      return false;
    }
  };
  let open = 0;
  const server = http.createServer((req, res) => {
    r.maxOpen = Math.max(r.maxOpen, ++open);
    res.on('close', () => open--);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const ok =
        req.method === 'POST' &&
        req.headers['content-type'] === 'application/json' &&
        verify(r.secret.current, body, req.headers);
      r.hits.push({
        id: String(req.headers['webhook-id']),
        timestamp: String(req.headers['webhook-timestamp']),
        body,
        at: Date.now(),
        verified: ok,
        verifiedByOld: verify(r.secret.old, body, req.headers),
      });
      void Promise.resolve(r.reply(r.hits.length)).then((reply) => {
        if (reply === 'hang') {
          hanging.add(res);
          return;
        }
        res.writeHead(reply, r.redirectTo ? { location: r.redirectTo } : {});
        res.end('thanks');
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  receivers.push(r);
  return r;
}

afterAll(async () => {
  for (const r of receivers) await r.close();
});

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const ENDPOINT_FIELDS = 'id url description eventTypes enabled createdAt';
export const DELIVERY_FIELDS =
  'id eventId eventType payload status attempts lastAttemptAt nextAttemptAt lastResponseStatus createdAt endpoint { id }';

export interface EndpointOut {
  id: string;
  url: string;
  description: string | null;
  eventTypes: string[];
  enabled: boolean;
  createdAt: string;
}
export interface DeliveryOut {
  id: string;
  eventId: string;
  eventType: string;
  payload: { type: string; timestamp: string; data: Record<string, unknown> };
  status: 'PENDING' | 'SUCCEEDED' | 'FAILED';
  attempts: number;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  lastResponseStatus: number | null;
  createdAt: string;
  endpoint: { id: string };
}

export async function createEndpoint(
  t: TestApp,
  input: { url: string; eventTypes: string[]; description?: string },
  token?: string,
) {
  return t.raw<{ createWebhookEndpoint: { secret: string; endpoint: EndpointOut } }>(
    `mutation ($input: CreateWebhookEndpointInput!) {
       createWebhookEndpoint(input: $input) { secret endpoint { ${ENDPOINT_FIELDS} } } }`,
    { input },
    token,
  );
}

export async function endpointFor(t: TestApp, r: Receiver, eventTypes: WebhookEventType[]) {
  const res = await createEndpoint(t, { url: r.url, eventTypes: [...eventTypes] });
  expect(res.errors).toBeUndefined();
  const { secret, endpoint } = res.data!.createWebhookEndpoint;
  r.secret.current = secret;
  return endpoint;
}

export async function log(t: TestApp, endpointId: string, status?: string[]): Promise<DeliveryOut[]> {
  const res = await t.raw<{
    webhookEndpoints: { id: string; deliveries: { edges: { node: DeliveryOut }[] } }[];
  }>(
    `query ($status: [WebhookDeliveryStatus!]) {
       webhookEndpoints { id deliveries(status: $status, first: 50) { edges { node { ${DELIVERY_FIELDS} } } } } }`,
    { status: status ?? null },
  );
  expect(res.errors).toBeUndefined();
  const e = res.data!.webhookEndpoints.find((x) => x.id === endpointId);
  return e ? e.deliveries.edges.map((x) => x.node) : [];
}

export async function logUntil(
  t: TestApp,
  endpointId: string,
  done: (d: DeliveryOut[]) => boolean,
): Promise<DeliveryOut[]> {
  const deadline = Date.now() + 25_000;
  for (;;) {
    const d = await log(t, endpointId);
    if (done(d)) return d;
    if (Date.now() > deadline) throw new Error(`delivery log never settled: ${JSON.stringify(d)}`);
    await sleep(50);
  }
}

/** Records one event the way the modules do: inside a transaction, committed with its cause. */
export async function emit(t: TestApp, type: WebhookEventType, customerId: string, marker: string) {
  const em = t.app.orm.em.fork();
  return em.transactional((tx) =>
    recordWebhookEvent(tx, { type, customerId, occurredAt: new Date(), data: { customerId, marker } }),
  );
}

/**
 * Starts real server processes (`node dist/src/main.js` on the test database) for the calling describe.
 * It builds its own copy of dist (as crash.test.ts does), so a concurrent `npm run build` cannot pull the
 * files from under a starting server; every process still running is killed after the tests.
 */
export function useServerProcesses() {
  const ROOT = path.resolve(__dirname, '../..');
  // its own build (as crash.test.ts does), so a concurrent `npm run build` cannot pull dist/ away
  const BUILD = path.join(ROOT, 'node_modules', '.cache', `drawdown-webhooks-${process.pid}`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'drawdown-webhooks-'));
  const children = new Set<ChildProcess>();
  beforeAll(() => {
    execFileSync(path.join(ROOT, 'node_modules', '.bin', 'swc'), ['src', 'migrations', '-d', BUILD, '-q'], {
      cwd: ROOT,
    });
  });
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(BUILD, { recursive: true, force: true });
  });

  return async function server() {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('DRAWDOWN_')) delete env[k];
    const child = spawn(process.execPath, [path.join(BUILD, 'src', 'main.js')], {
      env: {
        ...env,
        DATABASE_URL: inject('databaseUrl'),
        DRAWDOWN_MIGRATE: 'false',
        DRAWDOWN_API_KEYS: ADMIN_KEY,
        DRAWDOWN_DATA_DIR: dataDir,
        DRAWDOWN_SETTLE_INTERVAL: '3600s',
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'error',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const ended = new Promise<string>((resolve) =>
      child.on('exit', (code, signal) => {
        children.delete(child);
        resolve(signal ?? `exit ${code}`);
      }),
    );
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (/ready in \d+ ms at http/.test(out)) resolve();
      });
      void ended.then((how) => reject(new Error(`server ended (${how}) before it was ready: ${err}`)));
    });
    return { child, ended };
  };
}
