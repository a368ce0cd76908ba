import { Migration } from '@mikro-orm/migrations';

/**
 * Live updates: the outbox (one row per booked movement, written in the movement's transaction, pruned
 * after a retention period; listeners catch up from it after losing their connection) and alert thresholds.
 */
export class Migration20261121000004_live extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table outbox (
        id bigint generated always as identity primary key,
        customer_id text not null,
        ledger_id text not null,
        sequence integer not null,
        created_at timestamptz not null default now()
      );
      create index outbox_created_idx on outbox (created_at);
      create index outbox_customer_idx on outbox (customer_id, created_at);

      create table credit_alert_threshold (
        customer_id text not null references customer (id),
        currency_id text not null references currency (id),
        thresholds numeric[] not null,
        updated_at timestamptz not null default now(),
        primary key (customer_id, currency_id)
      );
    `);
  }
}
