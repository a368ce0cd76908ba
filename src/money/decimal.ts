import Decimal from 'decimal.js';

import { DomainError } from '../core/errors';

/**
 * The one configured decimal.js constructor. Never use decimal.js' global defaults
 * (20 significant digits, ROUND_HALF_UP): 80 digits hold 28 integer digits plus every
 * fraction we accept with room for products, and HALF_EVEN is the booking rule (SPEC §2).
 */
export const Dec = Decimal.clone({
  precision: 80,
  rounding: Decimal.ROUND_HALF_EVEN,
  toExpNeg: -100,
  toExpPos: 100,
});
export type Dec = InstanceType<typeof Dec>;

export const ZERO: Dec = new Dec(0);

/** At most this many integer digits (SPEC §2), counted without leading zeros. */
export const MAX_INTEGER_DIGITS = 28;
/** Fraction digits accepted by `parseDecimal` when no `scale` is given (keeps values far below the precision). */
export const MAX_FRACTION_DIGITS = 40;

const GRAMMAR = /^-?([0-9]+)(?:\.([0-9]+))?$/;

function integerDigits(intPart: string): number {
  // Leading zeros carry no magnitude: "007" has 1 integer digit, "0" has 1.
  const stripped = intPart.replace(/^0+(?=[0-9])/, '');
  return stripped.length;
}

/**
 * Strict wire grammar `-?[0-9]+(\.[0-9]+)?` with at most 28 integer digits (leading zeros
 * not counted). Rejects exponents, hex, NaN, Infinity, spaces, `+`, `.5`, `1.` and `1_000`,
 * all of which decimal.js itself would parse.
 */
export function isDecimalString(s: string): boolean {
  if (typeof s !== 'string') return false;
  const m = GRAMMAR.exec(s);
  if (!m) return false;
  return integerDigits(m[1] ?? '') <= MAX_INTEGER_DIGITS;
}

export interface ParseDecimalOptions {
  /** Maximum number of decimals (the currency scale). Digits are counted as written: `1.230` has 3. */
  scale?: number;
  /** Reject zero and negatives (grant and charge amounts). */
  positive?: boolean;
  /** Reject negatives. */
  nonNegative?: boolean;
  /** Field name used in error messages. */
  field?: string;
}

/** Validates the grammar before constructing a Decimal; throws `BAD_USER_INPUT` naming the field. */
export function parseDecimal(s: string, opts: ParseDecimalOptions = {}): Dec {
  const field = opts.field ?? 'amount';
  if (typeof s !== 'string') {
    throw DomainError.badInput(`${field} must be a decimal string`);
  }
  const shown = s.length > 60 ? `${s.slice(0, 60)}…` : s;
  const m = GRAMMAR.exec(s);
  if (!m) {
    throw DomainError.badInput(
      `${field} must be a plain decimal number like "12.50" (digits, optional leading "-", optional ".digits"), got "${shown}"`,
    );
  }
  if (integerDigits(m[1] ?? '') > MAX_INTEGER_DIGITS) {
    throw DomainError.badInput(`${field} has more than ${MAX_INTEGER_DIGITS} integer digits`);
  }
  const decimals = m[2]?.length ?? 0;
  const maxDecimals = opts.scale ?? MAX_FRACTION_DIGITS;
  if (decimals > maxDecimals) {
    throw DomainError.badInput(`${field} has ${decimals} decimals; at most ${maxDecimals} allowed`);
  }
  let d = new Dec(s);
  if (d.isZero()) d = ZERO; // normalize "-0"
  if (opts.positive && !d.gt(0)) {
    throw DomainError.badInput(`${field} must be greater than zero, got "${shown}"`);
  }
  if (opts.nonNegative && d.lt(0)) {
    throw DomainError.badInput(`${field} must not be negative, got "${shown}"`);
  }
  return d;
}

function checkScale(scale: number): void {
  if (!Number.isInteger(scale) || scale < 0 || scale > MAX_FRACTION_DIGITS) {
    throw new RangeError(`scale must be an integer in 0..${MAX_FRACTION_DIGITS}, got ${scale}`);
  }
}

/** Rounds to `scale` decimals with ROUND_HALF_EVEN; negative zero becomes zero. */
export function roundToScale(d: Dec, scale: number): Dec {
  checkScale(scale);
  const r = d.toDecimalPlaces(scale, Dec.ROUND_HALF_EVEN);
  return r.isZero() ? ZERO : r;
}

/** Exactly `scale` decimals, HALF_EVEN, never exponent notation, never `-0.00`. */
export function formatDecimal(d: Dec, scale: number): string {
  return roundToScale(d, scale).toFixed(scale);
}

const PLAIN = /^(-?)([0-9]+)(?:\.([0-9]*))?$/;

/**
 * `formatDecimal(new Dec(text), scale)` for decimal text (what PostgreSQL gives for a `numeric::text`), without
 * building a Decimal when the text needs no rounding: a plain number with at most `scale` fraction digits and no
 * leading zeros is padded with zeros (pages of movements format thousands of amounts). Anything else takes the
 * Decimal path, so both always agree (a property test says so).
 */
export function formatDecimalText(text: string, scale: number): string {
  const m = PLAIN.exec(text);
  if (!m || m[3] === '' || (m[3]?.length ?? 0) > scale || (m[2]!.length > 1 && m[2]![0] === '0')) {
    return formatDecimal(new Dec(text), scale);
  }
  checkScale(scale);
  const [, minus, int, frac = ''] = m;
  // negative zero becomes zero
  const sign = minus && (int !== '0' || /[1-9]/.test(frac)) ? '-' : '';
  return scale === 0 ? `${sign}${int}` : `${sign}${int}.${frac.padEnd(scale, '0')}`;
}

export function sum(values: readonly Dec[]): Dec {
  let total = ZERO;
  for (const v of values) total = total.plus(v);
  return total;
}

export function min(a: Dec, b: Dec): Dec {
  return a.lte(b) ? a : b;
}

export function max(a: Dec, b: Dec): Dec {
  return a.gte(b) ? a : b;
}

/**
 * Cumulative rounding (SPEC §2): what to book now so that all steps add up to the rounded
 * total, `round(totalSoFar) - bookedSoFar`.
 */
export function cumulativeStep(totalSoFar: Dec, bookedSoFar: Dec, scale: number): Dec {
  const step = roundToScale(totalSoFar, scale).minus(bookedSoFar);
  return step.isZero() ? ZERO : step;
}
