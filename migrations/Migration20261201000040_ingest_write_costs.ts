import { Migration } from '@mikro-orm/migrations';

/**
 * What every ingested batch costs PostgreSQL, measured with `bench/ingest.ts` (8 clients, batches of 500
 * over 200 customers):
 *
 * - **One foreign-key check per event row, not two.** A usage event checked its customer twice:
 *   `usage_event_customer_id_fkey` (customer_id → customer) and `usage_event_subscription_fk`
 *   ((customer_id, subscription_id) → subscription (customer_id, id)). The second proves the first, since
 *   `subscription.customer_id` references `customer`; each check is a row lock (FOR KEY SHARE) per event.
 * - **Room on each charge page for its next versions.** Every batch updates the quantity and amount of the
 *   open charges it rates into, so an active charge gets a new row version many times a second, while
 *   concurrent batches still need the older ones. On full pages (the default fillfactor 100) only 5% of
 *   those updates were HOT: the rest wrote a new entry in each of the five indexes of `charge` and made
 *   every unique check walk the dead versions. Measured by fillfactor: 100: 5% HOT, 11.2k events/s; 70: 36%,
 *   13.0k; 50: 56%, 14.9k; 20: 98%, 16.9k. Fillfactor 50 is the choice: a one-off charge (one per
 *   `createCharge`) is written once and never updated, yet every row pays the fillfactor in space for as
 *   long as it is kept, so 50 doubles the heap of `charge` where 20 would make it five times as large.
 *   Pages written before this keep their density until the table is rewritten (`VACUUM FULL charge`).
 */
export class Migration20261201000040_ingest_write_costs extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table usage_event drop constraint usage_event_customer_id_fkey;
      alter table charge set (fillfactor = 50);
    `);
  }
}
