import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../core/clock';
import { addDuration } from '../../core/duration';
import { DomainError, ErrorCode, Problems } from '../../core/errors';
import { IdPrefix, isIdOf } from '../../core/ids';
import { Dec, parseDecimal } from '../../money';
import { CurrencyEntity, PlanEntity, parseProgramDuration } from '../catalog';
import { CustomerEntity } from '../customers';
import type { FundingMethod, GrantEntity, LedgerService } from '../ledger';
import { inTransaction } from '../shared/tx';
import {
  creditPriceOf,
  type CreateSubscriptionInput,
  type SubscriptionEntity,
  type SubscriptionsService,
} from '../subscriptions';

export interface IncludedCreditsInput {
  amount: string;
  /** PROMOTIONAL, or INVOICE at the subscription's credit price. */
  fundingMethod: FundingMethod;
  priority?: number | null;
  /** ISO-8601 duration from the subscription start; null: never expires. */
  expiresAfter?: string | null;
}

export interface PurchaseCreditsInput {
  customerId: string;
  /** Default: the currency of the plan of the customer's earliest started active subscription. */
  currency?: string | null;
  amount: string;
  idempotencyKey: string;
}

/**
 * Credits a subscription brings and credits bought under it (SPEC §14): `subscribe` creates a subscription
 * with its included credits in one transaction; `purchase` sells credits at the subscription's credit price
 * (`creditPriceOf`, the one price rule, also used by auto top-ups through `SubscriptionsService.creditPriceFor`).
 */
export class CreditPurchases {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly deps: { ledger: LedgerService; subscriptions: SubscriptionsService },
  ) {}

  /** createSubscription: the subscription and its INCLUDED grant (if any) commit together or not at all. */
  async subscribe(
    input: CreateSubscriptionInput & { includedCredits?: IncludedCreditsInput | null },
  ): Promise<SubscriptionEntity> {
    const included = input.includedCredits ?? null;
    if (included) {
      const problems = new Problems();
      if (included.fundingMethod === 'EXTERNAL')
        problems.add('includedCredits.fundingMethod', 'must be PROMOTIONAL or INVOICE');
      if (included.expiresAfter != null)
        problems.check('includedCredits.expiresAfter', () =>
          parseProgramDuration(included.expiresAfter!, 'expiresAfter'),
        );
      problems.throwIfAny();
    }
    const { includedCredits: _omit, ...subscription } = input;
    return inTransaction(this.em, async (em) => {
      const sub = await this.deps.subscriptions.create(subscription, em);
      if (included) {
        await em.flush(); // the grant references the subscription row
        await this.grantIncluded(em, sub, included);
      }
      return sub;
    });
  }

  private async grantIncluded(em: EntityManager, sub: SubscriptionEntity, included: IncludedCreditsInput) {
    const plan = await em.findOneOrFail(PlanEntity, { id: sub.planId });
    const currency = await em.findOneOrFail(CurrencyEntity, { id: plan.currencyId });
    const price = creditPriceOf(sub, plan);
    if (included.fundingMethod === 'INVOICE' && !price) {
      throw DomainError.badInput(
        `includedCredits.fundingMethod: INVOICE needs a credit price; plan ${plan.key} has no creditPurchase`,
      );
    }
    const expiresAt = included.expiresAfter
      ? addDuration(sub.activeFrom, parseProgramDuration(included.expiresAfter, 'expiresAfter'))
      : null;
    await this.deps.ledger.createGrantId(
      {
        customerId: sub.customerId,
        currency: currency.code,
        amount: included.amount,
        fundingMethod: included.fundingMethod,
        name: 'Included credits',
        priority: included.priority ?? null,
        effectiveAt: sub.activeFrom,
        expiresAt,
        purchase:
          included.fundingMethod === 'INVOICE'
            ? { currency: price!.currency, perUnitCost: price!.unitPrice }
            : null,
        origin: 'INCLUDED',
        subscriptionId: sub.id,
      },
      { em },
    );
  }

  /** purchaseCredits: an INVOICE grant with source PURCHASE at the credit price, its invoice issued at once. */
  async purchase(input: PurchaseCreditsInput): Promise<GrantEntity> {
    const now = this.clock.now();
    const customer = isIdOf(IdPrefix.Customer, input.customerId)
      ? await this.em.findOne(CustomerEntity, { id: input.customerId })
      : null;
    if (!customer) throw DomainError.notFound('Customer', input.customerId);
    if (input.idempotencyKey.length === 0) throw DomainError.badInput('idempotencyKey must not be empty');
    const currency = await this.currencyOf(customer, input.currency ?? null, now);
    const price = await this.deps.subscriptions.creditPriceFor(customer.id, currency.id, now);
    if (!price) {
      throw new DomainError(
        ErrorCode.INVALID_STATE,
        `Customer ${customer.key} has no active subscription with a credit price in ${currency.code}`,
      );
    }
    const amount = parseDecimal(input.amount, { scale: currency.scale, positive: true, field: 'amount' });
    if (price.minAmount !== null && amount.lt(price.minAmount))
      throw DomainError.badInput(`amount must be at least ${this.credits(price.minAmount, currency)}`);
    if (price.maxAmount !== null && amount.gt(price.maxAmount))
      throw DomainError.badInput(`amount must be at most ${this.credits(price.maxAmount, currency)}`);
    const grantId = await this.deps.ledger.createGrantId(
      {
        customerId: customer.id,
        currency: currency.code,
        amount: input.amount,
        fundingMethod: 'INVOICE',
        name: 'Credit purchase',
        purchase: { currency: price.currency, perUnitCost: price.unitPrice },
        origin: 'PURCHASE',
        subscriptionId: price.subscriptionId,
        idempotencyKey: input.idempotencyKey,
      },
      { scope: 'purchaseCredits' },
    );
    return this.deps.ledger.requireGrant(grantId);
  }

  private credits(v: string, c: CurrencyEntity): string {
    return `${new Dec(v).toFixed(c.scale)} ${c.code}`;
  }

  /** The currency asked for, else that of the plan of the earliest started active subscription. */
  private async currencyOf(
    customer: CustomerEntity,
    code: string | null,
    now: Date,
  ): Promise<CurrencyEntity> {
    if (code !== null) {
      const c = await this.em.findOne(CurrencyEntity, { code });
      if (!c) throw DomainError.badInput(`unknown currency ${code}`);
      return c;
    }
    const [first] = await this.deps.subscriptions.activePlanCurrencies(customer.id, now);
    if (!first) {
      throw new DomainError(
        ErrorCode.INVALID_STATE,
        `Customer ${customer.key} has no active subscription; name the currency to buy`,
      );
    }
    return this.em.findOneOrFail(CurrencyEntity, { id: first });
  }
}
