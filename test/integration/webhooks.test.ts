import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  recordWebhookEvent,
  recordWebhookEvents,
  RUNNER_ALIVE_SECONDS,
  sendWebhook,
  sweepStalledDeliveries,
  webhookEventTypes,
} from '../../src/modules/webhooks';
import { codeOf, uniq, useTestApp } from '../support/app';
import { newCustomer } from '../support/builders';
import { useDb } from '../support/db';
import { checkLedgerInvariants } from '../support/invariants';
import {
  DELIVERY_FIELDS,
  ENDPOINT_FIELDS,
  createEndpoint,
  emit,
  endpointFor,
  log,
  logUntil,
  sleep,
  startReceiver,
  type DeliveryOut,
  type EndpointOut,
  useServerProcesses,
} from '../support/webhooks';

/**
 * SPEC §15 delivery: endpoints, signatures (every request is verified by a real receiver on 127.0.0.1
 * with the `standardwebhooks` package), retries with growing gaps, timeouts, redirects, redelivery,
 * rotation, disabling, deleting, access, the SSRF guard, and a delivery surviving a SIGKILL. Events are
 * recorded with the module's own `recordWebhookEvent` in a transaction, as the modules that cause them do.
 */

describe('webhook endpoints and delivery', () => {
  const t = useTestApp({
    DRAWDOWN_WEBHOOK_ALLOW_PRIVATE: 'true',
    DRAWDOWN_WEBHOOK_RETRY_BASE: '200ms',
    DRAWDOWN_WEBHOOK_MAX_ATTEMPTS: '4',
    DRAWDOWN_WEBHOOK_TIMEOUT: '1s',
  });
  let customerId = '';
  beforeAll(async () => {
    customerId = (await newCustomer(t, { keyPrefix: 'hook' })).customerId;
  });
  afterAll(async () => {
    await checkLedgerInvariants([customerId]);
  });

  it('creates an endpoint with a whsec_ secret shown once; lists the twelve event types', async () => {
    const r = await startReceiver();
    const res = await createEndpoint(t, {
      url: r.url,
      eventTypes: ['invoice.paid', 'invoice.paid', 'credit_grant.created'],
      description: 'finance',
    });
    const { secret, endpoint } = res.data!.createWebhookEndpoint;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(secret.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);
    expect(endpoint).toMatchObject({
      url: r.url,
      description: 'finance',
      eventTypes: ['invoice.paid', 'credit_grant.created'],
      enabled: true,
    });
    const list = await t.raw<{ webhookEndpoints: EndpointOut[]; webhookEventTypes: string[] }>(
      `{ webhookEndpoints { ${ENDPOINT_FIELDS} } webhookEventTypes }`,
    );
    expect(list.data!.webhookEndpoints).toContainEqual(endpoint);
    expect(list.data!.webhookEventTypes).toEqual([...webhookEventTypes]);
    // the secret is not a field of the endpoint: only creation and rotation return it
    const leak = await t.raw(`{ webhookEndpoints { id secret } }`);
    expect(codeOf(leak)).toBe('GRAPHQL_VALIDATION_FAILED');
    await t.raw(`mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) }`, { id: endpoint.id });
  });

  it('refuses unknown or no event types and non-http URLs', async () => {
    for (const input of [
      { url: 'http://127.0.0.1:9/x', eventTypes: ['invoice.refunded'] },
      { url: 'http://127.0.0.1:9/x', eventTypes: [] },
      { url: 'ftp://127.0.0.1/x', eventTypes: ['invoice.paid'] },
      { url: 'not a url', eventTypes: ['invoice.paid'] },
      { url: 'http://user:pw@127.0.0.1/x', eventTypes: ['invoice.paid'] },
    ]) {
      expect(codeOf(await createEndpoint(t, input)), JSON.stringify(input)).toBe('BAD_USER_INPUT');
    }
  });

  it('a receiver failing twice then succeeding gets one event three times, one webhook-id, growing gaps', async () => {
    const r = await startReceiver();
    r.reply = (n) => (n <= 2 ? 500 : 204);
    const endpoint = await endpointFor(t, r, ['credit_balance.depleted']);
    const marker = uniq('twice');
    const eventId = await emit(t, 'credit_balance.depleted', customerId, marker);
    const hits = await r.waitFor(marker, 3);
    expect(hits.every((h) => h.verified)).toBe(true);
    expect(new Set(hits.map((h) => h.id))).toEqual(new Set([eventId]));
    expect(new Set(hits.map((h) => h.body)).size).toBe(1); // byte-identical on every retry
    expect(JSON.parse(hits[0]!.body)).toMatchObject({
      type: 'credit_balance.depleted',
      data: { customerId, marker },
    });
    const gap1 = hits[1]!.at - hits[0]!.at;
    const gap2 = hits[2]!.at - hits[1]!.at;
    expect(gap1).toBeGreaterThanOrEqual(200); // DRAWDOWN_WEBHOOK_RETRY_BASE
    expect(gap2).toBeGreaterThan(gap1);
    const [d] = await logUntil(t, endpoint.id, (l) => l[0]?.status === 'SUCCEEDED');
    expect(d).toMatchObject({
      eventId,
      eventType: 'credit_balance.depleted',
      status: 'SUCCEEDED',
      attempts: 3,
      lastResponseStatus: 204,
      nextAttemptAt: null,
      endpoint: { id: endpoint.id },
    });
    expect(JSON.stringify(d!.payload)).toBe(hits[0]!.body);
    expect(await log(t, endpoint.id, ['FAILED', 'PENDING'])).toEqual([]);
    expect((await log(t, endpoint.id, ['SUCCEEDED'])).map((x) => x.id)).toEqual([d!.id]);
    await t.raw(`mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) }`, { id: endpoint.id });
  });

  it('a hanging receiver times out (DRAWDOWN_WEBHOOK_TIMEOUT) and the event is retried', async () => {
    const r = await startReceiver();
    r.reply = (n) => (n === 1 ? 'hang' : 200);
    const endpoint = await endpointFor(t, r, ['credit_balance.recovered']);
    const marker = uniq('hang');
    const eventId = await emit(t, 'credit_balance.recovered', customerId, marker);
    const hits = await r.waitFor(marker, 2);
    expect(hits.map((h) => [h.id, h.verified])).toEqual([
      [eventId, true],
      [eventId, true],
    ]);
    expect(hits[1]!.at - hits[0]!.at).toBeGreaterThanOrEqual(1000);
    const [d] = await logUntil(t, endpoint.id, (l) => l[0]?.status === 'SUCCEEDED');
    expect(d).toMatchObject({ attempts: 2, lastResponseStatus: 200, nextAttemptAt: null });
    await t.raw(`mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) }`, { id: endpoint.id });
  });

  it('does not follow redirects; FAILED after the last attempt; redelivery sends the same id and body', async () => {
    const target = await startReceiver();
    const r = await startReceiver();
    r.redirectTo = target.url;
    r.reply = () => 302;
    const endpoint = await endpointFor(t, r, ['invoice.issued']);
    const marker = uniq('redirect');
    const eventId = await emit(t, 'invoice.issued', customerId, marker);
    const [failed] = await logUntil(t, endpoint.id, (l) => l[0]?.status === 'FAILED');
    expect(failed).toMatchObject({ attempts: 4, lastResponseStatus: 302, nextAttemptAt: null });
    expect(r.hitsFor(marker)).toHaveLength(4); // DRAWDOWN_WEBHOOK_MAX_ATTEMPTS
    expect(target.hits).toHaveLength(0);

    r.redirectTo = undefined;
    r.reply = () => 200;
    const again = await t.raw<{ redeliverWebhook: DeliveryOut }>(
      `mutation ($id: ID!) { redeliverWebhook(deliveryId: $id) { ${DELIVERY_FIELDS} } }`,
      { id: failed!.id },
    );
    expect(again.data!.redeliverWebhook).toMatchObject({ eventId, status: 'PENDING', attempts: 0 });
    const hits = await r.waitFor(marker, 5);
    expect(hits[4]).toMatchObject({ id: eventId, body: hits[0]!.body, verified: true });
    const l = await logUntil(t, endpoint.id, (x) => x[0]?.status === 'SUCCEEDED');
    // newest first: the redelivery, then the failed original
    expect(l.map((x) => [x.id, x.status])).toEqual([
      [again.data!.redeliverWebhook.id, 'SUCCEEDED'],
      [failed!.id, 'FAILED'],
    ]);
    await t.raw(`mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) }`, { id: endpoint.id });
  });

  it('rotation takes effect at once: the retry is signed with the new secret only', async () => {
    const r = await startReceiver();
    let rotated!: () => void;
    const rotation = new Promise<void>((resolve) => (rotated = resolve));
    // the first attempt is answered (500) only once the secret has been rotated
    r.reply = async (n) => (n === 1 ? (await rotation, 500) : 200);
    const endpoint = await endpointFor(t, r, ['credit_grant.voided']);
    const marker = uniq('rotate');
    await emit(t, 'credit_grant.voided', customerId, marker);
    await r.waitFor(marker, 1);
    const res = await t.raw<{ rotateWebhookSecret: { secret: string; endpoint: { id: string } } }>(
      `mutation ($id: ID!) { rotateWebhookSecret(id: $id) { secret endpoint { id } } }`,
      { id: endpoint.id },
    );
    const fresh = res.data!.rotateWebhookSecret.secret;
    expect(fresh).toMatch(/^whsec_/);
    expect(fresh).not.toBe(r.secret.current);
    r.secret = { current: fresh, old: r.secret.current };
    rotated();
    const hits = await r.waitFor(marker, 2);
    expect(hits[1]).toMatchObject({ verified: true, verifiedByOld: false });
    await t.raw(`mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) }`, { id: endpoint.id });
  });

  it('a hanging receiver holds at most DRAWDOWN_WEBHOOK_ENDPOINT_CONCURRENCY attempts; others are served', async () => {
    const slow = await startReceiver();
    const fast = await startReceiver();
    slow.reply = () => 'hang';
    const s = await endpointFor(t, slow, ['credit_grant.funded']);
    const f = await endpointFor(t, fast, ['credit_grant.funded']);
    const marker = uniq('bound');
    for (let i = 0; i < 8; i++) await emit(t, 'credit_grant.funded', customerId, marker);
    await fast.waitFor(marker, 8);
    // the first four time out (1 s) and the next ones go out: never more than four at once
    await slow.waitFor(marker, 6);
    expect(slow.maxOpen).toBe(4);
    for (const id of [s.id, f.id])
      await t.raw(`mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) }`, { id });
  });

  it('a disabled endpoint gets nothing, not even later; an enabled one gets the same event', async () => {
    const off = await startReceiver();
    const on = await startReceiver();
    const disabled = await endpointFor(t, off, ['credit_top_up.failed']);
    const enabled = await endpointFor(t, on, ['credit_top_up.failed']);
    const upd = await t.raw<{ updateWebhookEndpoint: EndpointOut }>(
      `mutation ($id: ID!) { updateWebhookEndpoint(id: $id, input: { enabled: false }) { ${ENDPOINT_FIELDS} } }`,
      { id: disabled.id },
    );
    expect(upd.data!.updateWebhookEndpoint.enabled).toBe(false);
    const marker = uniq('disabled');
    await emit(t, 'credit_top_up.failed', customerId, marker);
    await on.waitFor(marker, 1);
    await logUntil(t, enabled.id, (l) => l[0]?.status === 'SUCCEEDED');
    // enabling it again does not send what happened while it was disabled
    await t.raw(`mutation ($id: ID!) { updateWebhookEndpoint(id: $id, input: { enabled: true }) { id } }`, {
      id: disabled.id,
    });
    const marker2 = uniq('enabled-again');
    await emit(t, 'credit_top_up.failed', customerId, marker2);
    await off.waitFor(marker2, 1);
    expect(off.hitsFor(marker)).toEqual([]);
    expect((await log(t, disabled.id)).map((d) => d.payload.data.marker)).toEqual([marker2]);
    for (const id of [disabled.id, enabled.id])
      await t.raw(`mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) }`, { id });
  });

  it('deleting twice is NOT_FOUND; a deleted endpoint is gone from the list and cannot be changed', async () => {
    const r = await startReceiver();
    const endpoint = await endpointFor(t, r, ['invoice.paid']);
    const del = `mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) }`;
    expect((await t.raw<{ deleteWebhookEndpoint: string }>(del, { id: endpoint.id })).data).toEqual({
      deleteWebhookEndpoint: endpoint.id,
    });
    expect(codeOf(await t.raw(del, { id: endpoint.id }))).toBe('NOT_FOUND');
    expect(codeOf(await t.raw(del, { id: 'whe_nope' }))).toBe('NOT_FOUND');
    const list = await t.raw<{ webhookEndpoints: { id: string }[] }>(`{ webhookEndpoints { id } }`);
    expect(list.data!.webhookEndpoints.map((e) => e.id)).not.toContain(endpoint.id);
    const rot = `mutation ($id: ID!) { rotateWebhookSecret(id: $id) { secret } }`;
    expect(codeOf(await t.raw(rot, { id: endpoint.id }))).toBe('NOT_FOUND');
    const upd = `mutation ($id: ID!) { updateWebhookEndpoint(id: $id, input: { enabled: true }) { id } }`;
    expect(codeOf(await t.raw(upd, { id: endpoint.id }))).toBe('NOT_FOUND');
  });

  it('customer tokens get FORBIDDEN for every webhook field', async () => {
    const tok = await t.raw<{ issueCustomerToken: { token: string } }>(
      `mutation ($c: ID!) { issueCustomerToken(customerId: $c) { token } }`,
      { c: customerId },
    );
    const token = tok.data!.issueCustomerToken.token;
    const r = await startReceiver();
    const endpoint = await endpointFor(t, r, ['invoice.paid']);
    const attempts: [string, Record<string, unknown>][] = [
      [`{ webhookEndpoints { id } }`, {}],
      [`{ webhookEventTypes }`, {}],
      [
        `mutation ($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { secret } }`,
        { i: { url: r.url, eventTypes: ['invoice.paid'] } },
      ],
      [
        `mutation ($id: ID!) { updateWebhookEndpoint(id: $id, input: { enabled: false }) { id } }`,
        { id: endpoint.id },
      ],
      [`mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) }`, { id: endpoint.id }],
      [`mutation ($id: ID!) { rotateWebhookSecret(id: $id) { secret } }`, { id: endpoint.id }],
      [`mutation ($id: ID!) { redeliverWebhook(deliveryId: $id) { id } }`, { id: 'whd_x' }],
    ];
    for (const [query, variables] of attempts) {
      expect(codeOf(await t.raw(query, variables, token)), query).toBe('FORBIDDEN');
    }
    expect(
      (
        await t.raw<{ webhookEndpoints: { id: string; enabled: boolean }[] }>(
          `{ webhookEndpoints { id enabled } }`,
        )
      ).data!.webhookEndpoints,
    ).toContainEqual({ id: endpoint.id, enabled: true });
    await t.raw(`mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) }`, { id: endpoint.id });
  });
});

describe('SSRF guard in production (NODE_ENV=production)', () => {
  // this app sends nothing itself (DRAWDOWN_WEBHOOK_CONCURRENCY=0): only the API's checks are tested here
  const t = useTestApp({ NODE_ENV: 'production', DRAWDOWN_WEBHOOK_CONCURRENCY: '0' });

  it('refuses loopback, private and link-local targets, also by a DNS name; allows a public address', async () => {
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'http://10.1.2.3/hook',
      'http://172.16.0.1/hook',
      'http://192.168.1.1/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]/hook',
      'http://[fe80::1]/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://localhost:4000/hook',
    ]) {
      const res = await createEndpoint(t, { url, eventTypes: ['invoice.paid'] });
      expect(codeOf(res), url).toBe('BAD_USER_INPUT');
      expect(JSON.stringify(res.errors)).toContain('private');
    }
    const ok = await createEndpoint(t, { url: 'https://93.184.215.14/hook', eventTypes: ['invoice.paid'] });
    expect(ok.errors).toBeUndefined();
    const id = ok.data!.createWebhookEndpoint.endpoint.id;
    const upd = await t.raw(
      `mutation ($id: ID!) { updateWebhookEndpoint(id: $id, input: { url: "http://10.0.0.1/" }) { id } }`,
      { id },
    );
    expect(codeOf(upd)).toBe('BAD_USER_INPUT');
    await t.raw(`mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) }`, { id });
  });

  it('checks again at delivery time: a name that now resolves to loopback is not contacted', async () => {
    const r = await startReceiver();
    const port = new URL(r.url).port;
    for (const url of [`http://localhost:${port}/hook`, `http://127.0.0.1:${port}/hook`]) {
      const sent = await sendWebhook({
        url,
        body: '{}',
        headers: {},
        timeoutMs: 2_000,
        guardPrivate: true,
        maxResponseBytes: 1024,
      });
      expect(sent.status).toBeNull();
      expect(sent.error).toMatch(/private address/);
    }
    expect(r.hits).toHaveLength(0);
    // the same request with the guard off (DRAWDOWN_WEBHOOK_ALLOW_PRIVATE=true) reaches it
    const sent = await sendWebhook({
      url: `http://localhost:${port}/hook`,
      body: '{}',
      headers: {},
      timeoutMs: 2_000,
      guardPrivate: false,
      maxResponseBytes: 1024,
    });
    expect(sent).toEqual({ status: 200, error: null });
  });
});

describe('a delivery waiting for its retry survives SIGKILL', { timeout: 120_000 }, () => {
  // the in-process app only serves the API and records the event; the server processes deliver
  const t = useTestApp({
    DRAWDOWN_WEBHOOK_CONCURRENCY: '0',
    DRAWDOWN_WEBHOOK_RETRY_BASE: '3s',
  });
  const db = useDb();
  const server = useServerProcesses();

  it('is delivered by the restarted server with the same webhook-id and body', async () => {
    const customerId = (await newCustomer(t, { keyPrefix: 'hookcrash' })).customerId;
    const r = await startReceiver();
    r.reply = (n) => (n === 1 ? 503 : 200);
    const endpoint = await endpointFor(t, r, ['credit_grant.expired']);
    const a = await server();
    const marker = uniq('crash');
    const eventId = await emit(t, 'credit_grant.expired', customerId, marker);
    await r.waitFor(marker, 1);
    // the first attempt failed and its retry is scheduled (3 s away): kill the server now
    const deadline = Date.now() + 10_000;
    for (;;) {
      const row = (
        await db.query<{ attempts: number; next: boolean }>(
          `select attempts, next_attempt_at > now() as next from webhook_delivery where event_id = $1`,
          [eventId],
        )
      ).rows[0];
      if (row?.attempts === 1 && row.next) break;
      if (Date.now() > deadline) throw new Error(`retry never scheduled: ${JSON.stringify(row)}`);
      await sleep(20);
    }
    a.child.kill('SIGKILL');
    expect(await a.ended).toBe('SIGKILL');
    expect(r.hitsFor(marker)).toHaveLength(1);

    const b = await server();
    const hits = await r.waitFor(marker, 2);
    expect(hits.map((h) => [h.id, h.verified, h.body])).toEqual([
      [eventId, true, hits[0]!.body],
      [eventId, true, hits[0]!.body],
    ]);
    const [d] = await logUntil(t, endpoint.id, (l) => l[0]?.status === 'SUCCEEDED');
    expect(d).toMatchObject({ eventId, attempts: 2, lastResponseStatus: 200, nextAttemptAt: null });
    b.child.kill('SIGTERM');
    await b.ended;
    await t.raw(`mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) }`, { id: endpoint.id });
    await checkLedgerInvariants([customerId]);
  });
});

describe('the stalled-delivery sweep leaves a live runner its backlog', () => {
  const t = useTestApp({
    DRAWDOWN_WEBHOOK_ALLOW_PRIVATE: 'true',
    DRAWDOWN_WEBHOOK_ENDPOINT_CONCURRENCY: '1',
    DRAWDOWN_WEBHOOK_TIMEOUT: '1s',
  });
  const db = useDb();
  class Rollback extends Error {}

  /**
   * In one transaction that is rolled back (no runner of the shared database sees any of it): an event with
   * one delivery overdue by ten minutes and no job of its own, the runner rows `runners` writes, then the
   * sweep. Answers whether the sweep gave that delivery a job, and the `due` the job carries.
   */
  async function sweptWith(
    runners: { seenAgo: string; heldFromDuePlus: string | null }[],
  ): Promise<{ swept: boolean; due: string | null }> {
    const customerId = (await newCustomer(t, { keyPrefix: 'sweep' })).customerId;
    const r = await startReceiver();
    const endpoint = await endpointFor(t, r, ['credit_grant.expired']);
    let out: { swept: boolean; due: string | null } | null = null;
    try {
      await t.app.orm.em.fork().transactional(async (em) => {
        const eventId = await recordWebhookEvent(em, {
          type: 'credit_grant.expired',
          customerId,
          occurredAt: new Date(),
          data: { customerId },
        });
        const [d] = await em.execute<{ id: string }[]>(
          `update webhook_delivery set next_attempt_at = now() - interval '10 minutes'
            where event_id = ? returning id`,
          [eventId],
        );
        for (const [i, runner] of runners.entries()) {
          await em.execute(
            `insert into webhook_runner (id, seen_at, oldest_held_due)
             select ?, now() - ?::interval, next_attempt_at + ?::interval from webhook_delivery where id = ?`,
            [`whr_test_${i}_${uniq('r')}`, runner.seenAgo, runner.heldFromDuePlus, d!.id],
          );
        }
        await sweepStalledDeliveries(em);
        const [job] = await em.execute<{ due: string | null }[]>(
          `select payload->>'due' as due from graphile_worker._private_jobs where key = ?`,
          [d!.id],
        );
        out = { swept: job !== undefined, due: job?.due ?? null };
        throw new Rollback();
      });
    } catch (e) {
      if (!(e instanceof Rollback)) throw e;
    }
    await t.raw(`mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) }`, { id: endpoint.id });
    await checkLedgerInvariants([customerId]);
    return out!;
  }

  it('re-enqueues an overdue delivery nobody holds, with its due instant', async () => {
    const r = await sweptWith([]);
    expect(r.swept).toBe(true);
    expect(r.due).not.toBeNull();
  });

  it('leaves it to a live runner that holds attempts due from before it', async () => {
    expect(
      (await sweptWith([{ seenAgo: '2 seconds', heldFromDuePlus: '0 seconds' }])).swept,
      'held from its own instant',
    ).toBe(false);
    expect(
      (
        await sweptWith([
          { seenAgo: '2 seconds', heldFromDuePlus: '-1 minute' },
          { seenAgo: '1 second', heldFromDuePlus: null },
        ])
      ).swept,
      'a second runner holding nothing changes nothing',
    ).toBe(false);
  });

  it('takes it back from a runner whose heartbeat stopped, or that holds only later attempts', async () => {
    expect(
      (await sweptWith([{ seenAgo: `${RUNNER_ALIVE_SECONDS + 10} seconds`, heldFromDuePlus: '0 seconds' }]))
        .swept,
      'a silent runner',
    ).toBe(true);
    expect(
      (await sweptWith([{ seenAgo: '1 second', heldFromDuePlus: '1 second' }])).swept,
      'a runner holding only what is due a second later',
    ).toBe(true);
  });

  it('a runner with a backlog in memory says so in its heartbeat, and says it holds nothing once it is done', async () => {
    const customerId = (await newCustomer(t, { keyPrefix: 'beat' })).customerId;
    const r = await startReceiver();
    r.reply = (n) => (n === 1 ? 'hang' : 200); // the first times out after 1 s; the rest wait behind it
    await endpointFor(t, r, ['credit_grant.expired']);
    const marker = uniq('beat');
    const em = t.app.orm.em.fork();
    await em.transactional((tx) =>
      recordWebhookEvents(
        tx,
        [1, 2, 3].map(() => ({
          type: 'credit_grant.expired' as const,
          customerId,
          occurredAt: new Date(),
          data: { customerId, marker },
        })),
      ),
    );
    const due = (
      await db.query<{ due: Date }>(
        `select min(d.next_attempt_at) as due from webhook_delivery d join webhook_event e on e.id = d.event_id
          where e.customer_id = $1`,
        [customerId],
      )
    ).rows[0]!.due;
    // this app's runner holds the batch from its job's run_at, the deliveries' own instant
    const holding = async () =>
      (
        await db.query<{ n: number }>(
          `select count(*)::int as n from webhook_runner
            where seen_at > now() - make_interval(secs => $2) and oldest_held_due = $1`,
          [due, RUNNER_ALIVE_SECONDS],
        )
      ).rows[0]!.n;
    const until = async (want: (n: number) => boolean, what: string) => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const n = await holding();
        if (want(n)) return n;
        if (Date.now() > deadline)
          throw new Error(
            `the heartbeat never said ${what} (due ${due.toISOString()}): ${JSON.stringify((await db.query(`select * from webhook_runner`)).rows)}`,
          );
        await sleep(100);
      }
    };
    expect(await until((n) => n >= 1, 'it holds the batch')).toBeGreaterThanOrEqual(1);
    await r.waitFor(marker, 2); // the two waiting behind the hung one are sent after its timeout
    expect(await until((n) => n === 0, 'it holds nothing')).toBe(0);
    await checkLedgerInvariants([customerId]);
  });
});
