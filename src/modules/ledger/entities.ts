import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

import type { FundingMethod, PaymentStatus } from '../../engine';

// the grant lifecycle's vocabulary is the engine's (engine/lifecycle.ts)
export type { FundingMethod, GrantStatus, PaymentStatus } from '../../engine';
/** Where a grant came from (SPEC §14), exposed as `CreditGrant.source`; stored in the `origin` column. */
export const GrantOrigin = {
  MANUAL: 'MANUAL',
  ALLOCATION: 'ALLOCATION',
  INCLUDED: 'INCLUDED',
  PURCHASE: 'PURCHASE',
  AUTO_TOP_UP: 'AUTO_TOP_UP',
  ROLLOVER: 'ROLLOVER',
} as const;
export type GrantOrigin = (typeof GrantOrigin)[keyof typeof GrantOrigin];
export type MovementType = 'FUNDED' | 'CONSUMED' | 'EXPIRED' | 'VOIDED' | 'ADJUSTED' | 'CORRECTED';

@Entity({ tableName: 'ledger' })
export class LedgerEntity {
  @PrimaryKey({ type: 'text' }) id!: string;
  @Property({ type: 'text' }) customerId!: string;
  @Property({ type: 'text' }) currencyId!: string;
  @Property({ type: 'decimal' }) balance!: string;
  @Property({ type: 'decimal' }) debt!: string;
  @Property({ type: 'integer' }) lastSequence!: number;
  @Property({ type: 'Date', columnType: 'timestamptz' }) createdAt: Date = new Date();
}

@Entity({ tableName: 'credit_grant' })
export class GrantEntity {
  @PrimaryKey({ type: 'text' }) id!: string;
  @Property({ type: 'text' }) ledgerId!: string;
  @Property({ type: 'text' }) customerId!: string;
  @Property({ type: 'text' }) currencyId!: string;
  @Property({ type: 'text', nullable: true }) name!: string | null;
  @Property({ type: 'text' }) source!: 'GRANT' | 'ADJUSTMENT';
  @Property({ type: 'text' }) fundingMethod!: FundingMethod;
  @Property({ type: 'decimal' }) amount!: string;
  @Property({ type: 'decimal' }) remaining!: string;
  @Property({ type: 'integer' }) priority!: number;
  @Property({ type: 'Date', columnType: 'timestamptz' }) effectiveAt!: Date;
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true }) expiresAt!: Date | null;
  @Property({ type: 'decimal' }) perUnitCost!: string;
  @Property({ type: 'text', nullable: true }) purchaseCurrency!: string | null;
  @Property({ type: 'decimal', nullable: true }) purchaseTotal!: string | null;
  @Property({ type: 'text', nullable: true }) paymentStatus!: PaymentStatus | null;
  @Property({ type: 'text', nullable: true }) invoiceId!: string | null;
  @Property({ type: 'text[]', nullable: true }) featureKeys!: string[] | null;
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true }) fundedAt!: Date | null;
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true }) voidedAt!: Date | null;
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true }) expiredAt!: Date | null;
  @Property({ type: 'text', nullable: true }) voidReason!: string | null;
  @Property({ type: 'Date', columnType: 'timestamptz' }) createdAt!: Date;
  @Property({ type: 'text' }) origin!: GrantOrigin;
  @Property({ type: 'text', nullable: true }) subscriptionId!: string | null;
  @Property({ type: 'text', nullable: true }) rolledFromId!: string | null;
  @Property({ type: 'text', nullable: true }) allocationKey!: string | null;
  @Property({ type: 'text', nullable: true }) autoTopUpRuleId!: string | null;
}

@Entity({ tableName: 'movement' })
export class MovementEntity {
  @PrimaryKey({ type: 'text' }) id!: string;
  @Property({ type: 'bigint' }) gseq!: string;
  @Property({ type: 'text' }) ledgerId!: string;
  @Property({ type: 'text' }) customerId!: string;
  @Property({ type: 'text' }) currencyId!: string;
  @Property({ type: 'integer' }) sequence!: number;
  @Property({ type: 'text' }) type!: MovementType;
  @Property({ type: 'decimal' }) amount!: string;
  @Property({ type: 'decimal' }) balanceBefore!: string;
  @Property({ type: 'decimal' }) balanceAfter!: string;
  @Property({ type: 'Date', columnType: 'timestamptz' }) bookedAt!: Date;
  @Property({ type: 'text', nullable: true }) grantId!: string | null;
  @Property({ type: 'text', nullable: true }) chargeId!: string | null;
  @Property({ type: 'text', nullable: true }) correctsId!: string | null;
  @Property({ type: 'text', nullable: true }) description!: string | null;
  @Property({ type: 'json', nullable: true }) details!: Record<string, unknown> | null;
  @Property({ type: 'Date', columnType: 'timestamptz' }) createdAt!: Date;
}

@Entity({ tableName: 'allocation' })
export class AllocationEntity {
  @PrimaryKey({ type: 'text' }) movementId!: string;
  @PrimaryKey({ type: 'smallint' }) position!: number;
  /** Its movement's customer (the distribution key, docs/scaling.md). */
  @Property({ type: 'text' }) customerId!: string;
  @Property({ type: 'text', nullable: true }) grantId!: string | null;
  @Property({ type: 'decimal' }) amount!: string;
}

export const ledgerEntities = [LedgerEntity, GrantEntity, MovementEntity, AllocationEntity];
