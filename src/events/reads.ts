import type { Dec } from '../money';
import { CurrencyEntity } from '../modules/catalog';
import { LedgerEntity, type BalanceView, type MovementEntity } from '../modules/ledger';
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

  /**
   * Movements after each ledger's cursor (`fallback` for ledgers it does not know), in booking order, with
   * the balances of the same snapshot (by currency id) when there is any: one statement.
   */
  async movementsAfter(
    customerId: string,
    cursor: Map<string, number>,
    currencyId: string | null,
    limit: number,
    fallback = 0,
  ): Promise<{ rows: MovementEntity[]; balances: Map<string, BalanceView> }> {
    const read = await this.services
      .open()
      .ledger.movementsAfter(customerId, currencyId, { after: cursor, fallback }, limit);
    return { rows: read.movements, balances: new Map(read.balances.map((b) => [b.currency.id, b])) };
  }
}
