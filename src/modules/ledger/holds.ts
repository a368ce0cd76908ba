import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError } from '../../core/errors';
import type { HeldShare } from '../../engine';
import { Dec } from '../../money';
import type { CursorCodec } from '../shared/cursor';
import { finishPage, keysetRequest, type Page, type PageArgs } from '../shared/page';

/**
 * The `credit_hold` table (SPEC §16): amounts of a ledger reserved until captured, released or expired. The
 * ledger owns it because holds are part of every `pending` it shows and are written under its row lock: a
 * writer that inserts or finishes a hold holds that ledger's lock (`runOnLedger`), so reserves are serialized
 * with every other writer of the ledger. A hold books no movement.
 *
 * Stored status is HELD, CAPTURED or RELEASED; a HELD hold is EXPIRED from `expiresAt` on (`holdStatusAt`),
 * and every read that counts holds (`activeHolds`) counts only those still HELD at its instant, so no job has
 * to run for an expiry to take effect.
 */

export const HoldStatus = {
  HELD: 'HELD',
  CAPTURED: 'CAPTURED',
  RELEASED: 'RELEASED',
  EXPIRED: 'EXPIRED',
} as const;
export type HoldStatus = (typeof HoldStatus)[keyof typeof HoldStatus];

export interface HoldRow {
  id: string;
  ledgerId: string;
  customerId: string;
  currencyId: string;
  amount: Dec;
  capturedAmount: Dec;
  /** As stored: HELD, CAPTURED or RELEASED. */
  stored: Exclude<HoldStatus, 'EXPIRED'>;
  description: string | null;
  expiresAt: Date;
  createdAt: Date;
  finishedAt: Date | null;
  chargeId: string | null;
  movementId: string | null;
}

/** A hold's status at `asOf`: a HELD hold is EXPIRED from its `expiresAt` on (inclusive). */
export function holdStatusAt(h: Pick<HoldRow, 'stored' | 'expiresAt'>, asOf: Date): HoldStatus {
  if (h.stored === 'HELD' && h.expiresAt.getTime() <= asOf.getTime()) return 'EXPIRED';
  return h.stored;
}

interface Row {
  id: string;
  ledger_id: string;
  customer_id: string;
  currency_id: string;
  amount: string;
  captured_amount: string;
  status: HoldRow['stored'];
  description: string | null;
  expires_at: Date;
  created_at: Date;
  finished_at: Date | null;
  charge_id: string | null;
  movement_id: string | null;
}

const COLUMNS = `id, ledger_id, customer_id, currency_id, amount::text as amount, captured_amount::text as captured_amount,
  status, description, expires_at, created_at, finished_at, charge_id, movement_id`;

function toHold(r: Row): HoldRow {
  return {
    id: r.id,
    ledgerId: r.ledger_id,
    customerId: r.customer_id,
    currencyId: r.currency_id,
    amount: new Dec(r.amount),
    capturedAmount: new Dec(r.captured_amount),
    stored: r.status,
    description: r.description,
    expiresAt: new Date(r.expires_at),
    createdAt: new Date(r.created_at),
    finishedAt: r.finished_at ? new Date(r.finished_at) : null,
    chargeId: r.charge_id,
    movementId: r.movement_id,
  };
}

/** A new hold, inserted under its ledger's lock. */
async function insert(
  em: EntityManager,
  h: Pick<
    HoldRow,
    'id' | 'ledgerId' | 'customerId' | 'currencyId' | 'amount' | 'description' | 'expiresAt' | 'createdAt'
  >,
): Promise<void> {
  await em.execute(
    `insert into credit_hold (id, ledger_id, customer_id, currency_id, amount, status, description, expires_at, created_at)
     values (?, ?, ?, ?, ?::numeric, 'HELD', ?, ?::timestamptz, ?::timestamptz)`,
    [
      h.id,
      h.ledgerId,
      h.customerId,
      h.currencyId,
      h.amount.toFixed(),
      h.description,
      h.expiresAt.toISOString(),
      h.createdAt.toISOString(),
    ],
  );
}

/** One hold, locked; the caller holds its ledger's lock first (the global order: ledger, grants, holds). */
async function lock(em: EntityManager, id: string): Promise<HoldRow | null> {
  const rows = await em.execute<Row[]>(`select ${COLUMNS} from credit_hold where id = ? for update`, [id]);
  return rows[0] ? toHold(rows[0]) : null;
}

/** Ends a locked HELD hold: captured (with what was booked) or released. */
async function finish(
  em: EntityManager,
  id: string,
  end:
    | { status: 'RELEASED'; at: Date }
    | { status: 'CAPTURED'; at: Date; capturedAmount: Dec; movementId: string; chargeId: string },
): Promise<void> {
  await em.execute(
    `update credit_hold set status = ?, finished_at = ?::timestamptz, captured_amount = ?::numeric,
            movement_id = ?, charge_id = ?
      where id = ? and status = 'HELD'`,
    [
      end.status,
      end.at.toISOString(),
      end.status === 'CAPTURED' ? end.capturedAmount.toFixed() : '0',
      end.status === 'CAPTURED' ? end.movementId : null,
      end.status === 'CAPTURED' ? end.chargeId : null,
      id,
    ],
  );
}

/** An active hold as `pending` counts it, with the instant it stops counting (a cached read filters on it). */
export type ActiveHold = HeldShare & { expiresAt: Date };

/** The columns of an active hold (`credit_hold`, unaliased; also composed into the checks' one read). */
export const ACTIVE_HOLD_COLUMNS = `id, ledger_id, amount::text as amount, created_at, expires_at`;

/** A row of those columns (timestamps may come as JSON strings). */
export function toActiveHold(row: unknown): ActiveHold {
  const r = row as { id: string; amount: string; created_at: Date | string; expires_at: Date | string };
  return {
    id: r.id,
    amount: new Dec(r.amount),
    createdAt: new Date(r.created_at),
    expiresAt: new Date(r.expires_at),
  };
}

/** The holds of these ledgers still HELD at `asOf`, oldest first: what `pending` subtracts. */
async function active(
  em: EntityManager,
  ledgerIds: readonly string[],
  asOf: Date,
): Promise<Map<string, ActiveHold[]>> {
  const out = new Map<string, ActiveHold[]>(ledgerIds.map((id) => [id, []]));
  if (ledgerIds.length === 0) return out;
  const rows = await em.execute<{ ledger_id: string }[]>(
    `select ${ACTIVE_HOLD_COLUMNS} from credit_hold
      where ledger_id in (${ledgerIds.map(() => '?').join(', ')}) and status = 'HELD' and expires_at > ?::timestamptz
      order by created_at, id`,
    [...ledgerIds, asOf.toISOString()],
  );
  for (const r of rows) out.get(r.ledger_id)?.push(toActiveHold(r));
  return out;
}

async function byIds(em: EntityManager, ids: readonly string[]): Promise<Map<string, HoldRow>> {
  if (ids.length === 0) return new Map();
  const rows = await em.execute<Row[]>(
    `select ${COLUMNS} from credit_hold where id in (${ids.map(() => '?').join(', ')})`,
    [...ids],
  );
  return new Map(rows.map((r) => [r.id, toHold(r)]));
}

export interface HoldFilter {
  currency?: string | null;
  status?: HoldStatus[] | null;
}

/** A customer's holds, newest first, keyset on id (ids sort by creation). */
async function page(
  em: EntityManager,
  cursors: CursorCodec,
  customerId: string,
  filter: HoldFilter,
  args: PageArgs,
  asOf: Date,
): Promise<Page<HoldRow>> {
  const statuses = filter.status && filter.status.length > 0 ? [...new Set(filter.status)].sort() : null;
  const scope = cursors.scopeOf(['holds', customerId, filter.currency ?? null, statuses]);
  const req = keysetRequest<string>(args, cursors, scope, 'string');
  const conds = ['h.customer_id = ?'];
  const params: unknown[] = [customerId];
  if (filter.currency != null) {
    conds.push('h.currency_id = (select id from currency where code = ?)');
    params.push(filter.currency);
  }
  if (statuses) {
    // holdStatusAt in SQL: a HELD hold is EXPIRED from expires_at on
    conds.push(
      `(case when h.status = 'HELD' and h.expires_at <= ?::timestamptz then 'EXPIRED' else h.status end)
         in (${statuses.map(() => '?').join(', ')})`,
    );
    params.push(asOf.toISOString(), ...statuses);
  }
  if (req.bound !== null) {
    if (req.bound.length > 64) throw DomainError.badInput('Invalid cursor');
    conds.push(req.forward ? 'h.id < ?' : 'h.id > ?');
    params.push(req.bound);
  }
  params.push(req.limit + 1);
  const rows = await em.execute<Row[]>(
    `select ${COLUMNS} from credit_hold h
      where ${conds.join(' and ')} order by h.id ${req.forward ? 'desc' : 'asc'} limit ?`,
    params,
  );
  return finishPage(rows.map(toHold), req, (h) => h.id, cursors, scope);
}

/** Every statement on `credit_hold` (see the ledger README for who may call which). */
export const holdStore = { insert, lock, finish, active, byIds, page };
