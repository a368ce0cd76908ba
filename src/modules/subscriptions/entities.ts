import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import type { SettlementMode } from '../catalog';

@Entity({ tableName: 'subscription' })
export class SubscriptionEntity {
  @PrimaryKey({ type: 'text' }) id!: string;
  @Property({ type: 'text' }) customerId!: string;
  @Property({ type: 'text' }) planId!: string;
  @Property({ type: 'text' }) planKey!: string;
  @Property({ type: 'Date', columnType: 'timestamptz' }) activeFrom!: Date;
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true }) activeTo: Date | null = null;
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true }) canceledAt: Date | null = null;
  @Property({ type: 'text', nullable: true }) settlementMode!: SettlementMode | null;
  @Property({ type: 'Date', columnType: 'timestamptz' }) createdAt: Date = new Date();
  /** The negotiated price of one credit, in the plan's purchase currency; null: the plan's price. */
  @Property({ type: 'decimal', nullable: true }) creditUnitPrice: string | null = null;
}

export const subscriptionEntities = [SubscriptionEntity];
