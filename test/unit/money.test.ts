import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { DomainError } from '../../src/core/errors';
import {
  Dec,
  ZERO,
  cumulativeStep,
  formatDecimal,
  formatDecimalText,
  isDecimalString,
  max,
  min,
  parseDecimal,
  roundToScale,
  sum,
} from '../../src/money';
import { decimalString } from './arbitraries';

const digits = (n: number): string => '9'.repeat(n);

function badInput(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    expect((e as DomainError).code).toBe('BAD_USER_INPUT');
    return e as DomainError;
  }
  throw new Error('expected a BAD_USER_INPUT error');
}

describe('isDecimalString / parseDecimal grammar', () => {
  it.each([
    ['1e3'],
    ['1E3'],
    ['0x10'],
    ['NaN'],
    ['Infinity'],
    ['-Infinity'],
    [' 1'],
    ['1 '],
    ['+1'],
    ['1.'],
    ['.5'],
    ['-.5'],
    ['1_000'],
    ['1,000'],
    [''],
    ['-'],
    ['--1'],
    ['0b1'],
    ['1.2.3'],
    ['١'],
    [digits(29)],
    [`-${digits(29)}.5`],
  ])('rejects %j', (input) => {
    expect(isDecimalString(input)).toBe(false);
    badInput(() => parseDecimal(input, { field: 'amount' }));
  });

  it.each([
    ['0', '0'],
    ['-1.5', '-1.5'],
    ['12.50', '12.5'],
    ['-0', '0'],
    ['007', '7'],
    [digits(28), digits(28)],
    [`-${digits(28)}.99`, `-${digits(28)}.99`],
    [`000${digits(28)}`, digits(28)],
  ])('accepts %j', (input, value) => {
    expect(isDecimalString(input)).toBe(true);
    expect(parseDecimal(input, { scale: 2 }).toFixed()).toBe(value);
  });

  it('rejects more decimals than the scale, counting decimals as written', () => {
    badInput(() => parseDecimal('1.234', { scale: 2 }));
    badInput(() => parseDecimal('1.230', { scale: 2 }));
    badInput(() => parseDecimal('1.5', { scale: 0 }));
    expect(parseDecimal('1.23', { scale: 2 }).toFixed()).toBe('1.23');
    expect(parseDecimal('1.123456', { scale: 6 }).toFixed()).toBe('1.123456');
  });

  it.each([['0'], ['0.00'], ['-0'], ['-1'], ['-0.01']])('positive rejects %j', (input) => {
    badInput(() => parseDecimal(input, { positive: true, scale: 2 }));
  });

  it.each([['-1'], ['-0.01']])('nonNegative rejects %j', (input) => {
    badInput(() => parseDecimal(input, { nonNegative: true, scale: 2 }));
  });

  it('nonNegative accepts zero and -0 (normalized to 0)', () => {
    expect(parseDecimal('-0', { nonNegative: true }).isNegative()).toBe(false);
    expect(parseDecimal('0.00', { nonNegative: true }).isZero()).toBe(true);
  });

  it('names the field in the message', () => {
    expect(badInput(() => parseDecimal('1e3', { field: 'grant.amount' })).message).toContain('grant.amount');
    expect(badInput(() => parseDecimal('0', { field: 'charge.amount', positive: true })).message).toContain(
      'charge.amount',
    );
    expect(badInput(() => parseDecimal('1.234', { field: 'price', scale: 2 })).message).toContain('price');
  });

  it('round-trips every well-formed string at its scale', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 0, max: 8 })
          .chain((scale) =>
            fc.tuple(fc.constant(scale), decimalString({ scale, min: -(10n ** 27n), max: 10n ** 27n })),
          ),
        ([scale, s]) => {
          expect(isDecimalString(s)).toBe(true);
          expect(formatDecimal(parseDecimal(s, { scale }), scale)).toBe(s);
        },
      ),
    );
  });
});

describe('formatDecimal / roundToScale (HALF_EVEN)', () => {
  it.each([
    ['0.125', 2, '0.12'],
    ['0.135', 2, '0.14'],
    ['-0.125', 2, '-0.12'],
    ['-0.135', 2, '-0.14'],
    ['0.115', 2, '0.12'],
    ['0.1251', 2, '0.13'],
    ['2.5', 0, '2'],
    ['3.5', 0, '4'],
    ['-2.5', 0, '-2'],
    ['0.4', 0, '0'],
    ['1.0000005', 6, '1.000000'],
    ['1.0000015', 6, '1.000002'],
    ['12.5', 2, '12.50'],
    ['7', 6, '7.000000'],
    ['-0.001', 2, '0.00'],
    ['-0', 2, '0.00'],
    ['0.0000000000000000000000001', 2, '0.00'],
    [`${digits(28)}.5`, 0, '1' + '0'.repeat(28)],
    ['12345678901234567890123456.78', 2, '12345678901234567890123456.78'],
    // the text path's own cases: padded as is, or handed to Decimal
    ['-3.25', 2, '-3.25'],
    ['-0.00', 2, '0.00'],
    ['-0', 0, '0'],
    ['0', 0, '0'],
    ['007.5', 2, '7.50'],
    ['-12', 3, '-12.000'],
    ['1.50', 1, '1.5'],
    ['1e3', 2, '1000.00'],
  ])('%s at scale %i is %s', (input, scale, expected) => {
    expect(formatDecimal(new Dec(input), scale)).toBe(expected);
    expect(roundToScale(new Dec(input), scale).toFixed(scale)).toBe(expected);
    expect(formatDecimalText(input, scale)).toBe(expected);
  });

  it('formatDecimalText agrees with formatDecimal on any decimal text, fewer or more digits than the scale', () => {
    const text = fc.oneof(
      decimalString({ scale: 6, min: -(10n ** 30n), max: 10n ** 30n }),
      decimalString({ scale: 0, min: -(10n ** 28n), max: 10n ** 28n }),
      decimalString({ scale: 2, min: -1000n, max: 1000n }).map((s) => `${s}000`), // trailing zeros
      decimalString({ scale: 3, min: -10n, max: 10n }).map((s) => s.replace(/^(-?)/, '$100')), // leading zeros
    );
    fc.assert(
      fc.property(text, fc.integer({ min: 0, max: 8 }), (s, scale) => {
        expect(formatDecimalText(s, scale)).toBe(formatDecimal(new Dec(s), scale));
      }),
      { numRuns: 2000 },
    );
  });

  it('never prints exponent notation', () => {
    expect(formatDecimal(new Dec('1e-40'), 6)).toBe('0.000000');
    expect(formatDecimal(new Dec('1e27'), 2)).toBe(`1${'0'.repeat(27)}.00`);
    expect(new Dec('1e-40').toString()).not.toContain('e');
  });

  it('uses the configured clone, not decimal.js defaults', () => {
    expect(Dec.precision).toBe(80);
    expect(Dec.rounding).toBe(Dec.ROUND_HALF_EVEN);
    expect(new Dec(1).dividedBy(3).toFixed().length).toBeGreaterThan(60);
  });

  it('rejects invalid scales', () => {
    expect(() => formatDecimal(ZERO, -1)).toThrow(RangeError);
    expect(() => formatDecimal(ZERO, 1.5)).toThrow(RangeError);
  });
});

describe('helpers', () => {
  it('sum, min, max', () => {
    expect(sum([]).toFixed()).toBe('0');
    expect(sum([new Dec('0.1'), new Dec('0.2')]).toFixed()).toBe('0.3');
    expect(min(new Dec(1), new Dec(2)).toFixed()).toBe('1');
    expect(max(new Dec(1), new Dec(2)).toFixed()).toBe('2');
  });

  it.each([
    ['0.003', '0', 2, '0'],
    ['0.006', '0', 2, '0.01'],
    ['0.015', '0.01', 2, '0.01'],
    ['0.021', '0.02', 2, '0'],
    ['10.005', '10', 2, '0'],
    ['10.015', '10', 2, '0.02'],
  ])('cumulativeStep(total %s, booked %s, scale %i) = %s', (total, booked, scale, expected) => {
    expect(cumulativeStep(new Dec(total), new Dec(booked), scale).toFixed()).toBe(expected);
  });

  it('cumulative steps always add up to the rounded total (no drift)', () => {
    fc.assert(
      fc.property(
        fc.array(decimalString({ scale: 5, min: 0n, max: 10_000_000n }), {
          minLength: 1,
          maxLength: 30,
        }),
        fc.integer({ min: 0, max: 4 }),
        (increments, scale) => {
          let total = ZERO;
          let booked = ZERO;
          for (const inc of increments) {
            total = total.plus(new Dec(inc));
            booked = booked.plus(cumulativeStep(total, booked, scale));
          }
          expect(booked.eq(roundToScale(total, scale))).toBe(true);
        },
      ),
    );
  });
});
