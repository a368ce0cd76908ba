import { Field, InputType, Int, ObjectType } from 'type-graphql';
import type {
  CurrencyEntity,
  FeatureEntity,
  PlanEntity,
  RateCardEntity,
  StoredPrice,
} from '../../modules/catalog';
import { DecimalScalar } from '../scalars';
import { Aggregation, Node, PlanStatus, PriceModel, SettlementMode, connectionType } from './common';
import { CreditAllocationInput, CreditPurchaseRulesInput } from './programs';

@ObjectType('Currency', { implements: Node })
export class CurrencyType extends Node {
  @Field() code!: string;
  @Field() name!: string;
  @Field(() => Int, { description: 'Decimal places kept on the ledger for this currency.' }) scale!: number;
  @Field({ description: 'true for a custom credit currency, false for fiat.' }) custom!: boolean;
  @Field(() => String, { nullable: true }) fiatCode!: string | null;
  @Field(() => DecimalScalar, { nullable: true, description: 'Value of one unit in fiatCode.' })
  fiatValue!: string | null;
}

export function toCurrency(e: CurrencyEntity): CurrencyType {
  return Object.assign(new CurrencyType(), {
    id: e.id,
    code: e.code,
    name: e.name,
    scale: e.scale,
    custom: e.custom,
    fiatCode: e.fiatCode,
    fiatValue: e.fiatValue,
  });
}

@ObjectType('Feature', { implements: Node })
export class FeatureType extends Node {
  @Field() key!: string;
  @Field() name!: string;
  @Field(() => String, { nullable: true }) unit!: string | null;
  @Field({ description: 'The usage event type this feature counts.' }) eventType!: string;
  @Field(() => Aggregation) aggregation!: Aggregation;
}

export function toFeature(e: FeatureEntity): FeatureType {
  return Object.assign(new FeatureType(), {
    id: e.id,
    key: e.key,
    name: e.name,
    unit: e.unit,
    eventType: e.eventType,
    aggregation: e.aggregation,
  });
}

@ObjectType('PriceTier')
export class PriceTierType {
  @Field(() => DecimalScalar, {
    nullable: true,
    description: 'Inclusive upper bound; null for the last, open tier.',
  })
  upTo!: string | null;
  @Field(() => DecimalScalar) unitAmount!: string;
  @Field(() => DecimalScalar, { nullable: true }) flatAmount!: string | null;
}

@ObjectType('Price')
export class PriceType {
  @Field(() => PriceModel) model!: PriceModel;
  @Field(() => DecimalScalar, { nullable: true }) unitAmount!: string | null;
  @Field(() => [PriceTierType], { nullable: true }) tiers!: PriceTierType[] | null;
}

export function toPrice(p: StoredPrice): PriceType {
  return {
    model: p.model,
    unitAmount: p.unitAmount ?? null,
    tiers: p.tiers
      ? p.tiers.map((t) => ({ upTo: t.upTo, unitAmount: t.unitAmount, flatAmount: t.flatAmount }))
      : null,
  };
}

@ObjectType('RateCard', { implements: Node })
export class RateCardType extends Node {
  featureId!: string;
  @Field(() => PriceType) price!: PriceType;
  @Field(() => SettlementMode, { description: "The rate card's own mode, else its plan's." })
  settlementMode!: SettlementMode;
  @Field(() => SettlementMode, { nullable: true, description: 'The override set on this rate card, if any.' })
  settlementModeOverride!: SettlementMode | null;
}

export function toRateCard(e: RateCardEntity, plan: { settlementMode: string }): RateCardType {
  return Object.assign(new RateCardType(), {
    id: e.id,
    featureId: e.featureId,
    price: toPrice(e.price),
    settlementMode: e.settlementMode ?? plan.settlementMode,
    settlementModeOverride: e.settlementMode,
  });
}

@ObjectType('Plan', { implements: Node })
export class PlanType extends Node {
  currencyId!: string;
  entity!: PlanEntity;
  @Field() key!: string;
  @Field(() => Int) version!: number;
  @Field() name!: string;
  @Field(() => PlanStatus) status!: PlanStatus;
  @Field(() => SettlementMode) settlementMode!: SettlementMode;
  @Field({ description: 'ISO-8601 duration of a billing period, e.g. P1M.' }) billingCadence!: string;
  @Field() createdAt!: Date;
  @Field(() => Date, { nullable: true }) publishedAt!: Date | null;
}

export function toPlan(e: PlanEntity): PlanType {
  return Object.assign(new PlanType(), {
    id: e.id,
    currencyId: e.currencyId,
    entity: e,
    key: e.key,
    version: e.version,
    name: e.name,
    status: e.status,
    settlementMode: e.settlementMode,
    billingCadence: e.billingCadence,
    createdAt: e.createdAt,
    publishedAt: e.publishedAt,
  });
}

export const PlanConnection = connectionType('Plan', PlanType);

// ---- inputs -------------------------------------------------------------------------------

@InputType('CreateCurrencyInput')
export class CreateCurrencyInput {
  @Field() code!: string;
  @Field() name!: string;
  @Field(() => Int, { nullable: true }) scale?: number | null;
  @Field(() => String, { nullable: true }) fiatCode?: string | null;
  @Field(() => DecimalScalar, { nullable: true }) fiatValue?: string | null;
}

@InputType('CreateFeatureInput')
export class CreateFeatureInput {
  @Field() key!: string;
  @Field() name!: string;
  @Field(() => String, { nullable: true }) unit?: string | null;
  @Field() eventType!: string;
  @Field(() => Aggregation) aggregation!: Aggregation;
}

@InputType('PriceTierInput')
export class PriceTierInput {
  @Field(() => DecimalScalar, { nullable: true }) upTo?: string | null;
  @Field(() => DecimalScalar) unitAmount!: string;
  @Field(() => DecimalScalar, { nullable: true }) flatAmount?: string | null;
}

@InputType('PriceInput')
export class PriceInput {
  @Field(() => PriceModel) model!: PriceModel;
  @Field(() => DecimalScalar, { nullable: true }) unitAmount?: string | null;
  @Field(() => [PriceTierInput], { nullable: true }) tiers?: PriceTierInput[] | null;
}

@InputType('RateCardInput')
export class RateCardInput {
  @Field() featureKey!: string;
  @Field(() => PriceInput) price!: PriceInput;
  @Field(() => SettlementMode, { nullable: true }) settlementMode?: SettlementMode | null;
}

@InputType('CreatePlanInput')
export class CreatePlanInput {
  @Field() key!: string;
  @Field() name!: string;
  @Field({ description: 'Currency code.' }) currency!: string;
  @Field(() => SettlementMode) settlementMode!: SettlementMode;
  @Field(() => String, { nullable: true, description: 'ISO-8601 duration; default P1M.' })
  billingCadence?: string | null;
  @Field(() => [RateCardInput]) rateCards!: RateCardInput[];
  @Field(() => [CreditAllocationInput], { nullable: true }) creditAllocations?:
    CreditAllocationInput[] | null;
  @Field(() => CreditPurchaseRulesInput, { nullable: true }) creditPurchase?: CreditPurchaseRulesInput | null;
}
