import { Field, ID, InputType, Int } from 'type-graphql';
import { DecimalScalar } from '../scalars';
import { FundingMethod } from './ledger';

// SPEC §14 inputs that take a funding method (apart from the catalog shapes, which the ledger types import)

@InputType('IncludedCreditsInput')
export class IncludedCreditsInput {
  @Field(() => DecimalScalar) amount!: string;
  @Field(() => FundingMethod, { description: "PROMOTIONAL, or INVOICE at the subscription's credit price." })
  fundingMethod!: FundingMethod;
  @Field(() => Int, { nullable: true }) priority?: number | null;
  @Field(() => String, {
    nullable: true,
    description: 'ISO-8601 duration from the subscription start; null: never expires.',
  })
  expiresAfter?: string | null;
}

@InputType('PurchaseCreditsInput')
export class PurchaseCreditsInput {
  @Field(() => ID) customerId!: string;
  @Field(() => String, {
    nullable: true,
    description: "Default: the currency of the customer's active subscription's plan.",
  })
  currency?: string | null;
  @Field(() => DecimalScalar) amount!: string;
  @Field() idempotencyKey!: string;
}
