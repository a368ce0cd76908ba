import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../core/clock';
import { DomainError } from '../../core/errors';
import { fault } from '../../core/fault';
import { IdPrefix, newId } from '../../core/ids';
import { aggregateStep, priceQuantity } from '../../engine';
import { Dec } from '../../money';
import { toEnginePrice } from '../catalog';
import { inTransaction, noteChange } from '../shared/tx';
import { chargeStore, type NewUsageCharge } from './charge-store';
import type { ChargeStatus } from './entities';
import { eventStore } from './event-store';
import { chargeModeOf, loadRatingContext, rate, usageChargeKey, type Rated } from './rate';
import { Verdicts, type RejectedEvent } from './rejections';
import { dedupe, screen, type UsageEventInput } from './screen';

export const MAX_BATCH = 1000;

export interface IngestResult {
  accepted: number;
  duplicates: number;
  rejected: RejectedEvent[];
  /** Customers whose pending balance changed (for live updates). */
  customerIds: string[];
}

/** The usage charge each rated row feeds, as opened: its id and status before any lock. */
type ChargeOf = ReadonlyMap<string, { id: string; status: ChargeStatus }>;

/**
 * SPEC §8 ingestion: every event is accepted, a duplicate, or rejected with a code. The pipeline is
 * screen → dedupe → rate → open charges → insert → fold. Accepted events and the charges they rate into
 * are committed in one transaction before the answer; charge rows are locked in id order (the order
 * settlement uses), so concurrent batches and settlement never lose an update.
 */
export class UsageService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
  ) {}

  async ingest(events: readonly UsageEventInput[]): Promise<IngestResult> {
    if (events.length > MAX_BATCH) throw DomainError.badInput(`at most ${MAX_BATCH} events per batch`);
    const now = this.clock.now();
    const screened = new Verdicts();
    const candidates = screen(events, now, screened);
    if (candidates.length === 0) return answer(screened, []);

    return inTransaction(this.em, async (em) => {
      // a retried transaction starts again from the outcome of screening
      const verdicts = screened.copy();
      const stored = await eventStore.storedHashes(
        em,
        candidates.map((c) => c.event.id),
      );
      const fresh = dedupe(candidates, stored, verdicts);
      if (fresh.length === 0) return answer(verdicts, []);
      const rated = rate(fresh, await loadRatingContext(em, fresh), verdicts);
      if (rated.length === 0) return answer(verdicts, []);
      const charges = await openCharges(em, rated, now);
      const inserted = await insertEvents(em, rated, charges, now, verdicts);
      const accepted = await fold(em, rated, charges, inserted, verdicts);
      await fault('usage.batch', () => accepted.map((r) => r.customerId));
      noteChange(
        em,
        'pending',
        accepted.map((r) => r.customerId),
      );
      return answer(verdicts, accepted);
    });
  }
}

function answer(verdicts: Verdicts, accepted: readonly Rated[]): IngestResult {
  return {
    accepted: new Set(accepted.map((r) => r.event.id)).size,
    duplicates: verdicts.duplicates,
    rejected: verdicts.rejected,
    customerIds: [...new Set(accepted.map((r) => r.customerId))],
  };
}

/** The usage charges rated rows need, one per (subscription, rate card, period), not yet known to exist. */
export function newUsageCharges(rated: readonly Rated[]): NewUsageCharge[] {
  const byKey = new Map<string, NewUsageCharge>();
  for (const r of rated) {
    if (byKey.has(r.key)) continue;
    byKey.set(r.key, {
      id: newId(IdPrefix.Charge),
      customerId: r.customerId,
      currencyId: r.card.currencyId,
      subscriptionId: r.subscription.id,
      rateCardId: r.card.id,
      featureId: r.card.featureId,
      featureKey: r.card.featureKey,
      aggregation: r.card.aggregation,
      settlementMode: chargeModeOf(r.subscription, r.card),
      terms: r.card.terms,
      periodStart: r.periodStart,
      periodEnd: r.periodEnd,
    });
  }
  return [...byKey.values()];
}

/** Step 4, open charges: creates the missing ones and reads every one's status (no lock yet). */
async function openCharges(em: EntityManager, rated: readonly Rated[], now: Date): Promise<ChargeOf> {
  const found = await chargeStore.openUsage(em, newUsageCharges(rated), now);
  return new Map(found.map((c) => [usageChargeKey(c.subscriptionId, c.rateCardId, c.periodStart), c]));
}

/**
 * Which events to insert: one row per event whose periods are all open. An event whose period is already
 * closed is refused (PERIOD_CLOSED), unless another of its rows is open. Pure.
 */
export function eventsToInsert(rated: readonly Rated[], charges: ChargeOf, verdicts: Verdicts): Rated[] {
  const rows = new Map<string, Rated>();
  const closed = new Map<string, Rated>();
  for (const r of rated) {
    if (charges.get(r.key)!.status !== 'OPEN') {
      if (!closed.has(r.event.id)) closed.set(r.event.id, r);
    } else if (!rows.has(r.event.id)) rows.set(r.event.id, r);
  }
  for (const [id, r] of closed) if (!rows.has(id)) verdicts.periodClosed(id, r.ts);
  return [...rows.values()];
}

/** Step 5, insert: ids stored meanwhile by a concurrent batch are answered from what it stored. */
async function insertEvents(
  em: EntityManager,
  rated: readonly Rated[],
  charges: ChargeOf,
  now: Date,
  verdicts: Verdicts,
): Promise<Set<string>> {
  const rows = eventsToInsert(rated, charges, verdicts);
  const inserted = await eventStore.insert(em, rows, now);
  const raced = rows.filter((r) => !inserted.has(r.event.id));
  if (raced.length > 0) {
    const stored = await eventStore.storedHashes(
      em,
      raced.map((r) => r.event.id),
    );
    for (const r of raced) verdicts.seenBefore(r.event.id, stored.get(r.event.id), r.hash);
  }
  return inserted;
}

/**
 * The new quantity and price of each charge that takes inserted rows: the locked quantity folded with
 * each value in order, the tiers applied to the period total at full precision. Pure.
 */
export function foldCharges(
  rows: readonly Rated[],
  chargeIdOf: (r: Rated) => string,
  lockedQuantity: (chargeId: string) => string,
): { id: string; quantity: string; amount: string }[] {
  const folded = new Map<string, { quantity: Dec | null; r: Rated }>();
  for (const r of rows) {
    const id = chargeIdOf(r);
    const f = folded.get(id) ?? { quantity: new Dec(lockedQuantity(id)), r };
    f.quantity = aggregateStep(r.card.aggregation, f.quantity, r.value);
    folded.set(id, f);
  }
  return [...folded].map(([id, f]) => ({
    id,
    quantity: f.quantity!.toFixed(),
    amount: priceQuantity(toEnginePrice(f.r.card.price), f.quantity!).toFixed(),
  }));
}

/**
 * Step 6, fold: locks the charges that get new events, in id order, and re-reads them; a period closed
 * since they were opened refuses its events after all (they are deleted again). The others are folded
 * into their charges. Returns the rated rows accepted.
 */
async function fold(
  em: EntityManager,
  rated: readonly Rated[],
  charges: ChargeOf,
  inserted: Set<string>,
  verdicts: Verdicts,
): Promise<Rated[]> {
  const chargeIdOf = (r: Rated) => charges.get(r.key)!.id;
  let rows = rated.filter((r) => inserted.has(r.event.id));
  if (rows.length === 0) return [];
  const locked = await chargeStore.lockForUsage(em, [...new Set(rows.map(chargeIdOf))].sort());
  const lateClosed = new Map<string, Rated>();
  for (const r of rows) {
    if (locked.get(chargeIdOf(r))!.status !== 'OPEN' && !lateClosed.has(r.event.id))
      lateClosed.set(r.event.id, r);
  }
  if (lateClosed.size > 0) {
    await eventStore.remove(em, [...lateClosed.keys()]);
    for (const [id, r] of lateClosed) verdicts.periodClosed(id, r.ts);
    rows = rows.filter((r) => !lateClosed.has(r.event.id));
  }
  await chargeStore.applyUsage(
    em,
    foldCharges(rows, chargeIdOf, (id) => locked.get(id)!.quantity),
  );
  return rows;
}
