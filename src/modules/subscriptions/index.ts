export * from './entities';
export {
  SubscriptionsService,
  SubscriptionStatus,
  subscriptionStatus,
  isActiveAt,
  billingPeriod,
} from './service';
export type { CreateSubscriptionInput } from './service';
export { subscriptionsOfCustomers } from './reads';
export type { RatingSubscription } from './reads';
export { creditPriceOf, creditPriceFor } from './credit-price';
export type { CreditPrice as SubscriptionCreditPrice } from './credit-price';
