import type { EntityManager } from '@mikro-orm/postgresql';
import { prepared } from '../../db/prepared';
import { IdPrefix, newId } from '../../core/ids';
import type { LedgerGrant } from '../../engine';
import { Dec, ZERO } from '../../money';
import { valuesList } from '../shared/sql';
import { noteChange } from '../shared/tx';
import type { MovementType, PaymentStatus } from './entities';

/**
 * The ledger's store: the rows of `ledger`, `credit_grant`, `movement`, `allocation` and `outbox` as the
 * writers see them and the locking reads (the writes are in store-write.ts). No rule lives here: what to
 * book is decided in memory by `LedgerTx` (booking.ts) on the engine, and these files only read and write
 * what it decided.
 *
 * Lock contract. `lockLedgers` takes, inside the caller's transaction:
 *   1. the `ledger` rows, `for update`, in (customer_id, currency_id) order, creating missing ones first;
 *   2. then every live grant of those ledgers (not voided, not expired), `for update`, in id order.
 * That is the one global lock order: a writer locks nothing of a ledger before its ledger row, and never a
 * second batch of ledgers after it took grants. Grants created later in the transaction are inserted by
 * `insertGrant` (grant-store.ts) under the ledger lock. Until commit, only the holder of the ledger row lock
 * writes that ledger's movements, allocations, outbox rows, grant remainders and lifecycle columns, all
 * through `writeLedgers` (and grant-store.ts's `setPaymentStatus` for a grant that is no longer live).
 */

/** A grant as the ledger transaction sees it: the engine's ledger grant plus what the store keeps. */
export interface GrantState extends LedgerGrant {
  source: 'GRANT' | 'ADJUSTMENT';
  voidReason: string | null;
  /** Changed in memory since it was read: written at the next flush. */
  dirty: boolean;
}

export interface AllocationDraft {
  grantId: string | null;
  amount: Dec;
}

export interface BookedMovement {
  id: string;
  sequence: number;
  type: MovementType;
  amount: Dec;
  balanceBefore: Dec;
  balanceAfter: Dec;
  bookedAt: Date;
  grantId: string | null;
  chargeId: string | null;
  correctsId: string | null;
  description: string | null;
  /** Immutable facts recorded with the movement (a correction's requested amount and unrestored portions). */
  details: Record<string, unknown> | null;
  allocations: AllocationDraft[];
}

/** One locked ledger row. */
export interface LedgerHead {
  id: string;
  customerId: string;
  currencyId: string;
  currencyCode: string;
  scale: number;
  balance: Dec;
  debt: Dec;
  lastSequence: number;
}

export interface LockedLedger {
  head: LedgerHead;
  /** Its live grants by id, in id order. */
  grants: Map<string, GrantState>;
}

interface LedgerRow {
  id: string;
  customer_id: string;
  currency_id: string;
  balance: string;
  debt: string;
  last_sequence: number;
  scale: number;
  code: string;
}

interface GrantRow {
  id: string;
  ledger_id: string;
  funding_method: GrantState['fundingMethod'];
  source: GrantState['source'];
  amount: string;
  remaining: string;
  priority: number;
  effective_at: Date;
  expires_at: Date | null;
  per_unit_cost: string;
  payment_status: PaymentStatus | null;
  feature_keys: string[] | null;
  funded_at: Date | null;
  voided_at: Date | null;
  expired_at: Date | null;
  void_reason: string | null;
  created_at: Date;
}

const date = (d: Date | null): Date | null => (d ? new Date(d) : null);

/** A stored ledger row as the writers see it (locked by `lockLedgers` or read by `readLedger`). */
function toLedgerHead(row: LedgerRow): LedgerHead {
  return {
    id: row.id,
    customerId: row.customer_id,
    currencyId: row.currency_id,
    currencyCode: row.code,
    scale: row.scale,
    balance: new Dec(row.balance),
    debt: new Dec(row.debt),
    lastSequence: row.last_sequence,
  };
}

/** The stored row to the state: `remaining` is what is on the ledger, 0 until funded. */
function toGrantState(g: GrantRow): GrantState {
  return {
    id: g.id,
    fundingMethod: g.funding_method,
    source: g.source,
    amount: new Dec(g.amount),
    remaining: g.funded_at ? new Dec(g.remaining) : ZERO,
    priority: g.priority,
    effectiveAt: new Date(g.effective_at),
    expiresAt: date(g.expires_at),
    perUnitCost: new Dec(g.per_unit_cost),
    paymentStatus: g.payment_status,
    featureKeys: g.feature_keys,
    fundedAt: date(g.funded_at),
    voidedAt: date(g.voided_at),
    expiredAt: date(g.expired_at),
    voidReason: g.void_reason,
    createdAt: new Date(g.created_at),
    dirty: false,
  };
}

/**
 * Locks several ledgers and their live grants in the global lock order (see the lock contract above). Three
 * statements whatever the number of ledgers (one for a single ledger that exists); missing ledgers are created
 * first. Answers in `keys` order.
 */
export async function lockLedgers(
  em: EntityManager,
  keys: readonly { customerId: string; currencyId: string }[],
): Promise<LockedLedger[]> {
  if (keys.length === 0) return [];
  const one = keys.length === 1 ? await readOneLedger(em, keys[0]!, true) : null;
  const locked = one ? [one] : await lockEach(em, keys);
  // every writer of a ledger passes here: even one that books no movement (a grant not yet funded, a hold)
  // announces the customer after commit, which keeps the check cache exact (modules/holds/check-cache.ts)
  noteChange(
    em,
    'pending',
    keys.map((k) => k.customerId),
  );
  return locked;
}

/** `lockLedgers` in three statements: the ledger rows (created when missing), then all their live grants. */
async function lockEach(
  em: EntityManager,
  keys: readonly { customerId: string; currencyId: string }[],
): Promise<LockedLedger[]> {
  const pairs = keys.flatMap((k) => [k.customerId, k.currencyId]);
  const select = () =>
    em.execute<LedgerRow[]>(
      `select ${LEDGER_READ_COLUMNS}
         from ledger l join currency c on c.id = l.currency_id
        where (l.customer_id, l.currency_id) in (${keys.map(() => '(?, ?)').join(', ')})
        order by l.customer_id, l.currency_id
        for update of l`,
      pairs,
    );
  let rows = await select();
  if (rows.length < keys.length) {
    const params = keys.flatMap((k) => [newId(IdPrefix.Ledger), k.customerId, k.currencyId]);
    await em.execute(
      `insert into ledger (id, customer_id, currency_id) values ${valuesList(keys.length, '(?, ?, ?)', params)}
       on conflict (customer_id, currency_id) do nothing`,
      params,
    );
    rows = await select();
  }
  // the customer id as well as the ledger: distributed by customer, the lock routes to its shard (docs/scaling.md)
  const customers = [...new Set(rows.map((r) => r.customer_id))];
  const grantRows = await em.execute<GrantRow[]>(
    `select ${GRANT_STATE_COLUMNS}
       from credit_grant
      where ledger_id in (${rows.map(() => '?').join(', ')}) and voided_at is null and expired_at is null
        and customer_id in (${customers.map(() => '?').join(', ')})
      order by id
      for update`,
    [...rows.map((r) => r.id), ...customers],
  );
  const grantsByLedger = new Map<string, Map<string, GrantState>>(rows.map((r) => [r.id, new Map()]));
  for (const g of grantRows) grantsByLedger.get(g.ledger_id)!.set(g.id, toGrantState(g));
  const byKey = new Map(rows.map((r) => [`${r.customer_id}|${r.currency_id}`, r]));
  return keys.map((k) => {
    const row = byKey.get(`${k.customerId}|${k.currencyId}`)!;
    return { head: toLedgerHead(row), grants: grantsByLedger.get(row.id)! };
  });
}

/**
 * One ledger and its live grants in one round trip. Locking (`lockLedgers` for one existing ledger: every
 * single-ledger use case, a hot customer's group commits among them), the ledger row is locked first, then
 * its live grants in id order: the order of the general path. The grants are read by
 * `ledger_live_grants` (a migration), in a snapshot taken once the ledger row is locked: the statement's
 * own snapshot predates any wait for that lock and would miss a grant the previous holder inserted
 * (READ COMMITTED re-reads only the rows it locks). Null when the ledger does not exist (yet).
 */
async function readOneLedger(
  em: EntityManager,
  key: { customerId: string; currencyId: string },
  lock: boolean,
): Promise<LockedLedger | null> {
  const statement = lock ? ONE_LEDGER.lock : ONE_LEDGER.read;
  const [row] = await statement.execute<{ ledger: LedgerRow; grants: unknown[] }>(em, [
    key.customerId,
    key.currencyId,
  ]);
  return row ? toLockedLedger(row.ledger, row.grants) : null;
}

/** The columns `readLedger` reads of `ledger l join currency c` (also composed into the checks' one read). */
export const LEDGER_READ_COLUMNS = `l.id, l.customer_id, l.currency_id, l.balance::text as balance, l.debt::text as debt,
  l.last_sequence, c.scale, c.code`;
/** The columns of a live grant as the writers keep it (`credit_grant`, unaliased). */
export const GRANT_STATE_COLUMNS = `id, ledger_id, funding_method, source, amount::text as amount, remaining::text as remaining,
  priority, effective_at, expires_at, per_unit_cost::text as per_unit_cost, payment_status, feature_keys, funded_at,
  voided_at, expired_at, void_reason, created_at`;

/**
 * `readOneLedger`'s statement (`$1` customer, `$2` currency), prepared. The grants come from
 * `ledger_live_grants` (a migration: the columns of GRANT_STATE_COLUMNS, in id order, locked or not), a
 * VOLATILE function whose query runs in a snapshot taken after the ledger row was locked.
 */
const oneLedgerSql = (lock: boolean) => `with l as (select ${LEDGER_READ_COLUMNS}
                  from ledger l join currency c on c.id = l.currency_id
                 where l.customer_id = $1 and l.currency_id = $2${lock ? ' for update of l' : ''})
     select row_to_json(l) as ledger, ledger_live_grants(l.id, l.customer_id, ${lock}) as grants
       from l`;
const ONE_LEDGER = {
  read: prepared('dd_one_ledger', ['text', 'text'], oneLedgerSql(false)),
  lock: prepared('dd_one_ledger_lock', ['text', 'text'], oneLedgerSql(true)),
};

/** A ledger and its live grants from rows of those columns (timestamps may come as JSON strings). */
export function toLockedLedger(row: unknown, grants: readonly unknown[]): LockedLedger {
  return {
    head: toLedgerHead(row as LedgerRow),
    grants: new Map(grants.map((g) => [(g as GrantRow).id, toGrantState(g as GrantRow)])),
  };
}

/**
 * One ledger and its live grants as of the caller's snapshot, without locking: for reads that compute what a
 * writer would do (checks, forecasts) and must never block one. Null when the ledger does not exist.
 */
export function readLedger(
  em: EntityManager,
  customerId: string,
  currencyId: string,
): Promise<LockedLedger | null> {
  return readOneLedger(em, { customerId, currencyId }, false);
}
