import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { DomainError } from '../../src/core/errors';
import { allocateDeduction, planRestore, type GrantSnapshot } from '../../src/engine';
import { allocateDebit } from '../../src/engine/drawdown';
// the draw-down order is internal to the engine (allocateDebit and dueSteps sort with it)
import { compareDrawdown } from '../../src/engine/drawdown';
import { Dec, ZERO, sum } from '../../src/money';
import { grantSnapshot } from '../support/engine';
import { at, dec } from './arbitraries';

const grant = (
  id: string,
  { remaining, ...rest }: Partial<Omit<GrantSnapshot, 'remaining'>> & { remaining: string },
): GrantSnapshot => grantSnapshot(id, remaining, rest);

const show = (xs: { grantId: string | null; amount: Dec }[]) =>
  xs.map((x) => [x.grantId, x.amount.toFixed()]);

describe('draw-down order (SPEC §5)', () => {
  it('worked example: A (p1, T10, 50), B (p1, T20, 80), C (p2, never, 100); debit 90 → A 50, B 40, C 0', () => {
    const grants = [
      grant('C', { priority: 2, expiresAt: null, remaining: '100' }),
      grant('B', { priority: 1, expiresAt: at(20), remaining: '80' }),
      grant('A', { priority: 1, expiresAt: at(10), remaining: '50' }),
    ];
    const r = allocateDebit({ amount: new Dec(90), grants, asOf: at(1) });
    expect(show(r.allocations)).toEqual([
      ['A', '50'],
      ['B', '40'],
    ]);
    expect(r.covered.toFixed()).toBe('90');
    expect(r.uncovered.toFixed()).toBe('0');
  });

  it.each<[string, Partial<GrantSnapshot>, Partial<GrantSnapshot>]>([
    ['lower priority first', { priority: 1 }, { priority: 2 }],
    ['earlier expiry first', { expiresAt: at(5) }, { expiresAt: at(6) }],
    ['expiring before never-expiring', { expiresAt: at(500) }, { expiresAt: null }],
    ['cheaper perUnitCost first', { perUnitCost: ZERO }, { perUnitCost: new Dec('0.01') }],
    ['earlier effectiveAt first', { effectiveAt: at(0) }, { effectiveAt: at(1) }],
    ['earlier createdAt first', { createdAt: at(0) }, { createdAt: at(1) }],
  ])('%s', (_name, first, second) => {
    const a = grant('z-first', { ...first, remaining: '1' });
    const b = grant('a-second', { ...second, remaining: '1' });
    expect(compareDrawdown(a, b)).toBeLessThan(0);
    expect(compareDrawdown(b, a)).toBeGreaterThan(0);
  });

  it('id is the final tiebreak (code-unit order)', () => {
    const ids = ['b', 'B', 'a', 'a1', 'A'];
    const sorted = ids.map((id) => grant(id, { remaining: '1' })).sort(compareDrawdown);
    expect(sorted.map((g) => g.id)).toEqual(['A', 'B', 'a', 'a1', 'b']);
  });

  it('priority beats expiry and cost', () => {
    const a = grant('a', {
      priority: 1,
      expiresAt: null,
      perUnitCost: new Dec(5),
      remaining: '1',
    });
    const b = grant('b', {
      priority: 2,
      expiresAt: at(1),
      perUnitCost: ZERO,
      remaining: '1',
    });
    expect(compareDrawdown(a, b)).toBeLessThan(0);
  });
});

/** Which grants a debit may draw from, seen through allocateDebit (it draws only from usable grants). */
const usable = (grants: GrantSnapshot[], opts: { asOf: Date; featureKey?: string | null }) =>
  allocateDebit({ amount: new Dec(1_000_000), grants, ...opts }).allocations;

describe('usable grants (allocateDebit)', () => {
  const asOf = at(100);
  it.each<[string, Partial<Omit<GrantSnapshot, 'remaining'>> & { remaining?: string }, boolean]>([
    ['available and live', {}, true],
    ['not available (pending/voided)', { available: false }, false],
    ['no remaining', { remaining: '0' }, false],
    ['effective in the future', { effectiveAt: at(101) }, false],
    ['effective exactly now', { effectiveAt: at(100) }, true],
    ['expires exactly now (exclusive)', { expiresAt: at(100) }, false],
    ['expired', { expiresAt: at(99) }, false],
    ['expires later', { expiresAt: at(101) }, true],
    ['empty featureKeys pays anything', { featureKeys: [] }, true],
  ])('%s → %s', (_name, over, isUsable) => {
    const g = grant('g', { remaining: '5', ...over });
    expect(usable([g], { asOf, featureKey: 'tokens' }).length).toBe(isUsable ? 1 : 0);
  });

  it('feature-restricted grants pay only their features, never a charge with no feature', () => {
    const g = grant('g', { featureKeys: ['tokens', 'emails'], remaining: '5' });
    expect(usable([g], { asOf, featureKey: 'tokens' })).toHaveLength(1);
    expect(usable([g], { asOf, featureKey: 'minutes' })).toHaveLength(0);
    expect(usable([g], { asOf, featureKey: null })).toHaveLength(0);
    expect(usable([g], { asOf })).toHaveLength(0);
  });
});

describe('allocateDebit', () => {
  it('reports what no grant covers', () => {
    const r = allocateDebit({
      amount: new Dec('12.5'),
      grants: [grant('a', { remaining: '10' })],
      asOf: at(1),
    });
    expect(show(r.allocations)).toEqual([['a', '10']]);
    expect(r.uncovered.toFixed()).toBe('2.5');
  });

  it('zero debit allocates nothing; negative debit is rejected', () => {
    expect(
      allocateDebit({
        amount: ZERO,
        grants: [grant('a', { remaining: '1' })],
        asOf: at(1),
      }).allocations,
    ).toEqual([]);
    expect(() => allocateDebit({ amount: new Dec(-1), grants: [], asOf: at(1) })).toThrow(DomainError);
  });

  it('rejects duplicate grant ids', () => {
    const grants = [grant('a', { remaining: '1' }), grant('a', { remaining: '2' })];
    expect(() => allocateDebit({ amount: new Dec(1), grants, asOf: at(1) })).toThrow(DomainError);
  });
});

// Arbitrary grant sets: distinct ids, small ranges so ties on every key are common.
const grantArb = (id: string): fc.Arbitrary<GrantSnapshot> =>
  fc
    .record({
      priority: fc.integer({ min: 1, max: 3 }),
      expiresAt: fc.option(fc.integer({ min: 0, max: 4 }), { nil: null }),
      effectiveAt: fc.integer({ min: -3, max: 1 }),
      perUnitCost: dec({ scale: 2, min: 0n, max: 3n }),
      createdAt: fc.integer({ min: 0, max: 2 }),
      remaining: dec({ scale: 2, min: 0n, max: 10_000n }),
      featureKeys: fc.option(fc.subarray(['f1', 'f2']), { nil: null }),
      available: fc.boolean(),
    })
    .map((r) => ({
      id,
      priority: r.priority,
      expiresAt: r.expiresAt === null ? null : at(r.expiresAt),
      effectiveAt: at(r.effectiveAt),
      perUnitCost: r.perUnitCost,
      createdAt: at(r.createdAt),
      remaining: r.remaining,
      featureKeys: r.featureKeys,
      available: r.available,
    }));

const grantsArb: fc.Arbitrary<GrantSnapshot[]> = fc
  .uniqueArray(fc.string({ minLength: 1, maxLength: 3 }), { maxLength: 8 })
  .chain((ids) => (ids.length === 0 ? fc.constant([]) : fc.tuple(...ids.map(grantArb))));

const debitArb = dec({ scale: 2, min: 0n, max: 60_000n });
const featureArb = fc.constantFrom<string | null>(null, 'f1', 'f2');

describe('allocateDebit properties', () => {
  it('allocations sum to the covered amount and never exceed a grant remaining (no grant below zero)', () => {
    fc.assert(
      fc.property(grantsArb, debitArb, featureArb, (grants, amount, featureKey) => {
        const r = allocateDebit({ amount, grants, asOf: at(0), featureKey });
        expect(sum(r.allocations.map((a) => a.amount)).eq(r.covered)).toBe(true);
        const byId = new Map(grants.map((g) => [g.id, g]));
        const seen = new Set<string>();
        for (const a of r.allocations) {
          const g = byId.get(a.grantId);
          expect(g).toBeDefined();
          expect(a.amount.gt(0)).toBe(true);
          expect(g!.remaining.minus(a.amount).gte(0)).toBe(true);
          expect(seen.has(a.grantId)).toBe(false);
          seen.add(a.grantId);
        }
      }),
    );
  });

  it('sum of allocations + uncovered = debit', () => {
    fc.assert(
      fc.property(grantsArb, debitArb, featureArb, (grants, amount, featureKey) => {
        const r = allocateDebit({ amount, grants, asOf: at(0), featureKey });
        expect(r.covered.plus(r.uncovered).eq(amount)).toBe(true);
        expect(r.uncovered.gte(0)).toBe(true);
      }),
    );
  });

  it('shuffled grants give the same allocations (order independence)', () => {
    fc.assert(
      fc.property(
        grantsArb.chain((gs) => fc.tuple(fc.constant(gs), fc.shuffledSubarray(gs, { minLength: gs.length }))),
        debitArb,
        featureArb,
        ([grants, shuffled], amount, featureKey) => {
          const a = allocateDebit({ amount, grants, asOf: at(0), featureKey });
          const b = allocateDebit({
            amount,
            grants: shuffled,
            asOf: at(0),
            featureKey,
          });
          expect(show(b.allocations)).toEqual(show(a.allocations));
        },
      ),
    );
  });

  it('only usable grants pay, in draw-down order, and a grant is used only when every earlier one is exhausted', () => {
    fc.assert(
      fc.property(grantsArb, debitArb, featureArb, (grants, amount, featureKey) => {
        const asOf = at(0);
        // SPEC §5 restated on its own: available, credit left, live at asOf, pays the feature; draw-down order
        const usable = grants
          .filter(
            (g) =>
              g.available &&
              g.remaining.gt(0) &&
              g.effectiveAt <= asOf &&
              (g.expiresAt === null || asOf < g.expiresAt) &&
              (!g.featureKeys?.length || (featureKey !== null && g.featureKeys.includes(featureKey))),
          )
          .sort(compareDrawdown);
        const r = allocateDebit({ amount, grants, asOf, featureKey });
        expect(r.allocations.map((a) => a.grantId)).toEqual(
          usable.slice(0, r.allocations.length).map((g) => g.id),
        );
        r.allocations.slice(0, -1).forEach((a, i) => expect(a.amount.eq(usable[i]!.remaining)).toBe(true));
        if (r.uncovered.gt(0)) expect(r.allocations.length).toBe(usable.length);
      }),
    );
  });
});

describe('allocateDeduction (SPEC §6 adjustCredits with a negative amount)', () => {
  it.each<[string, string, string, string, boolean, string]>([
    // name, deduction, grants hold (one unrestricted + one restricted grant), balance, allowed, available
    ['within grants and balance', '5', '10', '10', true, '10'],
    ['above what grants hold', '11', '10', '20', false, '10'],
    ['debt beside credit: above the balance though the grants hold it', '10', '10', '4', false, '4'],
    ['debt beside credit: within the balance', '4', '10', '4', true, '4'],
    ['balance negative: nothing is available', '1', '10', '-6', false, '0'],
  ])('%s', (_name, amount, held, balance, allowed, available) => {
    const grants = [
      grant('only-f1', { featureKeys: ['f1'], remaining: new Dec(held).div(2).toFixed() }),
      grant('any', { remaining: new Dec(held).div(2).toFixed() }),
    ];
    const r = allocateDeduction({ amount: new Dec(amount), grants, asOf: at(1), balance: new Dec(balance) });
    expect(r.allowed).toBe(allowed);
    if (!allowed) expect(r.available.toFixed()).toBe(available);
    // restrictions do not apply to a deduction: every live grant is drawn, in draw-down order
    expect(sum(r.allocations.map((a) => a.amount)).toFixed()).toBe(allowed ? amount : '0');
  });

  it('never deducts more than the balance nor than the grants hold; allowed deductions draw exactly the amount', () => {
    fc.assert(
      fc.property(
        grantsArb,
        debitArb.filter((d) => d.gt(0)),
        dec({ scale: 2, min: -20_000n, max: 80_000n }),
        (grants, amount, balance) => {
          const r = allocateDeduction({ amount, grants, asOf: at(0), balance });
          const held = allocateDebit({ amount, grants, asOf: at(0), anyFeature: true }).covered;
          expect(r.allowed).toBe(amount.lte(balance) && held.eq(amount));
          if (r.allowed) expect(sum(r.allocations.map((a) => a.amount)).eq(amount)).toBe(true);
          else {
            expect(r.allocations).toEqual([]);
            expect(r.available.lt(amount) && r.available.gte(0)).toBe(true);
            expect(r.available.lte(Dec.max(balance, 0)) && r.available.lte(held)).toBe(true);
          }
        },
      ),
    );
  });
});

describe('planRestore (SPEC §6 correctMovement)', () => {
  const consumed = [
    { grantId: 'A', amount: new Dec(50) },
    { grantId: 'B', amount: new Dec(40) },
    { grantId: null, amount: new Dec(10) },
  ];

  it('gives back in reverse take order; debt portions are not restored', () => {
    const r = planRestore({
      consumed,
      amount: new Dec(60),
      restorable: () => true,
    });
    expect(show(r.notRestored)).toEqual([[null, '10']]);
    expect(show(r.restores)).toEqual([
      ['B', '40'],
      ['A', '10'],
    ]);
  });

  it('reports portions whose grant expired or was voided', () => {
    const r = planRestore({
      consumed,
      amount: new Dec(100),
      restorable: (id) => id !== 'B',
    });
    expect(show(r.restores)).toEqual([['A', '50']]);
    expect(show(r.notRestored)).toEqual([
      [null, '10'],
      ['B', '40'],
    ]);
  });

  it('a later correction continues from where earlier ones stopped', () => {
    const r = planRestore({
      consumed,
      amount: new Dec(30),
      alreadyCorrected: new Dec(30),
      restorable: () => true,
    });
    expect(show(r.restores)).toEqual([
      ['B', '20'],
      ['A', '10'],
    ]);
  });

  it('cannot correct by more than was consumed', () => {
    expect(() =>
      planRestore({
        consumed,
        amount: new Dec('100.01'),
        restorable: () => true,
      }),
    ).toThrow(DomainError);
    expect(() =>
      planRestore({
        consumed,
        amount: new Dec(71),
        alreadyCorrected: new Dec(30),
        restorable: () => true,
      }),
    ).toThrow(DomainError);
  });

  const consumedArb = fc.array(
    fc.record({
      grantId: fc.option(fc.constantFrom('A', 'B', 'C', 'D'), { nil: null }),
      amount: dec({ scale: 2, min: 1n, max: 5_000n }),
    }),
    { maxLength: 6 },
  );

  it('restore never exceeds consumed and happens in reverse order', () => {
    fc.assert(
      fc.property(
        consumedArb,
        fc.integer({ min: 0, max: 1000 }),
        fc.func(fc.boolean()),
        (portions, permille, restorableFn) => {
          const total = sum(portions.map((p) => p.amount));
          const amount = total.times(permille).dividedBy(1000).toDecimalPlaces(2, Dec.ROUND_DOWN);
          const restorable = (id: string) => restorableFn(id);
          const r = planRestore({ consumed: portions, amount, restorable });
          const given = [...r.restores, ...r.notRestored];
          expect(sum(given.map((g) => g.amount)).eq(amount)).toBe(true);

          // Walking the consumption backwards, each portion is fully given back before an earlier one is touched.
          let left = amount;
          const expected: [string | null, string, boolean][] = [];
          for (const p of [...portions].reverse()) {
            if (left.isZero()) break;
            const give = Dec.min(left, p.amount);
            left = left.minus(give);
            expected.push([p.grantId, give.toFixed(), p.grantId !== null && restorable(p.grantId)]);
          }
          expect(show(r.restores)).toEqual(expected.filter((e) => e[2]).map((e) => [e[0], e[1]]));
          expect(show(r.notRestored)).toEqual(expected.filter((e) => !e[2]).map((e) => [e[0], e[1]]));

          // Per grant, what is restored never exceeds what the consumption took from it.
          for (const id of ['A', 'B', 'C', 'D']) {
            const took = sum(portions.filter((p) => p.grantId === id).map((p) => p.amount));
            const back = sum(r.restores.filter((x) => x.grantId === id).map((x) => x.amount));
            expect(back.lte(took)).toBe(true);
          }
        },
      ),
    );
  });

  it('correcting in several parts restores the same as correcting once', () => {
    fc.assert(
      fc.property(
        consumedArb,
        fc.array(fc.integer({ min: 1, max: 100 }), {
          minLength: 1,
          maxLength: 4,
        }),
        (portions, weights) => {
          const total = sum(portions.map((p) => p.amount));
          const restorable = (id: string) => id !== 'D';
          const once = planRestore({
            consumed: portions,
            amount: total,
            restorable,
          });
          const totalWeight = weights.reduce((a, b) => a + b, 0);
          let already = ZERO;
          const parts: Record<string, Dec> = {};
          weights.forEach((w, i) => {
            const part =
              i === weights.length - 1
                ? total.minus(already)
                : total.times(w).dividedBy(totalWeight).toDecimalPlaces(2, Dec.ROUND_DOWN);
            const r = planRestore({
              consumed: portions,
              amount: part,
              alreadyCorrected: already,
              restorable,
            });
            for (const x of r.restores) parts[x.grantId] = (parts[x.grantId] ?? ZERO).plus(x.amount);
            already = already.plus(part);
          });
          const onceByGrant: Record<string, Dec> = {};
          for (const x of once.restores)
            onceByGrant[x.grantId] = (onceByGrant[x.grantId] ?? ZERO).plus(x.amount);
          expect(Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, v.toFixed()]))).toEqual(
            Object.fromEntries(Object.entries(onceByGrant).map(([k, v]) => [k, v.toFixed()])),
          );
        },
      ),
    );
  });
});
