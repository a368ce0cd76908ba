/* eslint-disable */
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
export type MakeOptional<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]?: Maybe<T[SubKey]> };
export type MakeMaybe<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]: Maybe<T[SubKey]> };
export type MakeEmpty<T extends { [key: string]: unknown }, K extends keyof T> = { [_ in K]?: never };
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** An ISO-8601 date-time with offset, e.g. 2026-11-21T10:00:00.000Z. */
  DateTime: { input: string; output: string; }
  /** A signed decimal number serialized as a string with the currency's scale, e.g. "12.50". Inputs take strings only. */
  Decimal: { input: string; output: string; }
  /** The `JSONObject` scalar type represents JSON objects as specified by [ECMA-404](http://www.ecma-international.org/publications/files/ECMA-ST/ECMA-404.pdf). */
  JSONObject: { input: Record<string, unknown>; output: Record<string, unknown>; }
};

export type AdjustCreditsInput = {
  /** Positive adds a promotional grant; negative draws down. */
  amount: Scalars['Decimal']['input'];
  currency: Scalars['String']['input'];
  customerId: Scalars['ID']['input'];
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
  reason: Scalars['String']['input'];
};

export type Aggregation =
  | 'COUNT'
  | 'MAX'
  | 'SUM';

export type AutoTopUp = {
  __typename?: 'AutoTopUp';
  /** Fixed amount of each top-up, or null when targetBalance is used. */
  amount?: Maybe<Scalars['Decimal']['output']>;
  currency: Currency;
  enabled: Scalars['Boolean']['output'];
  fundingMethod: FundingMethod;
  lastTriggeredAt?: Maybe<Scalars['DateTime']['output']>;
  /** ISO-8601 duration to wait after a failed payment before trying again. */
  retryAfter: Scalars['String']['output'];
  /** Top up to this settled balance instead of by a fixed amount. */
  targetBalance?: Maybe<Scalars['Decimal']['output']>;
  /** Settled balance below which a top-up is made. */
  threshold: Scalars['Decimal']['output'];
};

export type BillingPeriod = {
  __typename?: 'BillingPeriod';
  end: Scalars['DateTime']['output'];
  start: Scalars['DateTime']['output'];
};

export type CaptureCreditHoldInput = {
  /** At most the held amount; default all of it. The rest is released. */
  amount?: InputMaybe<Scalars['Decimal']['input']>;
  description?: InputMaybe<Scalars['String']['input']>;
  holdId: Scalars['ID']['input'];
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
};

export type Charge = Node & {
  __typename?: 'Charge';
  /** The price of the quantity, rounded to the currency scale. */
  amount: Scalars['Decimal']['output'];
  /** Paid by credits (CONSUMED) so far. */
  creditedAmount: Scalars['Decimal']['output'];
  currency: Currency;
  customer: Customer;
  description?: Maybe<Scalars['String']['output']>;
  /** The price at full precision, before rounding. */
  exactAmount: Scalars['Decimal']['output'];
  feature?: Maybe<Feature>;
  id: Scalars['ID']['output'];
  /** Put on the usage invoice so far (CREDIT_THEN_INVOICE). */
  invoicedAmount: Scalars['Decimal']['output'];
  periodEnd?: Maybe<Scalars['DateTime']['output']>;
  periodStart?: Maybe<Scalars['DateTime']['output']>;
  /** The period's aggregated usage (null for one-off charges). */
  quantity?: Maybe<Scalars['Decimal']['output']>;
  settlementMode: SettlementMode;
  status: ChargeStatus;
  subscription?: Maybe<PlanSubscription>;
};

export type ChargeConnection = {
  __typename?: 'ChargeConnection';
  edges: Array<ChargeEdge>;
  pageInfo: PageInfo;
};

export type ChargeEdge = {
  __typename?: 'ChargeEdge';
  cursor: Scalars['String']['output'];
  node: Charge;
};

export type ChargeStatus =
  | 'OPEN'
  | 'SETTLED';

export type CorrectMovementInput = {
  /** Default: all that is left to correct. */
  amount?: InputMaybe<Scalars['Decimal']['input']>;
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
  movementId: Scalars['ID']['input'];
  reason: Scalars['String']['input'];
};

export type CreateChargeInput = {
  amount: Scalars['Decimal']['input'];
  currency: Scalars['String']['input'];
  customerId: Scalars['ID']['input'];
  description: Scalars['String']['input'];
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
  settlementMode: SettlementMode;
};

export type CreateCreditGrantInput = {
  amount: Scalars['Decimal']['input'];
  currency: Scalars['String']['input'];
  customerId: Scalars['ID']['input'];
  effectiveAt?: InputMaybe<Scalars['DateTime']['input']>;
  expiresAt?: InputMaybe<Scalars['DateTime']['input']>;
  featureKeys?: InputMaybe<Array<Scalars['String']['input']>>;
  fundingMethod: FundingMethod;
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
  name?: InputMaybe<Scalars['String']['input']>;
  /** 1..1000, default 10; lower is drawn first. */
  priority?: InputMaybe<Scalars['Int']['input']>;
  purchase?: InputMaybe<PurchaseTermsInput>;
};

export type CreateCurrencyInput = {
  code: Scalars['String']['input'];
  fiatCode?: InputMaybe<Scalars['String']['input']>;
  fiatValue?: InputMaybe<Scalars['Decimal']['input']>;
  name: Scalars['String']['input'];
  scale?: InputMaybe<Scalars['Int']['input']>;
};

export type CreateCustomerInput = {
  email?: InputMaybe<Scalars['String']['input']>;
  key: Scalars['String']['input'];
  metadata?: InputMaybe<Scalars['JSONObject']['input']>;
  name: Scalars['String']['input'];
  subjectKeys?: InputMaybe<Array<Scalars['String']['input']>>;
};

export type CreateFeatureInput = {
  aggregation: Aggregation;
  eventType: Scalars['String']['input'];
  key: Scalars['String']['input'];
  name: Scalars['String']['input'];
  unit?: InputMaybe<Scalars['String']['input']>;
};

export type CreatePlanInput = {
  /** ISO-8601 duration; default P1M. */
  billingCadence?: InputMaybe<Scalars['String']['input']>;
  creditAllocations?: InputMaybe<Array<CreditAllocationInput>>;
  creditPurchase?: InputMaybe<CreditPurchaseRulesInput>;
  /** Currency code. */
  currency: Scalars['String']['input'];
  key: Scalars['String']['input'];
  name: Scalars['String']['input'];
  rateCards: Array<RateCardInput>;
  settlementMode: SettlementMode;
};

export type CreateSubscriptionInput = {
  activeFrom?: InputMaybe<Scalars['DateTime']['input']>;
  /** Negotiated price of one credit, in the plan's purchase currency; needs a plan with creditPurchase. */
  creditUnitPrice?: InputMaybe<Scalars['Decimal']['input']>;
  customerId: Scalars['ID']['input'];
  includedCredits?: InputMaybe<IncludedCreditsInput>;
  planId: Scalars['ID']['input'];
  settlementMode?: InputMaybe<SettlementMode>;
};

export type CreateWebhookEndpointInput = {
  description?: InputMaybe<Scalars['String']['input']>;
  /** A non-empty subset of `webhookEventTypes`. */
  eventTypes: Array<Scalars['String']['input']>;
  /** http or https. */
  url: Scalars['String']['input'];
};

export type CreditAlertType =
  | 'DEPLETED'
  | 'DROPPED_BELOW_THRESHOLD'
  | 'RECOVERED';

/** Credits granted to every active subscription of the plan at the start of each cadence period. */
export type CreditAllocation = {
  __typename?: 'CreditAllocation';
  amount: Scalars['Decimal']['output'];
  /** ISO-8601 duration (P1M, P3M, P1Y, P1W, P1D; PT… for short test cadences). */
  cadence: Scalars['String']['output'];
  /** How long each period's grant lasts from the period start; null means until the period ends. */
  expiresAfter?: Maybe<Scalars['String']['output']>;
  priority: Scalars['Int']['output'];
  /** At most this much unused credit rolls into the next period (null: nothing rolls over). */
  rolloverCap?: Maybe<Scalars['Decimal']['output']>;
};

export type CreditAllocationInput = {
  amount: Scalars['Decimal']['input'];
  /** ISO-8601 duration; default the plan's billingCadence. */
  cadence?: InputMaybe<Scalars['String']['input']>;
  expiresAfter?: InputMaybe<Scalars['String']['input']>;
  priority?: InputMaybe<Scalars['Int']['input']>;
  rolloverCap?: InputMaybe<Scalars['Decimal']['input']>;
};

/** Settled: the sum of booked movements. Pending: settled minus what open charges will still take and what active holds reserve; the conservative figure for deciding whether a customer may keep consuming. Upcoming: granted credit that is not available yet (future effective date, or awaiting payment). */
export type CreditBalance = {
  __typename?: 'CreditBalance';
  asOf: Scalars['DateTime']['output'];
  currency: Currency;
  /** Credit reserved by active holds (already subtracted from pending). */
  held: Scalars['Decimal']['output'];
  pending: Scalars['Decimal']['output'];
  settled: Scalars['Decimal']['output'];
  upcoming: Scalars['Decimal']['output'];
};

export type CreditBalanceAlert = {
  __typename?: 'CreditBalanceAlert';
  at: Scalars['DateTime']['output'];
  /** The settled balance after the movement that crossed. */
  balance: Scalars['Decimal']['output'];
  currency: Scalars['String']['output'];
  customerId: Scalars['ID']['output'];
  threshold?: Maybe<Scalars['Decimal']['output']>;
  type: CreditAlertType;
};

export type CreditBalanceUpdate = {
  __typename?: 'CreditBalanceUpdate';
  /** settled is the balance right after the movement. */
  balance: CreditBalance;
  customerId: Scalars['ID']['output'];
  /** null for a change of pending alone. */
  movement?: Maybe<CreditMovement>;
  /** The ledger sequence this update is current to (the movement's own, if any). */
  sequence: Scalars['Int']['output'];
};

/** Whether credits cover a quantity of a feature now, computed by the same rules that settle it. */
export type CreditCheck = {
  __typename?: 'CreditCheck';
  /** How credits would pay the cost, grant by grant, in draw-down order; signed like the CONSUMED movement that would book them. */
  allocations: Array<GrantAllocation>;
  allowed: Scalars['Boolean']['output'];
  /** Pending balance: what can still be spent. */
  available: Scalars['Decimal']['output'];
  /** Price of the quantity on top of the period's usage so far. */
  cost: Scalars['Decimal']['output'];
  currency?: Maybe<Currency>;
  reason?: Maybe<CreditDenialReason>;
  settlementMode?: Maybe<SettlementMode>;
  /** What credits would not cover: debt under CREDIT_ONLY, invoiced under CREDIT_THEN_INVOICE. */
  uncovered: Scalars['Decimal']['output'];
};

export type CreditDenialReason =
  | 'FEATURE_NOT_IN_PLAN'
  | 'INSUFFICIENT_CREDITS'
  | 'NO_ACTIVE_SUBSCRIPTION';

export type CreditForecast = {
  __typename?: 'CreditForecast';
  /** Net consumption (CONSUMED less CORRECTED) per day over the last 7 days. */
  burnRatePerDay: Scalars['Decimal']['output'];
  currency: Currency;
  /** Credit that expires unused if nothing more is consumed, soonest first. */
  expiring: Array<ExpiringCredit>;
  /** When pending reaches zero at that rate, counting expiries; null when it does not within a year. */
  runOutAt?: Maybe<Scalars['DateTime']['output']>;
};

export type CreditGrant = Node & {
  __typename?: 'CreditGrant';
  /** true for a grant made by adjustCredits. */
  adjustment: Scalars['Boolean']['output'];
  amount: Scalars['Decimal']['output'];
  createdAt: Scalars['DateTime']['output'];
  currency: Currency;
  customer: Customer;
  effectiveAt: Scalars['DateTime']['output'];
  expiresAt?: Maybe<Scalars['DateTime']['output']>;
  featureKeys?: Maybe<Array<Scalars['String']['output']>>;
  /** When the credit became available on the ledger. */
  fundedAt?: Maybe<Scalars['DateTime']['output']>;
  fundingMethod: FundingMethod;
  id: Scalars['ID']['output'];
  invoice?: Maybe<Invoice>;
  name?: Maybe<Scalars['String']['output']>;
  paymentStatus?: Maybe<PaymentStatus>;
  priority: Scalars['Int']['output'];
  purchase?: Maybe<PurchaseTerms>;
  /** Unused credit; 0 once expired or voided. */
  remaining: Scalars['Decimal']['output'];
  /** For a ROLLOVER grant: the grant whose unused credit it carries. */
  rolledFrom?: Maybe<CreditGrant>;
  source: GrantSource;
  status: GrantStatus;
  /** The subscription that caused this grant, if any. */
  subscription?: Maybe<PlanSubscription>;
  voidedAt?: Maybe<Scalars['DateTime']['output']>;
};

export type CreditGrantConnection = {
  __typename?: 'CreditGrantConnection';
  edges: Array<CreditGrantEdge>;
  pageInfo: PageInfo;
};

export type CreditGrantEdge = {
  __typename?: 'CreditGrantEdge';
  cursor: Scalars['String']['output'];
  node: CreditGrant;
};

/** Credit reserved until it is captured, released or expires. It books no movement: pending falls by its amount while it is HELD. */
export type CreditHold = Node & {
  __typename?: 'CreditHold';
  /** As reserved. */
  amount: Scalars['Decimal']['output'];
  /** What the capture booked; 0 until captured. */
  capturedAmount: Scalars['Decimal']['output'];
  createdAt: Scalars['DateTime']['output'];
  currency: Currency;
  customer: Customer;
  description?: Maybe<Scalars['String']['output']>;
  expiresAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  /** The CONSUMED movement booked when the hold was captured. */
  movement?: Maybe<CreditMovement>;
  status: CreditHoldStatus;
};

export type CreditHoldConnection = {
  __typename?: 'CreditHoldConnection';
  edges: Array<CreditHoldEdge>;
  pageInfo: PageInfo;
};

export type CreditHoldEdge = {
  __typename?: 'CreditHoldEdge';
  cursor: Scalars['String']['output'];
  node: CreditHold;
};

export type CreditHoldStatus =
  | 'CAPTURED'
  | 'EXPIRED'
  | 'HELD'
  | 'RELEASED';

export type CreditMovement = Node & {
  __typename?: 'CreditMovement';
  allocations: Array<GrantAllocation>;
  amount: Scalars['Decimal']['output'];
  balanceAfter: Scalars['Decimal']['output'];
  balanceBefore: Scalars['Decimal']['output'];
  bookedAt: Scalars['DateTime']['output'];
  charge?: Maybe<Charge>;
  /** The CONSUMED movement a CORRECTED one gives back. */
  corrects?: Maybe<CreditMovement>;
  currency: Currency;
  description?: Maybe<Scalars['String']['output']>;
  grant?: Maybe<CreditGrant>;
  id: Scalars['ID']['output'];
  /** For a CORRECTED movement: the portions that were not given back (their grant expired or was voided). */
  notRestored?: Maybe<Array<GrantAllocation>>;
  sequence: Scalars['Int']['output'];
  type: MovementType;
};

export type CreditMovementConnection = {
  __typename?: 'CreditMovementConnection';
  edges: Array<CreditMovementEdge>;
  pageInfo: PageInfo;
};

export type CreditMovementEdge = {
  __typename?: 'CreditMovementEdge';
  cursor: Scalars['String']['output'];
  node: CreditMovement;
};

/** What one credit costs when it is bought, and how much may be bought at once. */
export type CreditPurchaseRules = {
  __typename?: 'CreditPurchaseRules';
  /** Fiat currency of the price. */
  currency: Scalars['String']['output'];
  maxAmount?: Maybe<Scalars['Decimal']['output']>;
  minAmount?: Maybe<Scalars['Decimal']['output']>;
  unitPrice: Scalars['Decimal']['output'];
};

export type CreditPurchaseRulesInput = {
  currency: Scalars['String']['input'];
  maxAmount?: InputMaybe<Scalars['Decimal']['input']>;
  minAmount?: InputMaybe<Scalars['Decimal']['input']>;
  unitPrice: Scalars['Decimal']['input'];
};

export type Currency = Node & {
  __typename?: 'Currency';
  code: Scalars['String']['output'];
  /** true for a custom credit currency, false for fiat. */
  custom: Scalars['Boolean']['output'];
  fiatCode?: Maybe<Scalars['String']['output']>;
  /** Value of one unit in fiatCode. */
  fiatValue?: Maybe<Scalars['Decimal']['output']>;
  id: Scalars['ID']['output'];
  name: Scalars['String']['output'];
  /** Decimal places kept on the ledger for this currency. */
  scale: Scalars['Int']['output'];
};

export type Customer = Node & {
  __typename?: 'Customer';
  autoTopUps: Array<AutoTopUp>;
  createdAt: Scalars['DateTime']['output'];
  creditBalances: Array<CreditBalance>;
  creditForecast: CreditForecast;
  creditGrants: CreditGrantConnection;
  /** Newest first. */
  creditHolds: CreditHoldConnection;
  creditTransactions: CreditMovementConnection;
  email?: Maybe<Scalars['String']['output']>;
  id: Scalars['ID']['output'];
  /** The vendor's own id for this customer; unique. */
  key: Scalars['String']['output'];
  metadata?: Maybe<Scalars['JSONObject']['output']>;
  name: Scalars['String']['output'];
  /** Usage subjects that are this customer; its key is always one. */
  subjectKeys: Array<Scalars['String']['output']>;
  subscriptions: Array<PlanSubscription>;
};


export type CustomerCreditBalancesArgs = {
  currency?: InputMaybe<Scalars['String']['input']>;
};


export type CustomerCreditForecastArgs = {
  currency: Scalars['String']['input'];
};


export type CustomerCreditGrantsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  currency?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  status?: InputMaybe<Array<GrantStatus>>;
};


export type CustomerCreditHoldsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  currency?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  status?: InputMaybe<Array<CreditHoldStatus>>;
};


export type CustomerCreditTransactionsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  before?: InputMaybe<Scalars['String']['input']>;
  currency?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  last?: InputMaybe<Scalars['Int']['input']>;
  types?: InputMaybe<Array<MovementType>>;
};

export type CustomerConnection = {
  __typename?: 'CustomerConnection';
  edges: Array<CustomerEdge>;
  pageInfo: PageInfo;
};

export type CustomerEdge = {
  __typename?: 'CustomerEdge';
  cursor: Scalars['String']['output'];
  node: Customer;
};

export type CustomerToken = {
  __typename?: 'CustomerToken';
  expiresAt: Scalars['DateTime']['output'];
  token: Scalars['String']['output'];
};

export type ExpiringCredit = {
  __typename?: 'ExpiringCredit';
  amount: Scalars['Decimal']['output'];
  at: Scalars['DateTime']['output'];
  grant: CreditGrant;
};

export type Feature = Node & {
  __typename?: 'Feature';
  aggregation: Aggregation;
  /** The usage event type this feature counts. */
  eventType: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  key: Scalars['String']['output'];
  name: Scalars['String']['output'];
  unit?: Maybe<Scalars['String']['output']>;
};

export type FundingMethod =
  | 'EXTERNAL'
  | 'INVOICE'
  | 'PROMOTIONAL';

/** One slice of a movement: the grant it drew from or restored to. A null grant is usage that no credit covered (CREDIT_ONLY). */
export type GrantAllocation = {
  __typename?: 'GrantAllocation';
  /** Signed like its movement: negative when drawn, positive when given. */
  amount: Scalars['Decimal']['output'];
  grant?: Maybe<CreditGrant>;
};

/** Where a grant came from. */
export type GrantSource =
  /** a plan's recurring credit allocation */
  | 'ALLOCATION'
  /** an auto top-up rule */
  | 'AUTO_TOP_UP'
  /** a subscription's included credits */
  | 'INCLUDED'
  /** createCreditGrant or a positive adjustCredits */
  | 'MANUAL'
  /** purchaseCredits (self-service or admin) */
  | 'PURCHASE'
  /** unused allocation carried into the next period */
  | 'ROLLOVER';

export type GrantStatus =
  | 'ACTIVE'
  | 'DEPLETED'
  | 'EXPIRED'
  | 'PENDING'
  | 'VOIDED';

export type IncludedCreditsInput = {
  amount: Scalars['Decimal']['input'];
  /** ISO-8601 duration from the subscription start; null: never expires. */
  expiresAfter?: InputMaybe<Scalars['String']['input']>;
  /** PROMOTIONAL, or INVOICE at the subscription's credit price. */
  fundingMethod: FundingMethod;
  priority?: InputMaybe<Scalars['Int']['input']>;
};

export type IngestUsageResult = {
  __typename?: 'IngestUsageResult';
  accepted: Scalars['Int']['output'];
  duplicates: Scalars['Int']['output'];
  rejected: Array<RejectedUsageEvent>;
};

export type Invoice = Node & {
  __typename?: 'Invoice';
  /** Fiat currency code. */
  currency: Scalars['String']['output'];
  customer: Customer;
  id: Scalars['ID']['output'];
  issuedAt?: Maybe<Scalars['DateTime']['output']>;
  /** CREDIT_PURCHASE or USAGE. */
  kind: Scalars['String']['output'];
  lines: Array<InvoiceLine>;
  number: Scalars['String']['output'];
  paymentStatus: PaymentStatus;
  periodEnd?: Maybe<Scalars['DateTime']['output']>;
  periodStart?: Maybe<Scalars['DateTime']['output']>;
  status: InvoiceStatus;
  total: Scalars['Decimal']['output'];
};

export type InvoiceConnection = {
  __typename?: 'InvoiceConnection';
  edges: Array<InvoiceEdge>;
  pageInfo: PageInfo;
};

export type InvoiceEdge = {
  __typename?: 'InvoiceEdge';
  cursor: Scalars['String']['output'];
  node: Invoice;
};

export type InvoiceLine = {
  __typename?: 'InvoiceLine';
  amount: Scalars['Decimal']['output'];
  description: Scalars['String']['output'];
  quantity: Scalars['Decimal']['output'];
  unitPrice: Scalars['Decimal']['output'];
};

export type InvoiceStatus =
  | 'DRAFT'
  | 'ISSUED'
  | 'PAID'
  | 'VOID';

/** One place where stored figures drift from what the ledger says. */
export type LedgerDrift = {
  __typename?: 'LedgerDrift';
  /** The figure stored. */
  actual: Scalars['String']['output'];
  /** The currency code of the ledger. */
  currency: Scalars['String']['output'];
  customerId: Scalars['ID']['output'];
  detail: Scalars['String']['output'];
  /** The movement, grant or charge concerned; null for the ledger row itself. */
  entityId?: Maybe<Scalars['ID']['output']>;
  /** The figure recomputed from movements, allocations and grants. */
  expected: Scalars['String']['output'];
  kind: LedgerDriftKind;
  ledgerId?: Maybe<Scalars['ID']['output']>;
  /** The movement's sequence, for movement drift. */
  sequence?: Maybe<Scalars['Int']['output']>;
};

/** What a reconciliation found out of step with the movements, allocations and grants. */
export type LedgerDriftKind =
  /** A movement's allocations do not add up to its amount. */
  | 'ALLOCATION_SUM'
  /** A movement's balanceAfter is not balanceBefore + amount. */
  | 'BALANCE_ARITHMETIC'
  /** A movement's balanceBefore is not the previous balanceAfter (0 for the first). */
  | 'BALANCE_CHAIN'
  /** A charge's credited amount is not what its CONSUMED movements took. */
  | 'CHARGE_CREDITED'
  /** A grant's remaining is not what its allocations left. */
  | 'GRANT_REMAINING'
  /** The ledger's balance is not its last balanceAfter or the sum of its amounts. */
  | 'LEDGER_BALANCE'
  /** The ledger's debt is not what its uncovered allocations took. */
  | 'LEDGER_DEBT'
  /** The ledger's balance is not its funded grants' remaining minus its debt. */
  | 'LEDGER_GRANTS'
  /** The ledger's last sequence is not its last movement's. */
  | 'LEDGER_SEQUENCE'
  /** A ledger's movement sequences are not 1, 2, 3 … without gaps. */
  | 'SEQUENCE_GAP';

/** Every ledger (or one customer’s) recomputed from its movements, allocations and grants. */
export type LedgerReconciliation = {
  __typename?: 'LedgerReconciliation';
  charges: Scalars['Int']['output'];
  checkedAt: Scalars['DateTime']['output'];
  /** True when no drift was found. */
  clean: Scalars['Boolean']['output'];
  drift: Array<LedgerDrift>;
  grants: Scalars['Int']['output'];
  ledgers: Scalars['Int']['output'];
  movements: Scalars['Int']['output'];
  /** More drift was found than one answer lists (500 per kind of check). */
  truncated: Scalars['Boolean']['output'];
};

export type MovementType =
  | 'ADJUSTED'
  | 'CONSUMED'
  | 'CORRECTED'
  | 'EXPIRED'
  | 'FUNDED'
  | 'VOIDED';

export type Mutation = {
  __typename?: 'Mutation';
  adjustCredits: CreditMovement;
  archivePlan: Plan;
  /** Ends the subscription at `at` (default now). */
  cancelSubscription: PlanSubscription;
  /** Books all or part of a HELD hold as a CREDIT_ONLY one-off charge with the hold's description; the rest is released. */
  captureCreditHold: CreditHold;
  /** Gives back all or part of a CONSUMED movement; see notRestored on the result for portions not restored. */
  correctMovement: CreditMovement;
  /** A one-off charge, settled at once under the given mode. */
  createCharge: Charge;
  createCreditGrant: CreditGrant;
  createCurrency: Currency;
  createCustomer: Customer;
  createFeature: Feature;
  createPlan: Plan;
  createSubscription: PlanSubscription;
  createWebhookEndpoint: WebhookEndpointSecret;
  /** Deleting a deleted endpoint is NOT_FOUND. */
  deleteWebhookEndpoint: Scalars['ID']['output'];
  /** Up to 1,000 events; each is accepted, a duplicate, or rejected with a code. */
  ingestUsage: IngestUsageResult;
  /** A signed token that may only read this customer and subscribe to its updates. */
  issueCustomerToken: CustomerToken;
  publishPlan: Plan;
  /** Buys credits at the subscription's credit price (an INVOICE grant, its invoice issued at once). */
  purchaseCredits: CreditGrant;
  /** Sends the same event (same webhook-id, same body) to the endpoint again, now. */
  redeliverWebhook: WebhookDelivery;
  /** Frees a HELD hold; a released or expired hold is returned unchanged. */
  releaseCreditHold: CreditHold;
  /** Reserves credit until captured, released or expired; INSUFFICIENT_CREDITS when pending is smaller. */
  reserveCredits: CreditHold;
  /** In force at once: later attempts, retries included, are signed with the new secret only. */
  rotateWebhookSecret: WebhookEndpointSecret;
  /** Sets the one auto top-up rule of a (customer, currency): below threshold, a grant of amount (or up to targetBalance) is bought. */
  setAutoTopUp: AutoTopUp;
  /** Replaces the customer's alert thresholds for one currency. */
  setCreditAlerts: Array<Scalars['Decimal']['output']>;
  /** Books what open charges owe now (one customer's, or all). */
  settleCharges: SettleChargesResult;
  /** Moves the expiry of a PENDING or ACTIVE grant; null: never; at or before now: expires it now. */
  updateCreditGrantExpiry: CreditGrant;
  updateCustomer: Customer;
  updateExternalSettlement: CreditGrant;
  updateInvoicePaymentStatus: Invoice;
  updateWebhookEndpoint: WebhookEndpoint;
  /** Voids PENDING or ACTIVE grants; voiding a voided grant returns it unchanged. */
  voidCreditGrant: CreditGrant;
};


export type MutationAdjustCreditsArgs = {
  input: AdjustCreditsInput;
};


export type MutationArchivePlanArgs = {
  id: Scalars['ID']['input'];
};


export type MutationCancelSubscriptionArgs = {
  at?: InputMaybe<Scalars['DateTime']['input']>;
  id: Scalars['ID']['input'];
};


export type MutationCaptureCreditHoldArgs = {
  input: CaptureCreditHoldInput;
};


export type MutationCorrectMovementArgs = {
  input: CorrectMovementInput;
};


export type MutationCreateChargeArgs = {
  input: CreateChargeInput;
};


export type MutationCreateCreditGrantArgs = {
  input: CreateCreditGrantInput;
};


export type MutationCreateCurrencyArgs = {
  input: CreateCurrencyInput;
};


export type MutationCreateCustomerArgs = {
  input: CreateCustomerInput;
};


export type MutationCreateFeatureArgs = {
  input: CreateFeatureInput;
};


export type MutationCreatePlanArgs = {
  input: CreatePlanInput;
};


export type MutationCreateSubscriptionArgs = {
  input: CreateSubscriptionInput;
};


export type MutationCreateWebhookEndpointArgs = {
  input: CreateWebhookEndpointInput;
};


export type MutationDeleteWebhookEndpointArgs = {
  id: Scalars['ID']['input'];
};


export type MutationIngestUsageArgs = {
  events: Array<UsageEventInput>;
};


export type MutationIssueCustomerTokenArgs = {
  customerId: Scalars['ID']['input'];
  ttlSeconds?: InputMaybe<Scalars['Int']['input']>;
};


export type MutationPublishPlanArgs = {
  id: Scalars['ID']['input'];
};


export type MutationPurchaseCreditsArgs = {
  input: PurchaseCreditsInput;
};


export type MutationRedeliverWebhookArgs = {
  deliveryId: Scalars['ID']['input'];
};


export type MutationReleaseCreditHoldArgs = {
  holdId: Scalars['ID']['input'];
};


export type MutationReserveCreditsArgs = {
  input: ReserveCreditsInput;
};


export type MutationRotateWebhookSecretArgs = {
  id: Scalars['ID']['input'];
};


export type MutationSetAutoTopUpArgs = {
  input: SetAutoTopUpInput;
};


export type MutationSetCreditAlertsArgs = {
  input: SetCreditAlertsInput;
};


export type MutationSettleChargesArgs = {
  customerId?: InputMaybe<Scalars['ID']['input']>;
};


export type MutationUpdateCreditGrantExpiryArgs = {
  expiresAt?: InputMaybe<Scalars['DateTime']['input']>;
  grantId: Scalars['ID']['input'];
};


export type MutationUpdateCustomerArgs = {
  id: Scalars['ID']['input'];
  input: UpdateCustomerInput;
};


export type MutationUpdateExternalSettlementArgs = {
  grantId: Scalars['ID']['input'];
  status: PaymentStatus;
};


export type MutationUpdateInvoicePaymentStatusArgs = {
  invoiceId: Scalars['ID']['input'];
  status: PaymentStatus;
};


export type MutationUpdateWebhookEndpointArgs = {
  id: Scalars['ID']['input'];
  input: UpdateWebhookEndpointInput;
};


export type MutationVoidCreditGrantArgs = {
  grantId: Scalars['ID']['input'];
  reason?: InputMaybe<Scalars['String']['input']>;
};

/** An object with a globally unique id, fetchable with `node(id)`. */
export type Node = {
  id: Scalars['ID']['output'];
};

export type PageInfo = {
  __typename?: 'PageInfo';
  endCursor?: Maybe<Scalars['String']['output']>;
  hasNextPage: Scalars['Boolean']['output'];
  hasPreviousPage: Scalars['Boolean']['output'];
  startCursor?: Maybe<Scalars['String']['output']>;
};

export type PaymentStatus =
  | 'AUTHORIZED'
  | 'FAILED'
  | 'PENDING'
  | 'SETTLED';

export type Plan = Node & {
  __typename?: 'Plan';
  /** ISO-8601 duration of a billing period, e.g. P1M. */
  billingCadence: Scalars['String']['output'];
  createdAt: Scalars['DateTime']['output'];
  creditAllocations: Array<CreditAllocation>;
  creditPurchase?: Maybe<CreditPurchaseRules>;
  currency: Currency;
  id: Scalars['ID']['output'];
  key: Scalars['String']['output'];
  name: Scalars['String']['output'];
  publishedAt?: Maybe<Scalars['DateTime']['output']>;
  rateCards: Array<RateCard>;
  settlementMode: SettlementMode;
  status: PlanStatus;
  version: Scalars['Int']['output'];
};

export type PlanConnection = {
  __typename?: 'PlanConnection';
  edges: Array<PlanEdge>;
  pageInfo: PageInfo;
};

export type PlanEdge = {
  __typename?: 'PlanEdge';
  cursor: Scalars['String']['output'];
  node: Plan;
};

export type PlanStatus =
  | 'ARCHIVED'
  | 'DRAFT'
  | 'PUBLISHED';

export type PlanSubscription = Node & {
  __typename?: 'PlanSubscription';
  activeFrom: Scalars['DateTime']['output'];
  activeTo?: Maybe<Scalars['DateTime']['output']>;
  canceledAt?: Maybe<Scalars['DateTime']['output']>;
  /** Price of one credit for purchases under this subscription: the override, else the plan's. */
  creditUnitPrice?: Maybe<Scalars['Decimal']['output']>;
  /** The billing period running now, if active. */
  currentPeriod?: Maybe<BillingPeriod>;
  customer: Customer;
  id: Scalars['ID']['output'];
  plan: Plan;
  /** The subscription's own mode, else its plan's. */
  settlementMode: SettlementMode;
  /** The override set on this subscription, if any. */
  settlementModeOverride?: Maybe<SettlementMode>;
  status: SubscriptionStatus;
};

export type Price = {
  __typename?: 'Price';
  model: PriceModel;
  tiers?: Maybe<Array<PriceTier>>;
  unitAmount?: Maybe<Scalars['Decimal']['output']>;
};

export type PriceInput = {
  model: PriceModel;
  tiers?: InputMaybe<Array<PriceTierInput>>;
  unitAmount?: InputMaybe<Scalars['Decimal']['input']>;
};

export type PriceModel =
  | 'GRADUATED'
  | 'UNIT'
  | 'VOLUME';

export type PriceTier = {
  __typename?: 'PriceTier';
  flatAmount?: Maybe<Scalars['Decimal']['output']>;
  unitAmount: Scalars['Decimal']['output'];
  /** Inclusive upper bound; null for the last, open tier. */
  upTo?: Maybe<Scalars['Decimal']['output']>;
};

export type PriceTierInput = {
  flatAmount?: InputMaybe<Scalars['Decimal']['input']>;
  unitAmount: Scalars['Decimal']['input'];
  upTo?: InputMaybe<Scalars['Decimal']['input']>;
};

export type PurchaseCreditsInput = {
  amount: Scalars['Decimal']['input'];
  /** Default: the currency of the customer's active subscription's plan. */
  currency?: InputMaybe<Scalars['String']['input']>;
  customerId: Scalars['ID']['input'];
  idempotencyKey: Scalars['String']['input'];
};

export type PurchaseTerms = {
  __typename?: 'PurchaseTerms';
  currency: Scalars['String']['output'];
  perUnitCost: Scalars['Decimal']['output'];
  totalAmount: Scalars['Decimal']['output'];
};

export type PurchaseTermsInput = {
  /** Fiat currency of the credit-purchase invoice. */
  currency: Scalars['String']['input'];
  perUnitCost: Scalars['Decimal']['input'];
};

export type Query = {
  __typename?: 'Query';
  charges: ChargeConnection;
  /** Whether credits cover `quantity` (default 1) more of a feature now; reads only. Customer tokens may check their own customer. */
  checkCredits: CreditCheck;
  creditBalances: Array<CreditBalance>;
  creditGrants: CreditGrantConnection;
  /** Newest first; first/after go to older movements, last/before to newer. */
  creditTransactions: CreditMovementConnection;
  currencies: Array<Currency>;
  /** By id or by key. */
  customer?: Maybe<Customer>;
  /** Admin only. Newest first; search matches key, name or email. */
  customers: CustomerConnection;
  features: Array<Feature>;
  invoices: InvoiceConnection;
  node?: Maybe<Node>;
  /** By id, or by key (the given version, else the latest published version, else the latest draft). */
  plan?: Maybe<Plan>;
  plans: PlanConnection;
  /** Admin only. Recomputes every ledger (or one customer's) from its movements, allocations and grants and lists any drift. */
  reconcileLedgers: LedgerReconciliation;
  /** Admin only. Oldest first; deleted ones are gone. */
  webhookEndpoints: Array<WebhookEndpoint>;
  /** Admin only. The event types an endpoint may subscribe to. */
  webhookEventTypes: Array<Scalars['String']['output']>;
};


export type QueryChargesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  customerId: Scalars['ID']['input'];
  first?: InputMaybe<Scalars['Int']['input']>;
  status?: InputMaybe<Array<ChargeStatus>>;
};


export type QueryCheckCreditsArgs = {
  customerId: Scalars['ID']['input'];
  featureKey: Scalars['String']['input'];
  quantity?: InputMaybe<Scalars['Decimal']['input']>;
};


export type QueryCreditBalancesArgs = {
  currency?: InputMaybe<Scalars['String']['input']>;
  customerId: Scalars['ID']['input'];
};


export type QueryCreditGrantsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  currency?: InputMaybe<Scalars['String']['input']>;
  customerId: Scalars['ID']['input'];
  first?: InputMaybe<Scalars['Int']['input']>;
  status?: InputMaybe<Array<GrantStatus>>;
};


export type QueryCreditTransactionsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  before?: InputMaybe<Scalars['String']['input']>;
  currency?: InputMaybe<Scalars['String']['input']>;
  customerId: Scalars['ID']['input'];
  first?: InputMaybe<Scalars['Int']['input']>;
  last?: InputMaybe<Scalars['Int']['input']>;
  types?: InputMaybe<Array<MovementType>>;
};


export type QueryCustomerArgs = {
  id?: InputMaybe<Scalars['ID']['input']>;
  key?: InputMaybe<Scalars['String']['input']>;
};


export type QueryCustomersArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  search?: InputMaybe<Scalars['String']['input']>;
};


export type QueryInvoicesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  customerId: Scalars['ID']['input'];
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryNodeArgs = {
  id: Scalars['ID']['input'];
};


export type QueryPlanArgs = {
  id?: InputMaybe<Scalars['ID']['input']>;
  key?: InputMaybe<Scalars['String']['input']>;
  version?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryPlansArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  status?: InputMaybe<Array<PlanStatus>>;
};


export type QueryReconcileLedgersArgs = {
  customerId?: InputMaybe<Scalars['ID']['input']>;
};

export type RateCard = Node & {
  __typename?: 'RateCard';
  feature: Feature;
  id: Scalars['ID']['output'];
  price: Price;
  /** The rate card's own mode, else its plan's. */
  settlementMode: SettlementMode;
  /** The override set on this rate card, if any. */
  settlementModeOverride?: Maybe<SettlementMode>;
};

export type RateCardInput = {
  featureKey: Scalars['String']['input'];
  price: PriceInput;
  settlementMode?: InputMaybe<SettlementMode>;
};

export type RejectedUsageEvent = {
  __typename?: 'RejectedUsageEvent';
  /** UNKNOWN_SUBJECT, UNKNOWN_EVENT_TYPE, NO_ACTIVE_SUBSCRIPTION, NO_RATE_CARD, BAD_VALUE, BAD_TIMESTAMP, BAD_ID, PERIOD_CLOSED or IDEMPOTENCY_CONFLICT. */
  code: Scalars['String']['output'];
  id: Scalars['String']['output'];
  message: Scalars['String']['output'];
};

export type ReserveCreditsInput = {
  amount: Scalars['Decimal']['input'];
  currency: Scalars['String']['input'];
  customerId: Scalars['ID']['input'];
  description?: InputMaybe<Scalars['String']['input']>;
  /** ISO-8601 duration, default PT15M, at most P1D. */
  expiresIn?: InputMaybe<Scalars['String']['input']>;
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
};

export type SetAutoTopUpInput = {
  amount?: InputMaybe<Scalars['Decimal']['input']>;
  currency: Scalars['String']['input'];
  customerId: Scalars['ID']['input'];
  enabled: Scalars['Boolean']['input'];
  /** INVOICE (default) or EXTERNAL. */
  fundingMethod?: InputMaybe<FundingMethod>;
  /** Default PT1H. */
  retryAfter?: InputMaybe<Scalars['String']['input']>;
  targetBalance?: InputMaybe<Scalars['Decimal']['input']>;
  threshold: Scalars['Decimal']['input'];
};

export type SetCreditAlertsInput = {
  currency: Scalars['String']['input'];
  customerId: Scalars['ID']['input'];
  thresholds: Array<Scalars['Decimal']['input']>;
};

export type SettleChargesResult = {
  __typename?: 'SettleChargesResult';
  /** The CONSUMED movements this run booked. */
  movements: Array<CreditMovement>;
  settledCharges: Scalars['Int']['output'];
};

export type SettlementMode =
  | 'CREDIT_ONLY'
  | 'CREDIT_THEN_INVOICE';

export type Subscription = {
  __typename?: 'Subscription';
  /** DEPLETED, DROPPED_BELOW_THRESHOLD and RECOVERED, once per crossing of the settled balance. */
  creditBalanceAlerts: CreditBalanceAlert;
  /** Every committed movement of the customer in sequence order, with the balance after it; pending-only changes (movement: null) at most 4 per second. With afterSequence, first replays every movement after it. */
  creditBalanceChanged: CreditBalanceUpdate;
};


export type SubscriptionCreditBalanceAlertsArgs = {
  customerId: Scalars['ID']['input'];
};


export type SubscriptionCreditBalanceChangedArgs = {
  afterSequence?: InputMaybe<Scalars['Int']['input']>;
  currency?: InputMaybe<Scalars['String']['input']>;
  customerId: Scalars['ID']['input'];
};

export type SubscriptionStatus =
  | 'ACTIVE'
  | 'CANCELED'
  | 'ENDED'
  | 'SCHEDULED';

export type UpdateCustomerInput = {
  email?: InputMaybe<Scalars['String']['input']>;
  /** Replaces the metadata; null clears it. */
  metadata?: InputMaybe<Scalars['JSONObject']['input']>;
  name?: InputMaybe<Scalars['String']['input']>;
  /** Replaces the subject keys; the customer key always stays one. */
  subjectKeys?: InputMaybe<Array<Scalars['String']['input']>>;
};

export type UpdateWebhookEndpointInput = {
  description?: InputMaybe<Scalars['String']['input']>;
  enabled?: InputMaybe<Scalars['Boolean']['input']>;
  eventTypes?: InputMaybe<Array<Scalars['String']['input']>>;
  url?: InputMaybe<Scalars['String']['input']>;
};

export type UsageEventInput = {
  data?: InputMaybe<Scalars['JSONObject']['input']>;
  /** Idempotency key of the event. */
  id: Scalars['String']['input'];
  subject: Scalars['String']['input'];
  /** Default: when it is received. */
  timestamp?: InputMaybe<Scalars['DateTime']['input']>;
  type: Scalars['String']['input'];
  /** Default 1. */
  value?: InputMaybe<Scalars['Decimal']['input']>;
};

export type WebhookDelivery = Node & {
  __typename?: 'WebhookDelivery';
  attempts: Scalars['Int']['output'];
  createdAt: Scalars['DateTime']['output'];
  endpoint: WebhookEndpoint;
  /** The `webhook-id` header: the same on every attempt and redelivery. */
  eventId: Scalars['String']['output'];
  eventType: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  lastAttemptAt?: Maybe<Scalars['DateTime']['output']>;
  /** Null when the last attempt got no response. */
  lastResponseStatus?: Maybe<Scalars['Int']['output']>;
  /** Set while an attempt is due; null once settled. */
  nextAttemptAt?: Maybe<Scalars['DateTime']['output']>;
  /** The body sent: `{"type", "timestamp", "data"}`. */
  payload: Scalars['JSONObject']['output'];
  status: WebhookDeliveryStatus;
};

export type WebhookDeliveryConnection = {
  __typename?: 'WebhookDeliveryConnection';
  edges: Array<WebhookDeliveryEdge>;
  pageInfo: PageInfo;
};

export type WebhookDeliveryEdge = {
  __typename?: 'WebhookDeliveryEdge';
  cursor: Scalars['String']['output'];
  node: WebhookDelivery;
};

export type WebhookDeliveryStatus =
  | 'FAILED'
  | 'PENDING'
  | 'SUCCEEDED';

/** Admin only. */
export type WebhookEndpoint = Node & {
  __typename?: 'WebhookEndpoint';
  createdAt: Scalars['DateTime']['output'];
  /** Newest first by createdAt. */
  deliveries: WebhookDeliveryConnection;
  description?: Maybe<Scalars['String']['output']>;
  /** A disabled endpoint gets no attempts, and nothing that happens meanwhile. */
  enabled: Scalars['Boolean']['output'];
  eventTypes: Array<Scalars['String']['output']>;
  id: Scalars['ID']['output'];
  url: Scalars['String']['output'];
};


/** Admin only. */
export type WebhookEndpointDeliveriesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  status?: InputMaybe<Array<WebhookDeliveryStatus>>;
};

/** Returned when an endpoint is created or its secret rotated: the signing secret is shown only here. */
export type WebhookEndpointSecret = {
  __typename?: 'WebhookEndpointSecret';
  endpoint: WebhookEndpoint;
  /** `whsec_` + base64 of 32 random bytes, for the Standard Webhooks libraries. */
  secret: Scalars['String']['output'];
};

export type DashboardGrantMutationVariables = Exact<{
  input: CreateCreditGrantInput;
}>;


export type DashboardGrantMutation = { __typename?: 'Mutation', createCreditGrant: { __typename?: 'CreditGrant', id: string, amount: string, status: GrantStatus } };

export type DashboardAdjustMutationVariables = Exact<{
  input: AdjustCreditsInput;
}>;


export type DashboardAdjustMutation = { __typename?: 'Mutation', adjustCredits: { __typename?: 'CreditMovement', id: string, sequence: number, amount: string } };

export type DashboardVoidMutationVariables = Exact<{
  grantId: Scalars['ID']['input'];
  reason?: InputMaybe<Scalars['String']['input']>;
}>;


export type DashboardVoidMutation = { __typename?: 'Mutation', voidCreditGrant: { __typename?: 'CreditGrant', id: string, status: GrantStatus } };

export type DashboardPurchaseMutationVariables = Exact<{
  input: PurchaseCreditsInput;
}>;


export type DashboardPurchaseMutation = { __typename?: 'Mutation', purchaseCredits: { __typename?: 'CreditGrant', id: string, amount: string, status: GrantStatus } };

export type DashboardSetAlertsMutationVariables = Exact<{
  input: SetCreditAlertsInput;
}>;


export type DashboardSetAlertsMutation = { __typename?: 'Mutation', setCreditAlerts: Array<string> };

export type BalanceFieldsFragment = { __typename?: 'CreditBalance', settled: string, pending: string, held: string, upcoming: string, asOf: string, currency: { __typename?: 'Currency', code: string, name: string, scale: number } };

export type DashboardCustomerQueryVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type DashboardCustomerQuery = { __typename?: 'Query', customer?: { __typename?: 'Customer', id: string, key: string, name: string, email?: string | null, createdAt: string, subjectKeys: Array<string>, creditBalances: Array<{ __typename?: 'CreditBalance', settled: string, pending: string, held: string, upcoming: string, asOf: string, currency: { __typename?: 'Currency', code: string, name: string, scale: number } }>, subscriptions: Array<{ __typename?: 'PlanSubscription', id: string, status: SubscriptionStatus, creditUnitPrice?: string | null, plan: { __typename?: 'Plan', key: string, name: string, currency: { __typename?: 'Currency', code: string }, creditPurchase?: { __typename?: 'CreditPurchaseRules', currency: string, unitPrice: string, minAmount?: string | null, maxAmount?: string | null } | null } }>, autoTopUps: Array<{ __typename?: 'AutoTopUp', enabled: boolean, threshold: string, amount?: string | null, targetBalance?: string | null, fundingMethod: FundingMethod, lastTriggeredAt?: string | null, currency: { __typename?: 'Currency', code: string } }> } | null };

export type DashboardLedgerQueryVariables = Exact<{
  customerId: Scalars['ID']['input'];
  currency: Scalars['String']['input'];
}>;


export type DashboardLedgerQuery = { __typename?: 'Query', customer?: { __typename?: 'Customer', id: string, creditForecast: { __typename?: 'CreditForecast', burnRatePerDay: string, runOutAt?: string | null, expiring: Array<{ __typename?: 'ExpiringCredit', amount: string, at: string, grant: { __typename?: 'CreditGrant', id: string, name?: string | null } }> } } | null, creditTransactions: { __typename?: 'CreditMovementConnection', edges: Array<{ __typename?: 'CreditMovementEdge', node: { __typename?: 'CreditMovement', sequence: number, bookedAt: string, balanceAfter: string } }> } };

export type DashboardGrantsQueryVariables = Exact<{
  customerId: Scalars['ID']['input'];
  first?: InputMaybe<Scalars['Int']['input']>;
  after?: InputMaybe<Scalars['String']['input']>;
}>;


export type DashboardGrantsQuery = { __typename?: 'Query', creditGrants: { __typename?: 'CreditGrantConnection', edges: Array<{ __typename?: 'CreditGrantEdge', node: { __typename?: 'CreditGrant', id: string, name?: string | null, source: GrantSource, status: GrantStatus, fundingMethod: FundingMethod, amount: string, remaining: string, effectiveAt: string, expiresAt?: string | null, adjustment: boolean, currency: { __typename?: 'Currency', code: string } } }>, pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor?: string | null } } };

export type DashboardHistoryQueryVariables = Exact<{
  customerId: Scalars['ID']['input'];
  currency?: InputMaybe<Scalars['String']['input']>;
  types?: InputMaybe<Array<MovementType> | MovementType>;
  first?: InputMaybe<Scalars['Int']['input']>;
  after?: InputMaybe<Scalars['String']['input']>;
  last?: InputMaybe<Scalars['Int']['input']>;
  before?: InputMaybe<Scalars['String']['input']>;
}>;


export type DashboardHistoryQuery = { __typename?: 'Query', creditTransactions: { __typename?: 'CreditMovementConnection', edges: Array<{ __typename?: 'CreditMovementEdge', node: { __typename?: 'CreditMovement', id: string, sequence: number, type: MovementType, amount: string, balanceAfter: string, bookedAt: string, description?: string | null, currency: { __typename?: 'Currency', code: string }, grant?: { __typename?: 'CreditGrant', id: string, name?: string | null } | null, charge?: { __typename?: 'Charge', id: string, description?: string | null } | null } }>, pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, hasPreviousPage: boolean, startCursor?: string | null, endCursor?: string | null } } };

export type DashboardBillingQueryVariables = Exact<{
  customerId: Scalars['ID']['input'];
}>;


export type DashboardBillingQuery = { __typename?: 'Query', charges: { __typename?: 'ChargeConnection', edges: Array<{ __typename?: 'ChargeEdge', node: { __typename?: 'Charge', id: string, description?: string | null, status: ChargeStatus, quantity?: string | null, amount: string, creditedAmount: string, invoicedAmount: string, settlementMode: SettlementMode, periodStart?: string | null, periodEnd?: string | null, currency: { __typename?: 'Currency', code: string }, feature?: { __typename?: 'Feature', key: string, name: string } | null } }> }, invoices: { __typename?: 'InvoiceConnection', edges: Array<{ __typename?: 'InvoiceEdge', node: { __typename?: 'Invoice', id: string, number: string, kind: string, status: InvoiceStatus, paymentStatus: PaymentStatus, currency: string, total: string, issuedAt?: string | null } }> } };

export type DashboardSequenceQueryVariables = Exact<{
  customerId: Scalars['ID']['input'];
  currency: Scalars['String']['input'];
}>;


export type DashboardSequenceQuery = { __typename?: 'Query', creditTransactions: { __typename?: 'CreditMovementConnection', edges: Array<{ __typename?: 'CreditMovementEdge', node: { __typename?: 'CreditMovement', sequence: number } }> } };

export type DashboardCustomersQueryVariables = Exact<{
  search?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  after?: InputMaybe<Scalars['String']['input']>;
}>;


export type DashboardCustomersQuery = { __typename?: 'Query', customers: { __typename?: 'CustomerConnection', edges: Array<{ __typename?: 'CustomerEdge', node: { __typename?: 'Customer', id: string, key: string, name: string, email?: string | null, createdAt: string } }>, pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor?: string | null } } };

export type DashboardAdminCheckQueryVariables = Exact<{ [key: string]: never; }>;


export type DashboardAdminCheckQuery = { __typename?: 'Query', customers: { __typename?: 'CustomerConnection', edges: Array<{ __typename?: 'CustomerEdge', cursor: string }> } };

export type DashboardBalanceChangedSubscriptionVariables = Exact<{
  customerId: Scalars['ID']['input'];
  currency?: InputMaybe<Scalars['String']['input']>;
  afterSequence?: InputMaybe<Scalars['Int']['input']>;
}>;


export type DashboardBalanceChangedSubscription = { __typename?: 'Subscription', creditBalanceChanged: { __typename?: 'CreditBalanceUpdate', customerId: string, sequence: number, balance: { __typename?: 'CreditBalance', settled: string, pending: string, held: string, upcoming: string, asOf: string, currency: { __typename?: 'Currency', code: string, name: string, scale: number } }, movement?: { __typename?: 'CreditMovement', sequence: number, type: MovementType, amount: string } | null } };

export type DashboardAlertsSubscriptionVariables = Exact<{
  customerId: Scalars['ID']['input'];
}>;


export type DashboardAlertsSubscription = { __typename?: 'Subscription', creditBalanceAlerts: { __typename?: 'CreditBalanceAlert', type: CreditAlertType, currency: string, balance: string, threshold?: string | null, at: string } };

export const BalanceFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"BalanceFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"CreditBalance"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"currency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"scale"}}]}},{"kind":"Field","name":{"kind":"Name","value":"settled"}},{"kind":"Field","name":{"kind":"Name","value":"pending"}},{"kind":"Field","name":{"kind":"Name","value":"held"}},{"kind":"Field","name":{"kind":"Name","value":"upcoming"}},{"kind":"Field","name":{"kind":"Name","value":"asOf"}}]}}]} as unknown as DocumentNode<BalanceFieldsFragment, unknown>;
export const DashboardGrantDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"DashboardGrant"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateCreditGrantInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createCreditGrant"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<DashboardGrantMutation, DashboardGrantMutationVariables>;
export const DashboardAdjustDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"DashboardAdjust"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"AdjustCreditsInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"adjustCredits"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"sequence"}},{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}}]}}]} as unknown as DocumentNode<DashboardAdjustMutation, DashboardAdjustMutationVariables>;
export const DashboardVoidDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"DashboardVoid"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"grantId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"reason"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"voidCreditGrant"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"grantId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"grantId"}}},{"kind":"Argument","name":{"kind":"Name","value":"reason"},"value":{"kind":"Variable","name":{"kind":"Name","value":"reason"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<DashboardVoidMutation, DashboardVoidMutationVariables>;
export const DashboardPurchaseDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"DashboardPurchase"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"PurchaseCreditsInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"purchaseCredits"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<DashboardPurchaseMutation, DashboardPurchaseMutationVariables>;
export const DashboardSetAlertsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"DashboardSetAlerts"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"SetCreditAlertsInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"setCreditAlerts"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}]}]}}]} as unknown as DocumentNode<DashboardSetAlertsMutation, DashboardSetAlertsMutationVariables>;
export const DashboardCustomerDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"DashboardCustomer"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"customer"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"key"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"subjectKeys"}},{"kind":"Field","name":{"kind":"Name","value":"creditBalances"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"BalanceFields"}}]}},{"kind":"Field","name":{"kind":"Name","value":"subscriptions"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"creditUnitPrice"}},{"kind":"Field","name":{"kind":"Name","value":"plan"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"currency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}}]}},{"kind":"Field","name":{"kind":"Name","value":"creditPurchase"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"currency"}},{"kind":"Field","name":{"kind":"Name","value":"unitPrice"}},{"kind":"Field","name":{"kind":"Name","value":"minAmount"}},{"kind":"Field","name":{"kind":"Name","value":"maxAmount"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"autoTopUps"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"currency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}}]}},{"kind":"Field","name":{"kind":"Name","value":"enabled"}},{"kind":"Field","name":{"kind":"Name","value":"threshold"}},{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"targetBalance"}},{"kind":"Field","name":{"kind":"Name","value":"fundingMethod"}},{"kind":"Field","name":{"kind":"Name","value":"lastTriggeredAt"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"BalanceFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"CreditBalance"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"currency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"scale"}}]}},{"kind":"Field","name":{"kind":"Name","value":"settled"}},{"kind":"Field","name":{"kind":"Name","value":"pending"}},{"kind":"Field","name":{"kind":"Name","value":"held"}},{"kind":"Field","name":{"kind":"Name","value":"upcoming"}},{"kind":"Field","name":{"kind":"Name","value":"asOf"}}]}}]} as unknown as DocumentNode<DashboardCustomerQuery, DashboardCustomerQueryVariables>;
export const DashboardLedgerDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"DashboardLedger"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"customerId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"currency"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"customer"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"customerId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"creditForecast"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"currency"},"value":{"kind":"Variable","name":{"kind":"Name","value":"currency"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"burnRatePerDay"}},{"kind":"Field","name":{"kind":"Name","value":"runOutAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiring"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"grant"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"creditTransactions"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"customerId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"customerId"}}},{"kind":"Argument","name":{"kind":"Name","value":"currency"},"value":{"kind":"Variable","name":{"kind":"Name","value":"currency"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"100"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sequence"}},{"kind":"Field","name":{"kind":"Name","value":"bookedAt"}},{"kind":"Field","name":{"kind":"Name","value":"balanceAfter"}}]}}]}}]}}]}}]} as unknown as DocumentNode<DashboardLedgerQuery, DashboardLedgerQueryVariables>;
export const DashboardGrantsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"DashboardGrants"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"customerId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"creditGrants"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"customerId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"customerId"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"fundingMethod"}},{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"remaining"}},{"kind":"Field","name":{"kind":"Name","value":"effectiveAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"adjustment"}},{"kind":"Field","name":{"kind":"Name","value":"currency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<DashboardGrantsQuery, DashboardGrantsQueryVariables>;
export const DashboardHistoryDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"DashboardHistory"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"customerId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"currency"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"types"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"MovementType"}}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"last"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"before"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"creditTransactions"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"customerId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"customerId"}}},{"kind":"Argument","name":{"kind":"Name","value":"currency"},"value":{"kind":"Variable","name":{"kind":"Name","value":"currency"}}},{"kind":"Argument","name":{"kind":"Name","value":"types"},"value":{"kind":"Variable","name":{"kind":"Name","value":"types"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"last"},"value":{"kind":"Variable","name":{"kind":"Name","value":"last"}}},{"kind":"Argument","name":{"kind":"Name","value":"before"},"value":{"kind":"Variable","name":{"kind":"Name","value":"before"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"sequence"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"balanceAfter"}},{"kind":"Field","name":{"kind":"Name","value":"bookedAt"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"currency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}}]}},{"kind":"Field","name":{"kind":"Name","value":"grant"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"charge"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"description"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"hasPreviousPage"}},{"kind":"Field","name":{"kind":"Name","value":"startCursor"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<DashboardHistoryQuery, DashboardHistoryQueryVariables>;
export const DashboardBillingDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"DashboardBilling"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"customerId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"charges"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"customerId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"customerId"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"20"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"quantity"}},{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"creditedAmount"}},{"kind":"Field","name":{"kind":"Name","value":"invoicedAmount"}},{"kind":"Field","name":{"kind":"Name","value":"settlementMode"}},{"kind":"Field","name":{"kind":"Name","value":"periodStart"}},{"kind":"Field","name":{"kind":"Name","value":"periodEnd"}},{"kind":"Field","name":{"kind":"Name","value":"currency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}}]}},{"kind":"Field","name":{"kind":"Name","value":"feature"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"invoices"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"customerId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"customerId"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"20"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"number"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"paymentStatus"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}},{"kind":"Field","name":{"kind":"Name","value":"total"}},{"kind":"Field","name":{"kind":"Name","value":"issuedAt"}}]}}]}}]}}]}}]} as unknown as DocumentNode<DashboardBillingQuery, DashboardBillingQueryVariables>;
export const DashboardSequenceDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"DashboardSequence"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"customerId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"currency"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"creditTransactions"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"customerId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"customerId"}}},{"kind":"Argument","name":{"kind":"Name","value":"currency"},"value":{"kind":"Variable","name":{"kind":"Name","value":"currency"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"1"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sequence"}}]}}]}}]}}]}}]} as unknown as DocumentNode<DashboardSequenceQuery, DashboardSequenceQueryVariables>;
export const DashboardCustomersDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"DashboardCustomers"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"search"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"customers"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"search"},"value":{"kind":"Variable","name":{"kind":"Name","value":"search"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"key"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<DashboardCustomersQuery, DashboardCustomersQueryVariables>;
export const DashboardAdminCheckDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"DashboardAdminCheck"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"customers"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"1"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}}]}}]}}]}}]} as unknown as DocumentNode<DashboardAdminCheckQuery, DashboardAdminCheckQueryVariables>;
export const DashboardBalanceChangedDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"DashboardBalanceChanged"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"customerId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"currency"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"afterSequence"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"creditBalanceChanged"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"customerId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"customerId"}}},{"kind":"Argument","name":{"kind":"Name","value":"currency"},"value":{"kind":"Variable","name":{"kind":"Name","value":"currency"}}},{"kind":"Argument","name":{"kind":"Name","value":"afterSequence"},"value":{"kind":"Variable","name":{"kind":"Name","value":"afterSequence"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"customerId"}},{"kind":"Field","name":{"kind":"Name","value":"sequence"}},{"kind":"Field","name":{"kind":"Name","value":"balance"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"BalanceFields"}}]}},{"kind":"Field","name":{"kind":"Name","value":"movement"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sequence"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"BalanceFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"CreditBalance"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"currency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"scale"}}]}},{"kind":"Field","name":{"kind":"Name","value":"settled"}},{"kind":"Field","name":{"kind":"Name","value":"pending"}},{"kind":"Field","name":{"kind":"Name","value":"held"}},{"kind":"Field","name":{"kind":"Name","value":"upcoming"}},{"kind":"Field","name":{"kind":"Name","value":"asOf"}}]}}]} as unknown as DocumentNode<DashboardBalanceChangedSubscription, DashboardBalanceChangedSubscriptionVariables>;
export const DashboardAlertsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"DashboardAlerts"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"customerId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"creditBalanceAlerts"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"customerId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"customerId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}},{"kind":"Field","name":{"kind":"Name","value":"balance"}},{"kind":"Field","name":{"kind":"Name","value":"threshold"}},{"kind":"Field","name":{"kind":"Name","value":"at"}}]}}]}}]} as unknown as DocumentNode<DashboardAlertsSubscription, DashboardAlertsSubscriptionVariables>;