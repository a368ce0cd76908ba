import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createServices } from '../../src/services';
import { useTestApp } from '../support/app';
import { adjustCredits, grantCredits, newCurrency, newCustomer } from '../support/builders';
import { useDb } from '../support/db';
import { checkLedgerInvariants } from '../support/invariants';

/**
 * The live feeds' one read per change (`LedgerService.movementsAfter`): the movements after a per-ledger
 * cursor, in booking order, cut at a limit, with the balances of the same snapshot. Held against the
 * movement table read directly and against `balances`, for random cursors, limits and currency filters.
 */
const t = useTestApp();
const db = useDb();

describe('movementsAfter (the live feeds read)', () => {
  it('answers exactly the movements after the cursor, in booking order, with the balances they leave', async () => {
    const { customerId } = await newCustomer(t);
    const codes = [await newCurrency(t, { scale: 2 }), await newCurrency(t, { scale: 0 })];
    // interleaved bookings on two ledgers: 1 funding + 6 adjustments on the first, 1 + 4 on the second
    for (const code of codes) await grantCredits(t, customerId, code, '1000');
    for (let i = 0; i < 6; i++) {
      await adjustCredits(t, customerId, codes[0]!, `-${i + 1}`);
      if (i < 4) await adjustCredits(t, customerId, codes[1]!, `-${i + 2}`);
    }
    const all = (
      await db.query<{ id: string; ledger_id: string; currency_id: string; sequence: number }>(
        `select id, ledger_id, currency_id, sequence from movement where customer_id = $1 order by gseq`,
        [customerId],
      )
    ).rows;
    expect(all).toHaveLength(12);
    const ledgers = [...new Set(all.map((m) => m.ledger_id))];
    const currencyOf = new Map(all.map((m) => [m.ledger_id, m.currency_id]));
    const services = createServices({
      fork: () => t.app.orm.em.fork(),
      clock: { now: () => new Date() },
      secret: 's',
    });
    const everything = await services.open().ledger.balances(customerId);

    await fc.assert(
      fc.asyncProperty(
        // per ledger: no cursor (the fallback applies), or a sequence from before the first to past the last
        fc.tuple(fc.option(fc.integer({ min: 0, max: 8 })), fc.option(fc.integer({ min: 0, max: 6 }))),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 1, max: 14 }),
        fc.constantFrom<number | null>(null, 0, 1),
        async (seqs, fallback, limit, currencyIndex) => {
          const after = new Map<string, number>();
          seqs.forEach((s, i) => {
            if (s !== null) after.set(ledgers[i]!, s);
          });
          const currencyId = currencyIndex === null ? null : currencyOf.get(ledgers[currencyIndex]!)!;
          const expected = all
            .filter((m) => currencyId === null || m.currency_id === currencyId)
            .filter((m) => m.sequence > (after.get(m.ledger_id) ?? fallback))
            .slice(0, limit);
          const read = await services
            .open()
            .ledger.movementsAfter(customerId, currencyId, { after, fallback }, limit);
          expect(read.movements.map((m) => m.id)).toEqual(expected.map((m) => m.id));
          // nothing new: no balances read; something new: the balances of that snapshot (nothing changes here)
          const balances = everything.filter((b) => currencyId === null || b.currency.id === currencyId);
          const shown = (bs: typeof everything) =>
            bs.map((b) => [b.currency.code, b.settled, b.pending, b.held, b.upcoming]);
          expect(shown(read.balances)).toEqual(expected.length === 0 ? [] : shown(balances));
        },
      ),
      { numRuns: 120 },
    );
    // the rows are whole movements: the last one of the first ledger as the history shows it
    const last = all.filter((m) => m.ledger_id === ledgers[0]).at(-1)!;
    const read = await services
      .open()
      .ledger.movementsAfter(
        customerId,
        null,
        { after: new Map([[ledgers[0]!, last.sequence - 1]]), fallback: 99 },
        5,
      );
    expect(read.movements).toHaveLength(1);
    expect(read.movements[0]).toMatchObject({
      id: last.id,
      ledgerId: ledgers[0],
      customerId,
      type: 'ADJUSTED',
      amount: '-6',
      sequence: last.sequence,
    });
    expect(read.balances.find((b) => b.currency.code === codes[0])?.settled).toBe('979.00');
    await checkLedgerInvariants([customerId]);
  });
});
