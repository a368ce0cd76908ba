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
  CancelSubscriptionDocument,
  CaptureCreditHoldDocument,
  CheckCreditsFastDocument,
  CreateChargeDocument,
  CreateSubscriptionDocument,
  CreditBalancesDocument,
  IngestUsageDocument,
  ReleaseCreditHoldDocument,
  ReserveCreditsDocument,
  SettleChargesDocument,
  type PriceInput,
} from '../gql/graphql';
import { ADMIN_KEY, startTestApp, uniq, type TestApp } from '../support/app';
import { currencyAndCustomer, grantCredits, publishedUsagePlan } from '../support/builders';
import { withDb } from '../support/db';
import { checkLedgerInvariants } from '../support/invariants';
import { statementCounter } from '../support/statements';
import { collect, wsClient } from '../support/ws';

/**
 * The check cache (SPEC §16 "Speed"; docs/holds-and-checks.md, "Fast checks"): a repeated check with nothing
 * changed reads nothing from PostgreSQL, and a check after any change (booked, pending-only, or the passing of
 * an instant) answers as a fresh read would, whether the change came through this process or another one.
 */

/** Real time, unless a test sets an instant by hand. */
let now: number | null = null;
const clock = { now: () => new Date(now ?? Date.now()) };
let t: TestApp;
const sql = statementCounter();

beforeAll(async () => {
  t = await startTestApp({}, sql.onQuery, clock);
});
afterAll(async () => {
  await t.stop();
});

/**
 * The statements of a repeated check once the cache has heard every notification of what was committed
 * before it: a read that began before the LISTEN echo of this process's own commit arrived is (rightly) not
 * kept, so under load one more read may come first. A cache that never keeps a read fails this.
 */
async function keptCheckStatements(app: TestApp, s: Awaited<ReturnType<typeof subscribed>>) {
  let n = Infinity;
  for (let i = 0; i < 20 && n > 0; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 50));
    n = (await countStatements(() => check(app, s))).statements;
  }
  return n;
}

/**
 * Waits until the application has sent no statement for 200 ms: a commit wakes background work after it (the
 * auto top-up trigger asks, 50 ms later, whether the customer has a rule), whose statements would be counted
 * as the next check's.
 */
const quiet = () => sql.quiet();

/** The SQL statements the application sent while `fn` ran. */
const countStatements = <T>(fn: () => Promise<T>) => sql.count(fn);

async function subscribed(app: TestApp, price: PriceInput = { model: 'UNIT', unitAmount: '1' }) {
  const c = await currencyAndCustomer(app, { prefix: 'F', keyPrefix: 'fast' });
  const plan = await publishedUsagePlan(app, c.currency, { price, aggregation: 'SUM' });
  const sub = await app.ok(CreateSubscriptionDocument, {
    input: {
      customerId: c.customerId,
      planId: plan.planId,
      activeFrom: new Date(clock.now().getTime() - 60_000).toISOString(),
    },
  });
  return { ...c, ...plan, subscriptionId: sub.createSubscription.id };
}

type Subscribed = Awaited<ReturnType<typeof subscribed>>;

const check = async (app: TestApp, s: Subscribed, quantity = '1') =>
  (await app.ok(CheckCreditsFastDocument, { customerId: s.customerId, featureKey: s.featureKey, quantity }))
    .checkCredits;

/** `pending` read by a balance query, which never goes through the check cache. */
const pending = async (app: TestApp, s: Subscribed) =>
  (await app.ok(CreditBalancesDocument, { customerId: s.customerId, currency: s.currency })).creditBalances[0]
    ?.pending;

describe('check cache, one process', () => {
  it('a repeated check with nothing changed sends no SQL statement', async () => {
    const s = await subscribed(t);
    await grantCredits(t, s.customerId, s.currency, '10');
    await quiet();
    const first = await countStatements(() => check(t, s, '3'));
    expect(first.result).toMatchObject({ allowed: true, cost: '3.00', available: '10.00' });
    expect(first.statements).toBeGreaterThan(0);
    // the grant's LISTEN echo arrived before that read began (quiet() waited), so it is kept
    for (const q of ['3', '4', '12']) {
      const again = await countStatements(() => check(t, s, q));
      expect(again.statements).toBe(0);
      expect(again.result.cost).toBe(`${q}.00`);
    }
    expect((await check(t, s, '12')).uncovered).toBe('2.00');
    await checkLedgerInvariants([s.customerId]);
  });

  it('a check right after a movement, usage, a hold or a subscription change reflects it', async () => {
    const s = await subscribed(t, {
      model: 'GRADUATED',
      tiers: [{ upTo: '5', unitAmount: '1' }, { unitAmount: '2' }],
    });
    await grantCredits(t, s.customerId, s.currency, '20');
    const seen = async (expected: { available: string; cost: string }) => {
      const r = await check(t, s);
      expect(r).toMatchObject(expected);
      expect(r.available).toBe(await pending(t, s));
      // and now it is kept again
      expect(await keptCheckStatements(t, s)).toBe(0);
    };
    await seen({ available: '20.00', cost: '1.00' });
    // a booked movement
    await t.ok(AdjustCreditsDocument, {
      input: { customerId: s.customerId, currency: s.currency, amount: '-2', reason: 'x' },
    });
    await seen({ available: '18.00', cost: '1.00' });
    // usage ingest: pending only (the open charge grows), and the next unit is priced on the second tier
    await t.ok(IngestUsageDocument, {
      events: [{ id: uniq('e'), subject: s.key, type: s.eventType, value: '5' }],
    });
    await seen({ available: '13.00', cost: '2.00' });
    // a hold, its release, a capture: pending only, then a movement
    const hold = await t.ok(ReserveCreditsDocument, {
      input: { customerId: s.customerId, currency: s.currency, amount: '4' },
    });
    await seen({ available: '9.00', cost: '2.00' });
    await t.ok(ReleaseCreditHoldDocument, { holdId: hold.reserveCredits.id });
    await seen({ available: '13.00', cost: '2.00' });
    const second = await t.ok(ReserveCreditsDocument, {
      input: { customerId: s.customerId, currency: s.currency, amount: '3' },
    });
    await seen({ available: '10.00', cost: '2.00' });
    await t.ok(CaptureCreditHoldDocument, { input: { holdId: second.reserveCredits.id, amount: '1' } });
    await seen({ available: '12.00', cost: '2.00' });
    // settlement books the open charge; a one-off charge
    await t.ok(SettleChargesDocument, { customerId: s.customerId });
    await seen({ available: '12.00', cost: '2.00' });
    await t.ok(CreateChargeDocument, {
      input: {
        customerId: s.customerId,
        currency: s.currency,
        amount: '2',
        description: 'fee',
        settlementMode: 'CREDIT_ONLY',
      },
    });
    await seen({ available: '10.00', cost: '2.00' });
    // a grant that books nothing yet (it starts in an hour) is kept for when it starts
    await grantCredits(t, s.customerId, s.currency, '7', {
      effectiveAt: new Date(clock.now().getTime() + 3_600_000).toISOString(),
    });
    await seen({ available: '10.00', cost: '2.00' });
    // the subscription ends: where usage goes changed
    await t.ok(CancelSubscriptionDocument, { id: s.subscriptionId });
    const r = await check(t, s);
    expect(r).toMatchObject({ allowed: false, reason: 'NO_ACTIVE_SUBSCRIPTION' });
    await checkLedgerInvariants([s.customerId]);
  });

  it('a change of the ledger re-reads the ledger alone; a change of terms re-reads the terms', async () => {
    const s = await subscribed(t);
    await grantCredits(t, s.customerId, s.currency, '10');
    expect(await check(t, s)).toMatchObject({ available: '10.00' });
    expect(await keptCheckStatements(t, s)).toBe(0);
    await t.ok(AdjustCreditsDocument, {
      input: { customerId: s.customerId, currency: s.currency, amount: '-2', reason: 'x' },
    });
    await quiet();
    // the ledger's read only: the subscriptions and rate cards kept stay current
    const afterMovement = await countStatements(() => check(t, s));
    expect(afterMovement.result).toMatchObject({ available: '8.00' });
    expect(afterMovement.statements).toBe(1);
    expect(await keptCheckStatements(t, s)).toBe(0);
    await t.ok(CancelSubscriptionDocument, { id: s.subscriptionId });
    expect(await check(t, s)).toMatchObject({ allowed: false, reason: 'NO_ACTIVE_SUBSCRIPTION' });
    await checkLedgerInvariants([s.customerId]);
  });

  it('applies expiries and starts at their instant from what it keeps, with no statement', async () => {
    const start = Date.now();
    now = start;
    const s = await subscribed(t);
    const minute = 60_000;
    await grantCredits(t, s.customerId, s.currency, '10', {
      expiresAt: new Date(start + 30 * minute).toISOString(),
      priority: 1,
    });
    await t.ok(ReserveCreditsDocument, {
      input: { customerId: s.customerId, currency: s.currency, amount: '4', expiresIn: 'PT10M' },
    });
    expect(await check(t, s)).toMatchObject({ available: '6.00', allowed: true });
    // a grant that books nothing when it is created (it starts in 20 minutes) still voids the kept read
    await grantCredits(t, s.customerId, s.currency, '5', {
      effectiveAt: new Date(start + 20 * minute).toISOString(),
    });
    expect(await check(t, s)).toMatchObject({ available: '6.00', allowed: true });
    const at = async (minutes: number, expected: Record<string, unknown>) => {
      now = start + minutes * minute;
      const { result, statements: n } = await countStatements(() => check(t, s, '8'));
      expect(result).toMatchObject(expected);
      expect(n).toBe(0);
      expect(result.available).toBe(await pending(t, s));
    };
    // just before the hold expires, at its instant, after the grant starts, after the other one expires
    await at(10 - 1 / 60_000, { available: '6.00', allowed: false, uncovered: '2.00' });
    await at(10, { available: '10.00', allowed: true, uncovered: '0.00' });
    await at(20, { available: '15.00', allowed: true });
    await at(30, { available: '5.00', allowed: false, uncovered: '3.00' });
    now = null;
    await checkLedgerInvariants([s.customerId]);
  });

  it('a kept answer serves its instant and after, until its billing period ends', async () => {
    const start = Date.now();
    now = start;
    const c = await currencyAndCustomer(t, { prefix: 'F', keyPrefix: 'fast' });
    const plan = await publishedUsagePlan(t, c.currency, {
      price: { model: 'GRADUATED', tiers: [{ upTo: '5', unitAmount: '1' }, { unitAmount: '2' }] },
      aggregation: 'SUM',
      cadence: 'P1D',
    });
    const activeFrom = start - 60_000;
    await t.ok(CreateSubscriptionDocument, {
      input: {
        customerId: c.customerId,
        planId: plan.planId,
        activeFrom: new Date(activeFrom).toISOString(),
      },
    });
    const s = { ...c, ...plan } as unknown as Subscribed;
    await grantCredits(t, s.customerId, s.currency, '50');
    await t.ok(IngestUsageDocument, {
      events: [{ id: uniq('e'), subject: s.key, type: s.eventType, value: '5' }],
    });
    // the period's usage is 5: the next unit is on the second tier
    expect(await check(t, s)).toMatchObject({ cost: '2.00', available: '45.00' });
    expect(await keptCheckStatements(t, s)).toBe(0);
    const at = async (ms: number, cost: string) => {
      now = ms;
      const { result, statements: n } = await countStatements(() => check(t, s));
      expect(result).toMatchObject({ cost, available: '45.00' });
      expect(n).toBe(0);
    };
    await at(start + 1, '2.00');
    await at(activeFrom + 86_400_000 - 1, '2.00');
    // a new period: its usage starts again from 0, whatever was kept
    await at(activeFrom + 86_400_000, '1.00');
    await at(activeFrom + 86_400_000 + 1, '1.00');
    now = null;
    await checkLedgerInvariants([s.customerId]);
  });
});

/** A Drawdown server in a child process on the test database: another replica. */
function useOtherProcess() {
  const ROOT = path.resolve(__dirname, '../..');
  // its own build, so a concurrent `npm run build` cannot pull dist/ away from the child
  const BUILD = path.join(ROOT, 'node_modules', '.cache', `drawdown-check-cache-${process.pid}`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'drawdown-check-cache-'));
  let child: ChildProcess | null = null;
  let url = '';
  beforeAll(async () => {
    execFileSync(path.join(ROOT, 'node_modules', '.bin', 'swc'), ['src', 'migrations', '-d', BUILD, '-q'], {
      cwd: ROOT,
    });
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('DRAWDOWN_')) delete env[k];
    const c = spawn(process.execPath, [path.join(BUILD, 'src', 'main.js')], {
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
    child = c;
    let err = '';
    c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      c.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /ready in \d+ ms at (http\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      c.on('exit', (code) => reject(new Error(`the other process ended (${code}): ${err}`)));
    });
  }, 60_000);
  afterAll(() => {
    child?.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(BUILD, { recursive: true, force: true });
  });
  return {
    async ok<R, V>(doc: TypedDocumentNode<R, V>, variables: V): Promise<R> {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
        body: JSON.stringify({ query: print(doc), variables }),
      });
      const body = (await res.json()) as { data?: R; errors?: unknown[] };
      if (body.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
      return body.data!;
    },
  };
}

/** Checks until the answer has `reason`, for at most `ms` (well within the cache's 2.5 s refresh). */
async function untilReason(s: Subscribed, reason: string, ms = 1_500) {
  const until = Date.now() + ms;
  for (;;) {
    const r = await check(t, s);
    if (r.reason === reason || Date.now() > until) return r;
    await new Promise((res) => setTimeout(res, 25));
  }
}

describe('check cache, another process', () => {
  const other = useOtherProcess();

  it("another process's change of terms voids the kept subscriptions once its notification arrives", async () => {
    const s = await subscribed(t);
    await grantCredits(t, s.customerId, s.currency, '10');
    expect(await check(t, s)).toMatchObject({ allowed: true });
    expect(await keptCheckStatements(t, s)).toBe(0);
    await other.ok(CancelSubscriptionDocument, { id: s.subscriptionId });
    expect(await untilReason(s, 'NO_ACTIVE_SUBSCRIPTION')).toMatchObject({ allowed: false });
    await checkLedgerInvariants([s.customerId]);
  });

  it('a notification of the previous release (no terms list) voids the kept subscriptions too', async () => {
    const s = await subscribed(t);
    await grantCredits(t, s.customerId, s.currency, '10');
    expect(await check(t, s)).toMatchObject({ allowed: true });
    expect(await keptCheckStatements(t, s)).toBe(0);
    // that release's process ends the subscription and announces it as pending only
    await withDb(async (db) => {
      await db.query(`update subscription set active_to = now(), canceled_at = now() where id = $1`, [
        s.subscriptionId,
      ]);
      // unannounced, the kept read still serves: so what follows is the notification's doing
      expect((await countStatements(() => check(t, s))).result).toMatchObject({
        allowed: true,
        reason: null,
      });
      await db.query(`select pg_notify('drawdown_changes', $1)`, [
        JSON.stringify({ m: [], p: [s.customerId], o: 'a process of the previous release' }),
      ]);
    });
    expect(await untilReason(s, 'NO_ACTIVE_SUBSCRIPTION')).toMatchObject({ allowed: false });
    await checkLedgerInvariants([s.customerId]);
  });

  it('a change committed by another process voids the kept read once its notification arrives', async () => {
    const s = await subscribed(t);
    await grantCredits(t, s.customerId, s.currency, '10');
    expect(await check(t, s)).toMatchObject({ available: '10.00' });
    expect(await keptCheckStatements(t, s)).toBe(0);
    // this process's live feed hears the other process's changes through the same notification as the
    // cache: once the update is here, the cache has heard of it too (no wait on a timer)
    const ws = wsClient(t.wsUrl);
    const updates = collect<{ creditBalanceChanged: { balance: { pending: string } } }>(
      ws.client,
      print(BalanceChangedDocument),
      // from the grant's funding (sequence 1) on: the first update is the adjustment below, replayed or live
      { customerId: s.customerId, currency: s.currency, afterSequence: 1 },
    );
    try {
      await t.ok(AdjustCreditsDocument, {
        input: { customerId: s.customerId, currency: s.currency, amount: '1', reason: 'x' },
      });
      await updates.until(1, 20_000);
      expect(await check(t, s)).toMatchObject({ available: '11.00' });
      let n = 1;
      const through = async (mutate: () => Promise<unknown>, available: string) => {
        expect(await keptCheckStatements(t, s)).toBe(0);
        await mutate();
        await updates.until(++n, 20_000);
        expect(await check(t, s)).toMatchObject({ available });
      };
      // a booked movement
      await through(
        () =>
          other.ok(AdjustCreditsDocument, {
            input: { customerId: s.customerId, currency: s.currency, amount: '-3', reason: 'y' },
          }),
        '8.00',
      );
      // pending only: usage, then a hold and its release
      await through(
        () =>
          other.ok(IngestUsageDocument, {
            events: [{ id: uniq('e'), subject: s.key, type: s.eventType, value: '2' }],
          }),
        '6.00',
      );
      const hold = await (async () => {
        let id = '';
        await through(async () => {
          id = (
            await other.ok(ReserveCreditsDocument, {
              input: { customerId: s.customerId, currency: s.currency, amount: '5' },
            })
          ).reserveCredits.id;
        }, '1.00');
        return id;
      })();
      await through(() => other.ok(ReleaseCreditHoldDocument, { holdId: hold }), '6.00');
      expect(updates.errors).toEqual([]);
    } finally {
      updates.stop();
      await ws.dispose();
    }
    await checkLedgerInvariants([s.customerId]);
  });
});
