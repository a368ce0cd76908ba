import { describe, expect, it } from 'vitest';
import type { RatingCard } from '../../src/modules/catalog';
import { settlementTermsOf } from '../../src/modules/catalog';
import type { RatingSubscription } from '../../src/modules/subscriptions';
import { eventsToInsert, foldCharges, newUsageCharges } from '../../src/modules/usage/ingest';
import { rate, ratingContext, usageChargeKey, type Rated } from '../../src/modules/usage/rate';
import { RejectionCode, Verdicts } from '../../src/modules/usage/rejections';
import { dedupe, screen, type UsageEventInput } from '../../src/modules/usage/screen';

const now = new Date('2026-03-15T12:00:00.000Z');
const ev = (id: string, extra: Partial<UsageEventInput> = {}): UsageEventInput => ({
  id,
  subject: 'acme',
  type: 'api_request',
  ...extra,
});

describe('screen', () => {
  it('rejects each bad event alone, counts same-content repeats as duplicates, conflicts on other content', () => {
    const v = new Verdicts();
    const kept = screen(
      [
        ev('a'),
        ev(''),
        ev('b', { value: '-1' }),
        ev('c', { value: '1e3' }),
        ev('d', { timestamp: new Date(now.getTime() + 6 * 60_000) }),
        ev('e', { timestamp: new Date(now.getTime() + 4 * 60_000) }),
        ev('a'),
        ev('a', { value: '2' }),
        ev('f', { subject: 'x\u0000y' }),
      ],
      now,
      v,
    );
    expect(kept.map((c) => c.event.id)).toEqual(['a', 'e']);
    expect(kept[0]).toMatchObject({ ts: now });
    expect(kept[0]!.value.toFixed()).toBe('1');
    expect(v.duplicates).toBe(1);
    expect(v.rejected.map((r) => [r.id, r.code])).toEqual([
      ['', 'BAD_ID'],
      ['b', 'BAD_VALUE'],
      ['c', 'BAD_VALUE'],
      ['d', 'BAD_TIMESTAMP'],
      ['a', 'IDEMPOTENCY_CONFLICT'],
      ['f', 'BAD_VALUE'],
    ]);
    expect(v.rejected[4]!.message).toBe('event a was already sent with different content');
  });

  it('every code it can give is a RejectionCode', () => {
    const codes = new Set(Object.values(RejectionCode));
    const v = new Verdicts();
    screen([ev(''), ev('x', { value: 'NaN' })], now, v);
    for (const r of v.rejected) expect(codes.has(r.code)).toBe(true);
  });
});

describe('dedupe', () => {
  it('answers stored ids from what was stored: same hash duplicate, other hash conflict', () => {
    const v = new Verdicts();
    const [a, b, c] = screen([ev('a'), ev('b'), ev('c')], now, v);
    const fresh = dedupe(
      [a!, b!, c!],
      new Map([
        ['a', a!.hash],
        ['b', 'other'],
      ]),
      v,
    );
    expect(fresh.map((x) => x.event.id)).toEqual(['c']);
    expect(v.duplicates).toBe(1);
    expect(v.rejected).toEqual([
      { id: 'b', code: 'IDEMPOTENCY_CONFLICT', message: 'event b was already sent with different content' },
    ]);
  });

  it('a copy of the verdicts does not share later rejections (a retried transaction starts again)', () => {
    const v = new Verdicts();
    v.reject('x', 'BAD_ID', 'id must be 1-200 characters');
    const copy = v.copy();
    copy.periodClosed('y', now);
    expect(v.rejected).toHaveLength(1);
    expect(copy.rejected[1]).toMatchObject({ id: 'y', code: 'PERIOD_CLOSED' });
  });
});

const sub = (
  id: string,
  activeFrom: string,
  activeTo: string | null,
  planId = 'plan_1',
): RatingSubscription => ({
  id,
  customerId: 'cus_1',
  planId,
  activeFrom: new Date(activeFrom),
  activeTo: activeTo === null ? null : new Date(activeTo),
  settlementMode: null,
});
const card = (id: string, planId = 'plan_1', over: Partial<RatingCard> = {}): RatingCard => ({
  id,
  planId,
  featureId: `feat_${id}`,
  featureKey: `key_${id}`,
  eventType: 'api_request',
  aggregation: 'COUNT',
  price: { model: 'UNIT', unitAmount: '0.10' },
  settlementMode: null,
  planSettlementMode: 'CREDIT_ONLY',
  billingCadence: 'P1M',
  currencyId: 'cur_1',
  terms: { fiatCode: 'USD', fiatValue: '1' },
  ...over,
});

describe('rate', () => {
  const ctx = (subs: RatingSubscription[], cards: RatingCard[]) =>
    ratingContext(new Map([['acme', 'cus_1']]), new Set(['api_request']), subs, cards);

  it('gives each event one code when it cannot be rated, in event order', () => {
    const v = new Verdicts();
    const c = screen(
      [
        ev('s', { subject: 'nobody' }),
        ev('t', { type: 'unknown' }),
        ev('u', { timestamp: new Date('2020-01-01T00:00:00Z') }),
      ],
      now,
      v,
    );
    expect(rate(c, ctx([sub('sub_1', '2026-01-01T00:00:00Z', null)], [card('rc_1')]), v)).toEqual([]);
    expect(v.rejected.map((r) => r.code)).toEqual([
      'UNKNOWN_SUBJECT',
      'UNKNOWN_EVENT_TYPE',
      'NO_ACTIVE_SUBSCRIPTION',
    ]);
    const w = new Verdicts();
    expect(rate(screen([ev('n')], now, w), ctx([sub('sub_1', '2026-01-01T00:00:00Z', null)], []), w)).toEqual(
      [],
    );
    expect(w.rejected.map((r) => r.code)).toEqual(['NO_RATE_CARD']);
  });

  it("takes the earliest-started active subscription that prices the type, every card of its plan, the period of the event's time", () => {
    const v = new Verdicts();
    const subs = [
      sub('sub_old', '2025-01-10T00:00:00Z', '2026-02-01T00:00:00Z'),
      sub('sub_noprice', '2026-01-10T00:00:00Z', null, 'plan_empty'),
      sub('sub_1', '2026-02-10T00:00:00Z', null),
      sub('sub_2', '2026-03-01T00:00:00Z', null),
    ];
    const rated = rate(screen([ev('a')], now, v), ctx(subs, [card('rc_1'), card('rc_2')]), v);
    expect(v.rejected).toEqual([]);
    expect(rated.map((r) => [r.subscription.id, r.card.id])).toEqual([
      ['sub_1', 'rc_1'],
      ['sub_1', 'rc_2'],
    ]);
    expect(rated[0]!.periodStart.toISOString()).toBe('2026-03-10T00:00:00.000Z');
    expect(rated[0]!.periodEnd.toISOString()).toBe('2026-04-10T00:00:00.000Z');
    expect(rated[0]!.key).toBe(usageChargeKey('sub_1', 'rc_1', new Date('2026-03-10T00:00:00.000Z')));
  });
});

describe('open charges, insert, fold', () => {
  const ratedOf = (ids: string[], cards = [card('rc_1')], value?: string) => {
    const v = new Verdicts();
    const c = screen(
      ids.map((id) => ev(id, { value })),
      now,
      v,
    );
    return rate(
      c,
      ratingContext(
        new Map([['acme', 'cus_1']]),
        new Set(['api_request']),
        [sub('sub_1', '2026-01-01T00:00:00Z', null)],
        cards,
      ),
      v,
    );
  };

  it('opens one charge per (subscription, rate card, period), with the mode override order and the terms', () => {
    const rated = ratedOf(
      ['a', 'b'],
      [card('rc_1'), card('rc_2', 'plan_1', { settlementMode: 'CREDIT_THEN_INVOICE' })],
    );
    const rows = newUsageCharges(rated);
    expect(rows.map((r) => [r.rateCardId, r.settlementMode])).toEqual([
      ['rc_1', 'CREDIT_ONLY'],
      ['rc_2', 'CREDIT_THEN_INVOICE'],
    ]);
    expect(rows[0]).toMatchObject({
      customerId: 'cus_1',
      currencyId: 'cur_1',
      terms: { fiatCode: 'USD', fiatValue: '1' },
    });
  });

  it('inserts one row per event whose periods are open and refuses the others once (PERIOD_CLOSED)', () => {
    const rated = ratedOf(['a', 'b']);
    const key = rated[0]!.key;
    const v = new Verdicts();
    expect(eventsToInsert(rated, new Map([[key, { id: 'chg_1', status: 'SETTLED' as const }]]), v)).toEqual(
      [],
    );
    expect(v.rejected.map((r) => [r.id, r.code])).toEqual([
      ['a', 'PERIOD_CLOSED'],
      ['b', 'PERIOD_CLOSED'],
    ]);
    const w = new Verdicts();
    const open = eventsToInsert(rated, new Map([[key, { id: 'chg_1', status: 'OPEN' as const }]]), w);
    expect(open.map((r) => r.event.id)).toEqual(['a', 'b']);
    expect(w.rejected).toEqual([]);
  });

  it('folds values into the locked quantity and prices the period total (tiers see the total)', () => {
    const graduated = card('rc_1', 'plan_1', {
      aggregation: 'SUM',
      price: {
        model: 'GRADUATED',
        tiers: [
          { upTo: '10', unitAmount: '1', flatAmount: null },
          { upTo: null, unitAmount: '0.5', flatAmount: null },
        ],
      },
    });
    const rated: Rated[] = ratedOf(['a', 'b'], [graduated], '3');
    expect(
      foldCharges(
        rated,
        () => 'chg_1',
        () => '6',
      ),
    ).toEqual([{ id: 'chg_1', quantity: '12', amount: '11' }]);
    expect(
      foldCharges(
        [],
        () => 'chg_1',
        () => '0',
      ),
    ).toEqual([]);
  });
});

describe('settlementTermsOf', () => {
  it('fixed terms win; then a custom currency converts at its fiat value; any other currency is its own unit', () => {
    const ait = { code: 'AIT', fiatCode: 'EUR', fiatValue: '0.04' };
    expect(settlementTermsOf(ait)).toEqual({ fiatCode: 'EUR', fiatValue: '0.04' });
    expect(settlementTermsOf(ait, { fiatCode: 'EUR', fiatValue: '0.05' })).toEqual({
      fiatCode: 'EUR',
      fiatValue: '0.05',
    });
    // the latent bug: a charge row without terms was invoiced in USD at 1
    expect(settlementTermsOf(ait, { fiatCode: null, fiatValue: null })).toEqual({
      fiatCode: 'EUR',
      fiatValue: '0.04',
    });
    expect(settlementTermsOf({ code: 'JPY', fiatCode: null, fiatValue: null })).toEqual({
      fiatCode: 'JPY',
      fiatValue: '1',
    });
    expect(settlementTermsOf({ code: 'TOK', fiatCode: null, fiatValue: null })).toEqual({
      fiatCode: 'TOK',
      fiatValue: '1',
    });
  });
});
