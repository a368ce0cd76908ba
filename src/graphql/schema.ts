import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { CurrencyResolver, FeatureResolver, PlanResolver, RateCardResolver } from './resolvers/catalog';
import { CustomerResolver, SubscriptionResolver } from './resolvers/customers';
import { NodeResolver } from './resolvers/node';
import {
  CreditGrantResolver,
  CreditMovementResolver,
  CustomerLedgerResolver,
  GrantAllocationResolver,
  InvoiceResolver,
  LedgerMutationResolver,
  LedgerQueryResolver,
} from './resolvers/ledger';
import { DateTimeScalar } from './scalars';
import { guardArgumentText } from './guards';
import { ChargeResolver, MovementChargeResolver, SettleChargesResultResolver } from './resolvers/usage';
import { LiveResolver } from './resolvers/live';
import { ReconcileResolver } from './resolvers/reconcile';
import {
  CreditHoldResolver,
  CustomerHoldsResolver,
  HoldsMutationResolver,
  HoldsQueryResolver,
} from './resolvers/holds';
import { WebhookDeliveryResolver, WebhookEndpointResolver } from './resolvers/webhooks';
import { ProgramMutationResolver, SubscriptionCreditResolver } from './resolvers/programs';
import { CustomerTopUpResolver, TopUpMutationResolver } from './resolvers/top-ups';

export const resolvers = [
  NodeResolver,
  CurrencyResolver,
  FeatureResolver,
  PlanResolver,
  RateCardResolver,
  CustomerResolver,
  SubscriptionResolver,
  LedgerQueryResolver,
  LedgerMutationResolver,
  CustomerLedgerResolver,
  CreditGrantResolver,
  CreditMovementResolver,
  GrantAllocationResolver,
  InvoiceResolver,
  ChargeResolver,
  MovementChargeResolver,
  SettleChargesResultResolver,
  LiveResolver,
  ReconcileResolver,
  HoldsQueryResolver,
  HoldsMutationResolver,
  CustomerHoldsResolver,
  CreditHoldResolver,
  WebhookEndpointResolver,
  WebhookDeliveryResolver,
  ProgramMutationResolver,
  SubscriptionCreditResolver,
  TopUpMutationResolver,
  CustomerTopUpResolver,
] as const;

let cached: GraphQLSchema | undefined;

/** The executable schema, built once per process from the resolver classes. */
export async function createSchema(): Promise<GraphQLSchema> {
  cached ??= await buildSchema({
    resolvers,
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    validate: false,
    emitSchemaFile: false,
    // subscriptions bring their own AsyncIterables (events/feeds); type-graphql still asks for a PubSub
    pubSub: {
      publish: () => undefined,
      subscribe: () => {
        throw new Error('topic subscriptions are not used');
      },
    },
  });
  return guardArgumentText(cached);
}
