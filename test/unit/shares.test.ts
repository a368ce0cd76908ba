import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  afterShares,
  burnRatePerDay,
  checkCharge,
  expiringCredit,
  priceQuantity,
  runOutAt,
  settleCharge,
  type GrantSnapshot,
  type HeldShare,
  type OpenShare,
  type SettlementMode,
} from '../../src/engine';
import { Dec, ZERO, roundToScale, sum } from '../../src/money';
import { grantSnapshot as grant } from '../support/engine';
import { at, dec } from './arbitraries';

/** SPEC §16 in the engine: checks and the forecast after open charges and holds took their share. */

const DAY = 24 * 60; // minutes
const d = (s: string) => new Dec(s);
const open = (id: string, amount: string, mode: SettlementMode, booked = '0'): OpenShare => ({
  charge: { id, amount: d(amount), booked: d(booked), featureKey: null },
  mode,
});
const hold = (id: string, amount: string, minute = 0): HeldShare => ({
  id,
  amount: d(amount),
  createdAt: at(minute),
});
const slices = (xs: { grantId: string; amount: Dec }[]) =>
  xs.map((a) => `${a.grantId}:${a.amount.toFixed(2)}`);

function check(opts: {
  grants: GrantSnapshot[];
  settled?: string;
  open?: OpenShare[];
  holds?: HeldShare[];
  cost: string;
  mode?: SettlementMode;
  featureKey?: string | null;
}) {
  const r = checkCharge({
    asOf: at(1),
    scale: 2,
    settled: d(opts.settled ?? sum(opts.grants.map((g) => g.remaining)).toFixed()),
    grants: opts.grants,
    open: opts.open ?? [],
    holds: opts.holds ?? [],
    charge: { id: 'checked', amount: d(opts.cost), booked: ZERO, featureKey: opts.featureKey ?? 'f' },
    mode: opts.mode ?? 'CREDIT_ONLY',
  });
  return {
    cost: r.cost.toFixed(2),
    available: r.available.toFixed(2),
    allocations: slices(r.allocations),
    uncovered: r.uncovered.toFixed(2),
    allowed: r.allowed,
  };
}

describe('checkCharge', () => {
  const a = () => grant('a', '5', { priority: 1 });
  const b = () => grant('b', '10');

  it.each<[string, Parameters<typeof check>[0], ReturnType<typeof check>]>([
    [
      'draw-down order, covered',
      { grants: [b(), a()], cost: '7' },
      {
        cost: '7.00',
        available: '15.00',
        allocations: ['a:5.00', 'b:2.00'],
        uncovered: '0.00',
        allowed: true,
      },
    ],
    [
      'CREDIT_ONLY, not covered',
      { grants: [a(), b()], cost: '20' },
      {
        cost: '20.00',
        available: '15.00',
        allocations: ['a:5.00', 'b:10.00'],
        uncovered: '5.00',
        allowed: false,
      },
    ],
    [
      'CREDIT_THEN_INVOICE, the rest invoiced',
      { grants: [a(), b()], cost: '20', mode: 'CREDIT_THEN_INVOICE' },
      {
        cost: '20.00',
        available: '15.00',
        allocations: ['a:5.00', 'b:10.00'],
        uncovered: '5.00',
        allowed: true,
      },
    ],
    [
      'an open charge takes its share first',
      { grants: [a(), b()], open: [open('o1', '4', 'CREDIT_ONLY')], cost: '7' },
      {
        cost: '7.00',
        available: '11.00',
        allocations: ['a:1.00', 'b:6.00'],
        uncovered: '0.00',
        allowed: true,
      },
    ],
    [
      'a hold takes its amount in draw-down order',
      { grants: [a(), b()], holds: [hold('h1', '6')], cost: '7' },
      { cost: '7.00', available: '9.00', allocations: ['b:7.00'], uncovered: '0.00', allowed: true },
    ],
    [
      'CREDIT_THEN_INVOICE pays down to the held amount',
      { grants: [a(), b()], holds: [hold('h1', '10')], cost: '7', mode: 'CREDIT_THEN_INVOICE' },
      { cost: '7.00', available: '5.00', allocations: ['b:5.00'], uncovered: '2.00', allowed: true },
    ],
    [
      'a restricted grant pays only its feature',
      { grants: [grant('r', '5', { priority: 1, featureKeys: ['other'] }), b()], cost: '7' },
      { cost: '7.00', available: '15.00', allocations: ['b:7.00'], uncovered: '0.00', allowed: true },
    ],
    [
      'debt: nothing covers it',
      { grants: [], settled: '-3', cost: '1', mode: 'CREDIT_THEN_INVOICE' },
      { cost: '1.00', available: '-3.00', allocations: [], uncovered: '1.00', allowed: true },
    ],
  ])('%s', (_name, input, expected) => {
    expect(check(input)).toEqual(expected);
  });

  it('prices the marginal cost with tiers and cumulative rounding, never below zero', () => {
    const graduated = {
      model: 'GRADUATED' as const,
      tiers: [
        { upTo: d('2'), unitAmount: d('0.335'), flatAmount: null },
        { upTo: null, unitAmount: d('0.1'), flatAmount: d('1') },
      ],
    };
    const volume = {
      model: 'VOLUME' as const,
      tiers: [
        { upTo: d('10'), unitAmount: d('1'), flatAmount: null },
        { upTo: null, unitAmount: d('0.5'), flatAmount: null },
      ],
    };
    const cost = (price: typeof graduated | typeof volume, usage: string, q: string) =>
      checkCharge({
        asOf: at(1),
        scale: 2,
        settled: d('100'),
        grants: [grant('g', '100')],
        open: [],
        holds: [],
        charge: {
          id: 'c',
          amount: priceQuantity(price, d(usage).plus(q)),
          booked: roundToScale(priceQuantity(price, d(usage)), 2),
          featureKey: null,
        },
        mode: 'CREDIT_ONLY',
      }).cost.toFixed(2);
    expect(cost(graduated, '0', '1')).toBe('0.34'); // round(0.335) half-even
    expect(cost(graduated, '1', '1')).toBe('0.33'); // round(0.67) - round(0.335)
    expect(cost(graduated, '2', '1')).toBe('1.10'); // the next tier's flat fee comes with its first unit
    expect(cost(volume, '9', '1')).toBe('1.00');
    expect(cost(volume, '10', '1')).toBe('0.00'); // 10.00 → 5.50: a VOLUME tier lowers the total
  });

  it('announces what settleCharge books next, whatever the order of the open charges and holds', () => {
    const scale = 2;
    const money = dec({ scale, min: 0n, max: 2_000n });
    const arb = fc.record({
      grants: fc.array(fc.tuple(money, fc.integer({ min: 1, max: 3 })), { maxLength: 4 }),
      open: fc.array(fc.tuple(money, fc.constantFrom<SettlementMode>('CREDIT_ONLY', 'CREDIT_THEN_INVOICE')), {
        maxLength: 3,
      }),
      holds: fc.array(money, { maxLength: 3 }),
      cost: money,
      mode: fc.constantFrom<SettlementMode>('CREDIT_ONLY', 'CREDIT_THEN_INVOICE'),
      seed: fc.integer(),
    });
    fc.assert(
      fc.property(arb, (x) => {
        const grants = x.grants.map(([r, p], i) => grant(`g${i}`, r.toFixed(), { priority: p }));
        const opens = x.open.map(([amount, mode], i) => open(`o${i}`, amount.toFixed(), mode));
        const holds = x.holds.map((h, i) => hold(`h${i}`, h.toFixed(), i));
        const base = {
          asOf: at(1),
          scale,
          settled: sum(grants.map((g) => g.remaining)),
          grants,
          open: opens,
          holds,
        };
        const charge = { id: 'z', amount: x.cost, booked: ZERO, featureKey: null };
        const r = checkCharge({ ...base, charge, mode: x.mode });
        // shuffled inputs, same answer
        const rot = (xs: readonly unknown[]) => (xs.length ? x.seed % xs.length : 0);
        const shuffle = <T>(xs: readonly T[]) => [...xs.slice(rot(xs)), ...xs.slice(0, rot(xs))];
        const again = checkCharge({
          ...base,
          grants: shuffle(grants),
          open: shuffle(opens),
          holds: shuffle(holds),
          charge,
          mode: x.mode,
        });
        expect(slices(again.allocations)).toEqual(slices(r.allocations));
        // the same settleCharge on what open charges and holds leave books exactly the announced slices
        const left = afterShares(base);
        const s = settleCharge({ ...base, grants: left.grants, balance: left.balance, charge, mode: x.mode });
        expect(slices(r.allocations)).toEqual(
          slices(s.allocations.flatMap((a) => (a.grantId ? [{ grantId: a.grantId, amount: a.amount }] : []))),
        );
        expect(
          sum(r.allocations.map((a) => a.amount))
            .plus(r.uncovered)
            .eq(r.cost),
        ).toBe(true);
        for (const a of r.allocations) expect(a.amount.gt(0)).toBe(true);
      }),
    );
  });
});

describe('forecast', () => {
  it.each<[string, string, string, string]>([
    ['70', '0', '10.00', 'a week of 70'],
    ['7', '14', '0.00', 'corrections above consumption never go below zero'],
    ['10', '0', '1.43', 'rounded to the currency scale'],
    ['0', '0', '0.00', 'nothing consumed'],
  ])('burnRatePerDay(consumed %s, corrected %s) = %s (%s)', (consumed, corrected, expected) => {
    expect(burnRatePerDay({ consumed: d(consumed), corrected: d(corrected), scale: 2 }).toFixed(2)).toBe(
      expected,
    );
  });

  it('expiringCredit lists available grants with an expiry and something left, soonest first', () => {
    const list = expiringCredit(
      [
        grant('late', '3', { expiresAt: at(3 * DAY) }),
        grant('never', '3'),
        grant('soon', '2', { expiresAt: at(DAY) }),
        grant('empty', '0', { expiresAt: at(DAY) }),
        grant('unfunded', '5', { expiresAt: at(DAY), available: false }),
        grant('past', '5', { expiresAt: at(0) }),
      ],
      at(1),
    );
    expect(list.map((e) => [e.grantId, e.at.toISOString(), e.amount.toFixed()])).toEqual([
      ['soon', at(DAY).toISOString(), '2'],
      ['late', at(3 * DAY).toISOString(), '3'],
    ]);
  });

  const run = (pending: string, rate: string, grants: GrantSnapshot[]) =>
    runOutAt({ asOf: at(0), pending: d(pending), grants, ratePerDay: d(rate) });
  const days = (r: Date | null) => (r === null ? null : (r.getTime() - at(0).getTime()) / 86_400_000);

  it.each<[string, string, string, GrantSnapshot[], number | null]>([
    ['no consumption', '10', '0', [grant('a', '10')], null],
    ['steady, no expiry', '10', '2', [grant('a', '10')], 5],
    ['already out', '0', '1', [], 0],
    ['in debt', '-3', '1', [], 0],
    ['beyond a year', '1000', '1', [grant('a', '1000')], null],
    ['exactly a year', '365', '1', [grant('a', '365')], 365],
    [
      'the expiring grant is drawn first: the expiry takes what is left of it',
      '10',
      '1',
      [grant('a', '4', { priority: 1, expiresAt: at(2 * DAY) }), grant('b', '6')],
      8, // 2 consumed by day 2, 2 expire, 6 left at 1/day
    ],
    [
      'the expiring grant is drawn last: it expires whole',
      '10',
      '1',
      [grant('a', '6', { priority: 1 }), grant('b', '4', { expiresAt: at(2 * DAY) })],
      6, // 2 consumed by day 2, 4 expire, 4 left
    ],
    [
      'an expiry takes pending to zero at its instant',
      '4',
      '1',
      [
        grant('a', '1'),
        grant('b', '3', { priority: 1, expiresAt: at(5 * DAY) }),
        grant('c', '3', { expiresAt: at(2 * DAY) }),
      ],
      2,
    ],
    [
      'an expiry that comes before run-out does not move it by a rounded millisecond',
      '140.53',
      '8.97',
      [
        grant('a', '23.25', { priority: 1 }),
        grant('b', '73.73', { priority: 1 }),
        grant('c', '23.66', { priority: 1, expiresAt: at(5 * DAY) }),
        grant('d', '19.89', { priority: 1 }),
      ],
      1_353_600_000 / 86_400_000, // 140.53 / 8.97 days exactly, as with no expiry at all
    ],
    [
      'fractional days round up to the millisecond',
      '1',
      '3',
      [grant('a', '1')],
      Math.ceil(86_400_000 / 3) / 86_400_000,
    ],
  ])('runOutAt: %s', (_name, pending, rate, grants, expected) => {
    expect(days(run(pending, rate, grants))).toBe(expected);
  });

  it('runOutAt does not depend on the order of the grants, and comes no later than without expiries', () => {
    const money = dec({ scale: 2, min: 1n, max: 10_000n });
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(money, fc.integer({ min: 1, max: 3 }), fc.option(fc.integer({ min: 1, max: 400 }))),
          {
            minLength: 1,
            maxLength: 5,
          },
        ),
        dec({ scale: 2, min: 1n, max: 1_000n }),
        (gs, rate) => {
          const grants = gs.map(([r, p, e], i) =>
            grant(`g${i}`, r.toFixed(), { priority: p, expiresAt: e === null ? null : at(e * DAY) }),
          );
          const pending = sum(grants.map((g) => g.remaining));
          const r = run(pending.toFixed(), rate.toFixed(), grants);
          expect(days(run(pending.toFixed(), rate.toFixed(), [...grants].reverse()))).toBe(days(r));
          const noExpiry = run(
            pending.toFixed(),
            rate.toFixed(),
            grants.map((g) => ({ ...g, expiresAt: null })),
          );
          if (noExpiry !== null) expect(r !== null && r.getTime() <= noExpiry.getTime()).toBe(true);
        },
      ),
    );
  });
});
