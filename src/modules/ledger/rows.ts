import type { EntityManager } from '@mikro-orm/postgresql';
import type { AllocationEntity, GrantEntity, MovementEntity } from './entities';

/**
 * The read path selects plain rows and maps them to the entity shapes by hand: history and loaders are hot,
 * and ORM hydration plus identity-map bookkeeping cost more CPU than the SQL itself. These objects are for
 * reading only (never persisted through the ORM).
 */
export const MOVEMENT_COLUMNS = `m.id, m.gseq::text as gseq, m.ledger_id, m.customer_id, m.currency_id, m.sequence, m.type,
  m.amount::text as amount, m.balance_before::text as balance_before, m.balance_after::text as balance_after,
  m.booked_at, m.grant_id, m.charge_id, m.corrects_id, m.description, m.details, m.created_at`;

interface MovementRow {
  id: string;
  gseq: string;
  ledger_id: string;
  customer_id: string;
  currency_id: string;
  sequence: number;
  type: MovementEntity['type'];
  amount: string;
  balance_before: string;
  balance_after: string;
  booked_at: Date;
  grant_id: string | null;
  charge_id: string | null;
  corrects_id: string | null;
  description: string | null;
  details: Record<string, unknown> | null;
  created_at: Date;
}

export function toMovementEntity(r: MovementRow): MovementEntity {
  return {
    id: r.id,
    gseq: r.gseq,
    ledgerId: r.ledger_id,
    customerId: r.customer_id,
    currencyId: r.currency_id,
    sequence: r.sequence,
    type: r.type,
    amount: r.amount,
    balanceBefore: r.balance_before,
    balanceAfter: r.balance_after,
    bookedAt: new Date(r.booked_at),
    grantId: r.grant_id,
    chargeId: r.charge_id,
    correctsId: r.corrects_id,
    description: r.description,
    details: r.details,
    createdAt: new Date(r.created_at),
  };
}

export async function selectMovements(
  em: EntityManager,
  where: string,
  params: unknown[],
  tail = '',
): Promise<MovementEntity[]> {
  const rows = await em.execute<MovementRow[]>(
    `select ${MOVEMENT_COLUMNS} from movement m where ${where} ${tail}`,
    params,
  );
  return rows.map(toMovementEntity);
}

export async function selectAllocations(
  em: EntityManager,
  movementIds: readonly string[],
): Promise<AllocationEntity[]> {
  if (movementIds.length === 0) return [];
  const rows = await em.execute<
    { movement_id: string; position: number; grant_id: string | null; amount: string }[]
  >(
    `select movement_id, position, grant_id, amount::text as amount from allocation
      where movement_id in (${movementIds.map(() => '?').join(',')}) order by movement_id, position`,
    [...movementIds],
  );
  return rows.map((r) => ({
    movementId: r.movement_id,
    position: r.position,
    grantId: r.grant_id,
    amount: r.amount,
  }));
}

export async function selectGrants(em: EntityManager, ids: readonly string[]): Promise<GrantEntity[]> {
  if (ids.length === 0) return [];
  const rows = await em.execute<Record<string, unknown>[]>(
    `select id, ledger_id, customer_id, currency_id, name, source, funding_method, amount::text as amount,
            remaining::text as remaining, priority, effective_at, expires_at, per_unit_cost::text as per_unit_cost,
            purchase_currency, purchase_total::text as purchase_total, payment_status, invoice_id, feature_keys,
            funded_at, voided_at, expired_at, void_reason, created_at, origin, subscription_id, rolled_from_id,
            allocation_key, auto_top_up_rule_id
       from credit_grant where id in (${ids.map(() => '?').join(',')})`,
    [...ids],
  );
  const date = (v: unknown) => (v == null ? null : new Date(v as string));
  return rows.map(
    (r) =>
      ({
        id: r.id,
        ledgerId: r.ledger_id,
        customerId: r.customer_id,
        currencyId: r.currency_id,
        name: r.name,
        source: r.source,
        fundingMethod: r.funding_method,
        amount: r.amount,
        remaining: r.remaining,
        priority: r.priority,
        effectiveAt: date(r.effective_at)!,
        expiresAt: date(r.expires_at),
        perUnitCost: r.per_unit_cost,
        purchaseCurrency: r.purchase_currency,
        purchaseTotal: r.purchase_total,
        paymentStatus: r.payment_status,
        invoiceId: r.invoice_id,
        featureKeys: r.feature_keys,
        fundedAt: date(r.funded_at),
        voidedAt: date(r.voided_at),
        expiredAt: date(r.expired_at),
        voidReason: r.void_reason,
        createdAt: date(r.created_at)!,
        origin: r.origin,
        subscriptionId: r.subscription_id,
        rolledFromId: r.rolled_from_id,
        allocationKey: r.allocation_key,
        autoTopUpRuleId: r.auto_top_up_rule_id,
      }) as GrantEntity,
  );
}
