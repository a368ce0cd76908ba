import type { EntityManager } from '@mikro-orm/postgresql';
import { IdPrefix, newId } from '../../core/ids';
import type { LedgerGrant } from '../../engine';
import { Dec, ZERO } from '../../money';
import { valuesList } from '../shared/sql';
import { noteBooked, noteChange } from '../shared/tx';
import type { MovementType, PaymentStatus } from './entities';

/**
 * The ledger's store: the rows of `ledger`, `credit_grant`, `movement`, `allocation` and `outbox` as the
 * writers see them, the locking reads and the writes. No rule lives here: what to book is decided in memory
 * by `LedgerTx` (booking.ts) on the engine, and this file only reads and writes what it decided.
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
 * The stored `remaining` column: an unfunded grant shows its full amount, a voided unfunded one 0, a funded
 * one what is left on the ledger.
 */
function storedRemaining(g: GrantState): Dec {
  return g.fundedAt ? g.remaining : g.voidedAt ? ZERO : g.amount;
}

/**
 * Locks several ledgers and their live grants in the global lock order (see the lock contract above). Three
 * statements whatever the number of ledgers; missing ledgers are created first. Answers in `keys` order.
 */
export async function lockLedgers(
  em: EntityManager,
  keys: readonly { customerId: string; currencyId: string }[],
): Promise<LockedLedger[]> {
  if (keys.length === 0) return [];
  const pairs = keys.flatMap((k) => [k.customerId, k.currencyId]);
  const select = () =>
    em.execute<LedgerRow[]>(
      `select l.id, l.customer_id, l.currency_id, l.balance::text as balance, l.debt::text as debt,
              l.last_sequence, c.scale, c.code
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
    `select id, ledger_id, funding_method, source, amount::text as amount, remaining::text as remaining, priority,
            effective_at, expires_at, per_unit_cost::text as per_unit_cost, payment_status, feature_keys,
            funded_at, voided_at, expired_at, void_reason, created_at
       from credit_grant
      where ledger_id in (${rows.map(() => '?').join(', ')}) and voided_at is null and expired_at is null
        and customer_id in (${customers.map(() => '?').join(', ')})
      order by id
      for update`,
    [...rows.map((r) => r.id), ...customers],
  );
  // every writer of a ledger passes here: even one that books no movement (a grant not yet funded, a hold)
  // announces the customer after commit, which keeps the check cache exact (modules/holds/check-cache.ts)
  noteChange(
    em,
    'pending',
    keys.map((k) => k.customerId),
  );
  const grantsByLedger = new Map<string, Map<string, GrantState>>(rows.map((r) => [r.id, new Map()]));
  for (const g of grantRows) grantsByLedger.get(g.ledger_id)!.set(g.id, toGrantState(g));
  const byKey = new Map(rows.map((r) => [`${r.customer_id}|${r.currency_id}`, r]));
  return keys.map((k) => {
    const row = byKey.get(`${k.customerId}|${k.currencyId}`)!;
    return { head: toLedgerHead(row), grants: grantsByLedger.get(row.id)! };
  });
}

/** What one ledger booked since its last write. */
export interface LedgerWrite {
  head: Pick<LedgerHead, 'id' | 'customerId' | 'currencyId' | 'balance' | 'debt' | 'lastSequence'>;
  /** Movements not yet written, in sequence order. */
  movements: readonly BookedMovement[];
  /** Its grants; the dirty ones are written and marked clean. */
  grants: Iterable<GrantState>;
}

/**
 * Writes what several ledgers booked in one round trip: one multi-row statement per table (movements,
 * allocations, outbox rows, ledger rows, grants) as data-modifying CTEs of a single statement, so foreign
 * keys are checked at its end and the ledger lock is held for as short a time as the writes allow. Notes the
 * customers whose movements changed; the transaction announces them after commit.
 */
export async function writeLedgers(em: EntityManager, writes: readonly LedgerWrite[]): Promise<void> {
  const s = (d: Dec) => d.toFixed();
  const mv: unknown[] = [];
  const al: unknown[] = [];
  const ob: unknown[] = [];
  const led: unknown[] = [];
  let movements = 0;
  let allocations = 0;
  let ledgers = 0;
  for (const { head, movements: fresh } of writes) {
    if (fresh.length === 0) continue;
    for (const m of fresh) {
      mv.push(
        m.id,
        head.id,
        head.customerId,
        head.currencyId,
        m.sequence,
        m.type,
        s(m.amount),
        s(m.balanceBefore),
        s(m.balanceAfter),
        m.bookedAt.toISOString(),
        m.grantId,
        m.chargeId,
        m.correctsId,
        m.description,
        m.details ? JSON.stringify(m.details) : null,
      );
      movements++;
      m.allocations.forEach((a, i) => {
        al.push(m.id, i, head.customerId, a.grantId, s(a.amount));
        allocations++;
      });
      ob.push(head.customerId, head.id, m.sequence);
    }
    led.push(head.id, head.customerId, s(head.balance), s(head.debt), head.lastSequence);
    ledgers++;
    noteChange(em, 'movements', [head.customerId]);
    noteBooked(
      em,
      fresh.map((m) => m.type),
    );
  }
  const parts: string[] = [];
  const params: unknown[] = [];
  const part = (name: string, sql: string, p: unknown[]) => {
    parts.push(`${name} as (${sql})`);
    params.push(...p);
  };
  if (movements > 0) {
    part(
      'm',
      `insert into movement (id, ledger_id, customer_id, currency_id, sequence, type, amount, balance_before, balance_after,
                             booked_at, grant_id, charge_id, corrects_id, description, details)
       values ${valuesList(movements, '(?, ?, ?, ?, ?, ?, ?::numeric, ?::numeric, ?::numeric, ?::timestamptz, ?, ?, ?, ?, ?::jsonb)', mv)}`,
      mv,
    );
    if (allocations > 0) {
      part(
        'a',
        `insert into allocation (movement_id, position, customer_id, grant_id, amount)
         values ${valuesList(allocations, '(?, ?::smallint, ?, ?, ?::numeric)', al)}`,
        al,
      );
    }
    part(
      'o',
      `insert into outbox (customer_id, ledger_id, sequence) values ${valuesList(movements, '(?, ?, ?::integer)', ob)}`,
      ob,
    );
    part(
      'l',
      `update ledger as l set balance = v.b::numeric, debt = v.d::numeric, last_sequence = v.n::integer
         from (values ${valuesList(ledgers, '(?, ?, ?, ?, ?)', led)}) as v(id, c, b, d, n)
        where l.id = v.id and l.customer_id = v.c`,
      led,
    );
  }
  const vals: unknown[] = [];
  let dirty = 0;
  for (const w of writes) {
    for (const g of w.grants) {
      if (!g.dirty) continue;
      vals.push(
        g.id,
        w.head.customerId,
        s(storedRemaining(g)),
        g.fundedAt?.toISOString() ?? null,
        g.voidedAt?.toISOString() ?? null,
        g.expiredAt?.toISOString() ?? null,
        g.voidReason,
        g.paymentStatus,
        g.expiresAt?.toISOString() ?? null,
      );
      g.dirty = false;
      dirty++;
    }
  }
  if (dirty > 0) {
    part(
      'g',
      `update credit_grant as g
          set remaining = v.remaining::numeric, funded_at = v.funded_at::timestamptz,
              voided_at = v.voided_at::timestamptz, expired_at = v.expired_at::timestamptz,
              void_reason = v.void_reason, payment_status = v.payment_status,
              expires_at = v.expires_at::timestamptz
         from (values ${valuesList(dirty, '(?, ?, ?, ?, ?, ?, ?, ?, ?)', vals)})
              as v(id, customer_id, remaining, funded_at, voided_at, expired_at, void_reason, payment_status, expires_at)
        where g.id = v.id and g.customer_id = v.customer_id`,
      vals,
    );
  }
  if (parts.length > 0) await em.execute(`with ${parts.join(',\n')} select 1`, params);
}

/**
 * One ledger and its live grants as of the caller's snapshot, without locking: for reads that compute what a
 * writer would do (checks, forecasts) and must never block one. Null when the ledger does not exist.
 */
/** The columns `readLedger` reads of `ledger l join currency c` (also composed into the checks' one read). */
export const LEDGER_READ_COLUMNS = `l.id, l.customer_id, l.currency_id, l.balance::text as balance, l.debt::text as debt,
  l.last_sequence, c.scale, c.code`;
/** The columns of a live grant as the writers keep it (`credit_grant`, unaliased). */
export const GRANT_STATE_COLUMNS = `id, ledger_id, funding_method, source, amount::text as amount, remaining::text as remaining,
  priority, effective_at, expires_at, per_unit_cost::text as per_unit_cost, payment_status, feature_keys, funded_at,
  voided_at, expired_at, void_reason, created_at`;

/** A ledger and its live grants from rows of those columns (timestamps may come as JSON strings). */
export function toLockedLedger(row: unknown, grants: readonly unknown[]): LockedLedger {
  return {
    head: toLedgerHead(row as LedgerRow),
    grants: new Map(grants.map((g) => [(g as GrantRow).id, toGrantState(g as GrantRow)])),
  };
}

export async function readLedger(
  em: EntityManager,
  customerId: string,
  currencyId: string,
): Promise<LockedLedger | null> {
  const rows = await em.execute<LedgerRow[]>(
    `select ${LEDGER_READ_COLUMNS}
       from ledger l join currency c on c.id = l.currency_id
      where l.customer_id = ? and l.currency_id = ?`,
    [customerId, currencyId],
  );
  const row = rows[0];
  if (!row) return null;
  const grantRows = await em.execute<GrantRow[]>(
    `select ${GRANT_STATE_COLUMNS}
       from credit_grant
      where ledger_id = ? and customer_id = ? and voided_at is null and expired_at is null
      order by id`,
    [row.id, row.customer_id],
  );
  return toLockedLedger(row, grantRows);
}
