import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { AlertType } from '../../modules/alerts';
import { DecimalScalar } from '../scalars';
import { enumOf } from './common';
import { CreditBalanceType, CreditMovementType } from './ledger';

export const CreditAlertType = enumOf<AlertType>({
  DEPLETED: 'DEPLETED',
  DROPPED_BELOW_THRESHOLD: 'DROPPED_BELOW_THRESHOLD',
  RECOVERED: 'RECOVERED',
});
export type CreditAlertType = AlertType;
registerEnumType(CreditAlertType, { name: 'CreditAlertType' });

@ObjectType('CreditBalanceUpdate')
export class CreditBalanceUpdateType {
  @Field(() => ID) customerId!: string;
  @Field(() => Int, {
    description: "The ledger sequence this update is current to (the movement's own, if any).",
  })
  sequence!: number;
  @Field(() => CreditBalanceType, { description: 'settled is the balance right after the movement.' })
  balance!: CreditBalanceType;
  @Field(() => CreditMovementType, { nullable: true, description: 'null for a change of pending alone.' })
  movement!: CreditMovementType | null;
}

@ObjectType('CreditBalanceAlert')
export class CreditBalanceAlertType {
  @Field(() => ID) customerId!: string;
  @Field(() => CreditAlertType) type!: CreditAlertType;
  @Field() currency!: string;
  @Field(() => DecimalScalar, { nullable: true }) threshold!: string | null;
  @Field(() => DecimalScalar, { description: 'The settled balance after the movement that crossed.' })
  balance!: string;
  @Field() at!: Date;
}

@InputType('SetCreditAlertsInput')
export class SetCreditAlertsInput {
  @Field(() => ID) customerId!: string;
  @Field() currency!: string;
  @Field(() => [DecimalScalar]) thresholds!: string[];
}
