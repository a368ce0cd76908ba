import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { roundHalfEvenSql } from '../../src/modules/shared/sql';
import { Dec, roundToScale } from '../../src/money';
import { useDb } from '../support/db';

/**
 * Settlement picks its candidate ledgers in SQL by comparing each open charge's amount, rounded to the
 * currency scale, with what is booked; the engine books `roundToScale` (HALF_EVEN). This holds the SQL
 * rounding against `roundToScale` in PostgreSQL on random amounts, ties (a 5 just past the scale) most of all.
 */

const db = useDb();

/** An amount with up to `scale + 3` decimals; half of them end in a 5 right after the scale (a tie). */
const amountArb = fc
  .record({
    scale: fc.integer({ min: 0, max: 6 }),
    units: fc.bigInt({ min: -10_000_000n, max: 10_000_000n }),
    tie: fc.boolean(),
    extra: fc.integer({ min: 1, max: 3 }),
  })
  .map(({ scale, units, tie, extra }) => {
    // units in 10^-(scale + extra); a tie is units × 10 + 5 at scale + 1
    const digits = tie ? scale + 1 : scale + extra;
    const n = tie ? units * 10n + (units < 0n ? -5n : 5n) : units;
    const value = new Dec(n.toString()).div(new Dec(10).pow(digits)).toFixed();
    return { value, scale };
  });

describe('SQL rounding agrees with the engine', () => {
  it('roundHalfEvenSql(value, scale) = roundToScale(value, scale) (HALF_EVEN), ties and negatives included', async () => {
    const sql = roundHalfEvenSql('v.value', 'v.scale');
    let checked = 0;
    let ties = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(amountArb, { minLength: 50, maxLength: 200 }), async (amounts) => {
        const { rows } = await db.query<{ got: string }>(
          `select (${sql})::text as got
             from unnest($1::numeric[], $2::int[]) with ordinality as v(value, scale, i) order by v.i`,
          [amounts.map((a) => a.value), amounts.map((a) => a.scale)],
        );
        amounts.forEach((a, i) => {
          const want = roundToScale(new Dec(a.value), a.scale);
          expect({ value: a.value, scale: a.scale, rounded: new Dec(rows[i]!.got).toFixed() }).toEqual({
            value: a.value,
            scale: a.scale,
            rounded: want.toFixed(),
          });
          // ties are where PostgreSQL's round() (half away from zero) can differ
          if (new Dec(a.value).times(new Dec(10).pow(a.scale)).mod(1).abs().eq(0.5)) ties++;
        });
        checked += amounts.length;
      }),
      { numRuns: 50 },
    );
    expect(ties).toBeGreaterThan(1_000);
    console.log(`rounding SQL: ${checked} random amounts (${ties} ties) agreed with roundToScale`);
  });

  it('the settlement example: 0.125 rounds to 0.12, 0.135 to 0.14, -0.125 to -0.12, where round() says 0.13', async () => {
    const { rows } = await db.query<{ he: string; pg: string }>(
      `select (${roundHalfEvenSql('v', '2')})::text as he, round(v, 2)::text as pg
         from unnest(array[0.125, 0.135, -0.125, 2.5]::numeric[]) as v`,
    );
    expect(rows.map((r) => new Dec(r.he).toFixed())).toEqual(['0.12', '0.14', '-0.12', '2.5']);
    expect(rows[0]!.pg).toBe('0.13');
  });
});
