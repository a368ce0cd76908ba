import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../core/clock';
import { parseIsoDuration, periodContaining } from '../../core/duration';
import { DomainError, ErrorCode } from '../../core/errors';
import { IdPrefix, isIdOf, newId } from '../../core/ids';
import { parseDecimal } from '../../money';
import { PlanEntity, fiatScale, type SettlementMode } from '../catalog';
import { CustomerEntity } from '../customers';
import { inTransaction, noteChange } from '../shared/tx';
import { activePlanCurrencies, creditPriceFor, type CreditPrice } from './credit-price';
import { SubscriptionEntity } from './entities';

export const SubscriptionStatus = {
  SCHEDULED: 'SCHEDULED',
  ACTIVE: 'ACTIVE',
  CANCELED: 'CANCELED',
  ENDED: 'ENDED',
} as const;
export type SubscriptionStatus = (typeof SubscriptionStatus)[keyof typeof SubscriptionStatus];

export interface CreateSubscriptionInput {
  customerId: string;
  planId: string;
  activeFrom?: Date | null;
  settlementMode?: SettlementMode | null;
  /** The negotiated price of one credit (SPEC §14); only on a plan with credit purchase rules. */
  creditUnitPrice?: string | null;
}

/**
 * SCHEDULED before activeFrom; ACTIVE until activeTo (a cancellation for a later date keeps it ACTIVE
 * until then). Past activeTo: CANCELED when the cancellation took effect at once (activeTo at or before
 * the moment it was requested), ENDED when it ran to a scheduled end date.
 */
/**
 * A subscription of the customer was created or changed: its terms changed. Noted as `pending` too, which
 * processes of the previous release (before `terms` existed) void their checks on; on this release a
 * pending change re-reads the customer's ledgers once, which a subscription change can afford.
 */
function noteTerms(em: EntityManager, customerId: string): void {
  noteChange(em, 'terms', [customerId]);
  noteChange(em, 'pending', [customerId]);
}

export function subscriptionStatus(s: SubscriptionEntity, now: Date): SubscriptionStatus {
  if (s.activeTo !== null && now >= s.activeTo) {
    return s.canceledAt !== null && s.activeTo <= s.canceledAt ? 'CANCELED' : 'ENDED';
  }
  if (now < s.activeFrom) return 'SCHEDULED';
  return 'ACTIVE';
}

export function isActiveAt(s: SubscriptionEntity, at: Date): boolean {
  return s.activeFrom <= at && (s.activeTo === null || at < s.activeTo);
}

/** The billing period containing `at` (the current one when `at` is now), clipped to activeTo. */
export function billingPeriod(
  s: SubscriptionEntity,
  plan: PlanEntity,
  at: Date,
): { start: Date; end: Date } | null {
  if (at < s.activeFrom || (s.activeTo !== null && at >= s.activeTo)) return null;
  return periodContaining(s.activeFrom, parseIsoDuration(plan.billingCadence), at);
}

export class SubscriptionsService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
  ) {}

  /** Creates a subscription; with `em` (a transaction `inTransaction` opened), inside that transaction. */
  async create(input: CreateSubscriptionInput, em0: EntityManager = this.em): Promise<SubscriptionEntity> {
    return inTransaction(em0, async (em) => {
      // the customer row lock serializes subscription changes of one customer
      const customer = isIdOf(IdPrefix.Customer, input.customerId)
        ? await em.findOne(CustomerEntity, { id: input.customerId }, { lockMode: LockMode.PESSIMISTIC_WRITE })
        : null;
      if (!customer) throw DomainError.notFound('Customer', input.customerId);
      const plan = isIdOf(IdPrefix.Plan, input.planId)
        ? await em.findOne(PlanEntity, { id: input.planId })
        : null;
      if (!plan) throw DomainError.notFound('Plan', input.planId);
      if (plan.status !== 'PUBLISHED') {
        throw new DomainError(
          ErrorCode.INVALID_STATE,
          `Plan ${plan.key} v${plan.version} is ${plan.status}; only a published plan takes subscriptions`,
        );
      }
      let creditUnitPrice: string | null = null;
      if (input.creditUnitPrice != null) {
        const fiat = plan.creditPurchaseCurrency;
        if (fiat === null)
          throw DomainError.badInput(
            `Plan ${plan.key} v${plan.version} sells no credits: it has no creditPurchase`,
          );
        const field = 'creditUnitPrice';
        creditUnitPrice = parseDecimal(input.creditUnitPrice, {
          scale: fiatScale(fiat),
          positive: true,
          field,
        }).toFixed();
      }
      const activeFrom = input.activeFrom ?? this.clock.now();
      const overlapping = await em.find(SubscriptionEntity, {
        customerId: customer.id,
        planKey: plan.key,
        $or: [{ activeTo: null }, { activeTo: { $gt: activeFrom } }],
      });
      if (overlapping.length > 0) {
        throw new DomainError(
          ErrorCode.CONFLICT,
          `Customer ${customer.key} already has a subscription to plan ${plan.key} at that time`,
          { subscriptionId: overlapping[0]!.id },
        );
      }
      const sub = em.create(SubscriptionEntity, {
        id: newId(IdPrefix.Subscription),
        customerId: customer.id,
        planId: plan.id,
        planKey: plan.key,
        activeFrom,
        activeTo: null,
        canceledAt: null,
        settlementMode: input.settlementMode ?? null,
        createdAt: this.clock.now(),
        creditUnitPrice,
      });
      em.persist(sub);
      // where usage goes changed: checks of this customer (the check cache) must read again
      noteTerms(em, customer.id);
      return sub;
    });
  }

  /** Ends the subscription at `at` (default now). Usage after that instant is no longer rated to it. */
  async cancel(id: string, at?: Date | null): Promise<SubscriptionEntity> {
    return inTransaction(this.em, async (em) => {
      const sub = isIdOf(IdPrefix.Subscription, id)
        ? await em.findOne(SubscriptionEntity, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE })
        : null;
      if (!sub) throw DomainError.notFound('Subscription', id);
      if (sub.canceledAt !== null) {
        throw new DomainError(ErrorCode.INVALID_STATE, `Subscription ${id} is already canceled`);
      }
      const now = this.clock.now();
      const end = at ?? now;
      // canceling a scheduled subscription ends it before it starts
      sub.activeTo = end < sub.activeFrom ? sub.activeFrom : end;
      sub.canceledAt = now;
      noteTerms(em, sub.customerId);
      return sub;
    });
  }

  /** The credit price `customerId` buys `currencyId` credits at now (`creditPriceFor`). */
  creditPriceFor(
    customerId: string,
    currencyId: string,
    at: Date = this.clock.now(),
  ): Promise<CreditPrice | null> {
    return creditPriceFor(this.em, customerId, currencyId, at);
  }

  /** Currency ids of the plans of the customer's active subscriptions, earliest started first. */
  activePlanCurrencies(customerId: string, at: Date = this.clock.now()): Promise<string[]> {
    return activePlanCurrencies(this.em, customerId, at);
  }

  async byId(id: string): Promise<SubscriptionEntity | null> {
    if (!isIdOf(IdPrefix.Subscription, id)) return null;
    return this.em.findOne(SubscriptionEntity, { id });
  }

  async byIds(ids: readonly string[]): Promise<Map<string, SubscriptionEntity>> {
    const rows = await this.em.find(SubscriptionEntity, { id: { $in: [...ids] } });
    return new Map(rows.map((r) => [r.id, r]));
  }

  async byCustomerIds(ids: readonly string[]): Promise<Map<string, SubscriptionEntity[]>> {
    const rows = await this.em.find(
      SubscriptionEntity,
      { customerId: { $in: [...ids] } },
      { orderBy: { activeFrom: 'asc', id: 'asc' } },
    );
    const out = new Map<string, SubscriptionEntity[]>(ids.map((id) => [id, []]));
    for (const r of rows) out.get(r.customerId)?.push(r);
    return out;
  }
}
