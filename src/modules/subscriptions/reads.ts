import type { EntityManager } from '@mikro-orm/postgresql';
import type { SettlementMode } from '../catalog';
import { pgArray } from '../shared/sql';

/** A subscription as usage rating sees it. */
export interface RatingSubscription {
  id: string;
  customerId: string;
  planId: string;
  activeFrom: Date;
  activeTo: Date | null;
  /** The subscription's own settlement mode (overrides the rate card's and the plan's). */
  settlementMode: SettlementMode | null;
}

/**
 * Every subscription of these customers, earliest started first (then by id), in one query inside the
 * caller's transaction: the hot-path read of `subscription` for usage ingestion.
 */
export async function subscriptionsOfCustomers(
  em: EntityManager,
  customerIds: readonly string[],
): Promise<RatingSubscription[]> {
  if (customerIds.length === 0) return [];
  const rows = await em.execute<
    {
      id: string;
      customer_id: string;
      plan_id: string;
      active_from: Date;
      active_to: Date | null;
      settlement_mode: SettlementMode | null;
    }[]
  >(
    `select id, customer_id, plan_id, active_from, active_to, settlement_mode from subscription
      where customer_id = any(?::text[])
      order by active_from, id`,
    [pgArray(customerIds)],
  );
  return rows.map((r) => ({
    id: r.id,
    customerId: r.customer_id,
    planId: r.plan_id,
    activeFrom: new Date(r.active_from),
    activeTo: r.active_to ? new Date(r.active_to) : null,
    settlementMode: r.settlement_mode,
  }));
}
