import type { FeatureEntity } from '../catalog';
import type { CustomerFacts, LedgerFacts } from './check-cache';
import type { CreditCheckView } from './checks';

/**
 * A check's answer, kept with what it was computed from: the customer facts it is kept on, this ledger read and
 * this feature (by identity: a change makes new reads), valid at instants in [`from`, `until`).
 */
export interface KeptAnswer {
  from: number;
  /** The first instant at or after `from` that any of its inputs names (see `untilNextInstant`). */
  until: number;
  feature: FeatureEntity;
  currencyId: string;
  ledger: LedgerFacts;
  view: CreditCheckView;
}

/**
 * The first instant at or after `at` named by any date of these rows (their own fields), else +Infinity. An
 * answer computed at `at` from rows whose only dependence on time is comparisons of the instant with their
 * dates (subscriptions' activity, grants' effective and expiry instants, holds' expiry, a period's bounds) is
 * the same answer at every instant before it: no comparison can change in between. A date equal to `at` ends
 * the span at once (a strict comparison with it changes right after `at`).
 */
export function untilNextInstant(at: number, ...rows: Iterable<object>[]): number {
  let until = Infinity;
  for (const list of rows)
    for (const row of list)
      for (const v of Object.values(row)) {
        if (!(v instanceof Date)) continue;
        const t = v.getTime();
        if (t >= at && t < until) until = t;
      }
  return until;
}

/** Answers kept per customer facts, the oldest dropped first. */
const MAX_ANSWERS = 32;

/**
 * The check cache's kept answers (`CheckCache.answer`), by the customer facts they were computed from (a
 * WeakMap: they go with them), then by key (feature and quantity), at most `MAX_ANSWERS` per facts.
 */
export class KeptAnswers {
  private readonly byFacts = new WeakMap<CustomerFacts, Map<string, KeptAnswer>>();

  get(facts: CustomerFacts, key: string): KeptAnswer | undefined {
    return this.byFacts.get(facts)?.get(key);
  }

  set(facts: CustomerFacts, key: string, kept: KeptAnswer): void {
    let byKey = this.byFacts.get(facts);
    if (!byKey) this.byFacts.set(facts, (byKey = new Map()));
    byKey.delete(key);
    byKey.set(key, kept);
    if (byKey.size > MAX_ANSWERS) byKey.delete(byKey.keys().next().value as string);
  }
}
