import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  pendingBalance,
  priceQuantity,
  settleCharge,
  type GrantSnapshot,
  type SettlementMode,
} from '../../src/engine';
import type { SettleChargeResult } from '../../src/engine/settlement';
import { Dec, ZERO, roundToScale, sum } from '../../src/money';
import { grantSnapshot } from '../support/engine';
import { at, dec } from './arbitraries';

const grant = grantSnapshot;

const show = (r: SettleChargeResult) => ({
  step: r.step.toFixed(),
  allocations: r.allocations.map((a) => [a.grantId, a.amount.toFixed()]),
  credited: r.creditedAmount.toFixed(),
  debt: r.debt.toFixed(),
  invoiced: r.invoicedAmount.toFixed(),
});

/** Applies a settlement to the grants and balance, as the ledger module would. */
function apply(grants: GrantSnapshot[], balance: Dec, r: SettleChargeResult): [GrantSnapshot[], Dec] {
  const next = grants.map((g) => {
    const taken = sum(r.allocations.filter((a) => a.grantId === g.id).map((a) => a.amount));
    return { ...g, remaining: g.remaining.minus(taken) };
  });
  return [next, balance.minus(r.creditedAmount)];
}

const charge = (amount: string, booked = '0', featureKey: string | null = null) => ({
  id: 'ch1',
  amount: new Dec(amount),
  booked: new Dec(booked),
  featureKey,
});

describe('settleCharge', () => {
  it('CREDIT_ONLY: what no grant covers becomes a null-grant allocation (debt)', () => {
    const r = settleCharge({
      asOf: at(1),
      charge: charge('12.345'),
      grants: [grant('a', '10')],
      mode: 'CREDIT_ONLY',
      scale: 2,
      balance: new Dec(10),
    });
    expect(show(r)).toEqual({
      step: '12.34',
      allocations: [
        ['a', '10'],
        [null, '2.34'],
      ],
      credited: '12.34',
      debt: '2.34',
      invoiced: '0',
    });
    expect(r.bookedAfter.toFixed()).toBe('12.34');
  });

  it('CREDIT_THEN_INVOICE: credits pay what they can, the rest is invoiced', () => {
    const r = settleCharge({
      asOf: at(1),
      charge: charge('12.345'),
      grants: [grant('a', '10')],
      mode: 'CREDIT_THEN_INVOICE',
      scale: 2,
      balance: new Dec(10),
    });
    expect(show(r)).toEqual({
      step: '12.34',
      allocations: [['a', '10']],
      credited: '10',
      debt: '0',
      invoiced: '2.34',
    });
  });

  it('CREDIT_THEN_INVOICE never takes a balance in debt further down', () => {
    const r = settleCharge({
      asOf: at(1),
      charge: charge('5'),
      grants: [grant('a', '10', { featureKeys: ['other'] }), grant('b', '3')],
      mode: 'CREDIT_THEN_INVOICE',
      scale: 2,
      balance: new Dec('-1'),
    });
    expect(show(r)).toEqual({
      step: '5',
      allocations: [],
      credited: '0',
      debt: '0',
      invoiced: '5',
    });
  });

  it('respects the charge feature when drawing', () => {
    const r = settleCharge({
      asOf: at(1),
      charge: charge('5', '0', 'tokens'),
      grants: [
        grant('a', '10', { featureKeys: ['emails'], priority: 1 }),
        grant('b', '10', { featureKeys: ['tokens'] }),
      ],
      mode: 'CREDIT_ONLY',
      scale: 2,
      balance: new Dec(20),
    });
    expect(show(r).allocations).toEqual([['b', '5']]);
  });

  it('a total that went down books nothing', () => {
    const r = settleCharge({
      asOf: at(1),
      charge: charge('1', '2'),
      grants: [grant('a', '10')],
      mode: 'CREDIT_ONLY',
      scale: 2,
      balance: new Dec(10),
    });
    expect(show(r)).toEqual({
      step: '0',
      allocations: [],
      credited: '0',
      debt: '0',
      invoiced: '0',
    });
    expect(r.bookedAfter.toFixed()).toBe('2');
  });

  it('settling a charge in k steps books the same total as once (0.001 × 3 units settled 7 times at scale 2 → 0.02)', () => {
    const price = { model: 'UNIT' as const, unitAmount: new Dec('0.001') };
    let grants = [grant('a', '1')];
    let balance = new Dec(1);
    let booked = ZERO;
    let units = ZERO;
    const steps: string[] = [];
    for (let i = 0; i < 7; i++) {
      units = units.plus(3);
      const r = settleCharge({
        asOf: at(1),
        charge: {
          id: 'c',
          amount: priceQuantity(price, units),
          booked,
          featureKey: null,
        },
        grants,
        mode: 'CREDIT_ONLY',
        scale: 2,
        balance,
      });
      steps.push(r.step.toFixed(2));
      booked = r.bookedAfter;
      [grants, balance] = apply(grants, balance, r);
    }
    // Totals 0.003, 0.006, 0.009, 0.012, 0.015 (rounds half-even to 0.02), 0.018, 0.021.
    expect(steps).toEqual(['0.00', '0.01', '0.00', '0.00', '0.01', '0.00', '0.00']);
    expect(booked.toFixed(2)).toBe('0.02');
    expect(balance.toFixed(2)).toBe('0.98');
    expect(grants[0]!.remaining.toFixed(2)).toBe('0.98');
  });
});

const modeArb = fc.constantFrom<SettlementMode>('CREDIT_ONLY', 'CREDIT_THEN_INVOICE');
const grantsArb = fc
  .array(
    fc.record({
      remaining: dec({ scale: 2, min: 0n, max: 2_000n }),
      priority: fc.integer({ min: 1, max: 3 }),
      expiresAt: fc.option(fc.integer({ min: 1, max: 5 }), { nil: null }),
    }),
    { maxLength: 5 },
  )
  .map((rs) =>
    rs.map((r, i) =>
      grant(`g${i}`, r.remaining.toFixed(), {
        priority: r.priority,
        expiresAt: r.expiresAt === null ? null : at(r.expiresAt),
      }),
    ),
  );
// Full-precision increments of a charge's total (6 decimals, booked at scale 2).
const incrementsArb = fc.array(dec({ scale: 6, min: 0n, max: 5_000_000n }), {
  minLength: 1,
  maxLength: 10,
});

describe('settleCharge properties', () => {
  it('settling a charge in k steps books the same total as once', () => {
    fc.assert(
      fc.property(grantsArb, incrementsArb, modeArb, (grants0, increments, mode) => {
        const balance0 = sum(grants0.map((g) => g.remaining));
        const total = sum(increments);

        let grants = grants0;
        let balance = balance0;
        let booked = ZERO;
        let credited = ZERO;
        let invoiced = ZERO;
        let running = ZERO;
        for (const inc of increments) {
          running = running.plus(inc);
          const r = settleCharge({
            asOf: at(0),
            charge: { id: 'c', amount: running, booked, featureKey: null },
            grants,
            mode,
            scale: 2,
            balance,
          });
          booked = r.bookedAfter;
          credited = credited.plus(r.creditedAmount);
          invoiced = invoiced.plus(r.invoicedAmount);
          [grants, balance] = apply(grants, balance, r);
        }
        const once = settleCharge({
          asOf: at(0),
          charge: { id: 'c', amount: total, booked: ZERO, featureKey: null },
          grants: grants0,
          mode,
          scale: 2,
          balance: balance0,
        });

        expect(booked.eq(roundToScale(total, 2))).toBe(true);
        expect(booked.eq(once.step)).toBe(true);
        expect(credited.eq(once.creditedAmount)).toBe(true);
        expect(invoiced.eq(once.invoicedAmount)).toBe(true);
        expect(balance.eq(balance0.minus(once.creditedAmount))).toBe(true);
      }),
    );
  });

  it('each settlement splits its step exactly: allocations = credited, credited + invoiced = step; grants never go below zero', () => {
    fc.assert(
      fc.property(
        grantsArb,
        dec({ scale: 6, min: 0n, max: 10_000_000n }),
        dec({ scale: 2, min: -500n, max: 5_000n }),
        modeArb,
        (grants, amount, balance, mode) => {
          const r = settleCharge({
            asOf: at(0),
            charge: { id: 'c', amount, booked: ZERO, featureKey: null },
            grants,
            mode,
            scale: 2,
            balance,
          });
          expect(r.step.eq(roundToScale(amount, 2))).toBe(true);
          expect(sum(r.allocations.map((a) => a.amount)).eq(r.creditedAmount)).toBe(true);
          expect(r.creditedAmount.plus(r.invoicedAmount).eq(r.step)).toBe(true);
          for (const a of r.allocations) {
            expect(a.amount.gt(0)).toBe(true);
            if (a.grantId === null) continue;
            const g = grants.find((x) => x.id === a.grantId)!;
            expect(a.amount.lte(g.remaining)).toBe(true);
          }
          if (mode === 'CREDIT_THEN_INVOICE') {
            expect(r.allocations.every((a) => a.grantId !== null)).toBe(true);
            // The balance never goes below zero, and never lower than it was.
            const after = balance.minus(r.creditedAmount);
            expect(after.gte(0) || after.eq(balance)).toBe(true);
          } else {
            expect(r.invoicedAmount.isZero()).toBe(true);
          }
        },
      ),
    );
  });

  it('shuffled grants give the same settlement', () => {
    fc.assert(
      fc.property(
        grantsArb.chain((gs) => fc.tuple(fc.constant(gs), fc.shuffledSubarray(gs, { minLength: gs.length }))),
        dec({ scale: 6, min: 0n, max: 10_000_000n }),
        modeArb,
        ([grants, shuffled], amount, mode) => {
          const input = {
            asOf: at(0),
            charge: { id: 'c', amount, booked: ZERO, featureKey: null },
            mode,
            scale: 2,
            balance: new Dec(100),
          };
          expect(show(settleCharge({ ...input, grants: shuffled }))).toEqual(
            show(settleCharge({ ...input, grants })),
          );
        },
      ),
    );
  });
});

describe('pendingBalance, one open charge', () => {
  it.each<[string, string, SettlementMode, string]>([
    ['10', '4', 'CREDIT_ONLY', '6'],
    ['10', '14', 'CREDIT_ONLY', '-4'],
    ['10', '14', 'CREDIT_THEN_INVOICE', '0'],
    ['10', '4', 'CREDIT_THEN_INVOICE', '6'],
    ['-2', '4', 'CREDIT_THEN_INVOICE', '-2'],
  ])('balance %s, unbooked %s, %s → %s', (balance, unbooked, mode, expected) => {
    expect(pendingBalance(new Dec(balance), [{ mode, unbooked: new Dec(unbooked) }]).toFixed()).toBe(
      expected,
    );
  });
});
