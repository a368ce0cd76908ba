import { Field, ID, InputType, ObjectType } from 'type-graphql';
import type { CurrencyEntity } from '../../modules/catalog';
import type { AutoTopUpEntity } from '../../modules/programs';
import { Dec, formatDecimal } from '../../money';
import { DecimalScalar } from '../scalars';
import { CurrencyType, toCurrency } from './catalog';
import { FundingMethod } from './ledger';

@ObjectType('AutoTopUp')
export class AutoTopUpType {
  @Field(() => CurrencyType) currency!: CurrencyType;
  @Field() enabled!: boolean;
  @Field(() => DecimalScalar, { description: 'Settled balance below which a top-up is made.' })
  threshold!: string;
  @Field(() => DecimalScalar, {
    nullable: true,
    description: 'Fixed amount of each top-up, or null when targetBalance is used.',
  })
  amount!: string | null;
  @Field(() => DecimalScalar, {
    nullable: true,
    description: 'Top up to this settled balance instead of by a fixed amount.',
  })
  targetBalance!: string | null;
  @Field(() => FundingMethod) fundingMethod!: FundingMethod;
  @Field({ description: 'ISO-8601 duration to wait after a failed payment before trying again.' })
  retryAfter!: string;
  @Field(() => Date, { nullable: true }) lastTriggeredAt!: Date | null;
}

export function toAutoTopUp(r: AutoTopUpEntity, currency: CurrencyEntity): AutoTopUpType {
  const fmt = (v: string | null) => (v === null ? null : formatDecimal(new Dec(v), currency.scale));
  return Object.assign(new AutoTopUpType(), {
    currency: toCurrency(currency),
    enabled: r.enabled,
    threshold: fmt(r.threshold)!,
    amount: fmt(r.amount),
    targetBalance: fmt(r.targetBalance),
    fundingMethod: r.fundingMethod,
    retryAfter: r.retryAfter,
    lastTriggeredAt: r.lastTriggeredAt,
  });
}

@InputType('SetAutoTopUpInput')
export class SetAutoTopUpInput {
  @Field(() => ID) customerId!: string;
  @Field() currency!: string;
  @Field() enabled!: boolean;
  @Field(() => DecimalScalar) threshold!: string;
  @Field(() => DecimalScalar, { nullable: true }) amount?: string | null;
  @Field(() => DecimalScalar, { nullable: true }) targetBalance?: string | null;
  @Field(() => FundingMethod, { nullable: true, description: 'INVOICE (default) or EXTERNAL.' })
  fundingMethod?: FundingMethod | null;
  @Field(() => String, { nullable: true, description: 'Default PT1H.' }) retryAfter?: string | null;
}
