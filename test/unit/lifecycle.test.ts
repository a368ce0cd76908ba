import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  applyDue,
  dueSteps,
  fundingOf,
  grantStatus,
  isFundable,
  upcomingCredit,
  type LedgerGrant,
} from '../../src/engine';
import { repayDebt, type DueBooking, type DueStep } from '../../src/engine/lifecycle';
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

const show = (steps: DueStep[]) => steps.map((s) => [s.kind, s.grantId, s.at.toISOString()]);
const showBooked = (bookings: DueBooking[]) =>
  bookings.map((b) => [
    b.kind,
    b.grantId,
    b.amount.toFixed(),
    b.allocations.map((a) => `${a.grantId ?? 'debt'} ${a.amount.toFixed()}`).join(', '),
  ]);
/** A ledger whose balance agrees with its grants and debt: Σ remaining of funded live grants − debt. */
const ledgerOf = (grants: LedgerGrant[], debt = '0') => ({
  balance: onLedger(grants).minus(debt),
  debt: new Dec(debt),
  grants,
});
const onLedger = (gs: readonly LedgerGrant[]) =>
  sum(gs.filter((g) => g.fundedAt && !g.voidedAt && !g.expiredAt).map((g) => g.remaining));

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
    // its window passed unbooked: funded at effectiveAt, then expired (dueSteps books both)
    ['unfunded, expiry now (exclusive)', { ...unfunded, expiresAt: at(100) }, true, 'EXPIRED'],
    [
      'unfunded invoice grant past expiry, never paid',
      { ...unfunded, expiresAt: at(50), fundingMethod: 'INVOICE', paymentStatus: 'PENDING' },
      false,
      'EXPIRED',
    ],
    ['unfunded, expiry booked', { ...unfunded, expiresAt: at(50), expiredAt: at(50) }, false, 'EXPIRED'],
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
      ['EXPIRE', 'empty', at(5).toISOString()],
      ['EXPIRE', 'early', at(10).toISOString()],
      ['EXPIRE', 'late', at(20).toISOString()],
      ['EXPIRE', 'exact', at(30).toISOString()],
    ]);
    const due = applyDue(ledgerOf(grants), at(30));
    expect(showBooked(due.bookings)).toEqual([
      ['EXPIRE', 'empty', '0', ''],
      ['EXPIRE', 'early', '-7', 'early -7'],
      ['EXPIRE', 'late', '-5', 'late -5'],
      ['EXPIRE', 'exact', '-2', 'exact -2'],
    ]);
    expect(ledgerOf(grants).balance.minus(due.balance).toFixed()).toBe('14');
  });

  it('funds due grants at their effective instant; an unpaid grant past expiry expires with nothing', () => {
    const grants = [
      grant('f2', { fundedAt: null, remaining: '0', effectiveAt: at(20), amount: '4' }),
      grant('f1', { fundedAt: null, remaining: '0', effectiveAt: at(10), amount: '3' }),
      grant('lapsed', {
        fundedAt: null,
        remaining: '0',
        fundingMethod: 'INVOICE',
        paymentStatus: 'AUTHORIZED',
        effectiveAt: at(1),
        expiresAt: at(15),
        amount: '9',
      }),
      grant('unpaid', { fundedAt: null, remaining: '0', fundingMethod: 'INVOICE', paymentStatus: 'PENDING' }),
      grant('x', { expiresAt: at(10), remaining: '1' }),
    ];
    expect(show(dueSteps(grants, at(30)))).toEqual([
      ['FUND', 'f1', at(10).toISOString()],
      ['EXPIRE', 'x', at(10).toISOString()],
      ['EXPIRE', 'lapsed', at(15).toISOString()],
      ['FUND', 'f2', at(20).toISOString()],
    ]);
    const due = applyDue(ledgerOf(grants), at(30));
    expect(showBooked(due.bookings)).toEqual([
      ['FUND', 'f1', '3', 'f1 3'],
      ['EXPIRE', 'x', '-1', 'x -1'],
      ['EXPIRE', 'lapsed', '0', ''],
      ['FUND', 'f2', '4', 'f2 4'],
    ]);
    expect(due.balance.minus(ledgerOf(grants).balance).toFixed()).toBe('6');
    expect(upcomingCredit(grants, at(30)).toFixed()).toBe('10');
  });

  it('a grant whose whole window passed unbooked is funded at effectiveAt, repaying debt, then expired', () => {
    // SPEC §6 with punctual jobs: debt 12.00, a 20.00 grant effective at 5 and expiring at 10, read at 17
    const lapsed = grant('lapsed', {
      fundedAt: null,
      remaining: '0',
      effectiveAt: at(5),
      expiresAt: at(10),
      amount: '20',
    });
    expect(show(dueSteps([lapsed], at(17)))).toEqual([
      ['FUND', 'lapsed', at(5).toISOString()],
      ['EXPIRE', 'lapsed', at(10).toISOString()],
    ]);
    const due = applyDue(ledgerOf([lapsed], '12'), at(17));
    expect(showBooked(due.bookings)).toEqual([
      ['FUND', 'lapsed', '20', 'lapsed 8, debt 12'],
      ['EXPIRE', 'lapsed', '-8', 'lapsed -8'],
    ]);
    expect([due.balance.toFixed(), due.debt.toFixed()]).toEqual(['0', '0']);
    // read within its window: funded, 8 left after repaying the debt
    const during = applyDue(ledgerOf([lapsed], '12'), at(7));
    expect(during.grants[0]!.remaining.toFixed()).toBe('8');
    expect(grantStatus(during.grants[0]!, at(7))).toBe('ACTIVE');
    expect(during.balance.toFixed()).toBe('8');
  });

  it('due fundings repay debt in booking order: the earlier funding first', () => {
    const grants = [
      grant('late', { fundedAt: null, remaining: '0', effectiveAt: at(8), amount: '5' }),
      grant('early', { fundedAt: null, remaining: '0', effectiveAt: at(3), amount: '4' }),
    ];
    const due = applyDue(ledgerOf(grants, '6'), at(9));
    expect(showBooked(due.bookings)).toEqual([
      ['FUND', 'early', '4', 'debt 4'],
      ['FUND', 'late', '5', 'late 3, debt 2'],
    ]);
    expect(due.grants.map((g) => [g.id, g.remaining.toFixed(), grantStatus(g, at(9))])).toEqual([
      ['late', '3', 'ACTIVE'],
      ['early', '0', 'DEPLETED'],
    ]);
    expect(fundingOf(grants[0]!, new Dec('6')).allocations.map((a) => a.amount.toFixed())).toEqual(['5']);
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

/**
 * Applies booked due steps as LedgerTx.book does, independently of applyDue: allocations move grant
 * remainders (a null grant moves the debt), a funding marks the grant funded, an expiry marks it expired.
 */
function book(
  ledger: { balance: Dec; debt: Dec; grants: LedgerGrant[] },
  bookings: DueBooking[],
): { balance: Dec; debt: Dec; grants: LedgerGrant[] } {
  const byId = new Map(ledger.grants.map((g) => [g.id, { ...g }]));
  let { balance, debt } = ledger;
  for (const b of bookings) {
    expect(sum(b.allocations.map((a) => a.amount)).eq(b.amount)).toBe(true);
    for (const a of b.allocations) {
      if (a.grantId === null) debt = debt.minus(a.amount);
      else byId.get(a.grantId)!.remaining = byId.get(a.grantId)!.remaining.plus(a.amount);
    }
    balance = balance.plus(b.amount);
    const g = byId.get(b.grantId)!;
    if (b.kind === 'FUND') g.fundedAt = b.at;
    else g.expiredAt = b.at;
  }
  return { balance, debt, grants: ledger.grants.map((g) => byId.get(g.id)!) };
}

const debtArb = dec({ scale: 2, min: 0n, max: 200_000n });

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
      fc.property(ledgerArb, debtArb, asOfArb, (grants, debt, asOf) => {
        const before = ledgerOf(grants, debt.toFixed());
        const due = applyDue(before, asOf);
        const after = book(before, due.bookings);
        // the independent booking agrees with applyDue's result
        expect(after.balance.eq(due.balance) && after.debt.eq(due.debt)).toBe(true);
        expect(after.grants.map((g) => [g.id, g.remaining.toFixed(), g.fundedAt, g.expiredAt])).toEqual(
          due.grants.map((g) => [g.id, g.remaining.toFixed(), g.fundedAt, g.expiredAt]),
        );
        expect(applyDue(after, asOf).bookings).toEqual([]);
        // a grant's status does not depend on whether its due work is booked, except that a funding
        // which repays debt with all it brings leaves the grant DEPLETED (reads show that too: grantsAt)
        const repaidAll = new Set(
          due.bookings.filter((b) => b.kind === 'FUND' && b.allocations.every((a) => a.grantId === null)),
        );
        expect(after.grants.map((g) => grantStatus(g, asOf))).toEqual(
          grants.map((g) =>
            [...repaidAll].some((b) => b.grantId === g.id && grantStatus(g, asOf) === 'ACTIVE')
              ? 'DEPLETED'
              : grantStatus(g, asOf),
          ),
        );
        expect(upcomingCredit(after.grants, asOf).eq(upcomingCredit(grants, asOf))).toBe(true);
        // SPEC §6: the balance is still Σ remaining of available grants − debt; no grant leaves its bounds
        expect(after.balance.eq(onLedger(after.grants).minus(after.debt))).toBe(true);
        expect(after.debt.gte(0)).toBe(true);
        for (const g of after.grants) expect(g.remaining.gte(0) && g.remaining.lte(g.amount)).toBe(true);
      }),
    );
  });

  it('fundable grants are exactly the FUND steps; a grant is funded and expired at most once each, in that order', () => {
    fc.assert(
      fc.property(ledgerArb, asOfArb, (grants, asOf) => {
        const steps = dueSteps(grants, asOf);
        const keys = steps.map((s) => `${s.kind} ${s.grantId}`);
        expect(new Set(keys).size).toBe(keys.length);
        for (const s of steps.filter((x) => x.kind === 'EXPIRE')) {
          const fund = steps.findIndex((x) => x.kind === 'FUND' && x.grantId === s.grantId);
          expect(fund).toBeLessThan(steps.indexOf(s));
        }
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
