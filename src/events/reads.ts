import type { Dec } from '../money';
import { CurrencyEntity } from '../modules/catalog';
import { LedgerEntity, MovementEntity, type BalanceView } from '../modules/ledger';
import type { ServiceRoot } from '../services';

/** A ledger as the feeds track it: where its gapless per-ledger sequence stands. */
export interface LedgerMark {
  id: string;
  currencyId: string;
  lastSequence: number;
}

/**
 * The database reads of the live feeds. Each read takes fresh services (its own EntityManager fork): a feed
 * lives as long as its subscribers, and one long-lived identity map would grow and go stale.
 */
export class FeedReads {
  constructor(private readonly services: ServiceRoot) {}

  async balances(customerId: string): Promise<Map<string, BalanceView>> {
    const list = await this.services.open().ledger.balances(customerId);
    return new Map(list.map((b) => [b.currency.id, b]));
  }

  async ledgers(customerId: string): Promise<LedgerMark[]> {
    const rows = await this.services.open().em.find(LedgerEntity, { customerId });
    return rows.map((r) => ({ id: r.id, currencyId: r.currencyId, lastSequence: r.lastSequence }));
  }

  thresholds(customerId: string): Promise<Map<string, Dec[]>> {
    return this.services.open().alerts.thresholds(customerId);
  }

  /** The id of the currency a subscription filters on; an unknown code matches no ledger. */
  async currencyId(code: string | null): Promise<string | null> {
    if (code === null) return null;
    const c = await this.services.open().em.findOne(CurrencyEntity, { code });
    return c?.id ?? `unknown:${code}`;
  }

  /** Customers among `customerIds` with outbox rows since `since`. */
  async changedSince(since: Date, customerIds: string[]): Promise<string[]> {
    const rows = await this.services
      .open()
      .em.execute<{ customer_id: string }[]>(
        `select distinct customer_id from outbox where created_at >= ? and customer_id in (${customerIds.map(() => '?').join(',')})`,
        [since.toISOString(), ...customerIds],
      );
    return rows.map((r) => r.customer_id);
  }

  /** Movements after each ledger's cursor (`fallback` for ledgers it does not know), in booking order. */
  async movementsAfter(
    customerId: string,
    cursor: Map<string, number>,
    currencyId: string | null,
    limit: number,
    fallback = 0,
  ): Promise<MovementEntity[]> {
    const known = [...cursor.entries()];
    const or: Record<string, unknown>[] = known.map(([ledgerId, seq]) => ({
      ledgerId,
      sequence: { $gt: seq },
    }));
    or.push(
      known.length
        ? { ledgerId: { $nin: known.map(([id]) => id) }, sequence: { $gt: fallback } }
        : { sequence: { $gt: fallback } },
    );
    const where: Record<string, unknown> = { customerId, $or: or };
    if (currencyId !== null) where.currencyId = currencyId;
    return this.services.open().em.find(MovementEntity, where, { orderBy: { gseq: 'asc' }, limit });
  }
}
