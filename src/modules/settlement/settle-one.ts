import type { EntityManager } from '@mikro-orm/postgresql';
import { settleCharge } from '../../engine';
import { Dec, roundToScale } from '../../money';
import type { InvoicesService } from '../invoices';
import type { AllocationDraft, BookedMovement, LedgerTx } from '../ledger';
import type { ChargeSettlement, OpenCharge } from '../usage';

/** What settling one charge did. */
export interface SettledCharge {
  /** The CONSUMED movement booked (null when credits took nothing). */
  movement: BookedMovement | null;
  /** Whether the charge's row must be written (something was booked, or it closed). */
  changed: boolean;
  /** The charge's figures after this step, for `chargeStore.applySettlement` or its first write. */
  charge: ChargeSettlement;
}

/**
 * Settles one locked charge now on its locked ledger: books what credits take (one CONSUMED movement, in
 * draw-down order), puts a CREDIT_THEN_INVOICE remainder on its usage invoice, and closes it when `close`
 * and everything is booked.
 */
export async function settleOne(
  em: EntityManager,
  invoices: InvoicesService,
  tx: LedgerTx,
  c: OpenCharge,
  now: Date,
  close: boolean,
  /** What active holds reserve on the ledger: CREDIT_THEN_INVOICE credit stops there (SPEC §16). */
  held: Dec,
): Promise<SettledCharge> {
  const r = settleCharge({
    asOf: now,
    charge: { id: c.id, amount: new Dec(c.amount), booked: new Dec(c.booked), featureKey: c.featureKey },
    grants: tx.snapshots(),
    mode: c.settlementMode,
    scale: tx.scale,
    balance: tx.settled,
    held,
  });
  let movement: BookedMovement | null = null;
  if (r.creditedAmount.gt(0)) {
    movement = tx.book({
      type: 'CONSUMED',
      amount: r.creditedAmount.neg(),
      bookedAt: now,
      chargeId: c.id,
      description: c.description ?? c.featureName ?? null,
      allocations: r.allocations.map((a): AllocationDraft => ({
        grantId: a.grantId,
        amount: a.amount.neg(),
      })),
    });
  }
  const invoiced = new Dec(c.invoicedAmount).plus(r.invoicedAmount);
  let invoiceId = c.invoiceId;
  if (r.invoicedAmount.gt(0)) {
    invoiceId = await invoices.putUsageLine(em, {
      chargeId: c.id,
      customerId: c.customerId,
      oneOff: c.kind === 'ONE_OFF',
      subscriptionId: c.subscriptionId,
      periodStart: c.periodStart,
      periodEnd: c.periodEnd,
      invoiceId: c.invoiceId,
      terms: c.terms,
      description: c.description ?? `${c.featureName ?? c.featureKey ?? 'Usage'} not covered by credits`,
      invoicedCredits: invoiced,
      now,
    });
  }
  const closed = close && r.bookedAfter.eq(roundToScale(new Dec(c.amount), tx.scale));
  return {
    movement,
    changed: !r.step.isZero() || closed,
    charge: {
      id: c.id,
      booked: r.bookedAfter.toFixed(),
      credited: new Dec(c.creditedAmount).plus(r.creditedAmount).toFixed(),
      invoiced: invoiced.toFixed(),
      status: closed ? 'SETTLED' : c.status,
      invoiceId,
    },
  };
}
