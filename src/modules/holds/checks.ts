import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError } from '../../core/errors';
import { IdPrefix, isIdOf } from '../../core/ids';
import { checkCharge, priceQuantity, type CheckChargeResult } from '../../engine';
import { Dec, ZERO, max, parseDecimal, roundToScale } from '../../money';
import {
  CurrencyEntity,
  FeatureEntity,
  ratingCardsOfPlans,
  toEnginePrice,
  type SettlementMode,
} from '../catalog';
import { customerExists } from '../customers';
import { subscriptionsOfCustomers } from '../subscriptions';
import { chargeModeOf, pickCards, ratingContext } from '../usage';
import type { CheckCache, CustomerFacts, LedgerFacts } from './check-cache';
import { untilNextInstant } from './kept-answers';
import { readLedgerFacts, sharesOf } from './shares';

export const CreditDenialReason = {
  NO_ACTIVE_SUBSCRIPTION: 'NO_ACTIVE_SUBSCRIPTION',
  FEATURE_NOT_IN_PLAN: 'FEATURE_NOT_IN_PLAN',
  INSUFFICIENT_CREDITS: 'INSUFFICIENT_CREDITS',
} as const;
export type CreditDenialReason = (typeof CreditDenialReason)[keyof typeof CreditDenialReason];

/** The answer of `checkCredits` (SPEC §16); amounts at full precision, the caller formats them. */
export interface CreditCheckView {
  allowed: boolean;
  reason: CreditDenialReason | null;
  currency: CurrencyEntity | null;
  settlementMode: SettlementMode | null;
  cost: Dec;
  available: Dec;
  /** Grant slices, signed like the CONSUMED movement that would book them (negative). */
  allocations: { grantId: string; amount: Dec }[];
  uncovered: Dec;
}

const denied = (reason: CreditDenialReason): CreditCheckView => ({
  allowed: false,
  reason,
  currency: null,
  settlementMode: null,
  cost: ZERO,
  available: ZERO,
  allocations: [],
  uncovered: ZERO,
});

/**
 * SPEC §16 `checkCredits`: whether credits cover `quantity` more of a feature now. Where the usage would go is
 * ingestion's own rule (`pickCards`, `chargeModeOf`); what it would cost and which grants would pay is the
 * engine's `checkCharge`, which runs settlement's `settleCharge` after open charges and holds took their share.
 * Reads only, in one snapshot per ledger; never blocks a writer. With a `cache` (the process's `CheckCache`),
 * what it reads is kept and a repeated check with nothing changed reads nothing from the database.
 */
export async function checkCredits(
  /** Where a read goes: `em` is read only when something is read (a kept check forks no EntityManager). */
  db: { readonly em: EntityManager },
  asOf: Date,
  customerId: string,
  featureKey: string,
  quantityText: string,
  cache: CheckCache | null = null,
): Promise<CreditCheckView> {
  const quantity = parseDecimal(quantityText, { positive: true, field: 'quantity' });
  if (!isIdOf(IdPrefix.Customer, customerId)) throw DomainError.notFound('Customer', customerId);
  const facts = cache
    ? await cache.customer(customerId, asOf, () => readCustomerFacts(db.em, customerId))
    : await readCustomerFacts(db.em, customerId);
  const loadFeature = () => db.em.findOne(FeatureEntity, { key: featureKey });
  const feature = cache ? await cache.feature(featureKey, loadFeature) : await loadFeature();
  if (!feature) throw DomainError.notFound('Feature', featureKey);
  // one ledger read per check: a kept answer's ledger that turns out to be read anew is the one computed with
  let read: { currencyId: string; facts: Promise<LedgerFacts> } | null = null;
  const ledgerOf = (currencyId: string) => {
    if (read?.currencyId !== currencyId) {
      const load = () => readLedgerFacts(db.em, customerId, currencyId, asOf);
      read = { currencyId, facts: cache ? cache.ledger(customerId, currencyId, asOf, load) : load() };
    }
    return read.facts;
  };
  // a gateway asks the same question again and again: the answer kept with the reads it came from
  const answerKey = `${feature.key}\u0000${quantityText}`;
  const kept = cache && (await cache.answer(facts, answerKey, asOf, feature, ledgerOf));
  if (kept) return kept;

  const pick = pickCards(
    ratingContext(new Map(), new Set(), facts.subscriptions, facts.cards),
    customerId,
    feature.eventType,
    asOf,
  );
  if (pick.kind === 'NO_ACTIVE_SUBSCRIPTION') return denied('NO_ACTIVE_SUBSCRIPTION');
  const card = pick.kind === 'RATED' ? pick.cards.find((c) => c.featureKey === feature.key) : undefined;
  if (pick.kind !== 'RATED' || !card) return denied('FEATURE_NOT_IN_PLAN');

  const loadCurrency = () => db.em.findOneOrFail(CurrencyEntity, { id: card.currencyId });
  const currency = cache ? await cache.currency(card.currencyId, loadCurrency) : await loadCurrency();
  const mode = chargeModeOf(pick.subscription, card);
  const ledger: LedgerFacts = await ledgerOf(currency.id);
  const shares = sharesOf(ledger, currency.scale, asOf);
  const existing = ledger.open.find(
    (c) =>
      c.subscriptionId === pick.subscription.id &&
      c.rateCardId === card.id &&
      c.periodStart?.getTime() === pick.period.start.getTime(),
  );
  const usage = new Dec(existing?.quantity ?? '0');
  // SUM and COUNT add the checked quantity to the period's usage; MAX keeps the larger
  const after = card.aggregation === 'MAX' ? max(usage, quantity) : usage.plus(quantity);
  const price = toEnginePrice(card.price);
  const r: CheckChargeResult = checkCharge({
    ...shares,
    charge: {
      id: existing?.id ?? 'checked usage',
      amount: priceQuantity(price, after),
      booked: roundToScale(priceQuantity(price, usage), currency.scale),
      featureKey: feature.key,
    },
    mode,
  });
  const view: CreditCheckView = {
    allowed: r.allowed,
    reason: r.allowed ? null : 'INSUFFICIENT_CREDITS',
    currency,
    settlementMode: mode,
    cost: r.cost,
    available: r.available,
    allocations: r.allocations.map((a) => ({ grantId: a.grantId, amount: a.amount.neg() })),
    uncovered: r.uncovered,
  };
  if (cache) {
    // time reaches the answer only through the dates of what it was computed from (see untilNextInstant)
    const at = asOf.getTime();
    const until = untilNextInstant(
      at,
      facts.subscriptions,
      [pick.period],
      ledger.ledger?.grants.values() ?? [],
      ledger.holds,
      ledger.open,
    );
    cache.keepAnswer(facts, answerKey, { from: at, until, feature, currencyId: currency.id, ledger, view });
  }
  return view;
}

/** The customer's subscriptions and the rate cards of their plans; NOT_FOUND for an unknown customer. */
async function readCustomerFacts(em: EntityManager, customerId: string): Promise<CustomerFacts> {
  if (!(await customerExists(em, customerId))) throw DomainError.notFound('Customer', customerId);
  const subscriptions = await subscriptionsOfCustomers(em, [customerId]);
  const cards = await ratingCardsOfPlans(em, [...new Set(subscriptions.map((s) => s.planId))]);
  return { subscriptions, cards };
}
