import type { EntityManager } from '@mikro-orm/postgresql';
import type { Problems } from '../../core/errors';
import { parseDecimal, type Dec } from '../../money';
import { CurrencyEntity, type Aggregation, type SettlementMode, type StoredPrice } from './entities';
import { settlementTermsOf, type SettlementTerms } from './terms';
import { memoOf } from '../shared/memo';

/**
 * Set-wise reads of catalog tables for the hot paths (usage ingestion), inside the caller's transaction:
 * one query each, whatever the batch size. The SQL on `feature`, `plan`, `rate_card` and `currency` lives
 * here, with the module that owns those tables.
 */

/** A rate card with what rating needs of its feature, its plan and the plan's currency. */
export interface RatingCard {
  id: string;
  planId: string;
  featureId: string;
  featureKey: string;
  eventType: string;
  aggregation: Aggregation;
  price: StoredPrice;
  /** The rate card's own settlement mode (overrides the plan's). */
  settlementMode: SettlementMode | null;
  planSettlementMode: SettlementMode;
  billingCadence: string;
  currencyId: string;
  /** The fiat terms of the plan's currency (`settlementTermsOf`). */
  terms: SettlementTerms;
}

const list = (n: number) => Array.from({ length: n }, () => '?').join(',');

/** Which of these event types some feature counts. */
export async function knownEventTypes(em: EntityManager, types: readonly string[]): Promise<Set<string>> {
  if (types.length === 0) return new Set();
  const rows = await em.execute<{ event_type: string }[]>(
    `select distinct event_type from feature where event_type in (${list(types.length)})`,
    [...types],
  );
  return new Set(rows.map((r) => r.event_type));
}

/** The rate cards of these plans in their order, each with its feature, plan terms and currency terms. */
export async function ratingCardsOfPlans(
  em: EntityManager,
  planIds: readonly string[],
): Promise<RatingCard[]> {
  if (planIds.length === 0) return [];
  const rows = await em.execute<
    {
      id: string;
      plan_id: string;
      feature_id: string;
      feature_key: string;
      event_type: string;
      aggregation: Aggregation;
      price: StoredPrice;
      settlement_mode: SettlementMode | null;
      plan_mode: SettlementMode;
      billing_cadence: string;
      currency_id: string;
      currency_code: string;
      fiat_code: string | null;
      fiat_value: string | null;
    }[]
  >(
    `select rc.id, rc.plan_id, f.id as feature_id, f.key as feature_key, f.event_type, f.aggregation, rc.price,
            rc.settlement_mode, p.settlement_mode as plan_mode, p.billing_cadence, p.currency_id,
            c.code as currency_code, c.fiat_code, c.fiat_value::text as fiat_value
       from rate_card rc join feature f on f.id = rc.feature_id join plan p on p.id = rc.plan_id
            join currency c on c.id = p.currency_id
      where rc.plan_id in (${list(planIds.length)})
      order by rc.position`,
    [...planIds],
  );
  return rows.map((r) => ({
    id: r.id,
    planId: r.plan_id,
    featureId: r.feature_id,
    featureKey: r.feature_key,
    eventType: r.event_type,
    aggregation: r.aggregation,
    price: r.price,
    settlementMode: r.settlement_mode,
    planSettlementMode: r.plan_mode,
    billingCadence: r.billing_cadence,
    currencyId: r.currency_id,
    terms: settlementTermsOf({ code: r.currency_code, fiatCode: r.fiat_code, fiatValue: r.fiat_value }),
  }));
}

/**
 * The currency of a code, or null. Currencies are never updated or deleted, so each one found is kept for
 * the process (a frozen copy, per database: `memoOf`) and the hot mutations skip this round trip.
 */
export async function currencyOfCode(em: EntityManager, code: string): Promise<CurrencyEntity | null> {
  const memo = memoOf<CurrencyEntity>(em, 'currency-by-code', 10_000);
  const kept = memo.get(code);
  if (kept) return kept;
  const found = await em.findOne(CurrencyEntity, { code });
  if (!found) return null;
  const copy = Object.freeze({ ...found }) as CurrencyEntity;
  memo.remember(em, code, copy);
  return copy;
}

/**
 * Currencies by id, each kept for the process once read (as `currencyOfCode`): every page of movements,
 * grants or charges and every balance needs them.
 */
export async function currenciesOfIds(
  em: EntityManager,
  ids: readonly string[],
): Promise<Map<string, CurrencyEntity>> {
  const memo = memoOf<CurrencyEntity>(em, 'currency-by-id', 10_000);
  const out = new Map<string, CurrencyEntity>();
  const missing: string[] = [];
  for (const id of ids) {
    const kept = memo.get(id);
    if (kept) out.set(id, kept);
    else missing.push(id);
  }
  if (missing.length > 0) {
    for (const found of await em.find(CurrencyEntity, { id: { $in: missing } })) {
      const copy = Object.freeze({ ...found }) as CurrencyEntity;
      memo.remember(em, found.id, copy);
      out.set(found.id, copy);
    }
  }
  return out;
}

/**
 * A currency named by its code and an amount of it (positive, at the currency's scale), as every use case
 * that takes `currency` and `amount` checks them: an unknown code or a bad amount is a problem of its field.
 */
export async function currencyAndAmount(
  em: EntityManager,
  problems: Problems,
  code: string,
  amount: string,
): Promise<{ currency: CurrencyEntity | null; amount: Dec | undefined }> {
  const currency = await currencyOfCode(em, code);
  if (!currency) problems.add('currency', `unknown currency ${code}`);
  return {
    currency,
    amount: currency
      ? problems.check('amount', () =>
          parseDecimal(amount, { scale: currency.scale, positive: true, field: 'amount' }),
        )
      : undefined,
  };
}
