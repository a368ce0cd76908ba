import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDrawdown, type Drawdown } from '../../src/app';
import { loadConfig } from '../../src/config';
import { createLog } from '../../src/core/log';
import { isLoopback } from '../../src/server/metrics';
import { CreateCustomerDocument, IssueCustomerTokenDocument } from '../gql/graphql';
import { ADMIN_KEY, codeOf, startTestApp, uniq, useTestApp, type TestApp } from '../support/app';
import { adjustCredits, currencyAndCustomer, grantCredits } from '../support/builders';
import { checkLedgerInvariants } from '../support/invariants';
import { collect, wsClient } from '../support/ws';

/** Prometheus text format: the value of one sample (labels in any order), or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

const metricsUrl = (t: TestApp) => t.url.replace(/\/graphql$/, '/metrics');

async function scrape(t: TestApp, headers: Record<string, string> = {}) {
  const res = await fetch(metricsUrl(t), { headers });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

describe('/metrics on loopback (the default)', () => {
  const t = useTestApp();

  it('counts operations, error codes and movements, and shows sockets, subscriptions, jobs, pool and outbox', async () => {
    const before = await scrape(t);
    expect(before.status).toBe(200);
    expect(before.type).toContain('text/plain');
    const booked = (text: string, type: string) =>
      sample(text, 'drawdown_movements_booked_total', { type }) ?? 0;
    const errors = (text: string, code: string) =>
      sample(text, 'drawdown_graphql_errors_total', { code }) ?? 0;

    const { currency, customerId } = await currencyAndCustomer(t, { prefix: 'MT' });
    // a live subscription on one socket, which sees the grant and the adjustment
    const ws = wsClient(t.wsUrl);
    const live = collect(
      ws.client,
      `subscription Live($c: ID!) { creditBalanceChanged(customerId: $c) { sequence } }`,
      { c: customerId },
    );
    for (let i = 0; i < 100 && sample((await scrape(t)).text, 'drawdown_ws_subscriptions') !== 1; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await grantCredits(t, customerId, currency, '100');
    await adjustCredits(t, customerId, currency, '-10');
    await live.until(2);
    // a malformed amount: BAD_USER_INPUT
    const bad = await t.raw(`mutation Broken($i: AdjustCreditsInput!) { adjustCredits(input: $i) { id } }`, {
      i: { customerId, currency, amount: '1e9', reason: 'x' },
    });
    expect(codeOf(bad)).toBe('BAD_USER_INPUT');

    const after = await scrape(t);
    expect(after.status).toBe(200);
    const text = after.text;
    expect(
      sample(text, 'drawdown_graphql_requests_total', {
        operation: 'CreateCreditGrant',
        type: 'mutation',
        outcome: 'ok',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'drawdown_graphql_requests_total', { operation: 'Broken', outcome: 'error' })).toBe(
      1,
    );
    expect(
      sample(text, 'drawdown_graphql_request_duration_seconds_count', {
        operation: 'AdjustCredits',
        type: 'mutation',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(errors(text, 'BAD_USER_INPUT') - errors(before.text, 'BAD_USER_INPUT')).toBe(1);
    expect(booked(text, 'FUNDED') - booked(before.text, 'FUNDED')).toBe(1);
    expect(booked(text, 'ADJUSTED') - booked(before.text, 'ADJUSTED')).toBe(1);
    expect(sample(text, 'drawdown_ws_sockets')).toBe(1);
    expect(sample(text, 'drawdown_ws_subscriptions')).toBe(1);
    // scrape-time gauges from the database and the pool
    expect(sample(text, 'drawdown_jobs', { task: 'ledger_sweep', state: 'failed' })).toBe(0);
    expect(sample(text, 'drawdown_db_pool_connections', { state: 'max' })).toBe(20);
    expect(sample(text, 'drawdown_outbox_latest_id')).toBeGreaterThan(0);
    expect(sample(text, 'drawdown_outbox_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'drawdown_settlement_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'drawdown_settlement_unbooked_charges')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'drawdown_webhook_deliveries_pending')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'drawdown_live_notifications_total')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'drawdown_metrics_scrape_errors_total', { area: 'jobs' })).toBeUndefined();
    expect(sample(text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);

    live.stop();
    await ws.dispose();
    await ws.closed;
    const closed = await scrape(t);
    expect(sample(closed.text, 'drawdown_ws_subscriptions')).toBe(0);
    await checkLedgerInvariants([customerId]);
  });

  it('refuses a request a proxy forwarded (X-Forwarded-For or Forwarded) with 403', async () => {
    const forwarded: Record<string, string>[] = [
      { 'x-forwarded-for': '203.0.113.9' },
      { forwarded: 'for=203.0.113.9' },
    ];
    for (const headers of forwarded) {
      const res = await scrape(t, headers);
      expect(res.status).toBe(403);
      expect(JSON.parse(res.text).errors[0].extensions.code).toBe('FORBIDDEN');
    }
  });

  it('treats only 127.0.0.0/8 and ::1 (also IPv4-mapped) as loopback', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) expect(isLoopback(a)).toBe(true);
    for (const a of ['10.0.0.1', '::ffff:10.0.0.1', '192.168.1.2', '::2', '', undefined, '1127.0.0.1']) {
      expect(isLoopback(a)).toBe(false);
    }
  });

  it('bounds operation names: a name that is not a GraphQL name never becomes a label', async () => {
    const res = await t.raw(`query Fine { __typename }`);
    expect(res.errors).toBeUndefined();
    const text = (await scrape(t)).text;
    expect(sample(text, 'drawdown_graphql_requests_total', { operation: 'Fine', type: 'query' })).toBe(1);
  });
});

describe('DRAWDOWN_DB_POOL_SIZE', () => {
  it('sets how many PostgreSQL connections the process keeps; 0 or a non-number is refused at start', async () => {
    expect(() => loadConfig({ DRAWDOWN_DB_POOL_SIZE: '0' })).toThrow(
      /DRAWDOWN_DB_POOL_SIZE must be at least 1/,
    );
    expect(() => loadConfig({ DRAWDOWN_DB_POOL_SIZE: 'ten' })).toThrow(/non-negative integer/);
    expect(loadConfig({}).dbPoolSize).toBe(20);
    const t = await startTestApp({ DRAWDOWN_DB_POOL_SIZE: '3' });
    try {
      const { text } = await scrape(t);
      expect(sample(text, 'drawdown_db_pool_connections', { state: 'max' })).toBe(3);
    } finally {
      await t.stop();
    }
  });
});

describe('/metrics refused to a client on another address', () => {
  it('answers 403 to a non-loopback client (when this machine has a non-loopback address)', async () => {
    const address = Object.values(os.networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
    const t = await startTestApp({ HOST: '0.0.0.0' });
    try {
      const port = new URL(t.url).port;
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
      // machines without one (a bare container) still run the loopback half above
      if (address) expect((await fetch(`http://${address}:${port}/metrics`)).status).toBe(403);
    } finally {
      await t.stop();
    }
  });
});

describe('/metrics with DRAWDOWN_METRICS=key', () => {
  const t = useTestApp({ DRAWDOWN_METRICS: 'key' });

  it('needs an admin key as a Bearer token: none 401, a customer token 403, the admin key 200', async () => {
    expect((await scrape(t)).status).toBe(401);
    expect((await scrape(t, { authorization: 'Bearer nope' })).status).toBe(401);
    const c = await t.ok(CreateCustomerDocument, { input: { key: uniq('mtk'), name: 'Metrics' } });
    const token = (
      await t.ok(IssueCustomerTokenDocument, { customerId: c.createCustomer.id, ttlSeconds: 600 })
    ).issueCustomerToken.token;
    expect((await scrape(t, { authorization: `Bearer ${token}` })).status).toBe(403);
    const ok = await scrape(t, { authorization: `Bearer ${ADMIN_KEY}` });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('drawdown_graphql_requests_total');
    await checkLedgerInvariants([c.createCustomer.id]);
  });
});

describe('/metrics with DRAWDOWN_METRICS_KEY and DRAWDOWN_METRICS=off', () => {
  it('a separate metrics key replaces the admin key; off answers 404', async () => {
    const keyed = await startTestApp({ DRAWDOWN_METRICS: 'key', DRAWDOWN_METRICS_KEY: 'scrape-me' });
    try {
      expect((await scrape(keyed, { authorization: `Bearer ${ADMIN_KEY}` })).status).toBe(401);
      expect((await scrape(keyed, { authorization: 'Bearer scrape-me' })).status).toBe(200);
    } finally {
      await keyed.stop();
    }
    const off = await startTestApp({ DRAWDOWN_METRICS: 'off' });
    try {
      expect((await scrape(off)).status).toBe(404);
    } finally {
      await off.stop();
    }
    expect(() => loadConfig({ DRAWDOWN_METRICS: 'public' })).toThrow(/DRAWDOWN_METRICS/);
  });
});

describe('request ids in the logs', () => {
  let app: Drawdown;
  let dataDir: string;
  const lines: string[] = [];
  /** While set, the query observer turns a customer's insert into an internal error. */
  let explode = false;
  const INSERT = 'insert into "customer" ';

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'drawdown-metrics-'));
    const config = loadConfig({
      DATABASE_URL: inject('databaseUrl'),
      DRAWDOWN_API_KEYS: ADMIN_KEY,
      DRAWDOWN_DATA_DIR: dataDir,
      DRAWDOWN_MIGRATE: 'false',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      DRAWDOWN_SETTLE_INTERVAL: '3600s',
    });
    const log = createLog(config.logLevel, (line) => lines.push(line));
    app = await startDrawdown(config, log, {
      // runs inside the resolvers' database calls: a line logged here belongs to the request
      onQuery: (sql) => {
        if (!sql.startsWith(INSERT)) return;
        log('warn', 'observed a query of the request');
        if (explode) throw new Error('boom in a resolver');
      },
    });
  });
  afterAll(async () => {
    await app?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const createCustomer = (requestId?: string) =>
    fetch(app.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${ADMIN_KEY}`,
        ...(requestId ? { 'x-request-id': requestId } : {}),
      },
      body: JSON.stringify({
        query: `mutation C($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }`,
        variables: { i: { key: uniq('rid'), name: 'Jane Doe', email: 'jane@example.com' } },
      }),
    });
  const parsed = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

  it("every line of one request carries its id: the service's, formatError's and the access line", async () => {
    const res = await createCustomer('trace-abc.123');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('trace-abc.123');
    const mine = parsed().filter((l) => l.reqId === 'trace-abc.123');
    expect(mine.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['observed a query of the request', 'request completed']),
    );
    const done = mine.find((l) => l.msg === 'request completed')!;
    expect(done).toMatchObject({ level: 'info', method: 'POST', path: '/graphql', status: 200 });
    expect(typeof done.time).toBe('string');

    explode = true;
    const failed = await createCustomer('trace-boom').finally(() => (explode = false));
    const body = (await failed.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('INTERNAL_SERVER_ERROR');
    const boom = parsed().filter((l) => l.reqId === 'trace-boom');
    expect(boom.find((l) => l.msg === 'internal error')).toMatchObject({ level: 'error' });
    // no request values (the e-mail address, the key) in any line
    expect(lines.join('\n')).not.toContain('jane@example.com');
    expect(lines.join('\n')).not.toContain(ADMIN_KEY);
  });

  it('replaces an absent or insane X-Request-Id with a fresh UUID, unique per request', async () => {
    const a = await createCustomer('bad id with spaces');
    const b = await createCustomer();
    const ids = [a.headers.get('x-request-id'), b.headers.get('x-request-id')];
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(ids[0]).not.toBe(ids[1]);
    for (const id of ids) {
      expect(
        parsed()
          .filter((l) => l.reqId === id)
          .map((l) => l.msg),
      ).toContain('observed a query of the request');
    }
  });
});
