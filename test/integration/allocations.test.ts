import { afterEach, describe, expect, it } from 'vitest';
import {
  AllocationGrantsDocument,
  AllocationMovementsDocument,
  CancelSubscriptionDocument,
  CreateAllocationPlanDocument,
  CreateSubscriptionDocument,
  PublishPlanDocument,
  type AllocationGrantsQuery,
  type CreditAllocationInput,
} from '../gql/graphql';
import { startTestApp, uniq, type TestApp } from '../support/app';
import { adjustCredits, currencyAndCustomer } from '../support/builders';
import { checkLedgerInvariants } from '../support/invariants';

/**
 * Plan credit allocations and rollover (SPEC §14) through GraphQL with two-second cadences, on the real job
 * runner. Each test starts and stops its own app(s): some need the program jobs off in every process.
 */

const CADENCE_MS = 2000;
const ON = { DRAWDOWN_PROGRAMS_INTERVAL: '300ms' };
const OFF = { DRAWDOWN_PROGRAMS_INTERVAL: '0' };

const apps: TestApp[] = [];
async function start(env: Record<string, string>): Promise<TestApp> {
  const app = await startTestApp(env);
  apps.push(app);
  return app;
}
async function stop(app: TestApp): Promise<void> {
  apps.splice(apps.indexOf(app), 1);
  await app.stop();
}
afterEach(async () => {
  while (apps.length > 0) await stop(apps[0]!);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Retries `check` until it passes (or rethrows its last failure after `timeoutMs`). */
async function eventually<T>(check: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(200);
    }
  }
}

type Grant = AllocationGrantsQuery['creditGrants']['edges'][number]['node'];

async function setUp(t: TestApp, allocations: CreditAllocationInput[], activeFrom?: Date) {
  const { currency, customerId } = await currencyAndCustomer(t, { prefix: 'AL' });
  const plan = await t.ok(CreateAllocationPlanDocument, {
    input: {
      key: uniq('alloc_plan'),
      name: 'Allocations',
      currency,
      settlementMode: 'CREDIT_ONLY',
      rateCards: [],
      creditAllocations: allocations,
    },
  });
  await t.ok(PublishPlanDocument, { id: plan.createPlan.id });
  const sub = await t.ok(CreateSubscriptionDocument, {
    input: { customerId, planId: plan.createPlan.id, activeFrom: activeFrom?.toISOString() },
  });
  return {
    currency,
    customerId,
    subscriptionId: sub.createSubscription.id,
    activeFrom: new Date(sub.createSubscription.activeFrom),
    allocations: plan.createPlan.creditAllocations,
  };
}

async function grantsOf(t: TestApp, customerId: string): Promise<Grant[]> {
  const res = await t.ok(AllocationGrantsDocument, { customerId });
  return res.creditGrants.edges.map((e) => e.node);
}

async function movementsOf(t: TestApp, customerId: string) {
  const res = await t.ok(AllocationMovementsDocument, { customerId });
  return res.creditTransactions.edges.map((e) => e.node);
}

const byStart = (gs: Grant[]) =>
  gs
    .filter((g) => g.source === 'ALLOCATION')
    .sort((a, b) => +new Date(a.effectiveAt) - +new Date(b.effectiveAt));

/**
 * Every allocation grant of one allocation: one per period from activeFrom, consecutive, none twice,
 * PROMOTIONAL, linked to the subscription, FUNDED booked at its period start.
 */
async function expectOnePerPeriod(
  t: TestApp,
  s: { customerId: string; subscriptionId: string; activeFrom: Date },
  opts: { amount: string; atLeast: number; endedAt?: Date },
): Promise<Grant[]> {
  const grants = byStart(await grantsOf(t, s.customerId)).filter((g) => g.amount === opts.amount);
  expect(grants.length).toBeGreaterThanOrEqual(opts.atLeast);
  const funded = new Map(
    (await movementsOf(t, s.customerId)).filter((m) => m.type === 'FUNDED').map((m) => [m.grant!.id, m]),
  );
  grants.forEach((g, k) => {
    const start = new Date(s.activeFrom.getTime() + k * CADENCE_MS);
    expect(g.effectiveAt, `period ${k}`).toBe(start.toISOString());
    expect(g.expiresAt).toBe(new Date(start.getTime() + CADENCE_MS).toISOString());
    expect(g).toMatchObject({ fundingMethod: 'PROMOTIONAL', subscription: { id: s.subscriptionId } });
    expect(funded.get(g.id)?.bookedAt, `period ${k} funded at its start`).toBe(start.toISOString());
    expect(g.fundedAt).toBe(start.toISOString());
    if (opts.endedAt) expect(start < opts.endedAt).toBe(true);
  });
  // none missing up to now (or up to the end): the next period has not started while active
  const next = new Date(s.activeFrom.getTime() + grants.length * CADENCE_MS);
  expect(
    next > new Date(Date.now() - CADENCE_MS) || (opts.endedAt !== undefined && next >= opts.endedAt),
  ).toBe(true);
  return grants;
}

describe('plan credit allocations (PT2S)', () => {
  it('several periods pass, each granted once at its start; none before the start; none after cancel, which leaves grants', async () => {
    const t = await start(ON);
    const s = await setUp(t, [{ amount: '10', cadence: 'PT2S', priority: 7 }], new Date(Date.now() + 2500));
    expect(s.allocations).toEqual([
      { amount: '10.00', cadence: 'PT2S', priority: 7, expiresAfter: null, rolloverCap: null },
    ]);
    await sleep(1200);
    expect(await grantsOf(t, s.customerId), 'a scheduled subscription has none yet').toEqual([]);
    await eventually(async () => {
      expect(byStart(await grantsOf(t, s.customerId)).length).toBeGreaterThanOrEqual(3);
    });
    const made = await expectOnePerPeriod(t, s, { amount: '10.00', atLeast: 3 });
    expect(made.every((g) => g.priority === 7)).toBe(true);

    const canceled = await t.ok(CancelSubscriptionDocument, { id: s.subscriptionId });
    const endedAt = new Date(canceled.cancelSubscription.activeTo!);
    await sleep(2 * CADENCE_MS + 500);
    const after = await expectOnePerPeriod(t, s, { amount: '10.00', atLeast: made.length, endedAt });
    // the grants made before the cancellation are untouched (expired on schedule, never voided)
    for (const g of made) expect(after.find((a) => a.id === g.id)?.status).not.toBe('VOIDED');
    await checkLedgerInvariants([s.customerId]);
  });

  it('a late job (program jobs off while periods pass) grants every missed period, funded at its period start', async () => {
    const off = await start(OFF);
    const s = await setUp(off, [{ amount: '5', cadence: 'PT2S' }]);
    await sleep(3 * CADENCE_MS + 300);
    expect(await grantsOf(off, s.customerId)).toEqual([]);
    await stop(off);
    const late = Date.now();
    const t = await start(ON);
    await eventually(() => expectOnePerPeriod(t, s, { amount: '5.00', atLeast: 4 }));
    const grants = byStart(await grantsOf(t, s.customerId));
    // the first periods were granted after the fact, yet booked at their start
    expect(new Date(grants[1]!.effectiveAt).getTime()).toBeLessThan(late);
    await checkLedgerInvariants([s.customerId]);
  });

  it('restart: stopped while periods pass, the next start loses none and repeats none', async () => {
    const first = await start(ON);
    const s = await setUp(first, [{ amount: '3', cadence: 'PT2S' }]);
    await eventually(async () => {
      expect(byStart(await grantsOf(first, s.customerId)).length).toBeGreaterThanOrEqual(2);
    });
    await stop(first);
    const stoppedAt = Date.now();
    await sleep(3 * CADENCE_MS);
    const t = await start(ON);
    await eventually(async () => {
      const grants = await expectOnePerPeriod(t, s, { amount: '3.00', atLeast: 5 });
      expect(new Date(grants[grants.length - 1]!.effectiveAt).getTime()).toBeGreaterThan(stoppedAt);
    });
    await checkLedgerInvariants([s.customerId]);
  });

  it('two server processes with their own job runners grant each period exactly once', async () => {
    const off = await start(OFF);
    // a backlog both processes find at once, then new periods they compete for
    const s = await setUp(off, [{ amount: '2', cadence: 'PT2S' }], new Date(Date.now() - 10 * CADENCE_MS));
    await stop(off);
    const [a, b] = await Promise.all([start(ON), start(ON)]);
    await sleep(2 * CADENCE_MS);
    await eventually(() => expectOnePerPeriod(a!, s, { amount: '2.00', atLeast: 12 }));
    const seen = await grantsOf(b!, s.customerId);
    expect(new Set(seen.map((g) => g.effectiveAt)).size).toBe(seen.length);
    await checkLedgerInvariants([s.customerId]);
  });
});

describe('rollover (PT2S)', () => {
  it('with a cap: min(remainder, cap) rolls once at the expiry; without a cap nothing rolls; rolled credit does not roll again', async () => {
    const t = await start(ON);
    const s = await setUp(t, [
      { amount: '10', cadence: 'PT2S', rolloverCap: '4', priority: 5 },
      { amount: '1', cadence: 'PT2S' },
    ]);
    // the capped allocation (priority 5) is drawn first
    await eventually(async () => {
      expect(byStart(await grantsOf(t, s.customerId)).length).toBeGreaterThanOrEqual(2);
    });
    await adjustCredits(t, s.customerId, s.currency, '-3');
    await sleep(3 * CADENCE_MS);
    const canceled = await t.ok(CancelSubscriptionDocument, { id: s.subscriptionId });
    const endedAt = new Date(canceled.cancelSubscription.activeTo!);
    await eventually(async () => {
      const grants = await grantsOf(t, s.customerId);
      const capped = byStart(grants).filter((g) => g.amount === '10.00');
      const uncapped = byStart(grants).filter((g) => g.amount === '1.00');
      const rolled = grants.filter((g) => g.source === 'ROLLOVER');
      const expiries = new Map(
        (await movementsOf(t, s.customerId)).filter((m) => m.type === 'EXPIRED').map((m) => [m.grant!.id, m]),
      );
      expect(capped.length).toBeGreaterThanOrEqual(3);
      for (const g of capped) {
        const children = rolled.filter((r) => r.rolledFrom?.id === g.id);
        const expiredAt = new Date(g.expiresAt!);
        if (expiredAt >= endedAt) {
          expect(children, 'expired after the subscription ended: nothing rolls').toEqual([]);
          continue;
        }
        const expired = expiries.get(g.id);
        expect(expired, `${g.effectiveAt} booked its expiry`).toBeDefined();
        expect(expired!.bookedAt).toBe(g.expiresAt);
        const remainder = -Number(expired!.amount);
        expect(children).toHaveLength(1);
        const r = children[0]!;
        expect(r).toMatchObject({
          amount: Math.min(remainder, 4).toFixed(2),
          priority: 5,
          fundingMethod: 'PROMOTIONAL',
          effectiveAt: g.expiresAt,
          expiresAt: new Date(expiredAt.getTime() + CADENCE_MS).toISOString(),
          fundedAt: g.expiresAt,
          subscription: { id: s.subscriptionId },
        });
      }
      // an unused period carries exactly the cap; the one drawn from carries what was left, capped
      expect(rolled.some((r) => r.amount === '4.00')).toBe(true);
      for (const g of uncapped) expect(rolled.some((r) => r.rolledFrom?.id === g.id)).toBe(false);
      // rolled credit expires like any other, and never rolls again
      for (const r of rolled) expect(rolled.some((x) => x.rolledFrom?.id === r.id)).toBe(false);
      expect(rolled.length).toBeGreaterThanOrEqual(2);
      const expiredRolls = rolled.filter((r) => new Date(r.expiresAt!) < new Date(Date.now() - 1000));
      expect(expiredRolls.length).toBeGreaterThanOrEqual(1);
      for (const r of expiredRolls) expect(r.status).toBe('EXPIRED');
    });
    await checkLedgerInvariants([s.customerId]);
  });
});
