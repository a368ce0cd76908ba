import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { DomainError } from '../../src/core/errors';
import { aggregateStep, priceQuantity, validatePrice, type Price } from '../../src/engine';
import type { PriceTier } from '../../src/engine/rating';
import { Dec, ZERO } from '../../src/money';
import { dec } from './arbitraries';

const d = (s: string) => new Dec(s);
const tier = (upTo: string | null, unitAmount: string, flatAmount: string | null = null): PriceTier => ({
  upTo: upTo === null ? null : d(upTo),
  unitAmount: d(unitAmount),
  flatAmount: flatAmount === null ? null : d(flatAmount),
});

const twoTiers = [tier('10', '1.00'), tier(null, '0.50')];
const withFlat = [tier('10', '1.00', '5'), tier('100', '0.50', '2'), tier(null, '0.25', '1')];

describe('priceQuantity', () => {
  it.each<[string, Price, string, string]>([
    ['UNIT', { model: 'UNIT', unitAmount: d('0.001') }, '3', '0.003'],
    ['UNIT zero', { model: 'UNIT', unitAmount: d('1') }, '0', '0'],
    ['UNIT fractional quantity', { model: 'UNIT', unitAmount: d('0.04') }, '2.5', '0.1'],
    ['GRADUATED 15 units', { model: 'GRADUATED', tiers: twoTiers }, '15', '12.5'],
    ['VOLUME 15 units', { model: 'VOLUME', tiers: twoTiers }, '15', '7.5'],
    ['GRADUATED exactly at upTo', { model: 'GRADUATED', tiers: twoTiers }, '10', '10'],
    ['VOLUME exactly at upTo (inclusive)', { model: 'VOLUME', tiers: twoTiers }, '10', '10'],
    ['GRADUATED just past upTo', { model: 'GRADUATED', tiers: twoTiers }, '10.5', '10.25'],
    ['VOLUME just past upTo', { model: 'VOLUME', tiers: twoTiers }, '10.5', '5.25'],
    ['GRADUATED zero', { model: 'GRADUATED', tiers: withFlat }, '0', '0'],
    ['VOLUME zero (no flat fee)', { model: 'VOLUME', tiers: withFlat }, '0', '0'],
    ['GRADUATED flat of first tier only', { model: 'GRADUATED', tiers: withFlat }, '1', '6'],
    ['GRADUATED flat at boundary', { model: 'GRADUATED', tiers: withFlat }, '10', '15'],
    ['GRADUATED flat of two tiers', { model: 'GRADUATED', tiers: withFlat }, '11', '17.5'],
    ['GRADUATED all three tiers', { model: 'GRADUATED', tiers: withFlat }, '200', '10+5+45+2+25+1'],
    ['VOLUME flat of the tier the total falls in', { model: 'VOLUME', tiers: withFlat }, '50', '27'],
    ['VOLUME top tier', { model: 'VOLUME', tiers: withFlat }, '200', '51'],
    ['single open tier', { model: 'GRADUATED', tiers: [tier(null, '0.000002')] }, '1000000', '2'],
    ['free first tier', { model: 'GRADUATED', tiers: [tier('100', '0'), tier(null, '0.1')] }, '150', '5'],
  ])('%s: %s units → %s', (_name, price, quantity, expected) => {
    const want = expected.split('+').reduce((acc, x) => acc.plus(x), d('0'));
    expect(priceQuantity(price, d(quantity)).toFixed()).toBe(want.toFixed());
  });

  it('works at full precision (no rounding)', () => {
    const price: Price = { model: 'UNIT', unitAmount: d('0.0000025') };
    expect(priceQuantity(price, d('3')).toFixed()).toBe('0.0000075');
  });

  it('rejects negative quantities and invalid prices', () => {
    expect(() => priceQuantity({ model: 'UNIT', unitAmount: d('1') }, d('-1'))).toThrow(DomainError);
    expect(() => priceQuantity({ model: 'VOLUME', tiers: [tier('10', '1')] }, d('11'))).toThrow(DomainError);
  });

  const tiersArb = fc
    .tuple(
      fc.uniqueArray(fc.integer({ min: 1, max: 1000 }), { maxLength: 4 }),
      fc.array(
        fc.tuple(dec({ scale: 3, min: 0n, max: 5000n }), fc.option(dec({ scale: 2, min: 0n, max: 1000n }))),
        {
          minLength: 5,
          maxLength: 5,
        },
      ),
    )
    .map(([bounds, amounts]) => {
      const ups = [...bounds].sort((a, b) => a - b);
      return [...ups, null].map((u, i) => {
        const [unitAmount, flatAmount] = amounts[i]!;
        return { upTo: u === null ? null : new Dec(u), unitAmount, flatAmount };
      });
    });

  it('graduated price is monotone in quantity and additive across tiers', () => {
    fc.assert(
      fc.property(
        tiersArb,
        dec({ scale: 2, min: 0n, max: 200_000n }),
        dec({ scale: 2, min: 0n, max: 200_000n }),
        (tiers, q1, q2) => {
          expect(validatePrice({ model: 'GRADUATED', tiers })).toEqual([]);
          const [lo, hi] = q1.lte(q2) ? [q1, q2] : [q2, q1];
          const price: Price = { model: 'GRADUATED', tiers };
          expect(priceQuantity(price, lo).lte(priceQuantity(price, hi))).toBe(true);
          // Without flat fees, the graduated price equals the sum of each tier's share.
          const noFlat: Price = {
            model: 'GRADUATED',
            tiers: tiers.map((t) => ({ ...t, flatAmount: null })),
          };
          let lower = new Dec(0);
          let expected = new Dec(0);
          for (const t of tiers) {
            const upper = t.upTo === null ? hi : Dec.min(hi, t.upTo);
            if (upper.gt(lower)) expected = expected.plus(upper.minus(lower).times(t.unitAmount));
            if (t.upTo === null) break;
            lower = t.upTo;
          }
          expect(priceQuantity(noFlat, hi).eq(expected)).toBe(true);
        },
      ),
    );
  });

  it('volume price uses one tier for the whole quantity', () => {
    fc.assert(
      fc.property(tiersArb, dec({ scale: 2, min: 1n, max: 200_000n }), (tiers, q) => {
        const t = tiers.find((x) => x.upTo === null || q.lte(x.upTo))!;
        const expected = q.times(t.unitAmount).plus(t.flatAmount ?? 0);
        expect(priceQuantity({ model: 'VOLUME', tiers }, q).eq(expected)).toBe(true);
      }),
    );
  });
});

describe('validatePrice', () => {
  it.each<[string, Price, string[]]>([
    ['valid UNIT', { model: 'UNIT', unitAmount: d('0') }, []],
    ['valid tiers', { model: 'GRADUATED', tiers: withFlat }, []],
    ['negative unit amount', { model: 'UNIT', unitAmount: d('-1') }, ['unitAmount must not be negative']],
    ['no tiers', { model: 'VOLUME', tiers: [] }, ['VOLUME price needs at least one tier']],
    [
      'no open-ended tier',
      { model: 'GRADUATED', tiers: [tier('10', '1')] },
      ['the last tier must have no upTo (open-ended)'],
    ],
    [
      'open-ended tier not last',
      { model: 'GRADUATED', tiers: [tier(null, '1'), tier('10', '1')] },
      ['tiers[0] has no upTo but is not the last tier', 'the last tier must have no upTo (open-ended)'],
    ],
    [
      'two open-ended tiers',
      { model: 'GRADUATED', tiers: [tier(null, '1'), tier(null, '1')] },
      ['tiers[0] has no upTo but is not the last tier', 'only one tier may be open-ended'],
    ],
    [
      'upTo not ascending',
      {
        model: 'VOLUME',
        tiers: [tier('10', '1'), tier('10', '1'), tier(null, '1')],
      },
      ["tiers[1].upTo must be greater than the previous tier's upTo"],
    ],
    [
      'upTo descending',
      {
        model: 'VOLUME',
        tiers: [tier('10', '1'), tier('5', '1'), tier(null, '1')],
      },
      ["tiers[1].upTo must be greater than the previous tier's upTo"],
    ],
    [
      'upTo zero',
      { model: 'VOLUME', tiers: [tier('0', '1'), tier(null, '1')] },
      ['tiers[0].upTo must be greater than zero'],
    ],
    [
      'negative amounts',
      { model: 'GRADUATED', tiers: [tier('10', '-1', '-2'), tier(null, '1')] },
      ['tiers[0].unitAmount must not be negative', 'tiers[0].flatAmount must not be negative'],
    ],
  ])('%s', (_name, price, problems) => {
    expect(validatePrice(price)).toEqual(problems);
  });
});

/** What ingestion does: fold the events one at a time; no events aggregate to 0. */
function aggregate(kind: 'SUM' | 'COUNT' | 'MAX', values: readonly Dec[]): Dec {
  let current: Dec | null = null;
  for (const v of values) current = aggregateStep(kind, current, v);
  return current ?? ZERO;
}

describe('aggregateStep', () => {
  const values = ['3', '1.5', '7', '0'].map(d);
  it.each<['SUM' | 'COUNT' | 'MAX', string]>([
    ['SUM', '11.5'],
    ['COUNT', '4'],
    ['MAX', '7'],
  ])('%s', (kind, expected) => {
    expect(aggregate(kind, values).toFixed()).toBe(expected);
    expect(aggregate(kind, []).toFixed()).toBe('0');
  });

  it('MAX of negative values is the largest, not zero', () => {
    expect(aggregate('MAX', [d('-3'), d('-1')]).toFixed()).toBe('-1');
  });

  it('folding events one at a time in any order equals aggregating the batch', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<'SUM' | 'COUNT' | 'MAX'>('SUM', 'COUNT', 'MAX'),
        fc
          .array(dec({ scale: 4, min: -1_000_000n, max: 1_000_000n }), {
            minLength: 1,
            maxLength: 20,
          })
          .chain((vs) => fc.tuple(fc.constant(vs), fc.shuffledSubarray(vs, { minLength: vs.length }))),
        (kind, [vs, shuffled]) => {
          let current: Dec | null = null;
          for (const v of shuffled) current = aggregateStep(kind, current, v);
          expect(current!.eq(aggregate(kind, vs))).toBe(true);
        },
      ),
    );
  });
});
