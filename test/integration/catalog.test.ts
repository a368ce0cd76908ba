import { describe, expect, it } from 'vitest';
import {
  ArchivePlanDocument,
  CreateCurrencyDocument,
  CreateFeatureDocument,
  CreatePlanDocument,
  CurrenciesDocument,
  FeaturesDocument,
  NodeDocument,
  PlanDocument,
  PlansDocument,
  PublishPlanDocument,
} from '../gql/graphql';
import { codeOf, uniq, uniqCode, useTestApp } from '../support/app';

const t = useTestApp();

describe('currencies', () => {
  it('creates fiat currencies with ISO minor units and custom currencies with a fiat value', async () => {
    const usd = await t.gql(CreateCurrencyDocument, { input: { code: 'JPY', name: 'Yen' } });
    // JPY may exist from another file in the same database; both outcomes are defined
    if (usd.errors) expect(codeOf(usd)).toBe('CONFLICT');
    else
      expect(usd.data!.createCurrency).toMatchObject({
        code: 'JPY',
        scale: 0,
        custom: false,
        fiatCode: null,
      });

    const code = uniqCode('AIT');
    const ait = await t.ok(CreateCurrencyDocument, {
      input: { code, name: 'AI Tokens', fiatCode: 'USD', fiatValue: '0.04' },
    });
    expect(ait.createCurrency).toMatchObject({
      code,
      scale: 6,
      custom: true,
      fiatCode: 'USD',
      fiatValue: '0.04',
    });

    const list = await t.ok(CurrenciesDocument);
    expect(list.currencies.map((c) => c.code)).toContain(code);

    const node = await t.ok(NodeDocument, { id: ait.createCurrency.id });
    expect(node.node).toMatchObject({ __typename: 'Currency', code });
  });

  it('rejects duplicates, bad codes and half-given fiat values without creating anything', async () => {
    const code = uniqCode('DUP');
    await t.ok(CreateCurrencyDocument, { input: { code, name: 'Dup', scale: 3 } });
    expect(codeOf(await t.gql(CreateCurrencyDocument, { input: { code, name: 'Dup' } }))).toBe('CONFLICT');
    expect(codeOf(await t.gql(CreateCurrencyDocument, { input: { code: 'usd', name: 'x' } }))).toBe(
      'BAD_USER_INPUT',
    );
    const half = uniqCode('HLF');
    const res = await t.gql(CreateCurrencyDocument, { input: { code: half, name: 'x', fiatCode: 'USD' } });
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    const list = await t.ok(CurrenciesDocument);
    expect(list.currencies.map((c) => c.code)).not.toContain(half);
    expect(
      codeOf(await t.gql(CreateCurrencyDocument, { input: { code: uniqCode('S'), name: 'x', scale: 19 } })),
    ).toBe('BAD_USER_INPUT');
  });
});

describe('features', () => {
  it('creates features and rejects a duplicate key', async () => {
    const key = uniq('feat');
    const f = await t.ok(CreateFeatureDocument, {
      input: { key, name: 'API requests', unit: 'request', eventType: 'api_request', aggregation: 'COUNT' },
    });
    expect(f.createFeature).toMatchObject({
      key,
      unit: 'request',
      eventType: 'api_request',
      aggregation: 'COUNT',
    });
    const dup = await t.gql(CreateFeatureDocument, {
      input: { key, name: 'again', eventType: 'x', aggregation: 'SUM' },
    });
    expect(codeOf(dup)).toBe('CONFLICT');
    expect((await t.ok(FeaturesDocument)).features.map((x) => x.key)).toContain(key);
  });
});

describe('plans', () => {
  async function setup() {
    const currency = uniqCode('P');
    await t.ok(CreateCurrencyDocument, { input: { code: currency, name: 'Plan currency', scale: 2 } });
    const a = uniq('fa');
    const b = uniq('fb');
    await t.ok(CreateFeatureDocument, { input: { key: a, name: 'A', eventType: a, aggregation: 'SUM' } });
    await t.ok(CreateFeatureDocument, { input: { key: b, name: 'B', eventType: b, aggregation: 'COUNT' } });
    return { currency, a, b };
  }

  it('creates a draft with UNIT, GRADUATED and VOLUME rate cards, publishes, versions and archives', async () => {
    const { currency, a, b } = await setup();
    const key = uniq('plan');
    const created = await t.ok(CreatePlanDocument, {
      input: {
        key,
        name: 'Pro',
        currency,
        settlementMode: 'CREDIT_ONLY',
        rateCards: [
          { featureKey: a, price: { model: 'UNIT', unitAmount: '0.001' } },
          {
            featureKey: b,
            settlementMode: 'CREDIT_THEN_INVOICE',
            price: {
              model: 'GRADUATED',
              tiers: [
                { upTo: '10', unitAmount: '1.00' },
                { unitAmount: '0.50', flatAmount: '2' },
              ],
            },
          },
        ],
      },
    });
    const plan = created.createPlan;
    expect(plan).toMatchObject({
      key,
      version: 1,
      status: 'DRAFT',
      billingCadence: 'P1M',
      settlementMode: 'CREDIT_ONLY',
    });
    expect(plan.currency.code).toBe(currency);
    expect(plan.rateCards.map((r) => [r.feature.key, r.settlementMode, r.price.model])).toEqual([
      [a, 'CREDIT_ONLY', 'UNIT'],
      [b, 'CREDIT_THEN_INVOICE', 'GRADUATED'],
    ]);
    expect(plan.rateCards[0]!.price.unitAmount).toBe('0.001');
    expect(plan.rateCards[1]!.price.tiers).toEqual([
      { upTo: '10', unitAmount: '1', flatAmount: null },
      { upTo: null, unitAmount: '0.5', flatAmount: '2' },
    ]);

    // a second draft of the same key is a conflict while the first is a draft
    const again = await t.gql(CreatePlanDocument, {
      input: { key, name: 'Pro', currency, settlementMode: 'CREDIT_ONLY', rateCards: [] },
    });
    expect(codeOf(again)).toBe('CONFLICT');

    expect((await t.ok(PublishPlanDocument, { id: plan.id })).publishPlan.status).toBe('PUBLISHED');
    expect(codeOf(await t.gql(PublishPlanDocument, { id: uniq('pln') }))).toBe('NOT_FOUND');

    const v2 = await t.ok(CreatePlanDocument, {
      input: {
        key,
        name: 'Pro v2',
        currency,
        settlementMode: 'CREDIT_THEN_INVOICE',
        billingCadence: 'P1W',
        rateCards: [
          {
            featureKey: a,
            price: { model: 'VOLUME', tiers: [{ upTo: '100', unitAmount: '1' }, { unitAmount: '0.5' }] },
          },
        ],
      },
    });
    expect(v2.createPlan).toMatchObject({ version: 2, status: 'DRAFT', billingCadence: 'P1W' });

    // by key: latest published; by key + version: that version
    expect((await t.ok(PlanDocument, { key })).plan).toMatchObject({ version: 1, status: 'PUBLISHED' });
    expect((await t.ok(PlanDocument, { key, version: 2 })).plan).toMatchObject({
      version: 2,
      name: 'Pro v2',
    });
    expect((await t.ok(PlanDocument, { id: plan.id })).plan!.key).toBe(key);

    const archived = await t.ok(ArchivePlanDocument, { id: plan.id });
    expect(archived.archivePlan.status).toBe('ARCHIVED');
    expect(codeOf(await t.gql(PublishPlanDocument, { id: plan.id }))).toBe('INVALID_STATE');
    // archiving an archived plan answers it unchanged
    expect((await t.ok(ArchivePlanDocument, { id: plan.id })).archivePlan.status).toBe('ARCHIVED');

    const node = await t.ok(NodeDocument, { id: v2.createPlan.id });
    expect(node.node).toMatchObject({ __typename: 'Plan', key, version: 2 });
  });

  it('validates prices, features, currency and cadence, reporting every problem at once', async () => {
    const { currency, a } = await setup();
    const base = { key: uniq('bad'), name: 'Bad', currency, settlementMode: 'CREDIT_ONLY' as const };
    const cases = [
      {
        ...base,
        rateCards: [
          { featureKey: a, price: { model: 'GRADUATED' as const, tiers: [{ upTo: '10', unitAmount: '1' }] } },
        ],
      },
      {
        ...base,
        rateCards: [
          {
            featureKey: a,
            price: {
              model: 'VOLUME' as const,
              tiers: [{ upTo: '10', unitAmount: '1' }, { upTo: '5', unitAmount: '1' }, { unitAmount: '1' }],
            },
          },
        ],
      },
      {
        ...base,
        rateCards: [
          {
            featureKey: a,
            price: {
              model: 'GRADUATED' as const,
              tiers: [{ unitAmount: '1' }, { upTo: '5', unitAmount: '1' }],
            },
          },
        ],
      },
      { ...base, rateCards: [{ featureKey: a, price: { model: 'UNIT' as const } }] },
      { ...base, rateCards: [{ featureKey: a, price: { model: 'UNIT' as const, unitAmount: '-1' } }] },
      {
        ...base,
        rateCards: [{ featureKey: 'no-such-feature', price: { model: 'UNIT' as const, unitAmount: '1' } }],
      },
      { ...base, currency: 'NOPE', rateCards: [] },
      { ...base, billingCadence: 'monthly', rateCards: [] },
      {
        ...base,
        rateCards: [
          { featureKey: a, price: { model: 'UNIT' as const, unitAmount: '1' } },
          { featureKey: a, price: { model: 'UNIT' as const, unitAmount: '2' } },
        ],
      },
    ];
    for (const input of cases) {
      const res = await t.gql(CreatePlanDocument, { input });
      expect(codeOf(res), JSON.stringify(input)).toBe('BAD_USER_INPUT');
    }
    const many = await t.gql(CreatePlanDocument, {
      input: {
        ...base,
        currency: 'NOPE',
        billingCadence: 'x',
        rateCards: [{ featureKey: 'zz', price: { model: 'UNIT' } }],
      },
    });
    const problems = many.errors![0]!.extensions!.problems as { field: string }[];
    expect(problems.map((p) => p.field).sort()).toEqual([
      'billingCadence',
      'currency',
      'rateCards[0].featureKey',
      'rateCards[0].price.unitAmount',
    ]);
    expect((await t.ok(PlanDocument, { key: base.key })).plan).toBeNull();
  });

  it('pages plans by status with opaque cursors bound to the filter', async () => {
    const { currency } = await setup();
    for (let i = 0; i < 3; i++) {
      const p = await t.ok(CreatePlanDocument, {
        input: { key: uniq('pg'), name: `P${i}`, currency, settlementMode: 'CREDIT_ONLY', rateCards: [] },
      });
      await t.ok(PublishPlanDocument, { id: p.createPlan.id });
    }
    const first = await t.ok(PlansDocument, { status: ['PUBLISHED'], first: 2 });
    expect(first.plans.edges).toHaveLength(2);
    expect(first.plans.pageInfo.hasNextPage).toBe(true);
    const second = await t.ok(PlansDocument, {
      status: ['PUBLISHED'],
      first: 2,
      after: first.plans.pageInfo.endCursor,
    });
    expect(second.plans.pageInfo.hasPreviousPage).toBe(true);
    const ids = [...first.plans.edges, ...second.plans.edges].map((e) => e.node.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...first.plans.edges, ...second.plans.edges].every((e) => e.node.status === 'PUBLISHED')).toBe(
      true,
    );
    // the same cursor under another filter, or tampered, is rejected
    const foreign = await t.gql(PlansDocument, {
      status: ['DRAFT'],
      first: 2,
      after: first.plans.pageInfo.endCursor,
    });
    expect(codeOf(foreign)).toBe('BAD_USER_INPUT');
    const tampered = first.plans.pageInfo.endCursor!.replace(/^./, (c) => (c === 'e' ? 'f' : 'e'));
    expect(codeOf(await t.gql(PlansDocument, { status: ['PUBLISHED'], after: tampered }))).toBe(
      'BAD_USER_INPUT',
    );
    expect(codeOf(await t.gql(PlansDocument, { first: 101 }))).toBe('BAD_USER_INPUT');
  });
});
