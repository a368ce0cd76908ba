import type { EntityManager } from '@mikro-orm/postgresql';
import { PlanEntity } from '../catalog';
import { SubscriptionEntity } from './entities';

/** The price of one credit bought under a subscription (SPEC §14). */
export interface CreditPrice {
  subscriptionId: string;
  planId: string;
  /** The fiat currency of the price: the plan's purchase currency. */
  currency: string;
  unitPrice: string;
  /** The plan's bounds on one purchase, in credits; null: no bound. */
  minAmount: string | null;
  maxAmount: string | null;
}

/**
 * The one credit-price rule: the subscription's own `creditUnitPrice`, else its plan's, in the plan's
 * purchase currency; null when the plan sells no credits (an override exists only on such a plan).
 */
export function creditPriceOf(sub: SubscriptionEntity, plan: PlanEntity): CreditPrice | null {
  if (plan.creditPurchaseCurrency === null || plan.creditUnitPrice === null) return null;
  return {
    subscriptionId: sub.id,
    planId: plan.id,
    currency: plan.creditPurchaseCurrency,
    unitPrice: sub.creditUnitPrice ?? plan.creditUnitPrice,
    minAmount: plan.creditMinAmount,
    maxAmount: plan.creditMaxAmount,
  };
}

/**
 * The credit price a customer buys `currencyId` credits at, at `at` (purchaseCredits and auto top-ups): that
 * of its subscription active at `at`, to a plan in that currency with a credit price, that started first
 * (ties: the lower id). Null when there is none.
 */
export async function creditPriceFor(
  em: EntityManager,
  customerId: string,
  currencyId: string,
  at: Date,
): Promise<CreditPrice | null> {
  const subs = await em.find(
    SubscriptionEntity,
    { customerId, activeFrom: { $lte: at }, $or: [{ activeTo: null }, { activeTo: { $gt: at } }] },
    { orderBy: { activeFrom: 'asc', id: 'asc' } },
  );
  if (subs.length === 0) return null;
  const plans = await em.find(PlanEntity, {
    id: { $in: [...new Set(subs.map((s) => s.planId))] },
    currencyId,
  });
  const byId = new Map(plans.map((p) => [p.id, p]));
  for (const s of subs) {
    const plan = byId.get(s.planId);
    const price = plan ? creditPriceOf(s, plan) : null;
    if (price) return price;
  }
  return null;
}

/** The currencies of the plans of a customer's subscriptions active at `at`, earliest started first. */
export async function activePlanCurrencies(
  em: EntityManager,
  customerId: string,
  at: Date,
): Promise<string[]> {
  const subs = await em.find(
    SubscriptionEntity,
    { customerId, activeFrom: { $lte: at }, $or: [{ activeTo: null }, { activeTo: { $gt: at } }] },
    { orderBy: { activeFrom: 'asc', id: 'asc' } },
  );
  const plans = await em.find(PlanEntity, { id: { $in: [...new Set(subs.map((s) => s.planId))] } });
  const byId = new Map(plans.map((p) => [p.id, p]));
  return [...new Set(subs.map((s) => byId.get(s.planId)?.currencyId).filter((c): c is string => !!c))];
}
