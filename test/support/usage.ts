import {
  CreateFeatureDocument,
  CreatePlanDocument,
  CreateSubscriptionDocument,
  PublishPlanDocument,
} from '../gql/graphql';
import { uniq, type TestApp } from './app';

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
  const eventType = uniq('ev');
  const featureKey = uniq('f');
  await t.ok(CreateFeatureDocument, {
    input: { key: featureKey, name: 'F', eventType, aggregation: 'COUNT' },
  });
  const plan = await t.ok(CreatePlanDocument, {
    input: {
      key: uniq('p'),
      name: 'P',
      currency,
      settlementMode: 'CREDIT_ONLY',
      rateCards: [{ featureKey, price: { model: 'UNIT', unitAmount } }],
    },
  });
  await t.ok(PublishPlanDocument, { id: plan.createPlan.id });
  await t.ok(CreateSubscriptionDocument, {
    input: {
      customerId,
      planId: plan.createPlan.id,
      activeFrom: new Date(Date.now() - 60_000).toISOString(),
    },
  });
  return { eventType };
}
