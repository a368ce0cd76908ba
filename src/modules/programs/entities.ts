import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** One auto top-up rule per (customer, currency) (SPEC §14). */
@Entity({ tableName: 'auto_top_up' })
export class AutoTopUpEntity {
  @PrimaryKey({ type: 'text' }) id!: string;
  @Property({ type: 'text' }) customerId!: string;
  @Property({ type: 'text' }) currencyId!: string;
  @Property({ type: 'boolean' }) enabled!: boolean;
  @Property({ type: 'decimal' }) threshold!: string;
  @Property({ type: 'decimal', nullable: true }) amount!: string | null;
  @Property({ type: 'decimal', nullable: true }) targetBalance!: string | null;
  @Property({ type: 'text' }) fundingMethod!: 'INVOICE' | 'EXTERNAL';
  @Property({ type: 'text' }) retryAfter!: string;
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true }) lastTriggeredAt: Date | null = null;
  @Property({ type: 'text', nullable: true }) lastGrantId: string | null = null;
  @Property({ type: 'Date', columnType: 'timestamptz' }) createdAt: Date = new Date();
  @Property({ type: 'Date', columnType: 'timestamptz' }) updatedAt: Date = new Date();
}

export const programEntities = [AutoTopUpEntity];
