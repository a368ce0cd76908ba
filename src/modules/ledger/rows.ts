import type { EntityManager } from '@mikro-orm/postgresql';
import { prepared, type Prepared } from '../../db/prepared';
import type { AllocationEntity, GrantEntity, MovementEntity } from './entities';
import type { LedgerTx } from './booking';
import type { BookedMovement } from './store';

/**
 * The read path selects plain rows and maps them to the entity shapes by hand: history and loaders are hot,
 * and ORM hydration plus identity-map bookkeeping cost more CPU than the SQL itself. These objects are for
 * reading only (never persisted through the ORM).
 */
export const MOVEMENT_COLUMNS = `m.id, m.gseq::text as gseq, m.ledger_id, m.customer_id, m.currency_id, m.sequence, m.type,
  m.amount::text as amount, m.balance_before::text as balance_before, m.balance_after::text as balance_after,
  m.booked_at, m.grant_id, m.charge_id, m.corrects_id, m.description, m.details, m.created_at`;

export interface MovementRow {
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

/** Each movement's allocations as one JSON column of its row, in position order. */
const ALLOCATIONS_COLUMN = `coalesce((select json_agg(json_build_object('position', a.position, 'grant_id', a.grant_id,
    'amount', a.amount::text) order by a.position)
  from allocation a where a.movement_id = m.id and a.customer_id = m.customer_id), '[]') as allocations`;

type MovementWithAllocationsRow = MovementRow & {
  allocations: Omit<AllocationRow, 'movement_id' | 'customer_id'>[];
};
/** Movements and, by movement id, their allocations. */
type MovementsWithAllocations = { movements: MovementEntity[]; allocations: Map<string, AllocationEntity[]> };

/**
 * `selectMovements` with each movement's allocations read in the same statement: a page of history shows
 * them, and a second statement per page cost a round trip (and PostgreSQL a statement) per read.
 */
export async function selectMovementsWithAllocations(
  em: EntityManager,
  where: string,
  params: unknown[],
  tail = '',
): Promise<MovementsWithAllocations> {
  const rows = await em.execute<MovementWithAllocationsRow[]>(
    `select ${MOVEMENT_COLUMNS}, ${ALLOCATIONS_COLUMN} from movement m where ${where} ${tail}`,
    params,
  );
  return withAllocations(rows);
}

function withAllocations(rows: MovementWithAllocationsRow[]): MovementsWithAllocations {
  const allocations = new Map<string, AllocationEntity[]>();
  for (const r of rows) {
    allocations.set(
      r.id,
      r.allocations.map((a) => toAllocationEntity({ ...a, movement_id: r.id, customer_id: r.customer_id })),
    );
  }
  return { movements: rows.map(toMovementEntity), allocations };
}

/** The prepared statements of `selectHistoryPage`, one per direction and with or without a bound. */
const historyPageName = (newestFirst: boolean, bounded: boolean) =>
  `dd_history_${newestFirst ? 'desc' : 'asc'}${bounded ? '_after' : ''}`;
const historyPages = new Map<string, Prepared>();
for (const newestFirst of [true, false]) {
  for (const bounded of [true, false]) {
    const name = historyPageName(newestFirst, bounded);
    const after = bounded ? ` and m.gseq ${newestFirst ? '<' : '>'} $2` : '';
    historyPages.set(
      name,
      prepared(
        name,
        ['text', ...(bounded ? ['bigint'] : []), 'int'],
        `select ${MOVEMENT_COLUMNS}, ${ALLOCATIONS_COLUMN} from movement m where m.customer_id = $1${after}
          order by m.gseq ${newestFirst ? 'desc' : 'asc'} limit $${bounded ? 3 : 2}`,
      ),
    );
  }
}

/**
 * A page of a customer's whole history in booking order (`newestFirst`), after a keyset bound on `gseq` or
 * from the start: the unfiltered history page, the one dashboards read most, as prepared statements.
 */
export async function selectHistoryPage(
  em: EntityManager,
  customerId: string,
  newestFirst: boolean,
  bound: string | null,
  limit: number,
): Promise<MovementsWithAllocations> {
  const rows = await historyPages
    .get(historyPageName(newestFirst, bound !== null))!
    .execute<MovementWithAllocationsRow>(em, [customerId, ...(bound !== null ? [bound] : []), limit]);
  return withAllocations(rows);
}

export async function selectAllocations(
  em: EntityManager,
  movementIds: readonly string[],
): Promise<AllocationEntity[]> {
  if (movementIds.length === 0) return [];
  const rows = await em.execute<AllocationRow[]>(
    `select movement_id, position, customer_id, grant_id, amount::text as amount from allocation
      where movement_id in (${movementIds.map(() => '?').join(',')}) order by movement_id, position`,
    [...movementIds],
  );
  return rows.map(toAllocationEntity);
}

interface AllocationRow {
  movement_id: string;
  position: number;
  customer_id: string;
  grant_id: string | null;
  amount: string;
}

function toAllocationEntity(r: AllocationRow): AllocationEntity {
  return {
    movementId: r.movement_id,
    position: r.position,
    customerId: r.customer_id,
    grantId: r.grant_id,
    amount: r.amount,
  };
}

export const GRANT_COLUMNS = `g.id, g.ledger_id, g.customer_id, g.currency_id, g.name, g.source, g.funding_method,
  g.amount::text as amount, g.remaining::text as remaining, g.priority, g.effective_at, g.expires_at,
  g.per_unit_cost::text as per_unit_cost, g.purchase_currency, g.purchase_total::text as purchase_total,
  g.payment_status, g.invoice_id, g.feature_keys, g.funded_at, g.voided_at, g.expired_at, g.void_reason,
  g.created_at, g.origin, g.subscription_id, g.rolled_from_id, g.allocation_key, g.auto_top_up_rule_id`;

export function toGrantEntity(r: Record<string, unknown>): GrantEntity {
  const date = (v: unknown) => (v == null ? null : new Date(v as string));
  return {
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
  } as GrantEntity;
}

export async function selectGrants(em: EntityManager, ids: readonly string[]): Promise<GrantEntity[]> {
  if (ids.length === 0) return [];
  const rows = await em.execute<Record<string, unknown>[]>(
    `select ${GRANT_COLUMNS} from credit_grant g where g.id in (${ids.map(() => '?').join(',')})`,
    [...ids],
  );
  return rows.map(toGrantEntity);
}

/**
 * The live grants (neither voided nor expired) of some ledgers with their ledger's booked balance and debt,
 * in one statement (one snapshot): what a read needs to show the grants as the due booking will leave them.
 */
export async function selectLiveGrantsOfLedgers(
  em: EntityManager,
  ledgerIds: readonly string[],
): Promise<{ grant: GrantEntity; balance: string; debt: string }[]> {
  if (ledgerIds.length === 0) return [];
  const rows = await em.execute<Record<string, unknown>[]>(
    `select ${GRANT_COLUMNS}, l.balance::text as ledger_balance, l.debt::text as ledger_debt
       from credit_grant g join ledger l on l.id = g.ledger_id
      where g.ledger_id in (${ledgerIds.map(() => '?').join(',')})
        and g.voided_at is null and g.expired_at is null
      order by g.id`,
    [...ledgerIds],
  );
  return rows.map((r) => ({
    grant: toGrantEntity(r),
    balance: r.ledger_balance as string,
    debt: r.ledger_debt as string,
  }));
}

/** A movement as the API shows it: every stored field but its global order (`gseq`) and insert instant. */
export type MovementView = Omit<MovementEntity, 'gseq' | 'createdAt'>;

/**
 * A movement `tx` booked, as it reads once committed (the write stores these very values): a use case that
 * answers its movement need not read it back.
 */
export function movementView(tx: LedgerTx, m: BookedMovement): MovementView {
  return {
    id: m.id,
    ledgerId: tx.id,
    customerId: tx.customerId,
    currencyId: tx.currencyId,
    sequence: m.sequence,
    type: m.type,
    amount: m.amount.toFixed(),
    balanceBefore: m.balanceBefore.toFixed(),
    balanceAfter: m.balanceAfter.toFixed(),
    bookedAt: m.bookedAt,
    grantId: m.grantId,
    chargeId: m.chargeId,
    correctsId: m.correctsId,
    description: m.description,
    details: m.details,
  };
}
