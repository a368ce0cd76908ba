import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { CurrencyEntity } from '../../modules/catalog';
import { ChargeStatus, type ChargeEntity } from '../../modules/usage';
import { Dec, formatDecimal } from '../../money';
import { DecimalScalar, JSONObjectScalar } from '../scalars';
import { CurrencyType, toCurrency } from './catalog';
import { Node, SettlementMode, connectionType } from './common';

registerEnumType(ChargeStatus, { name: 'ChargeStatus' });
export { ChargeStatus };

@ObjectType('Charge', { implements: Node })
export class ChargeType extends Node {
  customerId!: string;
  featureId!: string | null;
  subscriptionId!: string | null;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field(() => ChargeStatus) status!: ChargeStatus;
  @Field(() => SettlementMode) settlementMode!: SettlementMode;
  @Field(() => CurrencyType) currency!: CurrencyType;
  @Field(() => DecimalScalar, {
    nullable: true,
    description: "The period's aggregated usage (null for one-off charges).",
  })
  quantity!: string | null;
  @Field(() => DecimalScalar, { description: 'The price of the quantity, rounded to the currency scale.' })
  amount!: string;
  @Field(() => DecimalScalar, { description: 'The price at full precision, before rounding.' })
  exactAmount!: string;
  @Field(() => DecimalScalar, { description: 'Paid by credits (CONSUMED) so far.' }) creditedAmount!: string;
  @Field(() => DecimalScalar, { description: 'Put on the usage invoice so far (CREDIT_THEN_INVOICE).' })
  invoicedAmount!: string;
  @Field(() => Date, { nullable: true }) periodStart!: Date | null;
  @Field(() => Date, { nullable: true }) periodEnd!: Date | null;
}

export function toCharge(c: ChargeEntity, currency: CurrencyEntity): ChargeType {
  const f = (v: string) => formatDecimal(new Dec(v), currency.scale);
  return Object.assign(new ChargeType(), {
    id: c.id,
    customerId: c.customerId,
    featureId: c.featureId,
    subscriptionId: c.subscriptionId,
    description: c.description,
    status: c.status,
    settlementMode: c.settlementMode,
    currency: toCurrency(currency),
    quantity: c.quantity === null ? null : new Dec(c.quantity).toFixed(),
    amount: f(c.amount),
    exactAmount: new Dec(c.amount).toFixed(),
    creditedAmount: f(c.creditedAmount),
    invoicedAmount: f(c.invoicedAmount),
    periodStart: c.periodStart,
    periodEnd: c.periodEnd,
  });
}

export const ChargeConnection = connectionType('Charge', ChargeType);

@ObjectType('RejectedUsageEvent')
export class RejectedUsageEventType {
  @Field() id!: string;
  @Field({
    description:
      'UNKNOWN_SUBJECT, UNKNOWN_EVENT_TYPE, NO_ACTIVE_SUBSCRIPTION, NO_RATE_CARD, BAD_VALUE, BAD_TIMESTAMP, BAD_ID, PERIOD_CLOSED or IDEMPOTENCY_CONFLICT.',
  })
  code!: string;
  @Field() message!: string;
}

@ObjectType('IngestUsageResult')
export class IngestUsageResultType {
  @Field(() => Int) accepted!: number;
  @Field(() => Int) duplicates!: number;
  @Field(() => [RejectedUsageEventType]) rejected!: RejectedUsageEventType[];
}

@ObjectType('SettleChargesResult')
export class SettleChargesResultType {
  /** Loaded only when `movements` is selected: a run over 10k customers need not read them back. */
  movementIds!: string[];
  @Field(() => Int) settledCharges!: number;
}

@InputType('UsageEventInput')
export class UsageEventInput {
  @Field({ description: 'Idempotency key of the event.' }) id!: string;
  @Field() subject!: string;
  @Field() type!: string;
  @Field(() => DecimalScalar, { nullable: true, description: 'Default 1.' }) value?: string | null;
  @Field(() => Date, { nullable: true, description: 'Default: when it is received.' })
  timestamp?: Date | null;
  @Field(() => JSONObjectScalar, { nullable: true }) data?: Record<string, unknown> | null;
}

@InputType('CreateChargeInput')
export class CreateChargeInput {
  @Field(() => ID) customerId!: string;
  @Field() currency!: string;
  @Field(() => DecimalScalar) amount!: string;
  @Field() description!: string;
  @Field(() => SettlementMode) settlementMode!: SettlementMode;
  @Field(() => String, { nullable: true }) idempotencyKey?: string | null;
}

@InputType('CorrectMovementInput')
export class CorrectMovementInput {
  @Field(() => ID) movementId!: string;
  @Field(() => DecimalScalar, { nullable: true, description: 'Default: all that is left to correct.' })
  amount?: string | null;
  @Field() reason!: string;
  @Field(() => String, { nullable: true }) idempotencyKey?: string | null;
}
