import type { EntityManager } from '@mikro-orm/postgresql';
import { beforeCommit } from '../shared/tx';
import { recordWebhookEvents, subscribedWebhookTypes, type WebhookEventInput } from '../webhooks';
import type { InvoiceLine } from './entities';

/**
 * `invoice.issued` and `invoice.paid` (SPEC §15): noted where an invoice is issued or paid, recorded in the
 * same transaction just before it commits, with the invoice as it is then (a one-off charge's invoice is
 * issued empty and gets its line later in the same transaction). Nothing is kept when nobody subscribes.
 */

export type InvoiceEventType = 'invoice.issued' | 'invoice.paid';

interface Noted {
  type: InvoiceEventType;
  invoiceId: string;
  /** When it happened; null: the invoice's `issuedAt`. */
  at: Date | null;
}

interface InvoiceRow {
  id: string;
  number: string;
  customer_id: string;
  currency: string;
  kind: string;
  status: string;
  payment_status: string;
  total: string;
  lines: InvoiceLine[];
  issued_at: Date | null;
  period_start: Date | null;
  period_end: Date | null;
}

/** An invoice in the API's shape (the scalar fields of `Invoice` and its lines): the `invoice` of the events. */
export function invoiceEventData(i: InvoiceRow): Record<string, unknown> {
  return {
    id: i.id,
    number: i.number,
    currency: i.currency,
    kind: i.kind,
    status: i.status,
    paymentStatus: i.payment_status,
    total: i.total,
    lines: i.lines.map((l) => ({
      description: l.description,
      quantity: l.quantity,
      unitPrice: l.unitPrice,
      amount: l.amount,
    })),
    issuedAt: i.issued_at && new Date(i.issued_at),
    periodStart: i.period_start && new Date(i.period_start),
    periodEnd: i.period_end && new Date(i.period_end),
  };
}

const collecting = new WeakMap<EntityManager, Noted[]>();

/** Notes that invoices were issued or paid in `em`'s transaction (recorded at once outside `inTransaction`). */
export async function noteInvoiceEvents(
  em: EntityManager,
  type: InvoiceEventType,
  invoiceIds: readonly string[],
  at: Date | null,
): Promise<void> {
  if (invoiceIds.length === 0) return;
  let noted = collecting.get(em);
  if (!noted) {
    if (!(await subscribedWebhookTypes(em)).has(type)) return;
    const mine: Noted[] = [];
    const later = beforeCommit(em, (txEm) => {
      collecting.delete(em);
      return recordInvoiceEvents(txEm, mine);
    });
    if (!later)
      return recordInvoiceEvents(
        em,
        invoiceIds.map((invoiceId) => ({ type, invoiceId, at })),
      );
    collecting.set(em, mine);
    noted = mine;
  }
  for (const invoiceId of invoiceIds) noted.push({ type, invoiceId, at });
}

async function recordInvoiceEvents(em: EntityManager, noted: readonly Noted[]): Promise<void> {
  const types = await subscribedWebhookTypes(em);
  const wanted = noted.filter((n) => types.has(n.type));
  if (wanted.length === 0) return;
  // the ORM's pending changes (a payment applied to a loaded invoice) first: the rows are read as committed
  await em.flush();
  const ids = [...new Set(wanted.map((n) => n.invoiceId))];
  const rows = await em.execute<InvoiceRow[]>(
    `select id, number, customer_id, currency, kind, status, payment_status, total::text as total, lines,
            issued_at, period_start, period_end
       from invoice where id in (${ids.map(() => '?').join(', ')})`,
    ids,
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  const events: WebhookEventInput[] = [];
  for (const n of wanted) {
    const row = byId.get(n.invoiceId);
    if (!row) continue;
    events.push({
      type: n.type,
      customerId: row.customer_id,
      occurredAt: n.at ?? new Date(row.issued_at!),
      data: { customerId: row.customer_id, invoice: invoiceEventData(row) },
    });
  }
  await recordWebhookEvents(em, events);
}
