import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../core/clock';
import type { InvoiceEntity, InvoicesService, PaymentStatus } from '../invoices';
import type { CursorCodec } from '../shared/cursor';
import type { Page, PageArgs } from '../shared/page';
import { DueWork } from './due';
import { updateGrantExpiry } from './program-grants';
import type { AllocationEntity, GrantEntity, GrantStatus, MovementEntity } from './entities';
import {
  GrantWrites,
  type AdjustCreditsInput,
  type CreateGrantInput,
  type CreateGrantOptions,
} from './grants';
import type { KeptHistory } from './kept-history';
import { LedgerReads, type BalanceView, type MovementFilter, type MovementPage } from './reads';
import type { MovementCursor } from './balance-sql';
import type { MovementView } from './rows';

import { DUE_TASK } from './grants';
export { DUE_TASK } from './grants';
export type { AdjustCreditsInput, CreateGrantInput, CreateGrantOptions } from './grants';
export type { BalanceView, MovementFilter, MovementPage } from './reads';

/**
 * The ledger module's service, one object per EntityManager fork: grants, funding lifecycles and the
 * ledger's own movements (SPEC §5–7, §9 credit purchases, §12). It only routes each use case to its home:
 * writes to `GrantWrites` (grants.ts), reads to `LedgerReads` (reads.ts), background work to `DueWork`
 * (due.ts).
 */
export class LedgerService {
  private readonly writes: GrantWrites;
  private readonly reads: LedgerReads;
  private readonly due: DueWork;

  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    cursors: CursorCodec,
    invoices: InvoicesService,
    keptHistory: KeptHistory | null = null,
  ) {
    this.writes = new GrantWrites(em, clock, invoices);
    this.reads = new LedgerReads(em, clock, cursors, keptHistory);
    this.due = new DueWork(em, clock);
  }

  // ---- writes -----------------------------------------------------------------------------

  createGrant(input: CreateGrantInput): Promise<GrantEntity> {
    return this.writes.createGrant(input);
  }

  /**
   * The public grant-creation method for other modules (SPEC §14 program grants): validated like
   * `createGrant`, optionally inside the caller's transaction (`opts.em`); answers the grant id.
   */
  createGrantId(input: CreateGrantInput, opts?: CreateGrantOptions): Promise<string> {
    return this.writes.createGrantId(input, opts);
  }

  requireGrant(id: string): Promise<GrantEntity> {
    return this.writes.requireGrant(id);
  }

  /** updateCreditGrantExpiry (SPEC §14): a new expiry, never (null), or now (an instant at or before now). */
  async updateGrantExpiry(grantId: string, expiresAt: Date | null): Promise<GrantEntity> {
    await updateGrantExpiry(this.em, this.clock, DUE_TASK, grantId, expiresAt);
    return this.writes.requireGrant(grantId);
  }

  voidGrant(grantId: string, reason: string | null): Promise<GrantEntity> {
    return this.writes.voidGrant(grantId, reason);
  }

  updateExternalSettlement(grantId: string, status: PaymentStatus): Promise<GrantEntity> {
    return this.writes.updateExternalSettlement(grantId, status);
  }

  /** Drives a credit-purchase invoice's payment: SETTLED funds its grant, FAILED voids both (SPEC §5, §9). */
  updateInvoicePaymentStatus(invoiceId: string, status: PaymentStatus): Promise<InvoiceEntity> {
    return this.writes.updateInvoicePaymentStatus(invoiceId, status);
  }

  /** The ADJUSTED movement as written; an idempotent replay answers the first request's, read back. */
  async adjustCredits(input: AdjustCreditsInput): Promise<MovementView> {
    const { id, movement } = await this.writes.adjustCredits(input);
    return movement ?? (await this.reads.movementById(id))!;
  }

  // ---- due work (background jobs) ---------------------------------------------------------

  /** Books everything due on one ledger now: fundings at their effective instant, expiries at expiresAt. */
  bookDue(ledgerId: string): Promise<number> {
    return this.due.bookDue(ledgerId);
  }

  /** Ledgers with due work: the safety net behind the per-grant scheduled jobs. */
  ledgersWithDueWork(limit?: number): Promise<string[]> {
    return this.due.ledgersWithDueWork(limit);
  }

  /** Deletes outbox rows older than the retention; the movements themselves stay forever. */
  pruneOutbox(retentionMs: number): Promise<number> {
    return this.due.pruneOutbox(retentionMs);
  }

  // ---- reads ------------------------------------------------------------------------------

  /** SPEC §7 balances in one consistent snapshot (REPEATABLE READ, read-only: never blocks writers). */
  balances(customerId: string, currencyCode?: string | null): Promise<BalanceView[]> {
    return this.reads.balances(customerId, currencyCode);
  }

  /** New movements after a cursor with the balances of the same snapshot (the live feeds' read). */
  movementsAfter(
    customerId: string,
    currencyId: string | null,
    cursor: MovementCursor,
    limit: number,
  ): Promise<{ movements: MovementEntity[]; balances: BalanceView[] }> {
    return this.reads.movementsAfter(customerId, currencyId, cursor, limit);
  }

  /** `movementsAfter` of several customers in one statement (the live feeds' read when several changed). */
  movementsAfterMany(
    cursors: readonly { customerId: string; after: ReadonlyMap<string, number> }[],
    limit: number,
  ): Promise<Map<string, { movements: MovementEntity[]; balances: BalanceView[] }>> {
    return this.reads.movementsAfterMany(cursors, limit);
  }

  grantsByIds(ids: readonly string[]): Promise<Map<string, GrantEntity>> {
    return this.reads.grantsByIds(ids);
  }

  listGrants(
    customerId: string,
    filter: { currency?: string | null; status?: GrantStatus[] | null },
    args: PageArgs,
  ): Promise<Page<GrantEntity>> {
    return this.reads.listGrants(customerId, filter, args);
  }

  movementById(id: string): Promise<MovementEntity | null> {
    return this.reads.movementById(id);
  }

  movementsByIds(ids: readonly string[]): Promise<Map<string, MovementEntity>> {
    return this.reads.movementsByIds(ids);
  }

  allocationsByMovementIds(ids: readonly string[]): Promise<Map<string, AllocationEntity[]>> {
    return this.reads.allocationsByMovementIds(ids);
  }

  /** History newest first, keyset on the customer-wide booking order; never OFFSET (SPEC §12). */
  listMovements(customerId: string, filter: MovementFilter, args: PageArgs): Promise<MovementPage> {
    return this.reads.listMovements(customerId, filter, args);
  }

  ledgerIdFor(customerId: string, currencyId: string): Promise<string | null> {
    return this.reads.ledgerIdFor(customerId, currencyId);
  }
}
