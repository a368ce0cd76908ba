import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { print } from 'graphql';
import { Client } from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../src/db/embedded';
import {
  BalanceAlertsDocument,
  BalanceChangedDocument,
  IngestUsageDocument,
  IssueCustomerTokenDocument,
  SetCreditAlertsDocument,
  type BalanceAlertsSubscription,
  type BalanceChangedSubscription,
} from '../gql/graphql';
import { ADMIN_KEY, startTestApp, uniq, useTestApp } from '../support/app';
import { checkLedgerInvariants } from '../support/invariants';
import { adjustCredits, currencyAndCustomer, grantCredits, subscribeToUnitPlan } from '../support/builders';
import { collect, wsClient } from '../support/ws';

const t = useTestApp();
const CHANGED = print(BalanceChangedDocument);
const ALERTS = print(BalanceAlertsDocument);
type Update = BalanceChangedSubscription['creditBalanceChanged'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const customer = () =>
  currencyAndCustomer(t, { prefix: 'W', name: 'Live', keyPrefix: 'live', customerName: 'Live customer' });
const grant = (customerId: string, currency: string, amount: string) =>
  grantCredits(t, customerId, currency, amount);
const adjust = (customerId: string, currency: string, amount: string) =>
  adjustCredits(t, customerId, currency, amount, 'live test');

const updatesOf = (items: BalanceChangedSubscription[]): Update[] => items.map((i) => i.creditBalanceChanged);

describe('creditBalanceChanged', () => {
  it('three mutations → three updates with consecutive sequences and matching balances', async () => {
    const { currency, customerId } = await customer();
    const ws = wsClient(t.wsUrl);
    const sub = collect<BalanceChangedSubscription>(ws.client, CHANGED, { customerId, currency });
    await sleep(150);
    await grant(customerId, currency, '10');
    await adjust(customerId, currency, '-3');
    await adjust(customerId, currency, '2.50');
    const got = updatesOf(await sub.until(3));
    expect(got.map((u) => [u.sequence, u.movement?.type, u.movement?.amount, u.balance.settled])).toEqual([
      [1, 'FUNDED', '10.00', '10.00'],
      [2, 'ADJUSTED', '-3.00', '7.00'],
      [3, 'ADJUSTED', '2.50', '9.50'],
    ]);
    expect(
      got.every((u) => u.movement!.balanceAfter === u.balance.settled && u.customerId === customerId),
    ).toBe(true);
    await sleep(200);
    expect(sub.items).toHaveLength(3);
    sub.stop();
    await ws.dispose();
    await checkLedgerInvariants([customerId]);
  });

  it('a reconnect with afterSequence gets the missed movements, then live ones, none twice', async () => {
    const { currency, customerId } = await customer();
    const first = wsClient(t.wsUrl);
    const a = collect<BalanceChangedSubscription>(first.client, CHANGED, { customerId });
    await sleep(150);
    await grant(customerId, currency, '5');
    await adjust(customerId, currency, '-1');
    const seen = updatesOf(await a.until(2));
    await first.dispose(); // the dashboard goes away
    await adjust(customerId, currency, '-1');
    await adjust(customerId, currency, '-1');
    const last = seen[seen.length - 1]!.sequence;
    const second = wsClient(t.wsUrl);
    const b = collect<BalanceChangedSubscription>(second.client, CHANGED, {
      customerId,
      afterSequence: last,
    });
    const replayed = updatesOf(await b.until(2));
    expect(replayed.map((u) => u.sequence)).toEqual([3, 4]);
    await adjust(customerId, currency, '-1');
    const all = updatesOf(await b.until(3));
    await sleep(200);
    expect(updatesOf(b.items).map((u) => u.sequence)).toEqual([3, 4, 5]);
    expect(all[2]!.balance.settled).toBe('1.00');
    await second.dispose();
    await checkLedgerInvariants([customerId]);
  });

  it('sends pending-only updates (movement: null) while usage accrues, coalesced', async () => {
    const { currency, customerId, key } = await customer();
    const { eventType } = await subscribeToUnitPlan(t, customerId, currency, '1');
    await grant(customerId, currency, '100');
    const ws = wsClient(t.wsUrl);
    const sub = collect<BalanceChangedSubscription>(ws.client, CHANGED, { customerId });
    await sleep(150);
    for (let i = 0; i < 10; i++) {
      await t.ok(IngestUsageDocument, { events: [{ id: uniq('u'), subject: key, type: eventType }] });
    }
    await sleep(700);
    const got = updatesOf(sub.items);
    expect(got.length).toBeGreaterThan(0);
    expect(got.every((u) => u.movement === null && u.balance.settled === '100.00' && u.sequence === 1)).toBe(
      true,
    );
    // coalesced: ten accruals in well under a second make at most a few updates, ending at the real figure
    expect(got.length).toBeLessThan(10);
    expect(got[got.length - 1]!.balance.pending).toBe('90.00');
    const pendings = got.map((u) => Number(u.balance.pending));
    expect([...pendings].sort((x, y) => y - x)).toEqual(pendings);
    await ws.dispose();
    await checkLedgerInvariants([customerId]);
  });
});

describe('creditBalanceAlerts', () => {
  it('alerts once per crossing: RECOVERED, DROPPED_BELOW_THRESHOLD, DEPLETED', async () => {
    const { currency, customerId } = await customer();
    const set = await t.ok(SetCreditAlertsDocument, {
      input: { customerId, currency, thresholds: ['5', '2'] },
    });
    expect(set.setCreditAlerts).toEqual(['2.00', '5.00']);
    const ws = wsClient(t.wsUrl);
    const sub = collect<BalanceAlertsSubscription>(ws.client, ALERTS, { customerId });
    await sleep(150);
    await grant(customerId, currency, '10'); // 0 → 10: above zero, above 2, above 5
    await adjust(customerId, currency, '-4'); // 10 → 6: nothing crossed
    await adjust(customerId, currency, '-3'); // 6 → 3: below 5
    await adjust(customerId, currency, '-3'); // 3 → 0: below 2, depleted
    await grant(customerId, currency, '1'); // 0 → 1: above zero
    const alerts = (await sub.until(7)).map((a) => a.creditBalanceAlerts);
    await sleep(200);
    expect(sub.items).toHaveLength(7);
    expect(alerts.map((a) => [a.type, a.threshold, a.balance])).toEqual([
      ['RECOVERED', null, '10.00'],
      ['RECOVERED', '2.00', '10.00'],
      ['RECOVERED', '5.00', '10.00'],
      ['DROPPED_BELOW_THRESHOLD', '5.00', '3.00'],
      ['DEPLETED', null, '0.00'],
      ['DROPPED_BELOW_THRESHOLD', '2.00', '0.00'],
      ['RECOVERED', null, '1.00'],
    ]);
    expect(alerts.every((a) => a.currency === currency && a.customerId === customerId)).toBe(true);
    await ws.dispose();
    await checkLedgerInvariants([customerId]);
  });
});

describe('access over WebSocket', () => {
  it('lets a customer token subscribe to its own customer only, and closes an unauthenticated socket', async () => {
    const mine = await customer();
    const other = await customer();
    const token = (await t.ok(IssueCustomerTokenDocument, { customerId: mine.customerId })).issueCustomerToken
      .token;
    const ws = wsClient(t.wsUrl, token);
    const foreign = collect<BalanceChangedSubscription>(ws.client, CHANGED, { customerId: other.customerId });
    const own = collect<BalanceChangedSubscription>(ws.client, CHANGED, { customerId: mine.customerId });
    await sleep(200);
    expect(JSON.stringify(foreign.errors)).toMatch(/NOT_FOUND/);
    await grant(mine.customerId, mine.currency, '1');
    await grant(other.customerId, other.currency, '1');
    await own.until(1);
    await sleep(200);
    expect(foreign.items).toHaveLength(0);
    expect(own.items).toHaveLength(1);
    await ws.dispose();
    const anon = wsClient(t.wsUrl, null);
    expect(await anon.closed).toBe(4403);
    const bad = wsClient(t.wsUrl, 'wrong');
    expect(await bad.closed).toBe(4403);
  });
});

describe('across processes', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGTERM');
  });

  it('a subscriber on a second server process sees a mutation made through the first within 1 s', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [path.resolve(__dirname, '../../dist/src/main.js')], {
      env: {
        ...process.env,
        DATABASE_URL: inject('databaseUrl'),
        DRAWDOWN_MIGRATE: 'false',
        DRAWDOWN_API_KEYS: ADMIN_KEY,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'error',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('second server did not start')), 20_000);
      child.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('exit', (code) => reject(new Error(`second server exited with ${code}`)));
    });
    const { currency, customerId } = await customer();
    const ws = wsClient(`ws://127.0.0.1:${port}/graphql`);
    const sub = collect<BalanceChangedSubscription>(ws.client, CHANGED, { customerId });
    await sleep(200);
    const started = Date.now();
    await grant(customerId, currency, '3'); // through the first process
    await sub.until(1, 1000);
    const took = Date.now() - started;
    console.log(`cross-process delivery: ${took} ms`);
    expect(updatesOf(sub.items)[0]!.movement!.amount).toBe('3.00');
    await ws.dispose();
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).toBe(0);
  });
});

describe('listener failure', () => {
  it('still delivers every sequence exactly once when the listen connection is killed mid-stream', async () => {
    const { currency, customerId } = await customer();
    await grant(customerId, currency, '1000');
    const ws = wsClient(t.wsUrl);
    const sub = collect<BalanceChangedSubscription>(ws.client, CHANGED, { customerId });
    await sleep(150);
    const db = new Client({ connectionString: inject('databaseUrl') });
    await db.connect();
    const booking = (async () => {
      for (let i = 0; i < 40; i++) await adjust(customerId, currency, '-1');
    })();
    let killed = 0;
    for (let i = 0; i < 3; i++) {
      await sleep(60);
      const r = await db.query(
        `select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'drawdown-listener' and datname = current_database()`,
      );
      killed += r.rowCount ?? 0;
    }
    await booking;
    await db.end();
    await sub.until(40, 15_000);
    for (let i = 0; i < 50 && updatesOf(sub.items).filter((u) => u.movement).length < 40; i++)
      await sleep(100);
    await sleep(300);
    expect(killed).toBeGreaterThan(0);
    const moved = updatesOf(sub.items).filter((u) => u.movement !== null);
    expect(moved.map((u) => u.movement!.sequence)).toEqual(Array.from({ length: 40 }, (_, i) => i + 2));
    expect(moved[39]!.balance.settled).toBe('960.00');
    await ws.dispose();
    await checkLedgerInvariants([customerId]);
  });
});

describe('socket lifecycle', () => {
  it('closes a customer socket with 4403 when its token expires', async () => {
    const { customerId } = await customer();
    const short = (await t.ok(IssueCustomerTokenDocument, { customerId, ttlSeconds: 1 })).issueCustomerToken;
    const ws = wsClient(t.wsUrl, short.token);
    const sub = collect<BalanceChangedSubscription>(ws.client, CHANGED, { customerId });
    expect(await ws.closed).toBe(4403);
    // closed because the token ran out, not before
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(short.expiresAt) - 20);
    sub.stop();
  });

  it('closes sockets with 1001 on graceful shutdown', async () => {
    const other = await startTestApp();
    const ws = wsClient(other.wsUrl);
    const { customerId } = await customer();
    collect<BalanceChangedSubscription>(ws.client, CHANGED, { customerId });
    await sleep(150);
    await other.stop();
    expect(await ws.closed).toBe(1001);
  });
});
