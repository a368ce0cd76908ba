export * from './entities';
export { SubscriptionsService, subscriptionStatus, isActiveAt, billingPeriod } from './service';
export type { CreateSubscriptionInput, SubscriptionStatus } from './service';
