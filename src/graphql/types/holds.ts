import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import type { CurrencyEntity } from '../../modules/catalog';
import { CreditDenialReason } from '../../modules/holds';
import { HoldStatus, holdStatusAt, type HoldRow } from '../../modules/ledger';
import { formatDecimal } from '../../money';
import { DecimalScalar } from '../scalars';
import { CurrencyType, toCurrency } from './catalog';
import { Node, SettlementMode, connectionType } from './common';
import { CreditGrantType, GrantAllocationType } from './ledger';

registerEnumType(HoldStatus, { name: 'CreditHoldStatus' });
registerEnumType(CreditDenialReason, { name: 'CreditDenialReason' });
export { CreditDenialReason, HoldStatus };

@ObjectType('CreditHold', {
  implements: Node,
  description:
    'Credit reserved until it is captured, released or expires. It books no movement: pending falls by its amount while it is HELD.',
})
export class CreditHoldType extends Node {
  customerId!: string;
  currencyId!: string;
  movementId!: string | null;
  @Field(() => CurrencyType) currency!: CurrencyType;
  @Field(() => DecimalScalar, { description: 'As reserved.' }) amount!: string;
  @Field(() => DecimalScalar, { description: 'What the capture booked; 0 until captured.' })
  capturedAmount!: string;
  @Field(() => HoldStatus) status!: HoldStatus;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field() expiresAt!: Date;
  @Field() createdAt!: Date;
}

export function toHold(h: HoldRow, currency: CurrencyEntity, asOf: Date): CreditHoldType {
  return Object.assign(new CreditHoldType(), {
    id: h.id,
    customerId: h.customerId,
    currencyId: h.currencyId,
    movementId: h.movementId,
    currency: toCurrency(currency),
    amount: formatDecimal(h.amount, currency.scale),
    capturedAmount: formatDecimal(h.capturedAmount, currency.scale),
    status: holdStatusAt(h, asOf),
    description: h.description,
    expiresAt: h.expiresAt,
    createdAt: h.createdAt,
  });
}

export const CreditHoldConnection = connectionType('CreditHold', CreditHoldType);

@ObjectType('CreditCheck', {
  description:
    'Whether credits cover a quantity of a feature now, computed by the same rules that settle it.',
})
export class CreditCheckType {
  @Field() allowed!: boolean;
  @Field(() => CreditDenialReason, { nullable: true }) reason!: CreditDenialReason | null;
  @Field(() => CurrencyType, { nullable: true }) currency!: CurrencyType | null;
  @Field(() => SettlementMode, { nullable: true }) settlementMode!: SettlementMode | null;
  @Field(() => DecimalScalar, { description: "Price of the quantity on top of the period's usage so far." })
  cost!: string;
  @Field(() => DecimalScalar, { description: 'Pending balance: what can still be spent.' })
  available!: string;
  @Field(() => [GrantAllocationType], {
    description:
      'How credits would pay the cost, grant by grant, in draw-down order; signed like the CONSUMED movement that would book them.',
  })
  allocations!: GrantAllocationType[];
  @Field(() => DecimalScalar, {
    description: 'What credits would not cover: debt under CREDIT_ONLY, invoiced under CREDIT_THEN_INVOICE.',
  })
  uncovered!: string;
}

@ObjectType('ExpiringCredit')
export class ExpiringCreditType {
  @Field(() => CreditGrantType) grant!: CreditGrantType;
  @Field() at!: Date;
  @Field(() => DecimalScalar) amount!: string;
}

@ObjectType('CreditForecast')
export class CreditForecastType {
  @Field(() => CurrencyType) currency!: CurrencyType;
  @Field(() => [ExpiringCreditType], {
    description: 'Credit that expires unused if nothing more is consumed, soonest first.',
  })
  expiring!: ExpiringCreditType[];
  @Field(() => DecimalScalar, {
    description: 'Net consumption (CONSUMED less CORRECTED) per day over the last 7 days.',
  })
  burnRatePerDay!: string;
  @Field(() => Date, {
    nullable: true,
    description:
      'When pending reaches zero at that rate, counting expiries; null when it does not within a year.',
  })
  runOutAt!: Date | null;
}

@InputType('ReserveCreditsInput')
export class ReserveCreditsInput {
  @Field(() => ID) customerId!: string;
  @Field() currency!: string;
  @Field(() => DecimalScalar) amount!: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => String, { nullable: true, description: 'ISO-8601 duration, default PT15M, at most P1D.' })
  expiresIn?: string | null;
  @Field(() => String, { nullable: true }) idempotencyKey?: string | null;
}

@InputType('CaptureCreditHoldInput')
export class CaptureCreditHoldInput {
  @Field(() => ID) holdId!: string;
  @Field(() => DecimalScalar, {
    nullable: true,
    description: 'At most the held amount; default all of it. The rest is released.',
  })
  amount?: string | null;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => String, { nullable: true }) idempotencyKey?: string | null;
}
