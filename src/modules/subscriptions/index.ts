export * from './entities';
export { SubscriptionsService, subscriptionStatus, isActiveAt, billingPeriod } from './service';
export type { CreateSubscriptionInput, SubscriptionStatus } from './service';
export { subscriptionsOfCustomers } from './reads';
export type { RatingSubscription } from './reads';
