import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { settlementBatches } from '../../src/modules/settlement/batches';

/** Keys from a compact spec: "a1 a2 b1" → customer a (currencies 1, 2), customer b (currency 1). */
const keys = (spec: string) =>
  spec
    .split(' ')
    .filter(Boolean)
    .map((k) => ({ customerId: k[0]!, currencyId: k.slice(1) }));
const show = (batches: { customerId: string; currencyId: string }[][]) =>
  batches.map((b) => b.map((k) => k.customerId + k.currencyId).join(' '));

describe('settlementBatches', () => {
  const rows: [string, number, string[]][] = [
    ['', 2, []],
    ['a1', 2, ['a1']],
    ['a1 b1', 2, ['a1 b1']],
    ['a1 b1 c1', 2, ['a1 b1', 'c1']],
    ['a1 b1 c1 d1', 2, ['a1 b1', 'c1 d1']],
    ['a1 b1 b2 c1', 2, ['a1 b1 b2', 'c1']],
    ['a1 a2 a3 b1', 2, ['a1 a2 a3', 'b1']],
    ['a1 b1 b2 b3 b4', 2, ['a1 b1 b2 b3 b4']],
    ['a1 b1 c1 c2', 3, ['a1 b1 c1 c2']],
    ['a1 b1 c1 c2 d1', 3, ['a1 b1 c1 c2', 'd1']],
    ['a1 b1 c1', 1, ['a1', 'b1', 'c1']],
  ];
  it.each(rows)('%j in batches of %i', (spec, size, expected) => {
    expect(show(settlementBatches(keys(spec), size))).toEqual(expected);
  });

  it('keeps every key once, in order; no customer in two batches; a batch outgrows size only by one customer', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 40 }), // ledgers per customer
        fc.integer({ min: 1, max: 10 }),
        (perCustomer, size) => {
          const all = perCustomer.flatMap((n, c) =>
            Array.from({ length: n }, (_, i) => ({
              customerId: `c${String(c).padStart(3, '0')}`,
              currencyId: `${i}`,
            })),
          );
          const batches = settlementBatches(all, size);
          expect(batches.flat()).toEqual(all);
          const owner = new Map<string, number>();
          batches.forEach((b, i) => {
            expect(b.length).toBeGreaterThan(0);
            for (const k of b) {
              expect(owner.get(k.customerId) ?? i).toBe(i);
              owner.set(k.customerId, i);
            }
            // without its last customer, a batch is shorter than size
            const last = b[b.length - 1]!.customerId;
            expect(b.filter((k) => k.customerId !== last).length).toBeLessThan(size);
          });
        },
      ),
    );
  });
});
