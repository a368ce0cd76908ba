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
