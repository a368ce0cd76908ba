import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Dec, ZERO, formatDecimal } from '../../money';
import { fiatScale, type SettlementTerms } from '../catalog';
import { valuesList } from '../shared/sql';
import { InvoiceEntity, type InvoiceLine } from './entities';
import { noteInvoiceEvents } from './webhook-events';

/** What a charge puts on a usage invoice: the credits it invoiced so far and where they belong. */
export interface UsageLineInput {
  chargeId: string;
  customerId: string;
  /** A one-off charge's invoice is issued at once; a usage charge's is its period's draft. */
  oneOff: boolean;
  subscriptionId: string | null;
  periodStart: Date | null;
  periodEnd: Date | null;
  /** The invoice the charge already has a line on, if any. */
  invoiceId: string | null;
  terms: SettlementTerms;
  description: string;
  /** Every credit the charge has invoiced so far (the line is recomputed from totals: no drift). */
  invoicedCredits: Dec;
  now: Date;
}

type CreateInvoice = (
  em: EntityManager,
  input: {
    customerId: string;
    currency: string;
    kind: 'USAGE';
    lines: InvoiceLine[];
    total: string;
    issue: boolean;
    now: Date;
  },
) => Promise<InvoiceEntity>;

/**
 * Puts a charge's invoiced credits on the usage invoice of its period (a draft until the period ends), or
 * on an invoice issued at once for a one-off charge, converted at the charge's terms. One line per charge,
 * replaced in place as more is invoiced. Returns the invoice id.
 */
export async function putUsageLine(
  em: EntityManager,
  create: CreateInvoice,
  c: UsageLineInput,
): Promise<string> {
  const fiat = c.terms.fiatCode;
  const rate = new Dec(c.terms.fiatValue);
  const scale = fiatScale(fiat);
  let invoice: InvoiceEntity | null = null;
  if (c.invoiceId) {
    invoice = await em.findOne(
      InvoiceEntity,
      { id: c.invoiceId },
      { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true },
    );
    // a charge's lines grow only on its period's draft; payments are refused on drafts, and the draft is
    // issued only when the period ends, which also closes the charge
    if (invoice && invoice.status !== 'DRAFT') {
      throw new Error(`charge ${c.chargeId} would add to ${invoice.status} invoice ${invoice.number}`);
    }
  }
  if (!invoice && !c.oneOff) {
    invoice = await em.findOne(
      InvoiceEntity,
      {
        subscriptionId: c.subscriptionId,
        periodStart: c.periodStart,
        currency: fiat,
        kind: 'USAGE',
        status: 'DRAFT',
      },
      { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true },
    );
  }
  if (!invoice) {
    invoice = await create(em, {
      customerId: c.customerId,
      currency: fiat,
      kind: 'USAGE',
      lines: [],
      total: formatDecimal(ZERO, scale),
      issue: c.oneOff,
      now: c.now,
    });
    invoice.subscriptionId = c.subscriptionId;
    invoice.periodStart = c.periodStart;
    invoice.periodEnd = c.periodEnd;
  }
  const keys = { ...invoice.lineKeys };
  const line: InvoiceLine = {
    description: c.description,
    quantity: c.invoicedCredits.toFixed(),
    unitPrice: rate.toFixed(),
    amount: formatDecimal(c.invoicedCredits.times(rate), scale),
  };
  const lines = [...invoice.lines];
  const at = keys[c.chargeId];
  if (at === undefined) {
    keys[c.chargeId] = lines.length;
    lines.push(line);
  } else {
    lines[at] = line;
  }
  invoice.lines = lines;
  invoice.lineKeys = keys;
  invoice.total = formatDecimal(
    lines.reduce((s, l) => s.plus(l.amount), ZERO),
    scale,
  );
  await em.flush();
  return invoice.id;
}

/** Issues the draft usage invoices of periods that ended, in one statement. */
export async function issueEndedUsage(
  em: EntityManager,
  ended: readonly { subscriptionId: string; periodStart: Date }[],
  now: Date,
): Promise<void> {
  const seen = new Set<string>();
  const params: unknown[] = [];
  for (const e of ended) {
    const k = `${e.subscriptionId}|${e.periodStart.toISOString()}`;
    if (seen.has(k)) continue;
    seen.add(k);
    params.push(e.subscriptionId, e.periodStart.toISOString());
  }
  if (seen.size === 0) return;
  const issued = await em.execute<{ id: string }[]>(
    `update invoice as i set status = 'ISSUED', issued_at = ?::timestamptz
       from (values ${valuesList(seen.size, '(?, ?)', params)}) as v(subscription_id, period_start)
      where i.kind = 'USAGE' and i.status = 'DRAFT' and i.subscription_id = v.subscription_id
            and i.period_start = v.period_start::timestamptz
      returning i.id`,
    [now.toISOString(), ...params],
  );
  await noteInvoiceEvents(
    em,
    'invoice.issued',
    issued.map((r) => r.id),
    null,
  );
}
