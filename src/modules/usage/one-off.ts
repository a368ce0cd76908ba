import type { SettlementMode, SettlementTerms } from '../catalog';
import type { StatementPart } from '../shared/sql';
import type { ChargeSettlement } from './charge-store';
import type { ChargeEntity } from './entities';

/** A one-off charge with its settled figures, as `createCharge` and a hold's capture write it. */
export type OneOffRow = {
  customerId: string;
  currencyId: string;
  description: string;
  settlementMode: SettlementMode;
  terms: SettlementTerms;
  amount: string;
  now: Date;
} & ChargeSettlement;

/** Where a one-off charge is written: with its ledger's movements, which reference it (`LedgerTx`). */
export interface WritesWithLedger {
  writeBefore<T>(kind: string, row: T, write: (rows: T[]) => StatementPart): void;
}

/** The one-off charges of one flush in one statement, sent with the ledger's write. */
function insertOneOffRows(rows: OneOffRow[]): StatementPart {
  const values = `(?, ?, ?, 'ONE_OFF', ?, ?, ?, ?, ?::numeric, ?::numeric, ?::numeric, ?::numeric, ?::numeric, ?,
             ?::timestamptz, ?::timestamptz)`;
  return {
    sql: `insert into charge (id, customer_id, currency_id, kind, description, status, settlement_mode, fiat_code, fiat_value,
                         amount, booked, credited_amount, invoiced_amount, invoice_id, created_at, updated_at)
     values ${rows.map(() => values).join(', ')}`,
    params: rows.flatMap((c) => [
      c.id,
      c.customerId,
      c.currencyId,
      c.description,
      c.status,
      c.settlementMode,
      c.terms.fiatCode,
      c.terms.fiatValue,
      c.amount,
      c.booked,
      c.credited,
      c.invoiced,
      c.invoiceId,
      c.now.toISOString(),
      c.now.toISOString(),
    ]),
  };
}

/**
 * Writes a one-off charge with its ledger's next flush (one statement for all the charges of a group
 * commit) and answers the charge as a read of it would, so its caller need not read it back.
 */
export function insertOneOff(ledger: WritesWithLedger, c: OneOffRow): ChargeEntity {
  ledger.writeBefore('charge.one-off', c, insertOneOffRows);
  // a plain object of the entity's shape: nothing persists it, and an entity instance's tracked setters cost
  // a hot customer's group commit 2% of the main thread
  const charge: ChargeEntity = {
    id: c.id,
    customerId: c.customerId,
    currencyId: c.currencyId,
    kind: 'ONE_OFF' as const,
    subscriptionId: null,
    rateCardId: null,
    featureId: null,
    featureKey: null,
    aggregation: null,
    description: c.description,
    status: c.status,
    settlementMode: c.settlementMode,
    fiatCode: c.terms.fiatCode,
    fiatValue: c.terms.fiatValue,
    quantity: null,
    amount: c.amount,
    booked: c.booked,
    creditedAmount: c.credited,
    invoicedAmount: c.invoiced,
    periodStart: null,
    periodEnd: null,
    invoiceId: c.invoiceId,
    createdAt: c.now,
    updatedAt: c.now,
  };
  return charge;
}
