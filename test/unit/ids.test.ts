import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdPrefix, isIdOf, newId, ulid } from '../../src/core/ids';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** The millisecond a ULID's first 10 digits encode. */
const timeOf = (id: string) => [...id.slice(0, 10)].reduce((ms, c) => ms * 32 + ALPHABET.indexOf(c), 0);

// ulid() is monotonic per process: each test uses instants later than every earlier test's
describe('ids', () => {
  it('a fresh millisecond carries its own time and new random digits; 10,000 ids are distinct', () => {
    const base = Date.now() + 10 ** 9;
    const a = ulid(base);
    const b = ulid(base + 1);
    for (const id of [a, b]) expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(timeOf(a)).toBe(base);
    expect(timeOf(b)).toBe(base + 1);
    expect(b.slice(10)).not.toBe(a.slice(10));
    const many = new Set(Array.from({ length: 10_000 }, () => newId(IdPrefix.Charge)));
    expect(many.size).toBe(10_000);
    for (const id of many) expect(isIdOf(IdPrefix.Charge, id)).toBe(true);
  });

  it('ids sort in creation order, within a millisecond, across milliseconds and when the clock moves back', () => {
    let t = Date.now() + 2 * 10 ** 9;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 1, maxLength: 300 }), (steps) => {
        const ids = steps.map((d) => ulid((t += d)));
        for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
        t += 1000;
      }),
    );
  });

  it('the largest 48-bit millisecond encodes as 7ZZZZZZZZZ', () => {
    const id = ulid(2 ** 48 - 1);
    expect(id.slice(0, 10)).toBe('7ZZZZZZZZZ');
    expect(timeOf(id)).toBe(2 ** 48 - 1);
  });
});
