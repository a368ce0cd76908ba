import {
  AdjustCreditsDocument,
  ChargesDocument,
  CreateCreditGrantDocument,
  CreateCurrencyDocument,
  CreateCustomerDocument,
  CreateFeatureDocument,
  CreatePlanDocument,
  CreateSubscriptionDocument,
  CreditBalancesDocument,
  CreditTransactionsDocument,
  PublishPlanDocument,
  type CreateCreditGrantInput,
  type CreateCurrencyInput,
  type PriceInput,
  type SettlementMode,
} from '../gql/graphql';
import { uniq, uniqCode, type TestApp } from './app';

/**
 * Builders shared by the integration tests: each creates what a scenario starts from through the API (as a
 * client would) with unique keys, so test files sharing one database never collide.
 */

type CurrencyOptions = Partial<Omit<CreateCurrencyInput, 'code'>> & {
  /** The first letters of the generated currency code. */
  prefix?: string;
};

/** A new currency; returns its code. */
export async function newCurrency(t: TestApp, opts: CurrencyOptions = {}): Promise<string> {
  const { prefix = 'C', name = 'Test currency', ...rest } = opts;
  const code = uniqCode(prefix);
  await t.ok(CreateCurrencyDocument, { input: { code, name, ...rest } });
  return code;
}

/** A new customer; `key` is also usable as a usage subject when `subjectKeys` is not given. */
export async function newCustomer(
  t: TestApp,
  opts: { keyPrefix?: string; name?: string; subjectKeys?: string[] } = {},
): Promise<{ customerId: string; key: string }> {
  const c = await t.ok(CreateCustomerDocument, {
    input: {
      key: uniq(opts.keyPrefix ?? 'cus'),
      name: opts.name ?? 'Test customer',
      ...(opts.subjectKeys ? { subjectKeys: opts.subjectKeys } : {}),
    },
  });
  return { customerId: c.createCustomer.id, key: c.createCustomer.key };
}

/** A new currency (scale 2 unless given) and a new customer: the start of most ledger scenarios. */
export async function currencyAndCustomer(
  t: TestApp,
  opts: CurrencyOptions & { keyPrefix?: string; customerName?: string } = {},
): Promise<{ currency: string; customerId: string; key: string }> {
  const { keyPrefix, customerName, ...currency } = opts;
  const code = await newCurrency(t, { scale: 2, ...currency });
  const c = await newCustomer(t, { keyPrefix, name: customerName });
  return { currency: code, ...c };
}

/** Grants `amount` (PROMOTIONAL unless given otherwise); returns the grant. */
export async function grantCredits(
  t: TestApp,
  customerId: string,
  currency: string,
  amount: string,
  extra: Partial<Omit<CreateCreditGrantInput, 'customerId' | 'currency' | 'amount'>> = {},
) {
  const g = await t.ok(CreateCreditGrantDocument, {
    input: { customerId, currency, amount, fundingMethod: 'PROMOTIONAL', ...extra },
  });
  return g.createCreditGrant;
}

/** Adjusts the balance by `amount` (negative draws credit down). */
export async function adjustCredits(
  t: TestApp,
  customerId: string,
  currency: string,
  amount: string,
  reason = 'test adjustment',
) {
  return (await t.ok(AdjustCreditsDocument, { input: { customerId, currency, amount, reason } }))
    .adjustCredits;
}

/** The customer's balance in one currency; undefined while it has no ledger there. */
export async function balanceOf(t: TestApp, customerId: string, currency: string) {
  return (await t.ok(CreditBalancesDocument, { customerId, currency })).creditBalances[0];
}

/** The customer's balance in one currency, which must exist. */
export async function requireBalance(t: TestApp, customerId: string, currency: string) {
  const b = await balanceOf(t, customerId, currency);
  if (!b) throw new Error(`${customerId} has no ${currency} balance`);
  return b;
}

/** The customer's movements, newest first (at most 100). */
export async function historyOf(t: TestApp, customerId: string, currency?: string) {
  const h = await t.ok(CreditTransactionsDocument, { customerId, currency, first: 100 });
  return h.creditTransactions.edges.map((e) => e.node);
}

/** The customer's charges, newest first. */
export async function chargesOf(t: TestApp, customerId: string) {
  return (await t.ok(ChargesDocument, { customerId })).charges.edges.map((e) => e.node);
}

/**
 * A counted feature priced at `unitAmount` per event in a published CREDIT_ONLY plan, and a subscription
 * of `customerId` to it that started a minute ago. Returns the event type to send usage with.
 */
export async function subscribeToUnitPlan(
  t: TestApp,
  customerId: string,
  currency: string,
  unitAmount: string,
): Promise<{ eventType: string }> {
  const { eventType, planId } = await publishedUsagePlan(t, currency, {
    price: { model: 'UNIT', unitAmount },
    featureName: 'F',
    planName: 'P',
    keys: { event: 'ev', feature: 'f', plan: 'p' },
  });
  await t.ok(CreateSubscriptionDocument, {
    input: { customerId, planId, activeFrom: new Date(Date.now() - 60_000).toISOString() },
  });
  return { eventType };
}

export interface UsagePlanOptions {
  price: PriceInput;
  mode?: SettlementMode;
  aggregation?: 'SUM' | 'COUNT' | 'MAX';
  cadence?: string;
  featureName?: string;
  planName?: string;
  /** Prefixes of the generated event type, feature key and plan key. */
  keys?: { event: string; feature: string; plan: string };
}

/** One feature with one rate card in a published plan of `currency` (CREDIT_ONLY, COUNT unless given). */
export async function publishedUsagePlan(
  t: TestApp,
  currency: string,
  opts: UsagePlanOptions,
): Promise<{ eventType: string; featureKey: string; planId: string }> {
  const keys = opts.keys ?? { event: 'api_request', feature: 'api_requests', plan: 'plan' };
  const eventType = uniq(keys.event);
  const featureKey = uniq(keys.feature);
  await t.ok(CreateFeatureDocument, {
    input: {
      key: featureKey,
      name: opts.featureName ?? 'API requests',
      eventType,
      aggregation: opts.aggregation ?? 'COUNT',
    },
  });
  const plan = await t.ok(CreatePlanDocument, {
    input: {
      key: uniq(keys.plan),
      name: opts.planName ?? 'Usage plan',
      currency,
      settlementMode: opts.mode ?? 'CREDIT_ONLY',
      billingCadence: opts.cadence,
      rateCards: [{ featureKey, price: opts.price }],
    },
  });
  await t.ok(PublishPlanDocument, { id: plan.createPlan.id });
  return { eventType, featureKey, planId: plan.createPlan.id };
}
