import { Field, InputType, Int, ObjectType } from 'type-graphql';
import type { CreditAllocationEntity, CurrencyEntity, PlanEntity } from '../../modules/catalog';
import { Dec, formatDecimal } from '../../money';
import { DecimalScalar } from '../scalars';

// SPEC §14 catalog shapes: a plan's recurring allocations and its credit purchase rules

@ObjectType('CreditAllocation', {
  description:
    'Credits granted to every active subscription of the plan at the start of each cadence period.',
})
export class CreditAllocationType {
  @Field(() => DecimalScalar) amount!: string;
  @Field({ description: 'ISO-8601 duration (P1M, P3M, P1Y, P1W, P1D; PT… for short test cadences).' })
  cadence!: string;
  @Field(() => Int) priority!: number;
  @Field(() => String, {
    nullable: true,
    description:
      "How long each period's grant lasts from the period start; null means until the period ends.",
  })
  expiresAfter!: string | null;
  @Field(() => DecimalScalar, {
    nullable: true,
    description: 'At most this much unused credit rolls into the next period (null: nothing rolls over).',
  })
  rolloverCap!: string | null;
}

export function toCreditAllocation(
  a: CreditAllocationEntity,
  currency: CurrencyEntity,
): CreditAllocationType {
  return {
    amount: formatDecimal(new Dec(a.amount), currency.scale),
    cadence: a.cadence,
    priority: a.priority,
    expiresAfter: a.expiresAfter,
    rolloverCap: a.rolloverCap === null ? null : formatDecimal(new Dec(a.rolloverCap), currency.scale),
  };
}

@ObjectType('CreditPurchaseRules', {
  description: 'What one credit costs when it is bought, and how much may be bought at once.',
})
export class CreditPurchaseRulesType {
  @Field({ description: 'Fiat currency of the price.' }) currency!: string;
  @Field(() => DecimalScalar) unitPrice!: string;
  @Field(() => DecimalScalar, { nullable: true }) minAmount!: string | null;
  @Field(() => DecimalScalar, { nullable: true }) maxAmount!: string | null;
}

export function toCreditPurchase(p: PlanEntity, currency: CurrencyEntity): CreditPurchaseRulesType | null {
  if (p.creditPurchaseCurrency === null || p.creditUnitPrice === null) return null;
  const credits = (v: string | null) => (v === null ? null : formatDecimal(new Dec(v), currency.scale));
  return {
    currency: p.creditPurchaseCurrency,
    unitPrice: new Dec(p.creditUnitPrice).toFixed(),
    minAmount: credits(p.creditMinAmount),
    maxAmount: credits(p.creditMaxAmount),
  };
}

@InputType('CreditAllocationInput')
export class CreditAllocationInput {
  @Field(() => DecimalScalar) amount!: string;
  @Field(() => String, {
    nullable: true,
    description: "ISO-8601 duration; default the plan's billingCadence.",
  })
  cadence?: string | null;
  @Field(() => Int, { nullable: true }) priority?: number | null;
  @Field(() => String, { nullable: true }) expiresAfter?: string | null;
  @Field(() => DecimalScalar, { nullable: true }) rolloverCap?: string | null;
}

@InputType('CreditPurchaseRulesInput')
export class CreditPurchaseRulesInput {
  @Field() currency!: string;
  @Field(() => DecimalScalar) unitPrice!: string;
  @Field(() => DecimalScalar, { nullable: true }) minAmount?: string | null;
  @Field(() => DecimalScalar, { nullable: true }) maxAmount?: string | null;
}
