import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { addDuration, periodContaining, type IsoDuration } from '../../src/core/duration';
import {
  duePeriods,
  nextPeriodStart,
  type AllocationTerm,
} from '../../src/modules/programs/allocations-periods';
import { rolloverOf } from '../../src/modules/programs/rollover-rule';
import { Dec } from '../../src/money';

const dur = (over: Partial<IsoDuration>): IsoDuration => ({
  years: 0,
  months: 0,
  weeks: 0,
  days: 0,
  hours: 0,
  minutes: 0,
  seconds: 0,
  ...over,
});
const P1M = dur({ months: 1 });
const PT2S = dur({ seconds: 2 });
const utc = (s: string) => new Date(s);

function term(over: Partial<AllocationTerm> = {}): AllocationTerm {
  return {
    subscriptionId: 'sub_1',
    allocationId: 'pca_1',
    activeFrom: utc('2025-01-31T10:00:00Z'),
    activeTo: null,
    cadence: P1M,
    expiresAfter: null,
    ...over,
  };
}
const starts = (t: AllocationTerm, asOf: string, after: string | null = null, limit?: number) =>
  duePeriods(t, { asOf: utc(asOf), after: after ? utc(after) : null, limit }).map((p) =>
    p.periodStart.toISOString(),
  );

describe('duePeriods (table)', () => {
  const cases: {
    name: string;
    t: AllocationTerm;
    asOf: string;
    after?: string;
    limit?: number;
    want: string[];
  }[] = [
    { name: 'before the subscription starts: none', t: term(), asOf: '2025-01-31T09:59:59.999Z', want: [] },
    {
      name: 'at the start instant: the first period, never before',
      t: term(),
      asOf: '2025-01-31T10:00:00Z',
      want: ['2025-01-31T10:00:00.000Z'],
    },
    {
      name: 'months added from the anchor, clamped to month end (billing periods)',
      t: term(),
      asOf: '2025-05-01T00:00:00Z',
      want: [
        '2025-01-31T10:00:00.000Z',
        '2025-02-28T10:00:00.000Z',
        '2025-03-31T10:00:00.000Z',
        '2025-04-30T10:00:00.000Z',
      ],
    },
    {
      name: 'a leap year February',
      t: term({ activeFrom: utc('2024-01-31T00:00:00Z') }),
      asOf: '2024-03-01T00:00:00Z',
      want: ['2024-01-31T00:00:00.000Z', '2024-02-29T00:00:00.000Z'],
    },
    {
      name: 'one instant before the next period: not yet',
      t: term(),
      asOf: '2025-02-28T09:59:59.999Z',
      want: ['2025-01-31T10:00:00.000Z'],
    },
    {
      name: 'after the last granted period: only the later ones',
      t: term(),
      asOf: '2025-05-01T00:00:00Z',
      after: '2025-02-28T10:00:00Z',
      want: ['2025-03-31T10:00:00.000Z', '2025-04-30T10:00:00.000Z'],
    },
    {
      name: 'a limit stops early, oldest first',
      t: term(),
      asOf: '2025-12-01T00:00:00Z',
      limit: 2,
      want: ['2025-01-31T10:00:00.000Z', '2025-02-28T10:00:00.000Z'],
    },
    {
      name: 'canceled mid-period: nothing for periods that start after the end',
      t: term({ activeTo: utc('2025-03-15T00:00:00Z') }),
      asOf: '2025-12-01T00:00:00Z',
      want: ['2025-01-31T10:00:00.000Z', '2025-02-28T10:00:00.000Z'],
    },
    {
      name: 'ended exactly at a period start: that period gets none',
      t: term({ activeTo: utc('2025-03-31T10:00:00Z') }),
      asOf: '2025-12-01T00:00:00Z',
      want: ['2025-01-31T10:00:00.000Z', '2025-02-28T10:00:00.000Z'],
    },
    {
      name: 'canceled before it started: none',
      t: term({ activeTo: utc('2025-01-31T10:00:00Z') }),
      asOf: '2025-12-01T00:00:00Z',
      want: [],
    },
    {
      name: 'a two-second cadence',
      t: term({ activeFrom: utc('2025-01-01T00:00:00Z'), cadence: PT2S }),
      asOf: '2025-01-01T00:00:05Z',
      want: ['2025-01-01T00:00:00.000Z', '2025-01-01T00:00:02.000Z', '2025-01-01T00:00:04.000Z'],
    },
  ];
  it.each(cases)('$name', ({ t, asOf, after, limit, want }) => {
    expect(starts(t, asOf, after ?? null, limit)).toEqual(want);
  });

  it('expiresAt is the period end by default, start + expiresAfter when given; the key names the period', () => {
    const [p] = duePeriods(term(), { asOf: utc('2025-02-01T00:00:00Z'), after: null });
    expect(p!.expiresAt.toISOString()).toBe('2025-02-28T10:00:00.000Z');
    expect(p!.key).toBe('sub_1:pca_1:2025-01-31T10:00:00.000Z');
    const [q] = duePeriods(term({ expiresAfter: dur({ days: 7 }) }), {
      asOf: utc('2025-02-01T00:00:00Z'),
      after: null,
    });
    expect(q!.expiresAt.toISOString()).toBe('2025-02-07T10:00:00.000Z');
  });

  it('nextPeriodStart: the activeFrom of a scheduled subscription, the next start, or null past the end', () => {
    expect(nextPeriodStart(term(), utc('2025-01-01T00:00:00Z'))?.toISOString()).toBe(
      '2025-01-31T10:00:00.000Z',
    );
    expect(nextPeriodStart(term(), utc('2025-01-31T10:00:00Z'))?.toISOString()).toBe(
      '2025-02-28T10:00:00.000Z',
    );
    expect(
      nextPeriodStart(term({ activeTo: utc('2025-02-01T00:00:00Z') }), utc('2025-01-31T11:00:00Z')),
    ).toBe(null);
  });

  it('a zero cadence is refused rather than looping', () => {
    expect(() =>
      duePeriods(term({ cadence: dur({}) }), { asOf: utc('2026-01-01T00:00:00Z'), after: null }),
    ).toThrow(/longer than zero/);
  });
});

const cadences: IsoDuration[] = [
  PT2S,
  dur({ minutes: 90 }),
  dur({ days: 1 }),
  dur({ weeks: 1 }),
  P1M,
  dur({ months: 3 }),
  dur({ years: 1 }),
  dur({ months: 1, days: 2 }),
];
const T0 = Date.UTC(2024, 0, 1);
const YEAR = 366 * 24 * 3600_000;
const arbTerm = fc
  .record({
    from: fc.integer({ min: 0, max: YEAR }),
    cadence: fc.constantFrom(...cadences),
    periods: fc.integer({ min: 0, max: 40 }),
    endAfter: fc.option(fc.integer({ min: 0, max: 30 }), { nil: null }),
    endOffsetMs: fc.integer({ min: 0, max: 3 * 3600_000 }),
    asOfOffsetMs: fc.integer({ min: -1000, max: 3600_000 }),
  })
  .map((r) => {
    const activeFrom = new Date(T0 + r.from);
    const t: AllocationTerm = {
      subscriptionId: 'sub',
      allocationId: 'pca',
      activeFrom,
      activeTo:
        r.endAfter === null
          ? null
          : new Date(addDuration(activeFrom, r.cadence, r.endAfter).getTime() + r.endOffsetMs),
      cadence: r.cadence,
      expiresAfter: null,
    };
    // asOf somewhere around the start of the `periods`-th period
    const asOf = new Date(addDuration(activeFrom, r.cadence, r.periods).getTime() + r.asOfOffsetMs);
    return { t, asOf };
  });

describe('duePeriods (properties)', () => {
  it('every due period starts at a billing period start within [activeFrom, min(asOf, activeTo)), once', () => {
    fc.assert(
      fc.property(arbTerm, ({ t, asOf }) => {
        const due = duePeriods(t, { asOf, after: null });
        const seen = new Set<string>();
        for (const p of due) {
          expect(p.periodStart >= t.activeFrom && p.periodStart <= asOf).toBe(true);
          if (t.activeTo) expect(p.periodStart < t.activeTo).toBe(true);
          expect(periodContaining(t.activeFrom, t.cadence, p.periodStart)).toEqual({
            start: p.periodStart,
            end: p.periodEnd,
          });
          expect(seen.has(p.key)).toBe(false);
          seen.add(p.key);
        }
      }),
    );
  });

  it('no period is skipped: consecutive, from activeFrom, and the next one is not yet due or not active', () => {
    fc.assert(
      fc.property(arbTerm, ({ t, asOf }) => {
        const due = duePeriods(t, { asOf, after: null });
        due.forEach((p, i) => {
          expect(p.periodStart).toEqual(i === 0 ? t.activeFrom : due[i - 1]!.periodEnd);
        });
        const next = due.length > 0 ? due[due.length - 1]!.periodEnd : t.activeFrom;
        const blocked = next > asOf || (t.activeTo !== null && next >= t.activeTo);
        expect(blocked).toBe(true);
      }),
    );
  });

  it('granting in batches from the last granted period gives the same periods as granting at once', () => {
    fc.assert(
      fc.property(arbTerm, fc.integer({ min: 1, max: 7 }), ({ t, asOf }, limit) => {
        const once = duePeriods(t, { asOf, after: null }).map((p) => p.key);
        const batched: string[] = [];
        let after: Date | null = null;
        for (;;) {
          const batch = duePeriods(t, { asOf, after, limit });
          if (batch.length === 0) break;
          batched.push(...batch.map((p) => p.key));
          after = batch[batch.length - 1]!.periodStart;
        }
        expect(batched).toEqual(once);
      }),
    );
  });

  it('a later instant only adds periods (a late run catches up, never changes earlier ones)', () => {
    fc.assert(
      fc.property(arbTerm, fc.integer({ min: 0, max: 40 }), ({ t, asOf }, periods) => {
        const early = duePeriods(t, { asOf, after: null });
        const late = duePeriods(t, { asOf: addDuration(asOf, t.cadence, periods), after: null });
        expect(late.slice(0, early.length)).toEqual(early);
      }),
    );
  });

  it('nextPeriodStart is the first period due after asOf', () => {
    fc.assert(
      fc.property(arbTerm, ({ t, asOf }) => {
        const next = nextPeriodStart(t, asOf);
        const now = duePeriods(t, { asOf, after: null });
        if (next === null) {
          const far = duePeriods(t, { asOf: new Date(asOf.getTime() + 5 * YEAR), after: null });
          expect(far.length).toBe(now.length);
        } else {
          expect(next > asOf).toBe(true);
          const then = duePeriods(t, { asOf: next, after: null });
          expect(then.length).toBe(now.length + 1);
          expect(then[then.length - 1]!.periodStart).toEqual(next);
        }
      }),
    );
  });
});

describe('rolloverOf', () => {
  const base = {
    source: 'ALLOCATION',
    remainder: new Dec('30'),
    rolloverCap: new Dec('20') as Dec | null,
    expiredAt: utc('2025-02-01T00:00:00Z'),
    cadence: P1M,
    subscriptionActive: true,
  };
  it.each([
    { name: 'capped', over: {}, want: '20' },
    { name: 'under the cap', over: { remainder: new Dec('5') }, want: '5' },
    { name: 'nothing left: no grant', over: { remainder: new Dec('0') }, want: null },
    { name: 'a zero cap: no grant', over: { rolloverCap: new Dec('0') }, want: null },
    { name: 'no cap: nothing rolls', over: { rolloverCap: null }, want: null },
    { name: 'rolled credit does not roll again', over: { source: 'ROLLOVER' }, want: null },
    { name: 'subscription ended: nothing rolls', over: { subscriptionActive: false }, want: null },
  ])('$name', ({ over, want }) => {
    const r = rolloverOf({ ...base, ...over });
    expect(r ? r.amount.toFixed() : null).toBe(want);
    if (r) {
      expect(r.effectiveAt).toEqual(base.expiredAt);
      expect(r.expiresAt.toISOString()).toBe('2025-03-01T00:00:00.000Z');
    }
  });

  it('never carries more than the remainder or the cap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }), (rem, cap) => {
        const r = rolloverOf({
          ...base,
          remainder: new Dec(rem).div(100),
          rolloverCap: new Dec(cap).div(100),
        });
        const want = Math.min(rem, cap);
        expect(r ? r.amount.times(100).toNumber() : 0).toBe(want);
      }),
    );
  });
});
