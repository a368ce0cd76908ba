import DataLoader from 'dataloader';
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

/** How many new movements of a customer one read of the feeds answers at most (then it reads again). */
export const PAGE = 500;
/** At most this many customers' new movements are read in one statement. */
const PULLS_PER_STATEMENT = 64;

/** What a feed read answers: the new movements and the balances of the same snapshot (by currency id). */
export interface NewMovements {
  rows: MovementEntity[];
  balances: Map<string, BalanceView>;
}

interface Pull {
  customerId: string;
  after: ReadonlyMap<string, number>;
}

/**
 * The database reads of the live feeds. Each read takes fresh services (its own EntityManager fork): a feed
 * lives as long as its subscribers, and one long-lived identity map would grow and go stale.
 */
export class FeedReads {
  /**
   * The feeds' reads of new movements (`newMovements`). One notification usually wakes several customers,
   * whose feeds ask in the same tick: their reads go to PostgreSQL as one statement (`movementsAfterMany`),
   * not one round trip each.
   */
  private readonly pulls = new DataLoader<Pull, NewMovements>((pulls) => this.readPulls(pulls), {
    cache: false,
    maxBatchSize: PULLS_PER_STATEMENT,
  });

  constructor(private readonly services: ServiceRoot) {}

  /** A feed's read of the movements after its cursor (at most PAGE, all currencies), batched (above). */
  newMovements(customerId: string, after: ReadonlyMap<string, number>): Promise<NewMovements> {
    return this.pulls.load({ customerId, after: new Map(after) });
  }

  /** Reads a batch of pulls; a customer twice in it (a feed replaced while its read ran) goes in a later round. */
  private async readPulls(pulls: readonly Pull[]): Promise<NewMovements[]> {
    const rounds: Pull[][] = [];
    const seen = new Map<string, number>();
    for (const p of pulls) {
      const round = seen.get(p.customerId) ?? 0;
      seen.set(p.customerId, round + 1);
      (rounds[round] ??= []).push(p);
    }
    const answers = new Map<Pull, NewMovements>();
    await Promise.all(
      rounds.map(async (round) => {
        const read = await this.services.open().ledger.movementsAfterMany(round, PAGE);
        for (const p of round) {
          const mine = read.get(p.customerId);
          answers.set(p, {
            rows: mine?.movements ?? [],
            balances: new Map((mine?.balances ?? []).map((b) => [b.currency.id, b])),
          });
        }
      }),
    );
    return pulls.map((p) => answers.get(p)!);
  }

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
  ): Promise<NewMovements> {
    const read = await this.services
      .open()
      .ledger.movementsAfter(customerId, currencyId, { after: cursor, fallback }, limit);
    return { rows: read.movements, balances: new Map(read.balances.map((b) => [b.currency.id, b])) };
  }
}
