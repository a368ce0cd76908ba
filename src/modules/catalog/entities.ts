import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

export type SettlementMode = 'CREDIT_ONLY' | 'CREDIT_THEN_INVOICE';
export type Aggregation = 'SUM' | 'COUNT' | 'MAX';
export type PlanStatus = 'DRAFT' | 'PUBLISHED' | 'ARCHIVED';
export type PriceModel = 'UNIT' | 'GRADUATED' | 'VOLUME';

/** Stored price: decimal strings exactly as validated, priced at full precision by engine/. */
export interface StoredPrice {
  model: PriceModel;
  unitAmount?: string | null;
  tiers?: { upTo: string | null; unitAmount: string; flatAmount: string | null }[] | null;
}

@Entity({ tableName: 'currency' })
export class CurrencyEntity {
  @PrimaryKey({ type: 'text' }) id!: string;
  @Property({ type: 'text' }) code!: string;
  @Property({ type: 'text' }) name!: string;
  @Property({ type: 'smallint' }) scale!: number;
  @Property({ type: 'boolean' }) custom!: boolean;
  @Property({ type: 'text', nullable: true }) fiatCode!: string | null;
  @Property({ type: 'decimal', nullable: true }) fiatValue!: string | null;
  @Property({ type: 'Date', columnType: 'timestamptz' }) createdAt: Date = new Date();
}

@Entity({ tableName: 'feature' })
export class FeatureEntity {
  @PrimaryKey({ type: 'text' }) id!: string;
  @Property({ type: 'text' }) key!: string;
  @Property({ type: 'text' }) name!: string;
  @Property({ type: 'text', nullable: true }) unit!: string | null;
  @Property({ type: 'text' }) eventType!: string;
  @Property({ type: 'text' }) aggregation!: Aggregation;
  @Property({ type: 'Date', columnType: 'timestamptz' }) createdAt: Date = new Date();
}

@Entity({ tableName: 'plan' })
export class PlanEntity {
  @PrimaryKey({ type: 'text' }) id!: string;
  @Property({ type: 'text' }) key!: string;
  @Property({ type: 'integer' }) version!: number;
  @Property({ type: 'text' }) name!: string;
  @Property({ type: 'text' }) status!: PlanStatus;
  @Property({ type: 'text' }) currencyId!: string;
  @Property({ type: 'text' }) settlementMode!: SettlementMode;
  @Property({ type: 'text' }) billingCadence!: string;
  @Property({ type: 'Date', columnType: 'timestamptz' }) createdAt: Date = new Date();
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true }) publishedAt: Date | null = null;
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true }) archivedAt: Date | null = null;
}

@Entity({ tableName: 'rate_card' })
export class RateCardEntity {
  @PrimaryKey({ type: 'text' }) id!: string;
  @Property({ type: 'text' }) planId!: string;
  @Property({ type: 'text' }) featureId!: string;
  @Property({ type: 'integer' }) position!: number;
  @Property({ type: 'json' }) price!: StoredPrice;
  @Property({ type: 'text', nullable: true }) settlementMode!: SettlementMode | null;
}

export const catalogEntities = [CurrencyEntity, FeatureEntity, PlanEntity, RateCardEntity];
