import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError, ErrorCode } from '../../core/errors';
import { IdPrefix, isIdOf, newId } from '../../core/ids';
import type { CursorCodec } from '../shared/cursor';
import { finishPage, keysetRequest, type Page, type PageArgs } from '../shared/page';
import { InvoiceEntity, type InvoiceKind, type InvoiceLine, type PaymentStatus } from './entities';
import { issueEndedUsage, putUsageLine, type UsageLineInput } from './usage-lines';
import { noteInvoiceEvents } from './webhook-events';

/**
 * Payment transitions (SPEC §9): PENDING → AUTHORIZED → SETTLED, or → FAILED from PENDING/AUTHORIZED.
 * Repeating the current status is accepted unchanged; SETTLED and FAILED are final.
 */
const NEXT: Record<PaymentStatus, PaymentStatus[]> = {
  PENDING: ['AUTHORIZED', 'SETTLED', 'FAILED'],
  AUTHORIZED: ['SETTLED', 'FAILED'],
  SETTLED: [],
  FAILED: [],
};

export function checkPaymentTransition(from: PaymentStatus, to: PaymentStatus, what: string): boolean {
  if (from === to) return false;
  if (!NEXT[from].includes(to)) {
    throw new DomainError(ErrorCode.INVALID_STATE, `${what} payment is ${from}; it cannot become ${to}`);
  }
  return true;
}

export class InvoicesService {
  constructor(
    private readonly em: EntityManager,
    private readonly cursors: CursorCodec,
  ) {}

  /** Inside the caller's transaction (the `em` it passes). */
  async create(
    em: EntityManager,
    input: {
      customerId: string;
      currency: string;
      kind: InvoiceKind;
      lines: InvoiceLine[];
      total: string;
      issue: boolean;
      now: Date;
    },
  ): Promise<InvoiceEntity> {
    const rows = await em.execute<{ n: string }[]>(`select nextval('invoice_number_seq')::text as n`);
    const invoice = em.create(InvoiceEntity, {
      id: newId(IdPrefix.Invoice),
      number: `DD-${rows[0]!.n.padStart(6, '0')}`,
      customerId: input.customerId,
      currency: input.currency,
      kind: input.kind,
      status: input.issue ? 'ISSUED' : 'DRAFT',
      paymentStatus: 'PENDING',
      total: input.total,
      lines: input.lines,
      issuedAt: input.issue ? input.now : null,
      createdAt: input.now,
    });
    em.persist(invoice);
    await em.flush();
    if (input.issue) await noteInvoiceEvents(em, 'invoice.issued', [invoice.id], null);
    return invoice;
  }

  /**
   * Puts a charge's invoiced credits on its usage invoice (see `putUsageLine`), inside the caller's
   * transaction. Returns the invoice id.
   */
  putUsageLine(em: EntityManager, line: UsageLineInput): Promise<string> {
    return putUsageLine(em, (txEm, input) => this.create(txEm, input), line);
  }

  /** Issues the draft usage invoices of these ended periods, inside the caller's transaction. */
  issueEndedUsage(
    em: EntityManager,
    ended: readonly { subscriptionId: string; periodStart: Date }[],
    now: Date,
  ): Promise<void> {
    return issueEndedUsage(em, ended, now);
  }

  /** Locks and returns the invoice for a payment update in the caller's transaction. */
  async lockForUpdate(em: EntityManager, id: string): Promise<InvoiceEntity> {
    const invoice = isIdOf(IdPrefix.Invoice, id)
      ? await em.findOne(InvoiceEntity, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE })
      : null;
    if (!invoice) throw DomainError.notFound('Invoice', id);
    return invoice;
  }

  /**
   * Applies a payment status: SETTLED marks it PAID, FAILED marks it VOID. Only an ISSUED invoice takes
   * payment (a DRAFT usage invoice is still growing; a VOID one is gone); repeating the current status is a
   * no-op. Runs in the caller's transaction (`em`), where a payment that makes it PAID notes `invoice.paid`.
   */
  async applyPayment(
    em: EntityManager,
    invoice: InvoiceEntity,
    to: PaymentStatus,
    now: Date,
  ): Promise<boolean> {
    if (invoice.paymentStatus === to) return false;
    if (invoice.status !== 'ISSUED') {
      throw new DomainError(
        ErrorCode.INVALID_STATE,
        `Invoice ${invoice.number} is ${invoice.status}; only an issued invoice takes payment updates`,
      );
    }
    if (!checkPaymentTransition(invoice.paymentStatus, to, `Invoice ${invoice.number}`)) return false;
    invoice.paymentStatus = to;
    if (to === 'SETTLED') invoice.status = 'PAID';
    if (to === 'FAILED') invoice.status = 'VOID';
    if (to === 'SETTLED') await noteInvoiceEvents(em, 'invoice.paid', [invoice.id], now);
    return true;
  }

  /** Voids an unpaid issued invoice (its grant was voided): it can no longer be paid. */
  async voidUnpaid(em: EntityManager, id: string): Promise<void> {
    const invoice = await this.lockForUpdate(em, id);
    if (invoice.status === 'ISSUED' && invoice.paymentStatus !== 'SETTLED') invoice.status = 'VOID';
  }

  async byId(id: string): Promise<InvoiceEntity | null> {
    if (!isIdOf(IdPrefix.Invoice, id)) return null;
    return this.em.findOne(InvoiceEntity, { id });
  }

  /** Re-read outside this request's identity map (after a write in another transaction). */
  async byIdFresh(id: string): Promise<InvoiceEntity | null> {
    if (!isIdOf(IdPrefix.Invoice, id)) return null;
    return this.em.fork().findOne(InvoiceEntity, { id });
  }

  async byIds(ids: readonly string[]): Promise<Map<string, InvoiceEntity>> {
    const rows = await this.em.find(InvoiceEntity, { id: { $in: [...ids] } });
    return new Map(rows.map((r) => [r.id, r]));
  }

  async list(customerId: string, args: PageArgs): Promise<Page<InvoiceEntity>> {
    const scope = this.cursors.scopeOf(['invoices', customerId]);
    const req = keysetRequest<string>(args, this.cursors, scope, 'string');
    const where: Record<string, unknown> = { customerId };
    if (req.bound !== null) where.id = req.forward ? { $lt: req.bound } : { $gt: req.bound };
    const rows = await this.em.find(InvoiceEntity, where, {
      orderBy: { id: req.forward ? 'desc' : 'asc' },
      limit: req.limit + 1,
    });
    return finishPage(rows, req, (i) => i.id, this.cursors, scope);
  }
}
