import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError, ErrorCode } from '../../core/errors';
import { IdPrefix, newId } from '../../core/ids';
import {
  allocateDeduction,
  dueSteps,
  fundingOf,
  grantStatus,
  snapshotOf,
  type GrantSnapshot,
} from '../../engine';
import { type Dec, ZERO, formatDecimal } from '../../money';
import type { FundingMethod, MovementType, PaymentStatus } from './entities';
import {
  lockLedgers,
  readLedger,
  type AllocationDraft,
  type BookedMovement,
  type GrantState,
  type LedgerHead,
  type LockedLedger,
} from './store';
import type { StatementPart } from '../shared/sql';
import { writeLedgers } from './store-write';
import { collectLedgerEvents, type GrantNote } from './webhook-events';

/** The statement that writes rows of one kind with the ledger's (see `LedgerTx.writeBefore`). */
export type DeferredWrite<T> = (rows: T[]) => StatementPart;

/**
 * One locked ledger inside one transaction: books movements in memory with gapless sequences and running
 * balances, on the engine's rules (draw-down, debt repayment, due fundings and expiries), and hands them to
 * the store at `flush()`. It holds no SQL and no transaction; `open` locks through the store's lock contract.
 */
export class LedgerTx {
  readonly booked: BookedMovement[] = [];
  private flushed = 0;
  readonly id: string;
  readonly customerId: string;
  readonly currencyId: string;
  readonly currencyCode: string;
  readonly scale: number;
  private balance: Dec;
  private debt: Dec;
  private lastSequence: number;
  /** Grant changes since the last flush, for the webhook events (webhook-events.ts). */
  private notes: GrantNote[] = [];
  /** The instant of the last `bookDue`: what the ledger's figures are true for. */
  private asOf: Date | null = null;
  /** Rows other modules write with the ledger (`writeBefore`), by kind. */
  private deferred = new Map<string, { rows: unknown[]; write: DeferredWrite<unknown> }>();

  private constructor(
    private readonly em: EntityManager,
    head: LedgerHead,
    readonly grants: Map<string, GrantState>,
    /** Read without a lock (`peek`): it computes, it never writes. */
    private readonly readOnly = false,
  ) {
    this.id = head.id;
    this.customerId = head.customerId;
    this.currencyId = head.currencyId;
    this.currencyCode = head.currencyCode;
    this.scale = head.scale;
    this.balance = head.balance;
    this.debt = head.debt;
    this.lastSequence = head.lastSequence;
  }

  /** Locks one ledger (its row, then its live grants in id order), creating it when missing. */
  static async open(em: EntityManager, customerId: string, currencyId: string): Promise<LedgerTx> {
    return (await LedgerTx.openMany(em, [{ customerId, currencyId }]))[0]!;
  }

  /**
   * Locks several ledgers at once (settlement's micro-batches) in the global order: the ledger rows in
   * (customer, currency) order, then all their live grants in id order. Answers in `keys` order.
   */
  static async openMany(
    em: EntityManager,
    keys: readonly { customerId: string; currencyId: string }[],
  ): Promise<LedgerTx[]> {
    const locked = await lockLedgers(em, keys);
    return locked.map((l) => new LedgerTx(em, l.head, l.grants));
  }

  /**
   * A ledger as its next writer would see it, without taking any lock (checks and forecasts, SPEC §16): read in
   * the caller's snapshot, with what is due at `asOf` booked in memory by the same `bookDue`. It can never be
   * flushed. Null when the customer has no ledger in that currency.
   */
  static async peek(
    em: EntityManager,
    customerId: string,
    currencyId: string,
    asOf: Date,
  ): Promise<LedgerTx | null> {
    const read = await readLedger(em, customerId, currencyId);
    if (!read) return null;
    const tx = new LedgerTx(em, read.head, read.grants, true);
    tx.bookDue(asOf);
    return tx;
  }

  /**
   * `peek` on rows read earlier (`readLedger`; the check cache keeps them): books what is due at `asOf` on
   * copies of the grants, so the kept rows stay as read. Read-only like `peek`: it never touches a database.
   */
  static peekRead(read: LockedLedger, asOf: Date): LedgerTx {
    const grants = new Map([...read.grants].map(([id, g]) => [id, { ...g }]));
    const tx = new LedgerTx(null as unknown as EntityManager, { ...read.head }, grants, true);
    tx.bookDue(asOf);
    return tx;
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
    this.note('created', g, g.createdAt);
  }

  private note(kind: GrantNote['kind'], g: GrantState, at: Date): void {
    this.notes.push({ kind, grant: { ...g }, at, sequence: this.lastSequence });
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
    const { allocations } = fundingOf(g, this.debt);
    g.fundedAt = at;
    g.dirty = true;
    const m = this.book({
      type: g.source === 'ADJUSTMENT' ? 'ADJUSTED' : 'FUNDED',
      amount: g.amount,
      bookedAt: at,
      grantId: g.id,
      allocations,
      description: description ?? null,
    });
    if (m.type === 'FUNDED') this.note('funded', g, at);
    return m;
  }

  /**
   * Books a grant's expiry: the unused remainder leaves the ledger with an EXPIRED movement booked at the
   * expiry instant (SPEC §5); a depleted or never-funded grant is only marked expired.
   */
  expire(g: GrantState): BookedMovement | null {
    g.expiredAt = g.expiresAt;
    g.dirty = true;
    const m = g.remaining.isZero()
      ? null
      : this.book({
          type: 'EXPIRED',
          amount: g.remaining.neg(),
          bookedAt: g.expiresAt!,
          grantId: g.id,
          allocations: [{ grantId: g.id, amount: g.remaining.neg() }],
        });
    this.note('expired', g, g.expiresAt!);
    return m;
  }

  /** Voids a grant; a funded remainder leaves the ledger with a VOIDED movement. */
  void(g: GrantState, at: Date, reason: string | null): BookedMovement | null {
    g.voidedAt = at;
    g.voidReason = reason;
    g.dirty = true;
    const m =
      g.fundedAt === null || g.remaining.isZero()
        ? null
        : this.book({
            type: 'VOIDED',
            amount: g.remaining.neg(),
            bookedAt: at,
            grantId: g.id,
            allocations: [{ grantId: g.id, amount: g.remaining.neg() }],
            description: reason,
          });
    this.note('voided', g, at);
    return m;
  }

  /**
   * Books what is due by `asOf`, in the engine's order (`dueSteps`): fundings at their effective instant,
   * expiries at expiresAt. Every writer calls this first, so no debit ever draws from credit past its expiry.
   */
  bookDue(asOf: Date): BookedMovement[] {
    this.asOf = asOf;
    const out: BookedMovement[] = [];
    for (const step of dueSteps([...this.grants.values()], asOf)) {
      const g = this.grant(step.grantId);
      const m = step.kind === 'FUND' ? this.fund(g, step.at) : this.expire(g);
      if (m) out.push(m);
    }
    return out;
  }

  /**
   * Whether a correction may give credit back to this grant at `asOf` (SPEC §6): it is on this ledger and
   * neither voided nor expired (booked or past its expiry).
   */
  restorable(grantId: string, asOf: Date): boolean {
    const g = this.grants.get(grantId);
    if (!g) return false;
    const status = grantStatus(g, asOf);
    return status !== 'VOIDED' && status !== 'EXPIRED';
  }

  /** The engine's view of the grants that could pay something now. */
  snapshots(): GrantSnapshot[] {
    return [...this.grants.values()].map(snapshotOf);
  }

  /**
   * An admin deduction (the engine's `allocateDeduction`): draws in draw-down order from any usable grant;
   * never more than the available balance (outstanding debt lowers it) nor than the grants hold.
   */
  deduct(amount: Dec, at: Date, description: string): BookedMovement {
    const { allocations, available, allowed } = allocateDeduction({
      amount,
      grants: this.snapshots(),
      asOf: at,
      balance: this.balance,
    });
    if (!allowed) {
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

  /**
   * A row another module writes with the ledger's movements (which may reference it), with the other rows of
   * its kind: one multi-row statement per kind and flush, sent inside the ledger's one write, not one round
   * trip per row while the ledger lock is held (group commit's one-off charges).
   */
  writeBefore<T>(kind: string, row: T, write: DeferredWrite<T>): void {
    const d = this.deferred.get(kind) ?? { rows: [], write: write as DeferredWrite<unknown> };
    d.rows.push(row);
    this.deferred.set(kind, d);
  }

  /** Writes the booked movements, their allocations, the grants, the ledger row and the rows of `writeBefore`. */
  async flush(): Promise<void> {
    await LedgerTx.flushAll(this.em, [this]);
  }

  /**
   * Writes what several ledgers booked with one statement (see the store's `writeLedgers`). Each ledger's
   * movements are written once (later calls add only the new ones).
   */
  static async flushAll(em: EntityManager, txs: readonly LedgerTx[]): Promise<void> {
    if (txs.some((tx) => tx.readOnly)) throw new Error('a ledger read without its lock cannot be written');
    const deferred = new Map<string, { rows: unknown[]; write: DeferredWrite<unknown> }>();
    for (const tx of txs) {
      for (const [kind, d] of tx.deferred) {
        const all = deferred.get(kind);
        if (all) all.rows.push(...d.rows);
        else deferred.set(kind, { rows: [...d.rows], write: d.write });
      }
      tx.deferred = new Map();
    }
    const before = [...deferred.values()].map((d) => d.write(d.rows));
    const fresh = txs.map((tx) => {
      const movements = tx.booked.slice(tx.flushed);
      tx.flushed = tx.booked.length;
      const notes = tx.notes;
      tx.notes = [];
      return { tx, movements, notes };
    });
    await writeLedgers(
      em,
      fresh.map(({ tx, movements }) => ({
        head: {
          id: tx.id,
          customerId: tx.customerId,
          currencyId: tx.currencyId,
          balance: tx.balance,
          debt: tx.debt,
          lastSequence: tx.lastSequence,
        },
        movements,
        grants: tx.grants.values(),
      })),
      before,
    );
    await collectLedgerEvents(
      em,
      fresh.map(({ tx, movements, notes }) => ({
        ledgerId: tx.id,
        customerId: tx.customerId,
        currencyId: tx.currencyId,
        currencyCode: tx.currencyCode,
        scale: tx.scale,
        movements,
        grants: notes,
        final: () => ({ settled: tx.balance, grants: tx.grants.values(), asOf: tx.asOf ?? new Date() }),
      })),
    );
  }
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
