import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError, ErrorCode } from '../../core/errors';
import { IdPrefix, newId } from '../../core/ids';
import { allocateDebit, type GrantSnapshot } from '../../engine';
import { valuesList } from '../shared/sql';
import { claimIdempotencyKey, inTransaction, noteChange, recordIdempotentResult } from '../shared/tx';
import { Dec, ZERO, formatDecimal, min } from '../../money';
import type { FundingMethod, MovementType, PaymentStatus } from './entities';

/** A grant as the ledger transaction sees it; `remaining` is what is on the ledger (0 until funded). */
export interface GrantState {
  id: string;
  fundingMethod: FundingMethod;
  source: 'GRANT' | 'ADJUSTMENT';
  amount: Dec;
  remaining: Dec;
  priority: number;
  effectiveAt: Date;
  expiresAt: Date | null;
  perUnitCost: Dec;
  paymentStatus: PaymentStatus | null;
  featureKeys: string[] | null;
  fundedAt: Date | null;
  voidedAt: Date | null;
  expiredAt: Date | null;
  voidReason: string | null;
  createdAt: Date;
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
  funding_method: FundingMethod;
  source: 'GRANT' | 'ADJUSTMENT';
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

/** Whether the grant may become available at `asOf` (invoice-funded grants wait for SETTLED payment). */
/**
 * Whether the grant may become available at `asOf` (invoice-funded grants wait for SETTLED payment). Credit
 * whose expiry has passed before it could be booked is never funded: it cannot repay debt or be drawn, and
 * reads (views.ts) never counted it.
 */
export function fundable(
  g: Pick<
    GrantState,
    'fundedAt' | 'voidedAt' | 'effectiveAt' | 'expiresAt' | 'fundingMethod' | 'paymentStatus'
  >,
  asOf: Date,
): boolean {
  return (
    g.fundedAt === null &&
    g.voidedAt === null &&
    g.effectiveAt <= asOf &&
    (g.expiresAt === null || g.expiresAt > asOf) &&
    (g.fundingMethod !== 'INVOICE' || g.paymentStatus === 'SETTLED')
  );
}

/**
 * One locked ledger inside one transaction. Takes the ledger row lock first, then the live grants in id
 * order (the one global lock order), books movements in memory with gapless sequences and running
 * balances, and writes them all at `flush()` with multi-row statements.
 */
export class LedgerTx {
  readonly booked: BookedMovement[] = [];
  private flushed = 0;
  private balance: Dec;
  private debt: Dec;
  private lastSequence: number;

  private constructor(
    private readonly em: EntityManager,
    readonly id: string,
    readonly customerId: string,
    readonly currencyId: string,
    readonly currencyCode: string,
    readonly scale: number,
    row: LedgerRow,
    readonly grants: Map<string, GrantState>,
  ) {
    this.balance = new Dec(row.balance);
    this.debt = new Dec(row.debt);
    this.lastSequence = row.last_sequence;
  }

  static async open(em: EntityManager, customerId: string, currencyId: string): Promise<LedgerTx> {
    return (await LedgerTx.openMany(em, [{ customerId, currencyId }]))[0]!;
  }

  /**
   * Locks several ledgers at once (settlement's micro-batches): the ledger rows in (customer, currency)
   * order, then all their live grants in id order — the same global order as a single open. Three
   * statements whatever the number of ledgers; missing ledgers are created first.
   */
  static async openMany(
    em: EntityManager,
    keys: readonly { customerId: string; currencyId: string }[],
  ): Promise<LedgerTx[]> {
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
    const grantRows = await em.execute<(GrantRow & { ledger_id: string })[]>(
      `select id, ledger_id, funding_method, source, amount::text as amount, remaining::text as remaining, priority,
              effective_at, expires_at, per_unit_cost::text as per_unit_cost, payment_status, feature_keys,
              funded_at, voided_at, expired_at, void_reason, created_at
         from credit_grant
        where ledger_id in (${rows.map(() => '?').join(', ')}) and voided_at is null and expired_at is null
        order by id
        for update`,
      rows.map((r) => r.id),
    );
    const grantsByLedger = new Map<string, Map<string, GrantState>>(rows.map((r) => [r.id, new Map()]));
    for (const g of grantRows) {
      grantsByLedger.get(g.ledger_id)!.set(g.id, {
        id: g.id,
        fundingMethod: g.funding_method,
        source: g.source,
        amount: new Dec(g.amount),
        remaining: g.funded_at ? new Dec(g.remaining) : ZERO,
        priority: g.priority,
        effectiveAt: new Date(g.effective_at),
        expiresAt: g.expires_at ? new Date(g.expires_at) : null,
        perUnitCost: new Dec(g.per_unit_cost),
        paymentStatus: g.payment_status,
        featureKeys: g.feature_keys,
        fundedAt: g.funded_at ? new Date(g.funded_at) : null,
        voidedAt: g.voided_at ? new Date(g.voided_at) : null,
        expiredAt: g.expired_at ? new Date(g.expired_at) : null,
        voidReason: g.void_reason,
        createdAt: new Date(g.created_at),
        dirty: false,
      });
    }
    const byKey = new Map(rows.map((r) => [`${r.customer_id}|${r.currency_id}`, r]));
    return keys.map((k) => {
      const row = byKey.get(`${k.customerId}|${k.currencyId}`)!;
      return new LedgerTx(
        em,
        row.id,
        row.customer_id,
        row.currency_id,
        row.code,
        row.scale,
        row,
        grantsByLedger.get(row.id)!,
      );
    });
  }

  get settled(): Dec {
    return this.balance;
  }
  get outstandingDebt(): Dec {
    return this.debt;
  }

  format(d: Dec): string {
    return formatDecimal(d, this.scale);
  }

  /** Adds a grant created in this transaction (already inserted, not yet funded). */
  track(g: GrantState): void {
    this.grants.set(g.id, g);
  }

  grant(id: string): GrantState {
    const g = this.grants.get(id);
    if (!g) throw DomainError.notFound('Credit grant', id);
    return g;
  }

  /** Appends one movement; allocations move grant remainders (grant ids) or the debt (null). */
  book(m: {
    type: MovementType;
    amount: Dec;
    bookedAt: Date;
    allocations: AllocationDraft[];
    grantId?: string | null;
    chargeId?: string | null;
    correctsId?: string | null;
    description?: string | null;
    details?: Record<string, unknown> | null;
  }): BookedMovement {
    const sum = m.allocations.reduce((s, a) => s.plus(a.amount), ZERO);
    if (!sum.eq(m.amount))
      throw new Error(`allocations (${sum.toFixed()}) do not add up to the movement (${m.amount.toFixed()})`);
    for (const a of m.allocations) {
      if (a.grantId === null) {
        this.debt = this.debt.minus(a.amount);
      } else {
        const g = this.grant(a.grantId);
        g.remaining = g.remaining.plus(a.amount);
        if (g.remaining.lt(0) || g.remaining.gt(g.amount))
          throw new Error(`grant ${g.id} would leave its bounds`);
        g.dirty = true;
      }
    }
    if (this.debt.lt(0)) throw new Error('debt cannot go below zero');
    const before = this.balance;
    this.balance = before.plus(m.amount);
    const booked: BookedMovement = {
      id: newId(IdPrefix.CreditMovement),
      sequence: ++this.lastSequence,
      type: m.type,
      amount: m.amount,
      balanceBefore: before,
      balanceAfter: this.balance,
      bookedAt: m.bookedAt,
      grantId: m.grantId ?? null,
      chargeId: m.chargeId ?? null,
      correctsId: m.correctsId ?? null,
      description: m.description ?? null,
      details: m.details ?? null,
      allocations: m.allocations.filter((a) => !a.amount.isZero()),
    };
    this.booked.push(booked);
    return booked;
  }

  /** Credit becomes available: FUNDED (or ADJUSTED for an adjustment), repaying debt first (SPEC §6). */
  fund(g: GrantState, at: Date, description?: string | null): BookedMovement {
    const repaid = min(this.debt, g.amount);
    const allocations: AllocationDraft[] = [];
    if (g.amount.gt(repaid)) allocations.push({ grantId: g.id, amount: g.amount.minus(repaid) });
    if (repaid.gt(0)) allocations.push({ grantId: null, amount: repaid });
    g.fundedAt = at;
    g.dirty = true;
    return this.book({
      type: g.source === 'ADJUSTMENT' ? 'ADJUSTED' : 'FUNDED',
      amount: g.amount,
      bookedAt: at,
      grantId: g.id,
      allocations,
      description: description ?? null,
    });
  }

  /** Takes the unused remainder away at expiry; bookedAt is the expiry instant (SPEC §5). */
  expire(g: GrantState): BookedMovement | null {
    g.expiredAt = g.expiresAt;
    g.dirty = true;
    if (g.remaining.isZero()) return null;
    return this.book({
      type: 'EXPIRED',
      amount: g.remaining.neg(),
      bookedAt: g.expiresAt!,
      grantId: g.id,
      allocations: [{ grantId: g.id, amount: g.remaining.neg() }],
    });
  }

  /** Voids a grant; a funded remainder leaves the ledger with a VOIDED movement. */
  void(g: GrantState, at: Date, reason: string | null): BookedMovement | null {
    g.voidedAt = at;
    g.voidReason = reason;
    g.dirty = true;
    if (g.fundedAt === null || g.remaining.isZero()) return null;
    return this.book({
      type: 'VOIDED',
      amount: g.remaining.neg(),
      bookedAt: at,
      grantId: g.id,
      allocations: [{ grantId: g.id, amount: g.remaining.neg() }],
      description: reason,
    });
  }

  /**
   * Books what is due by `asOf` in time order: grants whose effective date (and payment) came become
   * FUNDED at their effective instant; grants past expiresAt are EXPIRED at that instant. Every writer
   * calls this first, so no debit ever draws from credit past its expiry.
   */
  bookDue(asOf: Date): BookedMovement[] {
    type Event = { at: Date; kind: 0 | 1; g: GrantState };
    const events: Event[] = [];
    for (const g of this.grants.values()) {
      if (g.voidedAt || g.expiredAt) continue;
      if (fundable(g, asOf)) events.push({ at: g.effectiveAt, kind: 0, g });
      if (g.expiresAt && g.expiresAt <= asOf) {
        if (g.fundedAt) {
          events.push({ at: g.expiresAt, kind: 1, g });
        } else {
          // never available: it expires without ever touching the ledger
          g.expiredAt = g.expiresAt;
          g.dirty = true;
        }
      }
    }
    events.sort((a, b) => a.at.getTime() - b.at.getTime() || a.kind - b.kind || (a.g.id < b.g.id ? -1 : 1));
    const out: BookedMovement[] = [];
    for (const e of events) {
      const m = e.kind === 0 ? this.fund(e.g, e.at) : this.expire(e.g);
      if (m) out.push(m);
    }
    return out;
  }

  /** The engine's view of the grants that could pay something now. */
  snapshots(): GrantSnapshot[] {
    return [...this.grants.values()].map((g) => ({
      id: g.id,
      priority: g.priority,
      expiresAt: g.expiresAt,
      effectiveAt: g.effectiveAt,
      perUnitCost: g.perUnitCost,
      createdAt: g.createdAt,
      remaining: g.remaining,
      featureKeys: g.featureKeys,
      available: g.fundedAt !== null && g.voidedAt === null && g.expiredAt === null,
    }));
  }

  /** An admin deduction: draws in draw-down order from any usable grant; never below what is available. */
  deduct(amount: Dec, at: Date, description: string): BookedMovement {
    const { allocations, uncovered } = allocateDebit({
      amount,
      grants: this.snapshots(),
      asOf: at,
      anyFeature: true,
    });
    if (uncovered.gt(0)) {
      const available = amount.minus(uncovered);
      throw new DomainError(
        ErrorCode.INSUFFICIENT_CREDITS,
        `Only ${this.format(available)} ${this.currencyCode} is available; cannot deduct ${this.format(amount)}`,
        { available: this.format(available) },
      );
    }
    return this.book({
      type: 'ADJUSTED',
      amount: amount.neg(),
      bookedAt: at,
      description,
      allocations: allocations.map((a) => ({ grantId: a.grantId, amount: a.amount.neg() })),
    });
  }

  /** Writes the booked movements, their allocations, the grants and the ledger row. */
  async flush(): Promise<void> {
    await LedgerTx.flushAll(this.em, [this]);
  }

  /**
   * Writes what several ledgers booked with one multi-row statement per table: movements, allocations,
   * outbox rows, ledger rows, grants. Each ledger's movements are written once (later calls add only the
   * new ones).
   */
  static async flushAll(em: EntityManager, txs: readonly LedgerTx[]): Promise<void> {
    const s = (d: Dec) => d.toFixed();
    const mv: unknown[] = [];
    const al: unknown[] = [];
    const ob: unknown[] = [];
    const led: unknown[] = [];
    let movements = 0;
    let allocations = 0;
    let ledgers = 0;
    for (const tx of txs) {
      const fresh = tx.booked.slice(tx.flushed);
      tx.flushed = tx.booked.length;
      if (fresh.length === 0) continue;
      for (const m of fresh) {
        mv.push(
          m.id,
          tx.id,
          tx.customerId,
          tx.currencyId,
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
          al.push(m.id, i, a.grantId, s(a.amount));
          allocations++;
        });
        ob.push(tx.customerId, tx.id, m.sequence);
      }
      led.push(tx.id, s(tx.balance), s(tx.debt), tx.lastSequence);
      ledgers++;
      noteChange(em, 'movements', [tx.customerId]);
    }
    // one round trip for all of it: data-modifying CTEs run as one statement (foreign keys are checked at
    // its end), so the ledger lock is held for as short a time as the writes allow
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
          `insert into allocation (movement_id, position, grant_id, amount)
           values ${valuesList(allocations, '(?, ?::smallint, ?, ?::numeric)', al)}`,
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
           from (values ${valuesList(ledgers, '(?, ?, ?, ?)', led)}) as v(id, b, d, n)
          where l.id = v.id`,
        led,
      );
    }
    const vals: unknown[] = [];
    let dirty = 0;
    for (const tx of txs) {
      for (const g of tx.grants.values()) {
        if (!g.dirty) continue;
        // an unfunded grant shows its full amount as remaining; a voided unfunded one shows 0
        const remaining = g.fundedAt ? g.remaining : g.voidedAt ? ZERO : g.amount;
        vals.push(
          g.id,
          s(remaining),
          g.fundedAt?.toISOString() ?? null,
          g.voidedAt?.toISOString() ?? null,
          g.expiredAt?.toISOString() ?? null,
          g.voidReason,
          g.paymentStatus,
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
                void_reason = v.void_reason, payment_status = v.payment_status
           from (values ${valuesList(dirty, '(?, ?, ?, ?, ?, ?, ?)', vals)})
                as v(id, remaining, funded_at, voided_at, expired_at, void_reason, payment_status)
          where g.id = v.id`,
        vals,
      );
    }
    if (parts.length > 0) await em.execute(`with ${parts.join(',\n')} select 1`, params);
  }
}

export interface IdempotencyClaim {
  scope: string;
  key: string | null | undefined;
  /** The request as the client sent it, without the key: same key + other input is a conflict. */
  input: unknown;
}

/**
 * One ledger use case in one transaction (STYLE habit 4): lock the ledger, claim the idempotency key (a
 * repeat returns the first result's id), book what is due, do the work, write everything, record the
 * result. Returns the id of what the work produced.
 */
export async function runOnLedger(
  em: EntityManager,
  ledger: { customerId: string; currencyId: string },
  now: Date,
  idempotency: IdempotencyClaim | null,
  work: (tx: LedgerTx, em: EntityManager) => Promise<string>,
): Promise<string> {
  return inTransaction(em, async (txEm) => {
    const tx = await LedgerTx.open(txEm, ledger.customerId, ledger.currencyId);
    const key = idempotency?.key ?? null;
    if (idempotency && key !== null) {
      const claim = await claimIdempotencyKey(txEm, idempotency.scope, key, idempotency.input);
      if (claim.kind === 'replay') return claim.resultId;
    }
    tx.bookDue(now);
    const resultId = await work(tx, txEm);
    await tx.flush();
    if (idempotency && key !== null) await recordIdempotentResult(txEm, idempotency.scope, key, resultId);
    return resultId;
  });
}

/** A grant about to be inserted: nothing funded, voided or expired yet. */
export function newGrantState(g: {
  fundingMethod: FundingMethod;
  source: 'GRANT' | 'ADJUSTMENT';
  amount: Dec;
  priority: number;
  effectiveAt: Date;
  expiresAt: Date | null;
  perUnitCost: Dec;
  paymentStatus: PaymentStatus | null;
  featureKeys: string[] | null;
  createdAt: Date;
}): GrantState {
  return {
    id: newId(IdPrefix.CreditGrant),
    ...g,
    remaining: ZERO,
    fundedAt: null,
    voidedAt: null,
    expiredAt: null,
    voidReason: null,
    dirty: false,
  };
}

type LedgerWork = (tx: LedgerTx, em: EntityManager) => Promise<string>;

interface GroupedJob {
  now: Date;
  idempotency: IdempotencyClaim | null;
  work: LedgerWork;
  resolve: (id: string) => void;
  reject: (e: unknown) => void;
}

/** Jobs waiting per ledger in this process; the first caller drains them (group commit). */
const waiting = new Map<string, GroupedJob[]>();
const MAX_GROUP = 64;

/**
 * `runOnLedger` with group commit: concurrent use cases on one ledger in this process share one
 * transaction, so a hot customer's ledger lock is taken once per batch instead of once per request. Each
 * job still gets its own answer: an idempotency replay or conflict answers that job alone; any other
 * failure re-runs every job of the batch on its own (`runOnLedger`), so one bad job is one error.
 */
export function runOnLedgerGrouped(
  em: EntityManager,
  ledger: { customerId: string; currencyId: string },
  now: Date,
  idempotency: IdempotencyClaim | null,
  work: LedgerWork,
): Promise<string> {
  const key = `${ledger.customerId}|${ledger.currencyId}`;
  return new Promise<string>((resolve, reject) => {
    const job: GroupedJob = { now, idempotency, work, resolve, reject };
    const queue = waiting.get(key);
    if (queue) {
      queue.push(job);
      return;
    }
    const fresh = [job];
    waiting.set(key, fresh);
    void drainGroup(em, ledger, key, fresh);
  });
}

async function drainGroup(
  em: EntityManager,
  ledger: { customerId: string; currencyId: string },
  key: string,
  queue: GroupedJob[],
): Promise<void> {
  while (queue.length > 0) {
    const batch = queue.splice(0, MAX_GROUP);
    const now = new Date(Math.max(...batch.map((j) => j.now.getTime())));
    let results: (string | DomainError)[];
    try {
      results = await inTransaction(em, async (txEm) => {
        const tx = await LedgerTx.open(txEm, ledger.customerId, ledger.currencyId);
        tx.bookDue(now);
        const out: (string | DomainError)[] = [];
        for (const job of batch) {
          const idemKey = job.idempotency?.key ?? null;
          if (job.idempotency && idemKey !== null) {
            try {
              // claiming changes nothing when it answers replay or conflict: the batch goes on
              const claim = await claimIdempotencyKey(
                txEm,
                job.idempotency.scope,
                idemKey,
                job.idempotency.input,
              );
              if (claim.kind === 'replay') {
                out.push(claim.resultId);
                continue;
              }
            } catch (e) {
              if (e instanceof DomainError) {
                out.push(e);
                continue;
              }
              throw e;
            }
          }
          const id = await job.work(tx, txEm);
          if (job.idempotency && idemKey !== null) {
            await recordIdempotentResult(txEm, job.idempotency.scope, idemKey, id);
          }
          out.push(id);
        }
        await tx.flush();
        return out;
      });
    } catch {
      for (const job of batch)
        runOnLedger(em, ledger, job.now, job.idempotency, job.work).then(job.resolve, job.reject);
      continue;
    }
    batch.forEach((job, i) => {
      const r = results[i]!;
      if (r instanceof DomainError) job.reject(r);
      else job.resolve(r);
    });
  }
  waiting.delete(key);
}
