import { Field, ID, InputType, ObjectType } from 'type-graphql';
import type { CustomerEntity } from '../../modules/customers';
import type { SubscriptionEntity } from '../../modules/subscriptions';
import { DecimalScalar, JSONObjectScalar } from '../scalars';
import { IncludedCreditsInput } from './purchases';
import { Node, SettlementMode, connectionType } from './common';

@ObjectType('Customer', { implements: Node })
export class CustomerType extends Node {
  @Field({ description: "The vendor's own id for this customer; unique." }) key!: string;
  @Field() name!: string;
  @Field(() => String, { nullable: true }) email!: string | null;
  @Field(() => JSONObjectScalar, { nullable: true }) metadata!: Record<string, unknown> | null;
  @Field() createdAt!: Date;
}

export function toCustomer(e: CustomerEntity): CustomerType {
  return Object.assign(new CustomerType(), {
    id: e.id,
    key: e.key,
    name: e.name,
    email: e.email,
    metadata: e.metadata,
    createdAt: e.createdAt,
  });
}

export const CustomerConnection = connectionType('Customer', CustomerType);

@ObjectType('PlanSubscription', { implements: Node })
export class PlanSubscriptionType extends Node {
  customerId!: string;
  planId!: string;
  entity!: SubscriptionEntity;
  @Field() activeFrom!: Date;
  @Field(() => Date, { nullable: true }) activeTo!: Date | null;
  @Field(() => Date, { nullable: true }) canceledAt!: Date | null;
  @Field(() => SettlementMode, {
    nullable: true,
    description: 'The override set on this subscription, if any.',
  })
  settlementModeOverride!: SettlementMode | null;
}

export function toSubscription(e: SubscriptionEntity): PlanSubscriptionType {
  return Object.assign(new PlanSubscriptionType(), {
    id: e.id,
    customerId: e.customerId,
    planId: e.planId,
    entity: e,
    activeFrom: e.activeFrom,
    activeTo: e.activeTo,
    canceledAt: e.canceledAt,
    settlementModeOverride: e.settlementMode,
  });
}

@ObjectType('BillingPeriod')
export class BillingPeriodType {
  @Field() start!: Date;
  @Field() end!: Date;
}

@InputType('CreateCustomerInput')
export class CreateCustomerInput {
  @Field() key!: string;
  @Field() name!: string;
  @Field(() => String, { nullable: true }) email?: string | null;
  @Field(() => [String], { nullable: true }) subjectKeys?: string[] | null;
  @Field(() => JSONObjectScalar, { nullable: true }) metadata?: Record<string, unknown> | null;
}

@InputType('UpdateCustomerInput')
export class UpdateCustomerInput {
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => String, { nullable: true }) email?: string | null;
  @Field(() => [String], {
    nullable: true,
    description: 'Replaces the subject keys; the customer key always stays one.',
  })
  subjectKeys?: string[] | null;
  @Field(() => JSONObjectScalar, { nullable: true, description: 'Replaces the metadata; null clears it.' })
  metadata?: Record<string, unknown> | null;
}

@InputType('CreateSubscriptionInput')
export class CreateSubscriptionInput {
  @Field(() => ID) customerId!: string;
  @Field(() => ID) planId!: string;
  @Field(() => Date, { nullable: true }) activeFrom?: Date | null;
  @Field(() => SettlementMode, { nullable: true }) settlementMode?: SettlementMode | null;
  @Field(() => DecimalScalar, {
    nullable: true,
    description:
      "Negotiated price of one credit, in the plan's purchase currency; needs a plan with creditPurchase.",
  })
  creditUnitPrice?: string | null;
  @Field(() => IncludedCreditsInput, { nullable: true }) includedCredits?: IncludedCreditsInput | null;
}

@ObjectType('CustomerToken')
export class CustomerTokenType {
  @Field() token!: string;
  @Field() expiresAt!: Date;
}
