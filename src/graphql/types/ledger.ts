import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { CurrencyEntity } from '../../modules/catalog';
import { InvoiceStatus, PaymentStatus, type InvoiceEntity } from '../../modules/invoices';
import {
  grantStatusAt,
  type AllocationEntity,
  type FundingMethod as LedgerFundingMethod,
  type GrantEntity,
  GrantOrigin,
  type GrantStatus as LedgerGrantStatus,
  type MovementView,
  type MovementType as LedgerMovementType,
} from '../../modules/ledger';
import { Dec, formatDecimal, formatDecimalText } from '../../money';
import { DecimalScalar } from '../scalars';
import { Node, connectionType, enumOf } from './common';
import { CurrencyType, toCurrency } from './catalog';

// the ledger exports these vocabularies as types: enumOf holds each object to its type
export const FundingMethod = enumOf<LedgerFundingMethod>({
  PROMOTIONAL: 'PROMOTIONAL',
  INVOICE: 'INVOICE',
  EXTERNAL: 'EXTERNAL',
});
export type FundingMethod = LedgerFundingMethod;
export const GrantStatus = enumOf<LedgerGrantStatus>({
  PENDING: 'PENDING',
  ACTIVE: 'ACTIVE',
  DEPLETED: 'DEPLETED',
  EXPIRED: 'EXPIRED',
  VOIDED: 'VOIDED',
});
export type GrantStatus = LedgerGrantStatus;
export const MovementType = enumOf<LedgerMovementType>({
  FUNDED: 'FUNDED',
  CONSUMED: 'CONSUMED',
  EXPIRED: 'EXPIRED',
  VOIDED: 'VOIDED',
  ADJUSTED: 'ADJUSTED',
  CORRECTED: 'CORRECTED',
});
export type MovementType = LedgerMovementType;
registerEnumType(FundingMethod, { name: 'FundingMethod' });
registerEnumType(GrantStatus, { name: 'GrantStatus' });
registerEnumType(PaymentStatus, { name: 'PaymentStatus' });
registerEnumType(MovementType, { name: 'MovementType' });
registerEnumType(InvoiceStatus, { name: 'InvoiceStatus' });
export const GrantSource = GrantOrigin;
export type GrantSource = GrantOrigin;
registerEnumType(GrantSource, {
  name: 'GrantSource',
  description: 'Where a grant came from.',
  valuesConfig: {
    MANUAL: { description: 'createCreditGrant or a positive adjustCredits' },
    ALLOCATION: { description: "a plan's recurring credit allocation" },
    INCLUDED: { description: "a subscription's included credits" },
    PURCHASE: { description: 'purchaseCredits (self-service or admin)' },
    AUTO_TOP_UP: { description: 'an auto top-up rule' },
    ROLLOVER: { description: 'unused allocation carried into the next period' },
  },
});
export { InvoiceStatus, PaymentStatus };

const fmt = formatDecimalText;

@ObjectType('CreditBalance', {
  description:
    'Settled: the sum of booked movements. Pending: settled minus what open charges will still take and what active holds reserve; the conservative figure for deciding whether a customer may keep consuming. Upcoming: granted credit that is not available yet (future effective date, or awaiting payment).',
})
export class CreditBalanceType {
  @Field(() => CurrencyType) currency!: CurrencyType;
  @Field(() => DecimalScalar) settled!: string;
  @Field(() => DecimalScalar) pending!: string;
  @Field(() => DecimalScalar, {
    description: 'Credit reserved by active holds (already subtracted from pending).',
  })
  held!: string;
  @Field(() => DecimalScalar) upcoming!: string;
  @Field() asOf!: Date;
}

export function toBalance(b: {
  currency: CurrencyEntity;
  settled: string;
  pending: string;
  held: string;
  upcoming: string;
  asOf: Date;
}): CreditBalanceType {
  return {
    currency: toCurrency(b.currency),
    settled: b.settled,
    pending: b.pending,
    held: b.held,
    upcoming: b.upcoming,
    asOf: b.asOf,
  };
}

@ObjectType('PurchaseTerms')
export class PurchaseTermsType {
  @Field() currency!: string;
  @Field(() => DecimalScalar) perUnitCost!: string;
  @Field(() => DecimalScalar) totalAmount!: string;
}

@ObjectType('CreditGrant', { implements: Node })
export class CreditGrantType extends Node {
  customerId!: string;
  currencyId!: string;
  invoiceId!: string | null;
  subscriptionId!: string | null;
  rolledFromId!: string | null;
  @Field(() => CurrencyType) currency!: CurrencyType;
  @Field(() => String, { nullable: true }) name!: string | null;
  @Field(() => DecimalScalar) amount!: string;
  @Field(() => DecimalScalar, { description: 'Unused credit; 0 once expired or voided.' }) remaining!: string;
  @Field(() => FundingMethod) fundingMethod!: FundingMethod;
  @Field(() => GrantStatus) status!: GrantStatus;
  @Field(() => Int) priority!: number;
  @Field() effectiveAt!: Date;
  @Field(() => Date, { nullable: true }) expiresAt!: Date | null;
  @Field(() => PurchaseTermsType, { nullable: true }) purchase!: PurchaseTermsType | null;
  @Field(() => PaymentStatus, { nullable: true }) paymentStatus!: PaymentStatus | null;
  @Field(() => [String], { nullable: true }) featureKeys!: string[] | null;
  @Field({ description: 'true for a grant made by adjustCredits.' }) adjustment!: boolean;
  @Field(() => Date, { nullable: true, description: 'When the credit became available on the ledger.' })
  fundedAt!: Date | null;
  @Field(() => Date, { nullable: true }) voidedAt!: Date | null;
  @Field() createdAt!: Date;
  @Field(() => GrantSource) source!: GrantSource;
}

export function toGrant(g: GrantEntity, currency: CurrencyEntity, asOf: Date): CreditGrantType {
  const view = grantStatusAt(g, asOf);
  return Object.assign(new CreditGrantType(), {
    id: g.id,
    customerId: g.customerId,
    currencyId: g.currencyId,
    invoiceId: g.invoiceId,
    subscriptionId: g.subscriptionId,
    rolledFromId: g.rolledFromId,
    currency: toCurrency(currency),
    name: g.name,
    amount: fmt(g.amount, currency.scale),
    remaining: formatDecimal(view.remaining, currency.scale),
    fundingMethod: g.fundingMethod,
    status: view.status,
    priority: g.priority,
    effectiveAt: g.effectiveAt,
    expiresAt: g.expiresAt,
    purchase:
      g.purchaseCurrency !== null
        ? {
            currency: g.purchaseCurrency,
            perUnitCost: new Dec(g.perUnitCost).toFixed(),
            totalAmount: g.purchaseTotal ?? '0',
          }
        : null,
    paymentStatus: g.paymentStatus,
    featureKeys: g.featureKeys,
    adjustment: g.source === 'ADJUSTMENT',
    fundedAt: g.fundedAt,
    voidedAt: g.voidedAt,
    createdAt: g.createdAt,
    source: g.origin,
  });
}

@ObjectType('GrantAllocation', {
  description:
    'One slice of a movement: the grant it drew from or restored to. A null grant is usage that no credit covered (CREDIT_ONLY).',
})
export class GrantAllocationType {
  grantId!: string | null;
  @Field(() => DecimalScalar, {
    description: 'Signed like its movement: negative when drawn, positive when given.',
  })
  amount!: string;
}

@ObjectType('CreditMovement', { implements: Node })
export class CreditMovementType extends Node {
  customerId!: string;
  currencyId!: string;
  grantId!: string | null;
  chargeId!: string | null;
  correctsId!: string | null;
  details!: Record<string, unknown> | null;
  scale!: number;
  /**
   * The movement's allocations when they came with it (a page of history reads them in its one statement):
   * `allocations` then answers from them at once; otherwise (undefined) it asks the request's loader.
   */
  allocationRows?: readonly AllocationEntity[];
  @Field(() => Int) sequence!: number;
  @Field(() => MovementType) type!: MovementType;
  @Field(() => CurrencyType) currency!: CurrencyType;
  @Field(() => DecimalScalar) amount!: string;
  @Field(() => DecimalScalar) balanceBefore!: string;
  @Field(() => DecimalScalar) balanceAfter!: string;
  @Field() bookedAt!: Date;
  @Field(() => String, { nullable: true }) description!: string | null;
}

export function toMovement(m: MovementView, currency: CurrencyEntity): CreditMovementType {
  return Object.assign(new CreditMovementType(), {
    id: m.id,
    customerId: m.customerId,
    currencyId: m.currencyId,
    grantId: m.grantId,
    chargeId: m.chargeId,
    correctsId: m.correctsId,
    details: m.details,
    scale: currency.scale,
    sequence: m.sequence,
    type: m.type,
    currency: toCurrency(currency),
    amount: fmt(m.amount, currency.scale),
    balanceBefore: fmt(m.balanceBefore, currency.scale),
    balanceAfter: fmt(m.balanceAfter, currency.scale),
    bookedAt: m.bookedAt,
    description: m.description,
  });
}

export function toAllocation(a: AllocationEntity, scale: number): GrantAllocationType {
  return Object.assign(new GrantAllocationType(), { grantId: a.grantId, amount: fmt(a.amount, scale) });
}

@ObjectType('InvoiceLine')
export class InvoiceLineType {
  @Field() description!: string;
  @Field(() => DecimalScalar) quantity!: string;
  @Field(() => DecimalScalar) unitPrice!: string;
  @Field(() => DecimalScalar) amount!: string;
}

@ObjectType('Invoice', { implements: Node })
export class InvoiceType extends Node {
  customerId!: string;
  @Field() number!: string;
  @Field({ description: 'Fiat currency code.' }) currency!: string;
  @Field(() => InvoiceStatus) status!: InvoiceStatus;
  @Field(() => PaymentStatus) paymentStatus!: PaymentStatus;
  @Field(() => DecimalScalar) total!: string;
  @Field(() => [InvoiceLineType]) lines!: InvoiceLineType[];
  @Field(() => Date, { nullable: true }) issuedAt!: Date | null;
  @Field({ description: 'CREDIT_PURCHASE or USAGE.' }) kind!: string;
  @Field(() => Date, { nullable: true }) periodStart!: Date | null;
  @Field(() => Date, { nullable: true }) periodEnd!: Date | null;
}

export function toInvoice(i: InvoiceEntity): InvoiceType {
  return Object.assign(new InvoiceType(), {
    id: i.id,
    customerId: i.customerId,
    number: i.number,
    currency: i.currency,
    status: i.status,
    paymentStatus: i.paymentStatus,
    total: i.total,
    lines: i.lines,
    issuedAt: i.issuedAt,
    kind: i.kind,
    periodStart: i.periodStart,
    periodEnd: i.periodEnd,
  });
}

export const CreditGrantConnection = connectionType('CreditGrant', CreditGrantType);
export const CreditMovementConnection = connectionType('CreditMovement', CreditMovementType);
export const InvoiceConnection = connectionType('Invoice', InvoiceType);

@InputType('PurchaseTermsInput')
export class PurchaseTermsInput {
  @Field({ description: 'Fiat currency of the credit-purchase invoice.' }) currency!: string;
  @Field(() => DecimalScalar) perUnitCost!: string;
}

@InputType('CreateCreditGrantInput')
export class CreateCreditGrantInput {
  @Field(() => ID) customerId!: string;
  @Field() currency!: string;
  @Field(() => DecimalScalar) amount!: string;
  @Field(() => FundingMethod) fundingMethod!: FundingMethod;
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => Int, { nullable: true, description: '1..1000, default 10; lower is drawn first.' }) priority?:
    number | null;
  @Field(() => Date, { nullable: true }) effectiveAt?: Date | null;
  @Field(() => Date, { nullable: true }) expiresAt?: Date | null;
  @Field(() => PurchaseTermsInput, { nullable: true }) purchase?: PurchaseTermsInput | null;
  @Field(() => [String], { nullable: true }) featureKeys?: string[] | null;
  @Field(() => String, { nullable: true }) idempotencyKey?: string | null;
}

@InputType('AdjustCreditsInput')
export class AdjustCreditsInput {
  @Field(() => ID) customerId!: string;
  @Field() currency!: string;
  @Field(() => DecimalScalar, { description: 'Positive adds a promotional grant; negative draws down.' })
  amount!: string;
  @Field() reason!: string;
  @Field(() => String, { nullable: true }) idempotencyKey?: string | null;
}
