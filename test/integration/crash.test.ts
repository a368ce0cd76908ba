import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  AdjustCreditsDocument,
  BalanceChangedDocument,
  CreateCreditGrantDocument,
  IngestUsageDocument,
  SettleChargesDocument,
  UpdateInvoicePaymentStatusDocument,
  type BalanceChangedSubscription,
} from '../gql/graphql';
import { ADMIN_KEY, type GqlResult, uniq, useTestApp } from '../support/app';
import { checkLedgerInvariants } from '../support/invariants';
import { currencyAndCustomer, grantCredits, requireBalance, subscribeToUnitPlan } from '../support/builders';
import { useDb } from '../support/db';
import { collect, wsClient } from '../support/ws';

/**
 * Crash safety (docs/crash-safety.md): the real server, as a child process, is killed with SIGKILL at a
 * named fault point (DRAWDOWN_FAULT_POINT); a fresh one is started without it. The in-process app `t` is a
 * second replica that stays up the whole time.
 */
const t = useTestApp();
const ROOT = path.resolve(__dirname, '../..');
/**
 * The server is built (as `npm run build` does) into a directory of this run's own, so a rebuild of dist/
 * while the tests run cannot pull the files from under a starting server. Inside node_modules/, so the
 * built files resolve their packages as dist/ does.
 */
const BUILD = path.join(ROOT, 'node_modules', '.cache', `drawdown-crash-${process.pid}`);
const MAIN = path.join(BUILD, 'src', 'main.js');
const CHANGED = print(BalanceChangedDocument);
type Update = BalanceChangedSubscription['creditBalanceChanged'];
/** Each test starts two or three server processes: generous limits for a loaded CI machine. */
const SLOW = 120_000;
const WAIT = 30_000;

interface Server {
  url: string;
  wsUrl: string;
  child: ChildProcess;
  stderr: () => string;
  /** Resolves with the signal (or exit code) the process ended with. */
  ended: Promise<string>;
  /** Resolves once the process announced that it reached its fault point. */
  atFault: Promise<void>;
  gql<R, V>(doc: TypedDocumentNode<R, V>, variables?: V): Promise<GqlResult<R>>;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'drawdown-crash-'));
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

/** `node dist/src/main.js` on the test database, on a port of its own choosing. */
async function startServer(fault: Record<string, string> = {}): Promise<Server> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('DRAWDOWN_')) delete env[k];
  const child = spawn(process.execPath, [MAIN], {
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
      ...fault,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let err = '';
  let faultSeen!: () => void;
  const atFault = new Promise<void>((r) => (faultSeen = r));
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    if (/^DRAWDOWN_FAULT /m.test(err)) faultSeen();
  });
  const ended = new Promise<string>((resolve) =>
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolve(signal ?? `exit ${code}`);
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready in \d+ ms at (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    void ended.then((how) => reject(new Error(`server ended (${how}) before it was ready: ${err}`)));
  });
  const gql = async <R, V>(doc: TypedDocumentNode<R, V>, variables?: V): Promise<GqlResult<R>> => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
      body: JSON.stringify({ query: print(doc), variables }),
    });
    return { ...((await res.json()) as GqlResult<R>), status: res.status };
  };
  return {
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    child,
    stderr: () => err,
    ended,
    atFault,
    gql,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await ended;
    },
  };
}

/**
 * The environment that arms a fault point for one customer's work only: background jobs of this shared
 * database (due grants of other test files, sweeps) pass it by.
 */
const armed = (point: string, customerId: string) => ({
  DRAWDOWN_FAULT_POINT: point,
  DRAWDOWN_FAULT_CUSTOMER: customerId,
});

/** Sends a request the server dies in the middle of: the client sees the connection drop, no answer. */
async function dies<R, V>(s: Server, doc: TypedDocumentNode<R, V>, variables: V, point: string) {
  await expect(s.gql(doc, variables)).rejects.toThrow(/fetch failed/);
  expect(await s.ended).toBe('SIGKILL');
  expect(s.stderr()).toContain(`DRAWDOWN_FAULT ${point} kill`);
}

/** A request to a server that should stay up; if it fails, the server's own log says why. */
async function alive<T>(s: Server, request: Promise<T>): Promise<T> {
  try {
    return await request;
  } catch (e) {
    const how = s.child.exitCode !== null || s.child.signalCode !== null ? 'it ended' : 'it is still up';
    throw new Error(`${String(e)}; ${how}; server stderr:\n${s.stderr()}`);
  }
}

function data<R>(res: GqlResult<R>): R {
  if (res.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(res.errors)}`);
  return res.data!;
}

const db = useDb();

async function movements(customerId: string) {
  return (
    await db.query<{ id: string; sequence: number; type: string; amount: string }>(
      `select id, sequence, type, amount::text from movement where customer_id = $1 order by sequence`,
      [customerId],
    )
  ).rows;
}

/** Nothing half-booked: every SPEC §6 invariant, and the reconciliation finds no drift for the customer. */
async function wholeAfterCrash(customerId: string) {
  await checkLedgerInvariants([customerId]);
  const res = await t.raw<{ reconcileLedgers: { clean: boolean; drift: unknown[] } }>(
    `query ($c: ID) { reconcileLedgers(customerId: $c) { clean drift { kind detail } } }`,
    { c: customerId },
  );
  expect(res.data?.reconcileLedgers.drift).toEqual([]);
}

async function customer(opts: { usage?: boolean } = {}) {
  const c = await currencyAndCustomer(t, {
    prefix: 'K',
    name: 'Crash',
    keyPrefix: 'crash',
    customerName: 'Crash customer',
  });
  const { customerId, currency } = c;
  const eventType = opts.usage ? (await subscribeToUnitPlan(t, customerId, currency, '1')).eventType : '';
  return { customerId, currency, subject: c.key, eventType };
}

const settled = (customerId: string, currency: string) => requireBalance(t, customerId, currency);

describe('killed inside a settlement batch', { timeout: SLOW }, () => {
  it('books nothing of the batch; the next run settles every charge exactly once', async () => {
    const c = await customer({ usage: true });
    await grantCredits(t, c.customerId, c.currency, '100');
    const events = Array.from({ length: 7 }, (_, i) => ({
      id: uniq(`s${i}`),
      subject: c.subject,
      type: c.eventType,
    }));
    expect((await t.ok(IngestUsageDocument, { events })).ingestUsage.accepted).toBe(7);

    const a = await startServer(armed('settlement.batch', c.customerId));
    await dies(a, SettleChargesDocument, { customerId: c.customerId }, 'settlement.batch');
    // the movements the batch had written are gone with it, and the charge books nothing
    expect((await movements(c.customerId)).map((m) => m.type)).toEqual(['FUNDED']);
    const charge = await db.query(
      `select booked::text, credited_amount::text from charge where customer_id = $1`,
      [c.customerId],
    );
    expect(charge.rows).toEqual([{ booked: '0', credited_amount: '0' }]);
    await wholeAfterCrash(c.customerId);

    const b = await startServer();
    const first = data(await b.gql(SettleChargesDocument, { customerId: c.customerId }));
    expect(first.settleCharges.settledCharges).toBe(1);
    const again = data(await b.gql(SettleChargesDocument, { customerId: c.customerId }));
    expect(again.settleCharges.settledCharges).toBe(0);
    expect((await movements(c.customerId)).map((m) => [m.type, m.amount])).toEqual([
      ['FUNDED', '100'],
      ['CONSUMED', '-7'],
    ]);
    expect(await settled(c.customerId, c.currency)).toMatchObject({ settled: '93.00', pending: '93.00' });
    await b.stop();
    await wholeAfterCrash(c.customerId);
  });
});

describe("killed inside a grant's funding", { timeout: SLOW }, () => {
  it('a new grant: nothing of it remains; the retry with the same key creates and funds it once', async () => {
    const c = await customer();
    const input = {
      customerId: c.customerId,
      currency: c.currency,
      amount: '50',
      fundingMethod: 'PROMOTIONAL' as const,
      idempotencyKey: uniq('grant'),
    };
    const a = await startServer(armed('grant.funding', c.customerId));
    await dies(a, CreateCreditGrantDocument, { input }, 'grant.funding');
    const grants = await db.query(`select id from credit_grant where customer_id = $1`, [c.customerId]);
    expect(grants.rows).toEqual([]);
    expect(await movements(c.customerId)).toEqual([]);
    const key = await db.query(`select 1 from idempotency_key where key = $1`, [input.idempotencyKey]);
    expect(key.rows).toEqual([]); // the claim rolled back with the rest: the retry runs anew
    await wholeAfterCrash(c.customerId);

    const b = await startServer();
    const first = data(await b.gql(CreateCreditGrantDocument, { input }));
    const second = data(await b.gql(CreateCreditGrantDocument, { input }));
    expect(second.createCreditGrant.id).toBe(first.createCreditGrant.id);
    expect(first.createCreditGrant).toMatchObject({ remaining: '50.00', status: 'ACTIVE' });
    expect((await movements(c.customerId)).map((m) => [m.sequence, m.type, m.amount])).toEqual([
      [1, 'FUNDED', '50'],
    ]);
    await b.stop();
    await wholeAfterCrash(c.customerId);
  });

  it('a paid invoice: the payment and the funding roll back together; paying again funds once', async () => {
    const c = await customer();
    const g = await t.ok(CreateCreditGrantDocument, {
      input: {
        customerId: c.customerId,
        currency: c.currency,
        amount: '20',
        fundingMethod: 'INVOICE',
        purchase: { currency: 'USD', perUnitCost: '0.5' },
      },
    });
    const invoiceId = g.createCreditGrant.invoice!.id;
    const a = await startServer(armed('grant.funding', c.customerId));
    await dies(a, UpdateInvoicePaymentStatusDocument, { invoiceId, status: 'SETTLED' }, 'grant.funding');
    const inv = await db.query(`select status, payment_status from invoice where id = $1`, [invoiceId]);
    expect(inv.rows).toEqual([{ status: 'ISSUED', payment_status: 'PENDING' }]);
    expect(await movements(c.customerId)).toEqual([]);
    await wholeAfterCrash(c.customerId);

    const b = await startServer();
    for (let i = 0; i < 2; i++) {
      const paid = data(await b.gql(UpdateInvoicePaymentStatusDocument, { invoiceId, status: 'SETTLED' }));
      expect(paid.updateInvoicePaymentStatus).toMatchObject({ status: 'PAID', paymentStatus: 'SETTLED' });
    }
    expect((await movements(c.customerId)).map((m) => [m.type, m.amount])).toEqual([['FUNDED', '20']]);
    await b.stop();
    await wholeAfterCrash(c.customerId);
  });
});

describe('killed inside a usage batch', { timeout: SLOW }, () => {
  it('loses no accepted event, keeps none of the dying batch, and the retried batches count once', async () => {
    const c = await customer({ usage: true });
    await grantCredits(t, c.customerId, c.currency, '100');
    const batch = (n: number, tag: string) =>
      Array.from({ length: n }, (_, i) => ({
        id: uniq(`${tag}${i}`),
        subject: c.subject,
        type: c.eventType,
      }));
    const accepted = batch(10, 'ok');
    const dying = batch(6, 'die');
    // the first batch passes the fault point; the second dies at it
    const a = await startServer({ ...armed('usage.batch', c.customerId), DRAWDOWN_FAULT_SKIP: '1' });
    expect(data(await a.gql(IngestUsageDocument, { events: accepted })).ingestUsage).toMatchObject({
      accepted: 10,
      rejected: [],
    });
    await dies(a, IngestUsageDocument, { events: dying }, 'usage.batch');

    const stored = async () =>
      (
        await db.query<{ id: string }>(`select id from usage_event where customer_id = $1 order by id`, [
          c.customerId,
        ])
      ).rows.map((r) => r.id);
    expect(await stored()).toEqual(accepted.map((e) => e.id).sort());
    const quantity = async () =>
      (await db.query(`select quantity::text from charge where customer_id = $1`, [c.customerId])).rows;
    expect(await quantity()).toEqual([{ quantity: '10' }]);

    // a client that did not hear back retries both batches: the accepted one is all duplicates
    const b = await startServer();
    expect(data(await b.gql(IngestUsageDocument, { events: accepted })).ingestUsage).toMatchObject({
      accepted: 0,
      duplicates: 10,
    });
    expect(data(await b.gql(IngestUsageDocument, { events: dying })).ingestUsage).toMatchObject({
      accepted: 6,
      duplicates: 0,
    });
    expect(data(await b.gql(IngestUsageDocument, { events: dying })).ingestUsage).toMatchObject({
      accepted: 0,
      duplicates: 6,
    });
    expect((await stored()).length).toBe(16);
    expect(await quantity()).toEqual([{ quantity: '16' }]);
    expect(await settled(c.customerId, c.currency)).toMatchObject({ settled: '100.00', pending: '84.00' });
    await b.stop();
    await wholeAfterCrash(c.customerId);
  });
});

describe('killed between commit and NOTIFY', { timeout: SLOW }, () => {
  it('the booking stands; subscribers resuming with afterSequence, and the surviving replica, miss nothing', async () => {
    const c = await customer();
    await grantCredits(t, c.customerId, c.currency, '100');
    const adjust = (n: number) => ({
      input: {
        customerId: c.customerId,
        currency: c.currency,
        amount: '-1',
        reason: `crash ${n}`,
        idempotencyKey: `${c.customerId}-adj-${n}`,
      },
    });
    // the first two commits of the process are announced; the third dies after commit, before NOTIFY
    const a = await startServer({ ...armed('commit.notify', c.customerId), DRAWDOWN_FAULT_SKIP: '2' });
    const onA = wsClient(a.wsUrl);
    // from the grant's funding (sequence 1) on: a mutation answered before the subscription started is replayed
    const dashboard = collect<BalanceChangedSubscription>(onA.client, CHANGED, {
      customerId: c.customerId,
      afterSequence: 1,
    });
    const survivorWs = wsClient(t.wsUrl);
    const survivor = collect<BalanceChangedSubscription>(survivorWs.client, CHANGED, {
      customerId: c.customerId,
      afterSequence: 1,
    });
    data(await a.gql(AdjustCreditsDocument, adjust(1)));
    data(await a.gql(AdjustCreditsDocument, adjust(2)));
    const seen = (await dashboard.until(2, WAIT)).map((u) => u.creditBalanceChanged);
    expect(seen.map((u) => u.sequence)).toEqual([2, 3]);
    await survivor.until(2, WAIT);

    await dies(a, AdjustCreditsDocument, adjust(3), 'commit.notify');
    expect(await onA.closed).toBe(1006);
    // committed before the kill: the movement is there, though nobody was told
    const booked = await movements(c.customerId);
    expect(booked.map((m) => [m.sequence, m.amount])).toEqual([
      [1, '100'],
      [2, '-1'],
      [3, '-1'],
      [4, '-1'],
    ]);

    // the restarted server announces what changed lately: the replica that stayed up delivers it
    const b = await startServer();
    const heard = (await survivor.until(3, WAIT)).map((u) => u.creditBalanceChanged);
    expect(heard.map((u) => [u.sequence, u.movement?.id])).toEqual([
      [2, booked[1]!.id],
      [3, booked[2]!.id],
      [4, booked[3]!.id],
    ]);
    // the dashboard reconnects to the restarted server from the last sequence it saw
    const onB = wsClient(b.wsUrl);
    const resumed = collect<BalanceChangedSubscription>(onB.client, CHANGED, {
      customerId: c.customerId,
      afterSequence: seen.at(-1)!.sequence,
    });
    const replayed = (await resumed.until(1, WAIT)).map((u) => u.creditBalanceChanged);
    expect(replayed.map((u) => [u.sequence, u.movement?.id, u.balance.settled])).toEqual([
      [4, booked[3]!.id, '97.00'],
    ]);
    // the client that never heard back retries with its key: the first result, nothing booked twice
    const retried = data(await b.gql(AdjustCreditsDocument, adjust(3)));
    expect(retried.adjustCredits).toMatchObject({ id: booked[3]!.id, sequence: 4 });
    data(await b.gql(AdjustCreditsDocument, adjust(4)));
    const live = (await resumed.until(2, WAIT)).map((u) => u.creditBalanceChanged);
    expect(live.map((u) => u.sequence)).toEqual([4, 5]);
    // on the replica that stayed up: every movement, in order, once
    const all: Update[] = (await survivor.until(4, WAIT)).map((u) => u.creditBalanceChanged);
    expect(all.filter((u) => u.movement).map((u) => u.sequence)).toEqual([2, 3, 4, 5]);
    expect((await movements(c.customerId)).length).toBe(5);

    resumed.stop();
    survivor.stop();
    await onB.dispose();
    await survivorWs.dispose();
    await b.stop();
    await wholeAfterCrash(c.customerId);
  });
});

describe('database connection killed mid-transaction', { timeout: SLOW }, () => {
  it('the request answers a clean error, nothing is written, and the server goes on serving', async () => {
    const c = await customer();
    const input = {
      customerId: c.customerId,
      currency: c.currency,
      amount: '30',
      fundingMethod: 'PROMOTIONAL' as const,
      idempotencyKey: uniq('term'),
    };
    const a = await startServer({ ...armed('grant.funding', c.customerId), DRAWDOWN_FAULT_MODE: 'pause' });
    const pending = a.gql(CreateCreditGrantDocument, { input });
    await a.atFault;
    // the server's backend sits in its open transaction, having written the grant row
    const { rows } = await db.query<{ pid: number }>(
      `select pid from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid()
          and state = 'idle in transaction' and backend_xid is not null
          and query like 'insert into credit_grant%'`,
    );
    expect(rows).toHaveLength(1);
    await db.query(`select pg_terminate_backend($1)`, [rows[0]!.pid]);
    a.child.kill('SIGUSR2'); // let the request go on, onto its dead connection
    const res = await alive(a, pending);
    expect(res.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(res.errors?.[0]?.message).toBe('Internal server error');
    expect(res.data?.createCreditGrant ?? null).toBeNull();
    expect(
      (await db.query(`select id from credit_grant where customer_id = $1`, [c.customerId])).rows,
    ).toEqual([]);
    await wholeAfterCrash(c.customerId);

    // the pool replaced the dead connection: the same process serves the next request
    const adjusted = data(
      await alive(
        a,
        a.gql(AdjustCreditsDocument, {
          input: { customerId: c.customerId, currency: c.currency, amount: '5', reason: 'after the cut' },
        }),
      ),
    );
    expect(adjusted.adjustCredits).toMatchObject({ sequence: 1, amount: '5.00' });
    await a.stop();
    // and the retry with the same key books the grant once
    const first = await t.ok(CreateCreditGrantDocument, { input });
    const second = await t.ok(CreateCreditGrantDocument, { input });
    expect(second.createCreditGrant.id).toBe(first.createCreditGrant.id);
    expect((await movements(c.customerId)).map((m) => [m.type, m.amount])).toEqual([
      ['ADJUSTED', '5'],
      ['FUNDED', '30'],
    ]);
    await wholeAfterCrash(c.customerId);
  });
});
