import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

export const InvoiceStatus = {
  DRAFT: 'DRAFT',
  ISSUED: 'ISSUED',
  PAID: 'PAID',
  VOID: 'VOID',
} as const;
export type InvoiceStatus = (typeof InvoiceStatus)[keyof typeof InvoiceStatus];
export const PaymentStatus = {
  PENDING: 'PENDING',
  AUTHORIZED: 'AUTHORIZED',
  SETTLED: 'SETTLED',
  FAILED: 'FAILED',
} as const;
export type PaymentStatus = (typeof PaymentStatus)[keyof typeof PaymentStatus];
export type InvoiceKind = 'CREDIT_PURCHASE' | 'USAGE';

export interface InvoiceLine {
  description: string;
  quantity: string;
  unitPrice: string;
  amount: string;
}

@Entity({ tableName: 'invoice' })
export class InvoiceEntity {
  @PrimaryKey({ type: 'text' }) id!: string;
  @Property({ type: 'text' }) number!: string;
  @Property({ type: 'text' }) customerId!: string;
  @Property({ type: 'text' }) currency!: string;
  @Property({ type: 'text' }) kind!: InvoiceKind;
  @Property({ type: 'text' }) status!: InvoiceStatus;
  @Property({ type: 'text' }) paymentStatus!: PaymentStatus;
  @Property({ type: 'decimal' }) total!: string;
  @Property({ type: 'json' }) lines!: InvoiceLine[];
  /** Which line belongs to which charge, so a line is updated in place as more is invoiced. */
  @Property({ type: 'json' }) lineKeys: Record<string, number> = {};
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true }) periodStart: Date | null = null;
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true }) periodEnd: Date | null = null;
  @Property({ type: 'text', nullable: true }) subscriptionId: string | null = null;
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true }) issuedAt: Date | null = null;
  @Property({ type: 'Date', columnType: 'timestamptz' }) createdAt: Date = new Date();
}

export const invoiceEntities = [InvoiceEntity];
