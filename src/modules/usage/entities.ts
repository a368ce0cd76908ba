import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import type { SettlementMode } from '../catalog';

export const ChargeStatus = {
  OPEN: 'OPEN',
  SETTLED: 'SETTLED',
} as const;
export type ChargeStatus = (typeof ChargeStatus)[keyof typeof ChargeStatus];
export type ChargeKind = 'USAGE' | 'ONE_OFF';

@Entity({ tableName: 'charge' })
export class ChargeEntity {
  @PrimaryKey({ type: 'text' }) id!: string;
  @Property({ type: 'text' }) customerId!: string;
  @Property({ type: 'text' }) currencyId!: string;
  @Property({ type: 'text' }) kind!: ChargeKind;
  @Property({ type: 'text', nullable: true }) subscriptionId!: string | null;
  @Property({ type: 'text', nullable: true }) rateCardId!: string | null;
  @Property({ type: 'text', nullable: true }) featureId!: string | null;
  @Property({ type: 'text', nullable: true }) featureKey!: string | null;
  @Property({ type: 'text', nullable: true }) aggregation!: string | null;
  @Property({ type: 'text', nullable: true }) description!: string | null;
  @Property({ type: 'text' }) status!: ChargeStatus;
  @Property({ type: 'text' }) settlementMode!: SettlementMode;
  @Property({ type: 'text', nullable: true }) fiatCode!: string | null;
  @Property({ type: 'decimal', nullable: true }) fiatValue!: string | null;
  @Property({ type: 'decimal', nullable: true }) quantity!: string | null;
  @Property({ type: 'decimal' }) amount!: string;
  @Property({ type: 'decimal' }) booked!: string;
  @Property({ type: 'decimal' }) creditedAmount!: string;
  @Property({ type: 'decimal' }) invoicedAmount!: string;
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true }) periodStart!: Date | null;
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true }) periodEnd!: Date | null;
  @Property({ type: 'text', nullable: true }) invoiceId!: string | null;
  @Property({ type: 'Date', columnType: 'timestamptz' }) createdAt!: Date;
  @Property({ type: 'Date', columnType: 'timestamptz' }) updatedAt!: Date;
}

export const usageEntities = [ChargeEntity];
