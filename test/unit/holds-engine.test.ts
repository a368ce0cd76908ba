import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pendingBalance, settleCharge, type SettlementMode } from '../../src/engine';
import { Dec, ZERO, max, min } from '../../src/money';
import { grantSnapshot as grant } from '../support/engine';
import { at, dec } from './arbitraries';

/** SPEC §16 in the engine: held credit in `pending` and in CREDIT_THEN_INVOICE settlement. */

const mode = fc.constantFrom<SettlementMode>('CREDIT_ONLY', 'CREDIT_THEN_INVOICE');
const amount = dec({ scale: 2, min: 0n, max: 100_000n });
const signed = dec({ scale: 2, min: -50_000n, max: 100_000n });

describe('pendingBalance with holds', () => {
  it.each<[string, [SettlementMode, string][], string, string]>([
    // settled, open charges, held → pending
    ['10', [], '4', '6'],
    ['10', [], '12', '-2'],
    ['10', [['CREDIT_ONLY', '3']], '4', '3'],
    // CREDIT_THEN_INVOICE takes at most what settled exceeds the held amount by
    ['10', [['CREDIT_THEN_INVOICE', '3']], '4', '3'],
    ['10', [['CREDIT_THEN_INVOICE', '8']], '4', '0'],
    ['10', [['CREDIT_THEN_INVOICE', '8']], '12', '-2'],
    ['-2', [['CREDIT_THEN_INVOICE', '8']], '1', '-3'],
    [
      '10',
      [
        ['CREDIT_ONLY', '7'],
        ['CREDIT_THEN_INVOICE', '5'],
      ],
      '2',
      '0',
    ],
    [
      '10',
      [
        ['CREDIT_ONLY', '4'],
        ['CREDIT_THEN_INVOICE', '2'],
      ],
      '3',
      '1',
    ],
    [
      '10',
      [
        ['CREDIT_ONLY', '7'],
        ['CREDIT_THEN_INVOICE', '5'],
      ],
      '0',
      '0',
    ],
  ])('settled %s, open %j, held %s → %s', (settled, open, held, expected) => {
    const p = pendingBalance(
      new Dec(settled),
      open.map(([m, u]) => ({ mode: m, unbooked: new Dec(u) })),
      new Dec(held),
    );
    expect(p.toFixed()).toBe(expected);
  });

  it('holds lower pending by exactly their amount once CREDIT_THEN_INVOICE charges have taken theirs', () => {
    fc.assert(
      fc.property(
        signed,
        fc.array(fc.tuple(mode, amount), { maxLength: 4 }),
        amount,
        (settled, open, held) => {
          const charges = open.map(([m, u]) => ({ mode: m, unbooked: u }));
          const creditOnly = charges
            .filter((c) => c.mode === 'CREDIT_ONLY')
            .reduce((s, c) => s.plus(c.unbooked), ZERO);
          const thenInvoice = charges
            .filter((c) => c.mode === 'CREDIT_THEN_INVOICE')
            .reduce((s, c) => s.plus(c.unbooked), ZERO);
          const base = settled.minus(creditOnly);
          const expected = base.minus(min(thenInvoice, max(base.minus(held), ZERO))).minus(held);
          expect(pendingBalance(settled, charges, held).eq(expected)).toBe(true);
          // no holds: the figure SPEC §7 had before holds existed
          const noHolds = base.lt(0) ? base : max(base.minus(thenInvoice), ZERO);
          expect(pendingBalance(settled, charges).eq(noHolds)).toBe(true);
        },
      ),
    );
  });
});

describe('settleCharge with held credit', () => {
  const charge = (a: string) => ({ id: 'ch', amount: new Dec(a), booked: ZERO, featureKey: null });

  it.each<[string, string, string, string, string]>([
    // grant, balance, held, charge → credited / invoiced
    ['10', '10', '6', '7', '4.00/3.00'],
    ['10', '10', '0', '7', '7.00/0.00'],
    ['10', '10', '10', '7', '0.00/7.00'],
    ['10', '10', '12', '7', '0.00/7.00'],
    ['10', '10', '2', '5', '5.00/0.00'],
  ])(
    'CREDIT_THEN_INVOICE: grant %s, balance %s, held %s, charge %s → %s',
    (g, balance, held, c, expected) => {
      const r = settleCharge({
        asOf: at(1),
        charge: charge(c),
        grants: [grant('g', g)],
        mode: 'CREDIT_THEN_INVOICE',
        scale: 2,
        balance: new Dec(balance),
        held: new Dec(held),
      });
      expect(`${r.creditedAmount.toFixed(2)}/${r.invoicedAmount.toFixed(2)}`).toBe(expected);
    },
  );

  it('CREDIT_ONLY ignores holds: the same allocations whatever is held', () => {
    fc.assert(
      fc.property(amount, amount, amount, (g, c, held) => {
        const input = {
          asOf: at(1),
          charge: { id: 'ch', amount: c, booked: ZERO, featureKey: null },
          grants: [grant('g', g.toFixed())],
          mode: 'CREDIT_ONLY' as const,
          scale: 2,
          balance: g,
        };
        expect(settleCharge({ ...input, held })).toEqual(settleCharge(input));
      }),
    );
  });

  it('CREDIT_THEN_INVOICE never takes the balance below the held amount (nor below zero)', () => {
    fc.assert(
      fc.property(amount, amount, amount, (g, c, held) => {
        const r = settleCharge({
          asOf: at(1),
          charge: { id: 'ch', amount: c, booked: ZERO, featureKey: null },
          grants: [grant('g', g.toFixed())],
          mode: 'CREDIT_THEN_INVOICE',
          scale: 2,
          balance: g,
          held,
        });
        const after = g.minus(r.creditedAmount);
        expect(after.gte(min(g, held))).toBe(true);
        expect(r.creditedAmount.plus(r.invoicedAmount).eq(r.step)).toBe(true);
      }),
    );
  });
});
