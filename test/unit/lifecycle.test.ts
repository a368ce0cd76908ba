import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  dueSteps,
  grantStatus,
  isFundable,
  repayDebt,
  unbookedExpiredCredit,
  unbookedFundedCredit,
  upcomingCredit,
  type LedgerGrant,
} from '../../src/engine';
import type { DueStep } from '../../src/engine/lifecycle';
import { Dec, ZERO, sum } from '../../src/money';
import { at, dec } from './arbitraries';

function grant(
  id: string,
  over: Partial<Omit<LedgerGrant, 'amount' | 'remaining'>> & { amount?: string; remaining?: string } = {},
): LedgerGrant {
  const { amount, remaining, ...rest } = over;
  return {
    id,
    fundingMethod: 'PROMOTIONAL',
    paymentStatus: null,
    priority: 10,
    effectiveAt: at(0),
    expiresAt: null,
    perUnitCost: ZERO,
    createdAt: at(0),
    featureKeys: null,
    fundedAt: at(0),
    voidedAt: null,
    expiredAt: null,
    ...rest,
    amount: new Dec(amount ?? '10'),
    remaining: new Dec(remaining ?? '10'),
  };
}

const show = (steps: DueStep[]) =>
  steps.map((s) => [s.kind, s.grantId, s.amount.toFixed(), s.at.toISOString()]);

describe('repayDebt (SPEC §6 negative balance)', () => {
  it.each([
    ['30', '100', '30', '70', '0'],
    ['100', '30', '30', '0', '70'],
    ['0', '10', '0', '10', '0'],
  ])('debt %s, new credit %s → repaid %s, keeps %s, debt left %s', (debt, available, repaid, kept, left) => {
    const r = repayDebt({
      debt: new Dec(debt),
      available: new Dec(available),
    });
    expect([r.repaid.toFixed(), r.remainingAfter.toFixed(), r.debtAfter.toFixed()]).toEqual([
      repaid,
      kept,
      left,
    ]);
  });
});

describe('isFundable and grantStatus (SPEC §5 lifecycle)', () => {
  const asOf = at(100);
  const unfunded = { fundedAt: null, remaining: '0' };
  it.each<[string, Parameters<typeof grant>[1], boolean, string]>([
    ['funded, credit left', {}, false, 'ACTIVE'],
    ['funded, nothing left', { remaining: '0' }, false, 'DEPLETED'],
    ['unfunded, effective now (inclusive)', { ...unfunded, effectiveAt: at(100) }, true, 'ACTIVE'],
    ['unfunded, effective later', { ...unfunded, effectiveAt: at(101) }, false, 'PENDING'],
    [
      'unfunded invoice grant, not paid',
      { ...unfunded, fundingMethod: 'INVOICE', paymentStatus: 'AUTHORIZED' },
      false,
      'PENDING',
    ],
    [
      'unfunded invoice grant, paid',
      { ...unfunded, fundingMethod: 'INVOICE', paymentStatus: 'SETTLED' },
      true,
      'ACTIVE',
    ],
    [
      'unfunded external grant, not paid',
      { ...unfunded, fundingMethod: 'EXTERNAL', paymentStatus: 'PENDING' },
      true,
      'ACTIVE',
    ],
    ['unfunded, expiry now (exclusive)', { ...unfunded, expiresAt: at(100) }, false, 'EXPIRED'],
    ['funded, past expiry, not booked', { expiresAt: at(50) }, false, 'EXPIRED'],
    ['expiry booked', { expiresAt: at(50), expiredAt: at(50), remaining: '0' }, false, 'EXPIRED'],
    ['voided', { voidedAt: at(10), remaining: '0' }, false, 'VOIDED'],
    ['voided unfunded, effective', { ...unfunded, voidedAt: at(10) }, false, 'VOIDED'],
  ])('%s → fundable %s, %s', (_name, over, fundable, status) => {
    const g = grant('g', over);
    expect(isFundable(g, asOf)).toBe(fundable);
    expect(grantStatus(g, asOf)).toBe(status);
  });
});

describe('dueSteps', () => {
  it('books the unused remainder of funded grants at their expiresAt, earliest first', () => {
    const grants = [
      grant('late', { expiresAt: at(20), remaining: '5' }),
      grant('early', { expiresAt: at(10), remaining: '7' }),
      grant('future', { expiresAt: at(31), remaining: '1' }),
      grant('never', { expiresAt: null, remaining: '1' }),
      grant('empty', { expiresAt: at(5), remaining: '0' }),
      grant('voided', { expiresAt: at(5), remaining: '3', voidedAt: at(1) }),
      grant('booked', { expiresAt: at(5), remaining: '0', expiredAt: at(5) }),
      grant('exact', { expiresAt: at(30), remaining: '2' }),
    ];
    expect(show(dueSteps(grants, at(30)))).toEqual([
      ['EXPIRE', 'empty', '0', at(5).toISOString()],
      ['EXPIRE', 'early', '7', at(10).toISOString()],
      ['EXPIRE', 'late', '5', at(20).toISOString()],
      ['EXPIRE', 'exact', '2', at(30).toISOString()],
    ]);
    expect(unbookedExpiredCredit(grants, at(30)).toFixed()).toBe('14');
  });

  it('funds due grants at their effective instant; a never-funded grant past expiry expires with nothing', () => {
    const grants = [
      grant('f2', { fundedAt: null, remaining: '0', effectiveAt: at(20), amount: '4' }),
      grant('f1', { fundedAt: null, remaining: '0', effectiveAt: at(10), amount: '3' }),
      grant('lapsed', { fundedAt: null, remaining: '0', effectiveAt: at(1), expiresAt: at(15), amount: '9' }),
      grant('unpaid', { fundedAt: null, remaining: '0', fundingMethod: 'INVOICE', paymentStatus: 'PENDING' }),
      grant('x', { expiresAt: at(10), remaining: '1' }),
    ];
    expect(show(dueSteps(grants, at(30)))).toEqual([
      ['FUND', 'f1', '3', at(10).toISOString()],
      ['EXPIRE', 'x', '1', at(10).toISOString()],
      ['EXPIRE', 'lapsed', '0', at(15).toISOString()],
      ['FUND', 'f2', '4', at(20).toISOString()],
    ]);
    expect(unbookedFundedCredit(grants, at(30)).toFixed()).toBe('7');
    expect(upcomingCredit(grants, at(30)).toFixed()).toBe('10');
  });

  it('at one instant, steps of one kind follow draw-down order, not ids', () => {
    const grants = [
      grant('a', { fundedAt: null, remaining: '0', effectiveAt: at(5), priority: 2 }),
      grant('b', { fundedAt: null, remaining: '0', effectiveAt: at(5), priority: 1 }),
      grant('c', { expiresAt: at(5), perUnitCost: new Dec('0.5') }),
      grant('d', { expiresAt: at(5), perUnitCost: ZERO }),
    ];
    expect(dueSteps(grants, at(9)).map((s) => s.grantId)).toEqual(['b', 'a', 'd', 'c']);
  });
});

// Random ledgers: small time ranges so ties and boundaries (effectiveAt = asOf, expiresAt = asOf) are common.
const lifecycleGrantArb = (id: string): fc.Arbitrary<LedgerGrant> =>
  fc
    .record({
      fundingMethod: fc.constantFrom<LedgerGrant['fundingMethod']>('PROMOTIONAL', 'INVOICE', 'EXTERNAL'),
      paymentStatus: fc.constantFrom<LedgerGrant['paymentStatus']>(
        null,
        'PENDING',
        'AUTHORIZED',
        'SETTLED',
        'FAILED',
      ),
      priority: fc.integer({ min: 1, max: 3 }),
      effectiveAt: fc.integer({ min: 0, max: 6 }),
      lifetime: fc.option(fc.integer({ min: 1, max: 6 }), { nil: null }),
      perUnitCost: dec({ scale: 2, min: 0n, max: 2n }),
      createdAt: fc.integer({ min: 0, max: 2 }),
      amount: dec({ scale: 2, min: 1n, max: 1_000n }),
      funded: fc.boolean(),
      usedShare: fc.integer({ min: 0, max: 4 }),
      voided: fc.boolean(),
    })
    .map((r) => {
      const expiresAt = r.lifetime === null ? null : at(r.effectiveAt + r.lifetime);
      const remaining = r.funded ? r.amount.times(4 - r.usedShare).div(4) : ZERO;
      return {
        id,
        fundingMethod: r.fundingMethod,
        paymentStatus: r.paymentStatus,
        priority: r.priority,
        effectiveAt: at(r.effectiveAt),
        expiresAt,
        perUnitCost: r.perUnitCost,
        createdAt: at(r.createdAt),
        featureKeys: null,
        amount: r.amount,
        remaining,
        fundedAt: r.funded ? at(r.effectiveAt) : null,
        voidedAt: r.voided ? at(0) : null,
        expiredAt: null,
      };
    });

const ledgerArb: fc.Arbitrary<LedgerGrant[]> = fc
  .uniqueArray(fc.string({ minLength: 1, maxLength: 3 }), { maxLength: 8 })
  .chain((ids) => (ids.length === 0 ? fc.constant([]) : fc.tuple(...ids.map(lifecycleGrantArb))));

/** Applies due steps as LedgerTx.bookDue does (no debt): fund brings the amount, expire takes the remainder. */
function book(grants: LedgerGrant[], steps: DueStep[]): LedgerGrant[] {
  const byId = new Map(grants.map((g) => [g.id, { ...g }]));
  for (const s of steps) {
    const g = byId.get(s.grantId)!;
    if (s.kind === 'FUND') Object.assign(g, { fundedAt: s.at, remaining: g.amount });
    else Object.assign(g, { expiredAt: s.at, remaining: ZERO });
  }
  return grants.map((g) => byId.get(g.id)!);
}

describe('lifecycle properties', () => {
  const asOfArb = fc.integer({ min: 0, max: 14 }).map(at);

  it('shuffled grants give the same due steps (order independence)', () => {
    fc.assert(
      fc.property(
        ledgerArb.chain((gs) => fc.tuple(fc.constant(gs), fc.shuffledSubarray(gs, { minLength: gs.length }))),
        asOfArb,
        ([grants, shuffled], asOf) => {
          expect(show(dueSteps(shuffled, asOf))).toEqual(show(dueSteps(grants, asOf)));
        },
      ),
    );
  });

  it('booking what is due changes no status and no figure a read shows; afterwards nothing is due', () => {
    fc.assert(
      fc.property(ledgerArb, asOfArb, (grants, asOf) => {
        const steps = dueSteps(grants, asOf);
        const after = book(grants, steps);
        expect(dueSteps(after, asOf)).toEqual([]);
        expect(after.map((g) => grantStatus(g, asOf))).toEqual(grants.map((g) => grantStatus(g, asOf)));
        const onLedger = (gs: LedgerGrant[]) =>
          sum(gs.filter((g) => g.fundedAt && !g.voidedAt && !g.expiredAt).map((g) => g.remaining));
        const settledRead = onLedger(grants)
          .plus(unbookedFundedCredit(grants, asOf))
          .minus(unbookedExpiredCredit(grants, asOf));
        expect(onLedger(after).eq(settledRead)).toBe(true);
        expect(upcomingCredit(after, asOf).eq(upcomingCredit(grants, asOf))).toBe(true);
      }),
    );
  });

  it('a grant is funded or expired by the due work, never both; fundable grants are exactly the FUND steps', () => {
    fc.assert(
      fc.property(ledgerArb, asOfArb, (grants, asOf) => {
        const steps = dueSteps(grants, asOf);
        expect(new Set(steps.map((s) => s.grantId)).size).toBe(steps.length);
        expect(
          steps
            .filter((s) => s.kind === 'FUND')
            .map((s) => s.grantId)
            .sort(),
        ).toEqual(
          grants
            .filter((g) => isFundable(g, asOf))
            .map((g) => g.id)
            .sort(),
        );
      }),
    );
  });
});
