import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

// each vocabulary is one const object (the GraphQL enums are registered from it) and its union type
export const SettlementMode = {
  CREDIT_ONLY: 'CREDIT_ONLY',
  CREDIT_THEN_INVOICE: 'CREDIT_THEN_INVOICE',
} as const;
export type SettlementMode = (typeof SettlementMode)[keyof typeof SettlementMode];
export const Aggregation = {
  SUM: 'SUM',
  COUNT: 'COUNT',
  MAX: 'MAX',
} as const;
export type Aggregation = (typeof Aggregation)[keyof typeof Aggregation];
export const PlanStatus = {
  DRAFT: 'DRAFT',
  PUBLISHED: 'PUBLISHED',
  ARCHIVED: 'ARCHIVED',
} as const;
export type PlanStatus = (typeof PlanStatus)[keyof typeof PlanStatus];
export const PriceModel = {
  UNIT: 'UNIT',
  GRADUATED: 'GRADUATED',
  VOLUME: 'VOLUME',
} as const;
export type PriceModel = (typeof PriceModel)[keyof typeof PriceModel];

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
  /** Purchase rules (SPEC §14): all four null when the plan sells no credits. */
  @Property({ type: 'text', nullable: true }) creditPurchaseCurrency: string | null = null;
  @Property({ type: 'decimal', nullable: true }) creditUnitPrice: string | null = null;
  @Property({ type: 'decimal', nullable: true }) creditMinAmount: string | null = null;
  @Property({ type: 'decimal', nullable: true }) creditMaxAmount: string | null = null;
}

/** A recurring credit allocation of a plan (SPEC §14). */
@Entity({ tableName: 'plan_credit_allocation' })
export class CreditAllocationEntity {
  @PrimaryKey({ type: 'text' }) id!: string;
  @Property({ type: 'text' }) planId!: string;
  @Property({ type: 'integer' }) position!: number;
  @Property({ type: 'decimal' }) amount!: string;
  /** Resolved: the plan's billing cadence when none was given. */
  @Property({ type: 'text' }) cadence!: string;
  @Property({ type: 'boolean' }) cadenceGiven!: boolean;
  @Property({ type: 'integer' }) priority!: number;
  /** Null: the grant lasts one cadence. */
  @Property({ type: 'text', nullable: true }) expiresAfter!: string | null;
  @Property({ type: 'decimal', nullable: true }) rolloverCap!: string | null;
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

export const catalogEntities = [
  CurrencyEntity,
  FeatureEntity,
  PlanEntity,
  RateCardEntity,
  CreditAllocationEntity,
];
