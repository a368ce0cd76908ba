import type { EntityManager } from '@mikro-orm/postgresql';
import { deferred } from '../../db/fold-statements';
import type { Aggregation } from '../../engine';
import { settlementTermsOf, type SettlementMode, type SettlementTerms } from '../catalog';
import { pgArray, roundHalfEvenSql, valuesList } from '../shared/sql';
import type { ChargeKind, ChargeStatus } from './entities';
import { insertOneOff } from './one-off';
import { usageChargeKey } from './rate';

/**
 * Every write to `charge`, and the hot reads, as named operations inside the caller's transaction. The
 * usage module owns the table; ingestion and settlement (the only writers) come through here. Locks: a
 * caller that locks charges holds its ledgers' locks first, and takes the charges in id order.
 */

/** A usage charge to open for a (subscription, rate card, period) unless it exists. */
export interface NewUsageCharge {
  id: string;
  customerId: string;
  currencyId: string;
  subscriptionId: string;
  rateCardId: string;
  featureId: string;
  featureKey: string;
  aggregation: Aggregation;
  settlementMode: SettlementMode;
  terms: SettlementTerms;
  periodStart: Date;
  periodEnd: Date;
}

/** An open charge, locked for settlement. */
export interface OpenCharge {
  id: string;
  customerId: string;
  currencyId: string;
  kind: ChargeKind;
  subscriptionId: string | null;
  featureKey: string | null;
  featureName: string | null;
  description: string | null;
  status: ChargeStatus;
  settlementMode: SettlementMode;
  /** What its uninvoiced remainder converts to (`settlementTermsOf`). */
  terms: SettlementTerms;
  amount: string;
  booked: string;
  creditedAmount: string;
  invoicedAmount: string;
  periodStart: Date | null;
  periodEnd: Date | null;
  invoiceId: string | null;
}

/** A charge's figures after a settlement step. */
export interface ChargeSettlement {
  id: string;
  booked: string;
  credited: string;
  invoiced: string;
  status: ChargeStatus;
  invoiceId: string | null;
}

type UsageChargeRow = {
  id: string;
  subscriptionId: string;
  rateCardId: string;
  periodStart: Date;
  status: ChargeStatus;
};

/** The usage charges of these (subscription, rate card, period) keys that exist, without locking. */
async function findUsage(em: EntityManager, rows: readonly NewUsageCharge[]): Promise<UsageChargeRow[]> {
  const found = await em.execute<
    { id: string; subscription_id: string; rate_card_id: string; period_start: Date; status: ChargeStatus }[]
  >(
    `select c.id, c.subscription_id, c.rate_card_id, c.period_start, c.status
       from unnest(?::text[], ?::text[], ?::timestamptz[]) as k(subscription_id, rate_card_id, period_start)
       join charge c on c.kind = 'USAGE' and c.subscription_id = k.subscription_id
                    and c.rate_card_id = k.rate_card_id and c.period_start = k.period_start`,
    [
      pgArray(rows.map((r) => r.subscriptionId)),
      pgArray(rows.map((r) => r.rateCardId)),
      pgArray(rows.map((r) => r.periodStart.toISOString())),
    ],
  );
  return found.map((c) => ({
    id: c.id,
    subscriptionId: c.subscription_id,
    rateCardId: c.rate_card_id,
    periodStart: new Date(c.period_start),
    status: c.status,
  }));
}

/**
 * Opens the usage charges that do not exist yet (one per subscription, rate card and period) and reads
 * the status of all of them, without locking (locks are taken last, held briefly). It reads first and
 * inserts only what is missing: an `insert ... on conflict do nothing` over charges that exist waits for
 * every open transaction that updated one of them (PostgreSQL's conflict check waits out an in-progress
 * update of the conflicting row), which would queue every batch behind the one folding into the same
 * charges. One round trip when every charge exists, three when some must be opened.
 */
async function openUsage(
  em: EntityManager,
  rows: readonly NewUsageCharge[],
  now: Date,
): Promise<UsageChargeRow[]> {
  if (rows.length === 0) return [];
  const found = await findUsage(em, rows);
  const have = new Set(found.map((c) => usageChargeKey(c.subscriptionId, c.rateCardId, c.periodStart)));
  const missing = rows.filter(
    (r) => !have.has(usageChargeKey(r.subscriptionId, r.rateCardId, r.periodStart)),
  );
  if (missing.length === 0) return found;
  const params: unknown[] = [];
  for (const r of missing) {
    params.push(
      r.id,
      r.customerId,
      r.currencyId,
      r.subscriptionId,
      r.rateCardId,
      r.featureId,
      r.featureKey,
      r.aggregation,
      r.settlementMode,
      r.terms.fiatCode,
      r.terms.fiatValue,
      r.periodStart.toISOString(),
      r.periodEnd.toISOString(),
      now.toISOString(),
    );
  }
  // a concurrent batch may open the same charge meanwhile: the conflict leaves its row, read back below
  await em.execute(
    `insert into charge (id, customer_id, currency_id, kind, subscription_id, rate_card_id, feature_id, feature_key,
                         aggregation, status, settlement_mode, fiat_code, fiat_value, quantity, amount, period_start,
                         period_end, created_at, updated_at)
     select v.id, v.customer_id, v.currency_id, 'USAGE', v.subscription_id, v.rate_card_id, v.feature_id, v.feature_key,
            v.aggregation, 'OPEN', v.mode, v.fiat_code, v.fiat_value::numeric, 0, 0, v.ps::timestamptz, v.pe::timestamptz,
            v.now::timestamptz, v.now::timestamptz
       from (values ${valuesList(missing.length, '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', params)})
            as v(id, customer_id, currency_id, subscription_id, rate_card_id, feature_id, feature_key, aggregation, mode,
                 fiat_code, fiat_value, ps, pe, now)
     on conflict (subscription_id, rate_card_id, period_start) where kind = 'USAGE' do nothing`,
    params,
  );
  return [...found, ...(await findUsage(em, missing))];
}

/** Locks charges in id order (the order settlement uses) and returns their status and quantity. */
async function lockForUsage(
  em: EntityManager,
  ids: readonly string[],
): Promise<Map<string, { status: ChargeStatus; quantity: string }>> {
  const rows = await em.execute<{ id: string; status: ChargeStatus; quantity: string }[]>(
    `select id, status, quantity::text as quantity from charge where id = any(?::text[])
      order by id for update`,
    [pgArray(ids)],
  );
  return new Map(rows.map((r) => [r.id, { status: r.status, quantity: r.quantity }]));
}

/** Sets locked usage charges' period quantity and its price (full precision), in one statement. */
async function applyUsage(
  em: EntityManager,
  rows: readonly { id: string; quantity: string; amount: string }[],
): Promise<void> {
  if (rows.length === 0) return;
  // nobody reads its answer: it travels with the batch's commit
  await em.execute(
    deferred(`update charge as c set quantity = v.q, amount = v.a, updated_at = now()
       from unnest(?::text[], ?::numeric[], ?::numeric[]) as v(id, q, a)
      where c.id = v.id`),
    [
      pgArray(rows.map((r) => r.id)),
      pgArray(rows.map((r) => r.quantity)),
      pgArray(rows.map((r) => r.amount)),
    ],
  );
}

/**
 * The ledgers (customer, currency) with something to settle: an open charge with an unbooked amount, or
 * one whose period has ended. A sub-cent remainder that rounds to what is booked has nothing to book: it
 * waits until its period ends. Rounding is half-even, as the engine books it (`roundHalfEvenSql`), so a
 * charge of 0.125 booked as 0.12 does not reopen its ledger on every run.
 */
async function ledgersToSettle(
  em: EntityManager,
  now: Date,
  customerId?: string | null,
): Promise<{ customerId: string; currencyId: string }[]> {
  const rows = await em.execute<{ customer_id: string; currency_id: string }[]>(
    `select distinct c.customer_id, c.currency_id from charge c join currency cur on cur.id = c.currency_id
      where c.status = 'OPEN' and (${roundHalfEvenSql('c.amount', 'cur.scale')} <> c.booked
             or c.period_end <= ?::timestamptz)
            ${customerId ? 'and c.customer_id = ?' : ''}
      order by c.customer_id, c.currency_id`,
    customerId ? [now.toISOString(), customerId] : [now.toISOString()],
  );
  return rows.map((r) => ({ customerId: r.customer_id, currencyId: r.currency_id }));
}

/** The open charges of several ledgers, locked in id order (after their ledgers: the global order). */
async function lockOpen(
  em: EntityManager,
  keys: readonly { customerId: string; currencyId: string }[],
): Promise<OpenCharge[]> {
  const rows = await em.execute<
    {
      id: string;
      customer_id: string;
      currency_id: string;
      kind: ChargeKind;
      subscription_id: string | null;
      feature_key: string | null;
      feature_name: string | null;
      description: string | null;
      status: ChargeStatus;
      settlement_mode: SettlementMode;
      fiat_code: string | null;
      fiat_value: string | null;
      currency_code: string;
      currency_fiat_code: string | null;
      currency_fiat_value: string | null;
      amount: string;
      booked: string;
      credited_amount: string;
      invoiced_amount: string;
      period_start: Date | null;
      period_end: Date | null;
      invoice_id: string | null;
    }[]
  >(
    `select c.id, c.customer_id, c.currency_id, c.kind, c.subscription_id, c.feature_key, f.name as feature_name,
            c.description, c.status, c.settlement_mode, c.fiat_code, c.fiat_value::text as fiat_value,
            cur.code as currency_code, cur.fiat_code as currency_fiat_code, cur.fiat_value::text as currency_fiat_value,
            c.amount::text as amount, c.booked::text as booked, c.credited_amount::text as credited_amount,
            c.invoiced_amount::text as invoiced_amount, c.period_start, c.period_end, c.invoice_id
       from charge c join currency cur on cur.id = c.currency_id left join feature f on f.id = c.feature_id
      where (c.customer_id, c.currency_id) in (${keys.map(() => '(?, ?)').join(', ')}) and c.status = 'OPEN'
      order by c.id
      for update of c`,
    keys.flatMap((k) => [k.customerId, k.currencyId]),
  );
  return rows.map((c) => ({
    id: c.id,
    customerId: c.customer_id,
    currencyId: c.currency_id,
    kind: c.kind,
    subscriptionId: c.subscription_id,
    featureKey: c.feature_key,
    featureName: c.feature_name,
    description: c.description,
    status: c.status,
    settlementMode: c.settlement_mode,
    terms: settlementTermsOf(
      { code: c.currency_code, fiatCode: c.currency_fiat_code, fiatValue: c.currency_fiat_value },
      { fiatCode: c.fiat_code, fiatValue: c.fiat_value },
    ),
    amount: c.amount,
    booked: c.booked,
    creditedAmount: c.credited_amount,
    invoicedAmount: c.invoiced_amount,
    periodStart: c.period_start === null ? null : new Date(c.period_start),
    periodEnd: c.period_end === null ? null : new Date(c.period_end),
    invoiceId: c.invoice_id,
  }));
}

/** Writes settled figures of locked charges, in one statement for a whole batch. */
async function applySettlement(em: EntityManager, rows: readonly ChargeSettlement[]): Promise<void> {
  if (rows.length === 0) return;
  const params = rows.flatMap((r) => [r.id, r.booked, r.credited, r.invoiced, r.status, r.invoiceId]);
  await em.execute(
    `update charge as c set booked = v.b::numeric, credited_amount = v.cr::numeric, invoiced_amount = v.inv::numeric,
            status = v.st, invoice_id = v.inv_id, updated_at = now()
       from (values ${valuesList(rows.length, '(?, ?, ?, ?, ?, ?)', params)}) as v(id, b, cr, inv, st, inv_id)
      where c.id = v.id`,
    params,
  );
}

/** Writes a one-off charge once, with the figures its settlement gave it. */
/** An open charge as reads see it (SPEC §16 checks and reserves): no lock taken. */
export interface OpenChargeView {
  id: string;
  kind: ChargeKind;
  subscriptionId: string | null;
  rateCardId: string | null;
  featureKey: string | null;
  periodStart: Date | null;
  settlementMode: SettlementMode;
  /** Aggregated usage of the period (0 for one-off charges). */
  quantity: string;
  /** Full precision. */
  amount: string;
  booked: string;
}

/**
 * The open charges of one ledger as of the caller's snapshot, in id order (settlement's order), without
 * locking: reads that compute what settlement would do never block ingestion or settlement.
 */
interface OpenChargeRow {
  id: string;
  kind: ChargeKind;
  subscription_id: string | null;
  rate_card_id: string | null;
  feature_key: string | null;
  period_start: Date | string | null;
  settlement_mode: SettlementMode;
  quantity: string | null;
  amount: string;
  booked: string;
}

/** The columns of an open charge as checks read it (`charge`, unaliased; also composed into one read). */
export const OPEN_CHARGE_COLUMNS = `id, kind, subscription_id, rate_card_id, feature_key, period_start, settlement_mode,
  quantity::text as quantity, amount::text as amount, booked::text as booked`;

/** A row of those columns (timestamps may come as JSON strings). */
export function toOpenChargeView(row: unknown): OpenChargeView {
  const r = row as OpenChargeRow;
  return {
    id: r.id,
    kind: r.kind,
    subscriptionId: r.subscription_id,
    rateCardId: r.rate_card_id,
    featureKey: r.feature_key,
    periodStart: r.period_start === null ? null : new Date(r.period_start),
    settlementMode: r.settlement_mode,
    quantity: r.quantity ?? '0',
    amount: r.amount,
    booked: r.booked,
  };
}

async function openOfLedger(
  em: EntityManager,
  customerId: string,
  currencyId: string,
): Promise<OpenChargeView[]> {
  const rows = await em.execute<OpenChargeRow[]>(
    `select ${OPEN_CHARGE_COLUMNS}
       from charge where customer_id = ? and currency_id = ? and status = 'OPEN'
      order by id`,
    [customerId, currencyId],
  );
  return rows.map(toOpenChargeView);
}

/** The charge table's operations (see the module README for who may call which). */
export const chargeStore = {
  openUsage,
  lockForUsage,
  applyUsage,
  ledgersToSettle,
  lockOpen,
  applySettlement,
  insertOneOff,
  openOfLedger,
};
