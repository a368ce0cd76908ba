import fc from 'fast-check';

import { Dec } from '../../src/money';

/** A decimal string with exactly `scale` decimals built from integer minor units (never a float). */
export function minorUnitsToString(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const int = digits.slice(0, digits.length - scale);
  const frac = digits.slice(digits.length - scale);
  return `${negative ? '-' : ''}${int}${scale > 0 ? `.${frac}` : ''}`;
}

export function decimalString(opts: { scale: number; min: bigint; max: bigint }): fc.Arbitrary<string> {
  return fc.bigInt({ min: opts.min, max: opts.max }).map((n) => minorUnitsToString(n, opts.scale));
}

export function dec(opts: { scale: number; min: bigint; max: bigint }): fc.Arbitrary<Dec> {
  return decimalString(opts).map((s) => new Dec(s));
}

export const T0 = Date.UTC(2025, 0, 1);
export const at = (minutes: number): Date => new Date(T0 + minutes * 60_000);
