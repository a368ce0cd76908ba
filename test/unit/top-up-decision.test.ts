import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  awaitsPayment,
  decideTopUp,
  type LastTopUp,
  type TopUpPaymentStatus,
  type TopUpRuleState,
} from '../../src/modules/programs/top-up-decision';
import { Dec } from '../../src/money';
import { at, dec } from './arbitraries';

const HOUR = 3_600_000;

function rule(over: Partial<Record<keyof TopUpRuleState, unknown>> = {}): TopUpRuleState {
  const r = {
    enabled: true,
    threshold: '10',
    amount: '50',
    targetBalance: null,
    retryAfterMs: HOUR,
    ...over,
  } as Record<string, unknown>;
  return {
    enabled: r.enabled as boolean,
    threshold: new Dec(r.threshold as string),
    amount: r.amount == null ? null : new Dec(r.amount as string),
    targetBalance: r.targetBalance == null ? null : new Dec(r.targetBalance as string),
    retryAfterMs: r.retryAfterMs as number,
  };
}

function last(paymentStatus: TopUpPaymentStatus, voidedAt: Date | null = null): LastTopUp {
  return { paymentStatus, voidedAt, createdAt: at(0) };
}

describe('decideTopUp: table', () => {
  const rows: {
    name: string;
    rule?: Partial<Record<keyof TopUpRuleState, unknown>>;
    settled: string;
    last?: LastTopUp | null;
    now?: Date;
    want: string;
  }[] = [
    { name: 'disabled, below', rule: { enabled: false }, settled: '0', want: 'DISABLED' },
    { name: 'at the threshold', settled: '10', want: 'NOT_BELOW_THRESHOLD' },
    { name: 'above the threshold', settled: '10.01', want: 'NOT_BELOW_THRESHOLD' },
    { name: 'just below, fixed amount', settled: '9.99', want: 'topUp 50' },
    { name: 'in debt, fixed amount', settled: '-5', want: 'topUp 50' },
    {
      name: 'below, target',
      rule: { amount: null, targetBalance: '100' },
      settled: '9.5',
      want: 'topUp 90.5',
    },
    {
      name: 'in debt, target',
      rule: { amount: null, targetBalance: '100' },
      settled: '-20',
      want: 'topUp 120',
    },
    { name: 'last PENDING', settled: '0', last: last('PENDING'), want: 'AWAITING_PAYMENT' },
    { name: 'last AUTHORIZED', settled: '0', last: last('AUTHORIZED'), want: 'AWAITING_PAYMENT' },
    { name: 'last without status', settled: '0', last: last(null), want: 'AWAITING_PAYMENT' },
    { name: 'last SETTLED', settled: '0', last: last('SETTLED'), want: 'topUp 50' },
    { name: 'last voided while unpaid', settled: '0', last: last('PENDING', at(5)), want: 'topUp 50' },
    {
      name: 'last FAILED, within retryAfter',
      settled: '0',
      last: last('FAILED', at(10)),
      now: at(69),
      want: 'RETRY_WAIT',
    },
    {
      name: 'last FAILED, retryAfter just passed',
      settled: '0',
      last: last('FAILED', at(10)),
      now: at(70),
      want: 'topUp 50',
    },
    {
      name: 'last FAILED without void instant: waits from its creation',
      settled: '0',
      last: last('FAILED'),
      now: at(59),
      want: 'RETRY_WAIT',
    },
    {
      name: 'last FAILED, not below',
      settled: '11',
      last: last('FAILED', at(10)),
      now: at(11),
      want: 'NOT_BELOW_THRESHOLD',
    },
    {
      name: 'disabled wins over awaiting',
      rule: { enabled: false },
      settled: '0',
      last: last('PENDING'),
      want: 'DISABLED',
    },
  ];

  it.each(rows)('$name → $want', (row) => {
    const d = decideTopUp({
      rule: rule(row.rule),
      settled: new Dec(row.settled),
      last: row.last ?? null,
      now: row.now ?? at(1000),
    });
    const got = d.topUp ? `topUp ${d.amount.toFixed()}` : d.reason;
    expect(got).toBe(row.want);
  });

  it('RETRY_WAIT says when the wait ends', () => {
    const d = decideTopUp({ rule: rule(), settled: new Dec(0), last: last('FAILED', at(10)), now: at(20) });
    expect(d).toEqual({ topUp: false, reason: 'RETRY_WAIT', retryAt: at(70) });
  });
});

type Step =
  | { kind: 'consume'; amount: Dec }
  | { kind: 'pay' }
  | { kind: 'fail' }
  | { kind: 'wait'; minutes: number }
  | { kind: 'check' };

const step: fc.Arbitrary<Step> = fc.oneof(
  dec({ scale: 2, min: 1n, max: 10_000n }).map((amount) => ({ kind: 'consume' as const, amount })),
  fc.constant({ kind: 'pay' as const }),
  fc.constant({ kind: 'fail' as const }),
  fc.integer({ min: 1, max: 120 }).map((minutes) => ({ kind: 'wait' as const, minutes })),
  fc.constant({ kind: 'check' as const }),
  fc.constant({ kind: 'check' as const }),
);

const ruleArb: fc.Arbitrary<TopUpRuleState> = fc
  .record({
    threshold: dec({ scale: 2, min: -1000n, max: 10_000n }),
    extra: dec({ scale: 2, min: 1n, max: 10_000n }),
    fixed: fc.boolean(),
    retryMinutes: fc.integer({ min: 0, max: 90 }),
  })
  .map(({ threshold, extra, fixed, retryMinutes }) => ({
    enabled: true,
    threshold,
    amount: fixed ? extra : null,
    targetBalance: fixed ? null : threshold.plus(extra),
    retryAfterMs: retryMinutes * 60_000,
  }));

interface TopUp {
  amount: Dec;
  status: 'PENDING' | 'SETTLED' | 'FAILED';
  createdAt: Date;
  voidedAt: Date | null;
}

describe('decideTopUp: properties', () => {
  it('never two top-ups awaiting payment, none within retryAfter of a failure, target top-ups reach the target', () => {
    fc.assert(
      fc.property(
        ruleArb,
        dec({ scale: 2, min: -1000n, max: 10_000n }),
        fc.array(step, { maxLength: 60 }),
        (r, start, steps) => {
          let settled = start;
          let now = at(0);
          const made: TopUp[] = [];
          const lastOf = (): LastTopUp | null => {
            const l = made.at(-1);
            return l ? { paymentStatus: l.status, voidedAt: l.voidedAt, createdAt: l.createdAt } : null;
          };
          for (const s of steps) {
            const l = made.at(-1);
            if (s.kind === 'consume') settled = settled.minus(s.amount);
            else if (s.kind === 'wait') now = new Date(now.getTime() + s.minutes * 60_000);
            else if (s.kind === 'pay' && l?.status === 'PENDING') {
              l.status = 'SETTLED';
              settled = settled.plus(l.amount);
            } else if (s.kind === 'fail' && l?.status === 'PENDING') {
              l.status = 'FAILED';
              l.voidedAt = now;
            } else if (s.kind === 'check') {
              const d = decideTopUp({ rule: r, settled, last: lastOf(), now });
              if (d.topUp) {
                expect(settled.lt(r.threshold)).toBe(true);
                if (r.targetBalance) expect(settled.plus(d.amount).eq(r.targetBalance)).toBe(true);
                else expect(d.amount.eq(r.amount!)).toBe(true);
                const failed = made.filter((t) => t.status === 'FAILED').at(-1);
                if (failed && failed === l)
                  expect(now.getTime()).toBeGreaterThanOrEqual(failed.voidedAt!.getTime() + r.retryAfterMs);
                made.push({ amount: d.amount, status: 'PENDING', createdAt: now, voidedAt: null });
              }
            }
            const outstanding = made.filter((t) => awaitsPayment({ ...t, paymentStatus: t.status }));
            expect(outstanding.length).toBeLessThanOrEqual(1);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a check below the threshold with nothing outstanding always tops up by a positive amount', () => {
    fc.assert(
      fc.property(ruleArb, dec({ scale: 2, min: 1n, max: 10_000n }), (r, below) => {
        const d = decideTopUp({ rule: r, settled: r.threshold.minus(below), last: null, now: at(0) });
        expect(d.topUp).toBe(true);
        if (d.topUp) expect(d.amount.gt(0)).toBe(true);
      }),
    );
  });
});
