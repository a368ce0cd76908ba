import type { EntityManager } from '@mikro-orm/postgresql';
import type { GrantOrigin, PaymentStatus } from './entities';
import type { GrantState, LedgerHead } from './store';

// The grant writes outside `writeLedgers` (store.ts), under the same lock contract: a grant is inserted
// under its ledger's row lock, and the payment state of a grant that is no longer live is recorded alone.

/** What a grant row holds beyond its state. */
export interface GrantExtras {
  name: string | null;
  purchaseCurrency: string | null;
  purchaseTotal: string | null;
  invoiceId: string | null;
  /** Where it came from (SPEC §14); MANUAL when omitted. */
  origin?: GrantOrigin;
  subscriptionId?: string | null;
  rolledFromId?: string | null;
  allocationKey?: string | null;
  autoTopUpRuleId?: string | null;
}

/** Inserts a grant created under the ledger lock (not yet funded: it shows its full amount as remaining). */
export async function insertGrant(
  em: EntityManager,
  ledger: Pick<LedgerHead, 'id' | 'customerId' | 'currencyId'>,
  g: GrantState,
  extra: GrantExtras,
): Promise<void> {
  await em.execute(
    `insert into credit_grant (id, ledger_id, customer_id, currency_id, name, source, funding_method, amount, remaining,
                               priority, effective_at, expires_at, per_unit_cost, purchase_currency, purchase_total,
                               payment_status, invoice_id, feature_keys, created_at, origin, subscription_id,
                               rolled_from_id, allocation_key, auto_top_up_rule_id)
     values (?, ?, ?, ?, ?, ?, ?, ?::numeric, ?::numeric, ?, ?::timestamptz, ?::timestamptz, ?::numeric, ?, ?::numeric, ?, ?,
             ?::text[], ?::timestamptz, ?, ?, ?, ?, ?)`,
    [
      g.id,
      ledger.id,
      ledger.customerId,
      ledger.currencyId,
      extra.name,
      g.source,
      g.fundingMethod,
      g.amount.toFixed(),
      g.amount.toFixed(),
      g.priority,
      g.effectiveAt.toISOString(),
      g.expiresAt?.toISOString() ?? null,
      g.perUnitCost.toFixed(),
      extra.purchaseCurrency,
      extra.purchaseTotal,
      g.paymentStatus,
      extra.invoiceId,
      g.featureKeys ? `{${g.featureKeys.map((k) => JSON.stringify(k)).join(',')}}` : null,
      g.createdAt.toISOString(),
      extra.origin ?? 'MANUAL',
      extra.subscriptionId ?? null,
      extra.rolledFromId ?? null,
      extra.allocationKey ?? null,
      extra.autoTopUpRuleId ?? null,
    ],
  );
}

/** Records the payment state of a grant that is no longer live (expired or voided): nothing else changes. */
export async function setPaymentStatus(
  em: EntityManager,
  grantId: string,
  status: PaymentStatus,
): Promise<void> {
  await em.execute(`update credit_grant set payment_status = ? where id = ?`, [status, grantId]);
}
