import type { EntityManager } from '@mikro-orm/postgresql';
import { parseIsoDuration, periodContaining } from '../../core/duration';
import type { Dec } from '../../money';
import { knownEventTypes, ratingCardsOfPlans, type RatingCard, type SettlementMode } from '../catalog';
import { customerIdsBySubject } from '../customers';
import { subscriptionsOfCustomers, type RatingSubscription } from '../subscriptions';
import type { Verdicts } from './rejections';
import type { Candidate, UsageEventInput } from './screen';

/** What rating needs to know about a batch's subjects and types, read from the modules that own it. */
export interface RatingContext {
  /** subject → customer id */
  customerOf: ReadonlyMap<string, string>;
  knownTypes: ReadonlySet<string>;
  /** customer id → subscriptions, earliest started first */
  subscriptionsOf: ReadonlyMap<string, readonly RatingSubscription[]>;
  /** `${planId}|${eventType}` → the plan's rate cards for that type, in the plan's order */
  cardsOf: ReadonlyMap<string, readonly RatingCard[]>;
}

/** One event rated into one rate card of one subscription's period. */
export interface Rated {
  event: UsageEventInput;
  hash: string;
  value: Dec;
  ts: Date;
  customerId: string;
  subscription: RatingSubscription;
  card: RatingCard;
  periodStart: Date;
  periodEnd: Date;
  /** The usage charge it feeds: `usageChargeKey(subscription, card, periodStart)`. */
  key: string;
}

/** The identity of a usage charge: one per (subscription, rate card, billing period). */
export function usageChargeKey(subscriptionId: string, rateCardId: string, periodStart: Date): string {
  return `${subscriptionId}|${rateCardId}|${periodStart.toISOString()}`;
}

/** Groups what the owners returned into the lookups `rate` uses. Pure. */
export function ratingContext(
  customerOf: ReadonlyMap<string, string>,
  knownTypes: ReadonlySet<string>,
  subscriptions: readonly RatingSubscription[],
  cards: readonly RatingCard[],
): RatingContext {
  const subscriptionsOf = new Map<string, RatingSubscription[]>();
  for (const s of subscriptions) {
    const list = subscriptionsOf.get(s.customerId) ?? [];
    list.push(s);
    subscriptionsOf.set(s.customerId, list);
  }
  const cardsOf = new Map<string, RatingCard[]>();
  for (const c of cards) {
    const k = `${c.planId}|${c.eventType}`;
    const list = cardsOf.get(k) ?? [];
    list.push(c);
    cardsOf.set(k, list);
  }
  return { customerOf, knownTypes, subscriptionsOf, cardsOf };
}

/**
 * Subjects → customers → subscriptions → rate cards, in four set-wise queries, each through the module
 * that owns the table (customers, catalog, subscriptions, catalog).
 */
export async function loadRatingContext(
  em: EntityManager,
  fresh: readonly Candidate[],
): Promise<RatingContext> {
  const customerOf = await customerIdsBySubject(em, [...new Set(fresh.map((c) => c.event.subject))]);
  const knownTypes = await knownEventTypes(em, [...new Set(fresh.map((c) => c.event.type))]);
  const subscriptions = await subscriptionsOfCustomers(em, [...new Set(customerOf.values())]);
  const cards = await ratingCardsOfPlans(em, [...new Set(subscriptions.map((s) => s.planId))]);
  return ratingContext(customerOf, knownTypes, subscriptions, cards);
}

/** Where usage of one event type at one instant goes, or why it goes nowhere. */
export type CardPick =
  | { kind: 'NO_ACTIVE_SUBSCRIPTION' }
  | { kind: 'NO_RATE_CARD' }
  | {
      kind: 'RATED';
      subscription: RatingSubscription;
      /** Every rate card of the subscription's plan for the type, in the plan's order. */
      cards: readonly RatingCard[];
      period: { start: Date; end: Date };
    };

/**
 * The rating rule for one customer, event type and instant: the earliest-started subscription active at `ts`
 * whose plan prices the type, every rate card of it for that type, and the billing period containing `ts`.
 * Usage ingestion rates with it; `checkCredits` (SPEC §16) asks it where checked usage would go. Pure.
 */
export function pickCards(ctx: RatingContext, customerId: string, type: string, ts: Date): CardPick {
  const active = (ctx.subscriptionsOf.get(customerId) ?? []).filter(
    (s) => s.activeFrom <= ts && (s.activeTo === null || ts < s.activeTo),
  );
  if (active.length === 0) return { kind: 'NO_ACTIVE_SUBSCRIPTION' };
  const match = active
    .map((s) => ({ s, cards: ctx.cardsOf.get(`${s.planId}|${type}`) }))
    .find((x) => x.cards?.length);
  if (!match) return { kind: 'NO_RATE_CARD' };
  // the cards of one plan share its cadence
  const cadence = parseIsoDuration(match.cards![0]!.billingCadence);
  return {
    kind: 'RATED',
    subscription: match.s,
    cards: match.cards!,
    period: periodContaining(match.s.activeFrom, cadence, ts),
  };
}

/** The mode a usage charge settles under: the subscription's own, else the rate card's, else the plan's. */
export function chargeModeOf(subscription: RatingSubscription, card: RatingCard): SettlementMode {
  return subscription.settlementMode ?? card.settlementMode ?? card.planSettlementMode;
}

/**
 * Step 3, rate: one subscription per event (the earliest-started one active at its time that prices its
 * type), and every rate card of that plan for the type (one event may feed a COUNT and a SUM feature).
 * Pure.
 */
export function rate(fresh: readonly Candidate[], ctx: RatingContext, verdicts: Verdicts): Rated[] {
  const rated: Rated[] = [];
  for (const c of fresh) {
    const { event: e, ts } = c;
    const customerId = ctx.customerOf.get(e.subject);
    if (!customerId) {
      verdicts.reject(e.id, 'UNKNOWN_SUBJECT', `no customer has subject ${e.subject}`);
      continue;
    }
    if (!ctx.knownTypes.has(e.type)) {
      verdicts.reject(e.id, 'UNKNOWN_EVENT_TYPE', `no feature counts events of type ${e.type}`);
      continue;
    }
    const pick = pickCards(ctx, customerId, e.type, ts);
    if (pick.kind === 'NO_ACTIVE_SUBSCRIPTION') {
      verdicts.reject(
        e.id,
        'NO_ACTIVE_SUBSCRIPTION',
        `customer has no subscription active at ${ts.toISOString()}`,
      );
      continue;
    }
    if (pick.kind === 'NO_RATE_CARD') {
      verdicts.reject(e.id, 'NO_RATE_CARD', `no active subscription's plan prices events of type ${e.type}`);
      continue;
    }
    const { subscription, cards, period } = pick;
    for (const card of cards) {
      rated.push({
        event: e,
        hash: c.hash,
        value: c.value,
        ts,
        customerId,
        subscription,
        card,
        periodStart: period.start,
        periodEnd: period.end,
        key: usageChargeKey(subscription.id, card.id, period.start),
      });
    }
  }
  return rated;
}
